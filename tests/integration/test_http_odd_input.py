"""Odd input the validators might miss (NUL characters, numbers and dates past the database's range,
forged cursors): each is a 4xx naming the problem, never a 500 or a retryable 503, and writes nothing."""

from __future__ import annotations

import base64
from typing import Any

import msgspec
import pytest

from leadstore.bootstrap import Container
from leadstore.store.accounts import NewAccount
from tests.integration.helpers import client, events_of

FAR = "99999999999999999999"  # past 64 bits
OFFSET_BEFORE_YEAR_1 = "0001-01-01T00:00:00+01:00"


def forged_cursor(value: Any, sort: str) -> str:
    raw = msgspec.json.encode([sort, value, "01a200d5-312c-74d0-9b67-6baf3f571ce1", [1, 1]])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


ODD_READS = [
    *(("/v1/leads", {name: "a\x00b"}) for name in ("q", "email", "source", "status", "company_id", "team_id")),
    ("/v1/leads", {"created_after": OFFSET_BEFORE_YEAR_1}),
    ("/v1/leads", {"updated_after": "9999-12-31T23:00:00-02:00"}),
    ("/v1/leads", {"min_position": f"{FAR}.1"}),
    ("/v1/leads", {"min_position": f"1.{FAR}"}),
    ("/v1/leads", {"sort": "score", "cursor": forged_cursor(2**70, "score")}),
    ("/v1/leads", {"sort": "score", "cursor": forged_cursor(-(2**40), "score")}),
    ("/v1/leads", {"sort": "-updated_at", "cursor": forged_cursor("0001-01-01T00:00:00Z", "-updated_at")[:-2]}),
    ("/v1/leads", {"sort": "-updated_at", "cursor": forged_cursor("2026-11-21T10:30:00", "-updated_at")}),  # no zone
    ("/v1/events", {"after": f"1.{FAR}"}),
    ("/v1/events", {"after": f"{FAR}.1"}),
]

ODD_WRITES = [
    ("POST", "/v1/leads", {"first_name": "a\x00b"}),
    ("POST", "/v1/leads", {"first_name": "Nul", "notes": "\x00"}),
    ("POST", "/v1/leads", {"first_name": "Nul", "custom_fields": {"k\x00": "v"}}),
    ("POST", "/v1/leads", {"first_name": "Big", "score": 2**70}),
    ("POST", "/v1/statuses", {"key": "a\x00b", "label": "x"}),
    ("PATCH", "/v1/statuses/a%00b", {"label": "x"}),
    ("PATCH", "/v1/sources/a%00b", {"label": "x"}),
    ("PATCH", "/v1/custom-fields/a%00b", {"label": "x"}),
]


@pytest.mark.parametrize(("path", "params"), ODD_READS)
async def test_odd_query_values_are_refused_with_a_422(
    api: str, account: NewAccount, path: str, params: dict[str, str]
) -> None:
    async with client(api, account.api_key) as http:
        response = await http.get(path, params=params)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_failed"


@pytest.mark.parametrize(("method", "path", "body"), ODD_WRITES)
async def test_odd_bodies_and_paths_are_refused_and_write_nothing(
    api: str, container: Container, account: NewAccount, method: str, path: str, body: dict[str, Any]
) -> None:
    before = await events_of(container, account)
    async with client(api, account.api_key) as http:
        response = await http.request(method, path, json=body)
        statuses = (await http.get("/v1/statuses")).json()["data"]
    assert response.status_code in (404, 422), response.text
    assert await events_of(container, account) == before
    assert all("\x00" not in status["key"] for status in statuses)


async def test_a_lead_as_of_a_time_past_the_calendar_is_a_422(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        lead = (await http.post("/v1/leads", json={"first_name": "Then"})).json()
        response = await http.get(f"/v1/leads/{lead['id']}", params={"as_of": OFFSET_BEFORE_YEAR_1})
    assert response.status_code == 422, response.text


async def test_null_team_members_empty_the_team(api: str, container: Container, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        team = (await http.post("/v1/teams", json={"name": "T", "members": [str(account.user_id)]})).json()
        emptied = await http.patch(f"/v1/teams/{team['id']}", json={"members": None})
    assert emptied.status_code == 200, emptied.text
    assert emptied.json()["members"] == []


@pytest.mark.parametrize(
    ("method", "path", "params"),
    [
        ("GET", "/v1/leads", {"stauts": "lost"}),  # a typo of status: the list must not come back unfiltered
        ("GET", "/v1/events", {"afterr": "1.1"}),
        ("POST", "/v1/leads", {"skip_team": "true"}),
    ],
)
async def test_an_unknown_query_parameter_is_a_422_naming_it(
    api: str, container: Container, account: NewAccount, method: str, path: str, params: dict[str, str]
) -> None:
    before = await events_of(container, account)
    async with client(api, account.api_key) as http:
        response = await http.request(
            method, path, params=params, json={"first_name": "Q"} if method == "POST" else None
        )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == list(params)
    assert response.json()["errors"][0]["code"] == "unknown_field" and await events_of(container, account) == before
