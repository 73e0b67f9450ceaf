"""What the command line prints from data can not drive an operator's terminal or forge a line."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadstore.cli.audit import _print_result
from leadstore.cli.escape import printable, printable_json
from leadstore.cli.tail import line
from leadstore.publishing import PublishedEvent

TERMINAL_TITLE = "\u001b]0;owned\u0007"
# What a terminal obeys or reorders: C0 (tab and line breaks too), DEL, C1, bidi controls, line separators.
OBEYED = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (TERMINAL_TITLE, "\\x1b]0;owned\\x07"),
        ("Ann\nv9  2026-01-01  LeadConverted", "Ann\\nv9  2026-01-01  LeadConverted"),
        ("\x9b31mred\r\t\x7f", "\\x9b31mred\\r\\t\\x7f"),
        ("invoice\u202efdp.exe\u2066", "invoice\\u202efdp.exe\\u2066"),
        (
            "Zo\u00eb \u05e9\u05dc\u05d5\u05dd \U0001f469\u200d\U0001f4bb",
            "Zo\u00eb \u05e9\u05dc\u05d5\u05dd \U0001f469\u200d\U0001f4bb",
        ),
    ],
)
def test_printable_shows_what_a_terminal_would_obey_as_escapes(text: str, shown: str) -> None:
    assert printable(text) == shown


@given(
    st.recursive(st.none() | st.integers() | st.text(), lambda kids: st.lists(kids) | st.dictionaries(st.text(), kids))
)
def test_printable_json_is_the_same_json_value_with_nothing_a_terminal_obeys(value: Any) -> None:
    for text in (json.dumps(value, ensure_ascii=False), json.dumps(value, ensure_ascii=False, indent=2)):
        shown = printable_json(text)
        assert json.loads(shown) == value
        assert OBEYED.search(shown.replace("\n", "")) is None


def event(type_: str, data: dict[str, Any], email: str = "eve@example.com") -> PublishedEvent:
    return PublishedEvent(
        id=uuid4(),
        type=type_,
        lead_id=uuid4(),
        account_id=uuid4(),
        version=2,
        position="1.1",
        occurred_at=datetime(2026, 11, 21, tzinfo=UTC),
        data=data,
        actor={"email": email},
    )


@pytest.mark.parametrize(
    "published",
    [
        event("LeadCreated", {"first_name": TERMINAL_TITLE, "company": "Acme\n2026-11-21  LeadConverted"}),
        event("LeadUpdated", {"changes": {"notes": {"from": None, "to": "a\u0085b\u202e"}}}),
        event("LeadArchived", {"reason": "dup\r\x1b[2K"}),
        event("LeadAssigned", {"from": None, "to": "x"}, email=TERMINAL_TITLE),
        event("SomethingNew", {"k": "\x9b\u2028"}),
    ],
)
def test_tail_prints_one_escaped_line_per_event(published: PublishedEvent) -> None:
    printed = line(published)
    assert OBEYED.search(printed) is None and "\\" in printed


def test_verify_escapes_the_values_a_difference_quotes(capsys: pytest.CaptureFixture[str]) -> None:
    _print_result("lead_list: 2 rows", [f"lead_list row 1: first_name: live {TERMINAL_TITLE}, replay Ann\nforged"], 1)

    assert capsys.readouterr().out.splitlines() == [
        "lead_list: 2 rows, 1 problem(s):",
        "  lead_list row 1: first_name: live \\x1b]0;owned\\x07, replay Ann\\nforged",
    ]


def test_tail_names_an_administrative_events_account_instead_of_a_lead() -> None:
    published = msgspec.structs.replace(
        event("StatusCreated", {"key": "nurture", "label": TERMINAL_TITLE}), lead_id=None
    )
    printed = line(published)
    assert f"account {published.account_id} v2" in printed and "lead None" not in printed
    assert OBEYED.search(printed) is None
