"""Text over HTTP: control characters, bidi controls and invisible-only values are 422 naming the field in every
body (leads, reasons, configuration, users, keys), and custom numbers stay float64-safe. Nothing is written."""

from __future__ import annotations

from typing import Any

import pytest

from leadstore.bootstrap import Container
from leadstore.store.accounts import NewAccount
from tests.integration.helpers import assert_problem, client, create, events_of

TERMINAL_TITLE = "\u001b]0;owned\u0007"  # rewrites the title of the terminal that prints it
MAX_SAFE = 2**53 - 1

REFUSED_TEXT = [
    ("POST", "/v1/leads", {"first_name": TERMINAL_TITLE}, "first_name"),
    ("POST", "/v1/leads", {"first_name": "Ann", "company": "\u200b\u200b"}, "company"),
    ("POST", "/v1/leads", {"first_name": "Ann", "notes": "fine\n\u202etxt.exe"}, "notes"),
    ("POST", "/v1/leads", {"first_name": "Ann", "custom.memo": "\x9b31m"}, "custom.memo"),
    (
        "POST",
        "/v1/leads",
        {"first_name": "Ann", "mailing_address": {"city": "Oslo\r\nX-Forged: 1"}},
        "mailing_address.city",
    ),
    ("POST", "/v1/statuses", {"key": "evil", "label": "\u202eevil"}, "label"),
    ("PATCH", "/v1/statuses/new", {"label": "\x85"}, "label"),
    ("POST", "/v1/sources", {"key": "blank", "label": "   "}, "label"),
    ("POST", "/v1/teams", {"name": "\u3164"}, "name"),
    (
        "POST",
        "/v1/custom-fields",
        {"key": "tier", "label": "Tier", "type": "choice", "choices": ["a", "\x1b"]},
        "choices[1]",
    ),
    ("POST", "/v1/users", {"email": "eve@example.com", "name": "Eve\nrole: admin"}, "name"),
    ("POST", "/v1/api-keys", {"name": "\u2066key"}, "name"),
]


async def with_memo_field(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        for field in (
            {"key": "memo", "label": "Memo", "type": "text"},
            {"key": "size", "label": "Size", "type": "number"},
        ):
            assert (await http.post("/v1/custom-fields", json=field)).status_code == 201


@pytest.mark.parametrize(("method", "path", "body", "field"), REFUSED_TEXT)
async def test_control_bidi_and_invisible_text_is_a_422_naming_the_field(
    api: str, container: Container, account: NewAccount, method: str, path: str, body: dict[str, Any], field: str
) -> None:
    await with_memo_field(api, account)
    before = await events_of(container, account)
    async with client(api, account.api_key) as http:
        config_before = [(await http.get(each)).json() for each in ("/v1/statuses", "/v1/sources", "/v1/teams")]
        response = await http.request(method, path, json=body)
        config_after = [(await http.get(each)).json() for each in ("/v1/statuses", "/v1/sources", "/v1/teams")]

    assert_problem(response, 422, "validation_failed", field)
    assert await events_of(container, account) == before and config_after == config_before


async def test_a_lead_patch_refuses_control_characters_and_keeps_the_lead(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        lead = await create(http, last_name="Byron")
        response = await http.patch(f"/v1/leads/{lead['id']}", json={"last_name": TERMINAL_TITLE, "title": " "})
        after = (await http.get(f"/v1/leads/{lead['id']}")).json()

    assert_problem(response, 422, "validation_failed", "last_name", "title")
    assert after["last_name"] == "Byron" and after["version"] == lead["version"]


async def test_a_reason_may_span_lines_but_not_hold_control_characters(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        lead = await create(http)
        refused = await http.post(f"/v1/leads/{lead['id']}/archive", json={"reason": "\x1b[2J\x1b[Hcleared"})
        archived = await http.post(f"/v1/leads/{lead['id']}/archive", json={"reason": "Duplicate of\n\tanother lead"})

    assert_problem(refused, 422, "validation_failed", "reason")
    assert archived.status_code == 200, archived.text


async def test_a_lead_identified_only_by_invisible_characters_is_refused(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        response = await http.post("/v1/leads", json={"first_name": "\u200b", "company": ""})

    assert_problem(response, 422, "validation_failed", "first_name")


@pytest.mark.parametrize("number", [MAX_SAFE + 1, -MAX_SAFE - 1, 10**30, 1e300])
async def test_a_custom_number_beyond_the_float64_safe_integers_is_a_422(
    api: str, account: NewAccount, number: int | float
) -> None:
    await with_memo_field(api, account)
    async with client(api, account.api_key) as http:
        nested = await http.post("/v1/leads", json={"first_name": "Big", "custom": {"size": number}})
        dotted = await http.post("/v1/leads", json={"first_name": "Big", "custom.size": number})

    assert_problem(nested, 422, "validation_failed", "custom.size")
    assert_problem(dotted, 422, "validation_failed", "custom.size")


async def test_the_largest_safe_custom_number_is_stored_exactly(api: str, account: NewAccount) -> None:
    await with_memo_field(api, account)
    async with client(api, account.api_key) as http:
        lead = await create(http, custom={"size": -MAX_SAFE})
        read = (await http.get(f"/v1/leads/{lead['id']}")).json()

    assert lead["custom"]["size"] == read["custom"]["size"] == -MAX_SAFE


DUPLICATED = [
    ("POST", "/v1/leads", b'{"first_name": "Ann", "email": "a@example.com", "email": "b@example.com"}', "email"),
    ("POST", "/v1/leads", b'{"first_name": "Ann", "custom": {"memo": "a", "memo": "b"}}', "custom.memo"),
    ("PATCH", "{lead}", b'{"last_name": "A", "last_name": "B"}', "last_name"),
    ("POST", "{lead}/assign", b'{"assigned_to": null, "assigned_to": "{user}"}', "assigned_to"),
    ("POST", "{lead}/archive", b'{"reason": "a", "reason": "b"}', "reason"),
    ("POST", "/v1/statuses", b'{"key": "dup", "label": "A", "label": "B"}', "label"),
    ("POST", "/v1/custom-fields", b'{"key": "d", "label": "D", "type": "text", "type": "number"}', "type"),
]


@pytest.mark.parametrize(("method", "path", "body", "field"), DUPLICATED)
async def test_a_member_given_twice_is_a_422_naming_it(
    api: str, container: Container, account: NewAccount, method: str, path: str, body: bytes, field: str
) -> None:
    await with_memo_field(api, account)
    async with client(api, account.api_key, **{"Content-Type": "application/json"}) as http:
        lead = await create(http)
        before = await events_of(container, account)
        target = path.format(lead=f"/v1/leads/{lead['id']}")
        response = await http.request(method, target, content=body.replace(b"{user}", str(account.user_id).encode()))

    problem = assert_problem(response, 422, "validation_failed", field)
    assert [error["code"] for error in problem["errors"]] == ["duplicate_key"]
    assert await events_of(container, account) == before
