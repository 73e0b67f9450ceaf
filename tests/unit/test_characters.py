"""Text fields hold no control characters, no bidi controls and no invisible-only values; custom numbers stay
within the float64-safe integers."""

from __future__ import annotations

from typing import Any

import pytest

from leadstore.domain.errors import ValidationFailed
from leadstore.domain.lead_rules import checked_reason
from leadstore.domain.validation import validate_fields
from tests.unit.test_validation import RULES, clean, errors_of, lead

CONTROLS = ["\x1b", "\x07", "\x08", "\x7f", "\x85", "\x9b"]  # ESC, BEL, BS, DEL, NEL and CSI (C1)
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
INVISIBLE = [" ", "\u00a0\u2003", "\u200b", "\u2060", "\ufeff", "\u3164", "\u2800", "\u180e", "\u00ad"]
SINGLE_LINE = ["first_name", "last_name", "title", "department", "company", "company_id"]
MULTI_LINE = ["description", "notes", "message"]
MAX_SAFE_NUMBER = 2**53 - 1  # the largest integer below which every integer is a float64


def with_every_text_field(value: str) -> dict[str, Any]:
    return {
        **dict.fromkeys(SINGLE_LINE + MULTI_LINE, value),
        "marketing_attribution": ["web", value],
        "mailing_address": {"street": value, "city": value},
        "custom": {"notes_md": value},
        "email": "ada@example.com",
    }


EVERY_TEXT_FIELD = {*SINGLE_LINE, *MULTI_LINE, "marketing_attribution[1]"}
EVERY_TEXT_FIELD |= {"mailing_address.street", "mailing_address.city", "custom.notes_md"}


@pytest.mark.parametrize("char", CONTROLS + BIDI)
def test_control_and_bidi_characters_are_refused_in_every_text_field(char: str) -> None:
    raw = with_every_text_field(f"Ada{char}]0;owned")
    assert errors_of(raw) == {(field, "invalid_character") for field in EVERY_TEXT_FIELD}


@pytest.mark.parametrize("value", INVISIBLE)
def test_values_of_invisible_characters_only_are_refused(value: str) -> None:
    assert errors_of(with_every_text_field(value)) == {(field, "blank") for field in EVERY_TEXT_FIELD}


@pytest.mark.parametrize("field", SINGLE_LINE)
@pytest.mark.parametrize("char", ["\n", "\r", "\t", "\u2028", "\u2029"])
def test_a_single_line_field_refuses_line_breaks_and_tabs(field: str, char: str) -> None:
    assert errors_of({"email": "ada@example.com", field: f"Ada{char}Byron"}) == {(field, "invalid_character")}


def test_multi_line_fields_keep_tabs_and_line_breaks() -> None:
    text = "Met at the fair.\r\n\tWants a demo\u2028in May.\n"
    sent = {field: text for field in MULTI_LINE} | {"custom": {"notes_md": text}}
    sent |= {"mailing_address": {"street": "Flat 2\n12 Main St"}}
    cleaned = clean(**sent)
    assert [cleaned[field] for field in MULTI_LINE] == [text] * 3
    assert (cleaned["custom"]["notes_md"], cleaned["mailing_address"].street) == (text, "Flat 2\n12 Main St")


@pytest.mark.parametrize(
    "value",
    [
        "Zo\u00eb",
        "\U0001f469\u200d\U0001f4bb",
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
        "\u05e9\u05dc\u05d5\u05dd",
    ],
)
def test_invisible_characters_inside_visible_text_are_kept(value: str) -> None:
    """Joiners belong to emoji sequences and to Persian or Indic spelling; right-to-left text needs no control."""
    assert clean(first_name=value, notes=f"{value}\u200e")["first_name"] == value


def test_the_identity_rule_counts_visible_characters_only() -> None:
    assert errors_of({"first_name": "", "company": ""}) == {("first_name", "required")}
    patched = {"email": None, "first_name": ""}
    current = lead(first_name="Ada", email="ada@example.com", company="\u200b")  # stored before this rule
    assert errors_of(patched, partial=True, current=current) == {("first_name", "required")}


def test_a_multi_line_value_of_line_breaks_only_is_blank() -> None:
    assert errors_of({"first_name": "Ada", "notes": "\r\n\t\n"}) == {("notes", "blank")}


def test_a_reason_may_span_lines_but_holds_no_control_character() -> None:
    assert checked_reason("Duplicate of\n\tanother lead") == "Duplicate of\n\tanother lead"
    with pytest.raises(ValidationFailed) as refused:
        checked_reason("\x1b[2J")
    assert [(e.field, e.code) for e in refused.value.errors] == [("reason", "invalid_character")]
    assert "U+001B" in refused.value.errors[0].message


@pytest.mark.parametrize("number", [MAX_SAFE_NUMBER, -MAX_SAFE_NUMBER, 0, 1.5, -2.25e15, 9007199254740991.0])
def test_custom_numbers_within_the_float64_safe_range_are_accepted(number: int | float) -> None:
    fields = validate_fields({"first_name": "Ada", "custom": {"budget": number}}, RULES, partial=False)
    assert fields["custom"]["budget"] == number


@pytest.mark.parametrize("number", [MAX_SAFE_NUMBER + 1, -MAX_SAFE_NUMBER - 1, 2**64, 10**30, 1e300, -1e16])
def test_custom_numbers_beyond_the_float64_safe_range_are_refused(number: int | float) -> None:
    assert errors_of({"first_name": "Ada", "custom": {"budget": number}}) == {("custom.budget", "out_of_range")}
