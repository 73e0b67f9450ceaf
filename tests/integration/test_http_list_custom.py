"""GET /v1/leads filtered by custom-field values and phone, over a real socket with the projector running."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from leadstore.bootstrap import Container
from leadstore.http.testing import add_user, projecting, serve
from leadstore.store.accounts import NewAccount, create_account
from leadstore.store.lead_list.pages import list_page
from leadstore.store.lead_list.query import LeadFilter, ListRebuilding
from tests.integration.helpers import client, create_listed, walk_while_writing


@pytest.fixture(scope="module")
async def api(container: Container) -> AsyncIterator[str]:
    async with serve(container) as url, projecting(container):
        yield url


async def define(http: httpx.AsyncClient, key: str, kind: str, choices: list[str] | None = None) -> None:
    body: dict[str, Any] = {"key": key, "label": key, "type": kind, **({"choices": choices} if choices else {})}
    response = await http.post("/v1/custom-fields", json=body)
    assert response.status_code == 201, response.text


async def test_a_datetime_custom_field_keeps_its_value_in_utc(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        await define(http, "last_contacted", "datetime")
        fields = (await http.get("/v1/custom-fields")).json()["data"]
        created = await http.post(
            "/v1/leads", json={"first_name": "Ada", "custom": {"last_contacted": "2026-11-21T12:30:00.5+02:00"}}
        )
        refused = await http.post("/v1/leads", json={"first_name": "Ada", "custom": {"last_contacted": "2026-11-21"}})

    assert fields == [
        {"key": "last_contacted", "label": "last_contacted", "type": "datetime", "choices": [], "required": False}
    ]
    assert created.status_code == 201, created.text
    assert created.json()["custom"] == {"last_contacted": "2026-11-21T10:30:00.500Z"}
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "custom.last_contacted"


async def listed(http: httpx.AsyncClient, sync: dict[str, Any], **params: Any) -> list[str]:
    """The ids of one page, once the write `sync` is in the list."""
    response = await http.get("/v1/leads", params={"min_position": sync["_position"], "limit": 200, **params})
    assert response.status_code == 200, response.text
    return [lead["id"] for lead in response.json()["data"]]


async def define_all(http: httpx.AsyncClient) -> None:
    await define(http, "notes_md", "text")
    await define(http, "budget", "number")
    await define(http, "vip", "boolean")
    await define(http, "renewal", "date")
    await define(http, "last_contacted", "datetime")
    await define(http, "tier", "choice", ["gold", "silver"])
    await define(http, "channels", "multi_choice", ["email", "phone", "chat"])


async def test_each_custom_filter_by_equality(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        await define_all(http)
        a = await create_listed(
            http,
            custom={"notes_md": "Hello", "budget": 1000, "vip": True, "renewal": "2026-03-15", "tier": "gold"},
        )
        b = await create_listed(
            http,
            custom={
                "budget": 12.5,
                "vip": False,
                "last_contacted": "2026-11-21T12:30:00+02:00",
                "channels": ["email", "chat"],
            },
        )
        c = await create_listed(http, custom={"budget": -3, "tier": "silver", "channels": ["phone"]})
        d = await create_listed(http, notes="no custom values")
        ids = {"a": a["id"], "b": b["id"], "c": c["id"], "d": d["id"]}
        expectations: list[tuple[dict[str, Any], set[str]]] = [
            ({"custom.notes_md": "Hello"}, {"a"}),
            ({"custom.notes_md": "hello"}, set()),  # exact, as stored
            ({"custom.budget": "1000"}, {"a"}),
            ({"custom.budget": "1e3"}, {"a"}),
            ({"custom.budget": "1000.0"}, {"a"}),
            ({"custom.budget": "12.50"}, {"b"}),
            ({"custom.budget": "-3"}, {"c"}),
            ({"custom.vip": "true"}, {"a"}),
            ({"custom.vip": "false"}, {"b"}),
            ({"custom.renewal": "2026-03-15"}, {"a"}),
            ({"custom.last_contacted": "2026-11-21T10:30:00Z"}, {"b"}),
            ({"custom.last_contacted": "2026-11-21T05:30:00-05:00"}, {"b"}),
            ({"custom.tier": "gold"}, {"a"}),
            ({"custom.tier": "bronze"}, set()),  # a removed choice may still be held: asking is allowed
            ({"custom.channels": "chat"}, {"b"}),  # multi_choice: contains
            ({"custom.channels": "phone"}, {"c"}),
            ({"custom.channels": "email", "custom.budget": "12.5"}, {"b"}),
            ({"custom.tier": "gold", "custom.vip": "false"}, set()),
        ]
        for params, expected in expectations:
            found = await listed(http, d, **params)
            assert set(found) == {ids[name] for name in expected}, params


async def test_ranges_of_number_date_and_datetime_fields_are_inclusive(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        await define_all(http)
        leads = {
            "low": await create_listed(
                http, custom={"budget": -10.5, "renewal": "2025-12-31", "last_contacted": "2026-01-01T00:00:00Z"}
            ),
            "mid": await create_listed(
                http, custom={"budget": 1000, "renewal": "2026-03-15", "last_contacted": "2026-03-15T09:59:59.999Z"}
            ),
            "high": await create_listed(
                http, custom={"budget": 10**12, "renewal": "2027-01-01", "last_contacted": "2027-01-01T00:00:00.001Z"}
            ),
            "none": await create_listed(http, custom={"notes_md": "no values to compare"}),
        }
        sync = leads["none"]
        expectations: list[tuple[dict[str, Any], set[str]]] = [
            ({"custom.budget.min": "1000"}, {"mid", "high"}),
            ({"custom.budget.max": "1000"}, {"low", "mid"}),
            ({"custom.budget.min": "-10.5", "custom.budget.max": "999.999"}, {"low"}),
            ({"custom.budget.min": "1000.0001"}, {"high"}),
            ({"custom.budget.min": "1e12", "custom.budget.max": "1e12"}, {"high"}),
            ({"custom.budget.min": "5", "custom.budget.max": "4"}, set()),
            ({"custom.renewal.min": "2026-01-01"}, {"mid", "high"}),
            ({"custom.renewal.max": "2026-03-15"}, {"low", "mid"}),
            ({"custom.renewal.min": "2026-03-15", "custom.renewal.max": "2026-03-15"}, {"mid"}),
            ({"custom.last_contacted.min": "2026-01-01"}, {"low", "mid", "high"}),  # a date: midnight UTC
            ({"custom.last_contacted.min": "2026-01-01T00:00:00.001Z"}, {"mid", "high"}),
            ({"custom.last_contacted.max": "2026-03-15T11:59:59.999+02:00"}, {"low", "mid"}),
            ({"custom.last_contacted.max": "2026-03-15T09:59:59.998Z"}, {"low"}),
            ({"custom.last_contacted.min": "2027-01-01T00:00:00.001Z"}, {"high"}),
            ({"custom.budget.min": "0", "custom.renewal.max": "2026-12-31"}, {"mid"}),
            ({"custom.budget.min": "0", "sort": "-score", "custom.last_contacted.max": "2026-12-31"}, {"mid"}),
        ]
        for params, expected in expectations:
            found = await listed(http, sync, **params)
            assert set(found) == {leads[name]["id"] for name in expected}, params


async def test_phone_matches_the_stored_number_in_any_format(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        us = await create_listed(http, phone="+1-555-234-5678")
        national = await create_listed(http, phone="030 1234567", country="DE")  # read in Germany: +49301234567
        other = await create_listed(http, phone="+15552345679")
        sync = other
        for sent in ("+15552345678", "+1 (555) 234-5678", "+1.555.234.5678", "(555) 234-5678", "555-234-5678"):
            assert await listed(http, sync, phone=sent) == [us["id"]], sent
        for sent in ("+49 30 1234567", "+49 (0)30 1234567", "030 1234567"):
            assert await listed(http, sync, phone=sent) == [national["id"]], sent
        assert await listed(http, sync, phone="+44 20 7946 0958") == []
        assert await listed(http, sync, phone="+15552345678", **{"sort": "score"}) == [us["id"]]


async def test_unknown_custom_keys_and_bad_values_are_each_named(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        await define_all(http)
        bad = {
            "custom.nope": "1",
            "custom.notes_md.min": "a",
            "custom.budget.above": "1",
            "custom.budget": "abc",
            "custom.budget.min": "1e999",
            "custom.vip": "yes",
            "custom.renewal.max": "2026-02-30",
            "custom.last_contacted.min": "soon",
            "custom.tier": "x" * 256,
            "custom.": "1",
            "phone": "not a number",
        }
        response = await http.get("/v1/leads", params=bad)
        repeated = await http.get("/v1/leads", params=[("custom.vip", "true"), ("custom.vip", "false")])
        typo = await http.get("/v1/leads", params={"custom_budget": "1", "custom.budget": "1"})

    assert response.status_code == 422 and response.json()["code"] == "validation_failed"
    errors = {e["field"]: e["code"] for e in response.json()["errors"]}
    assert errors == {
        "custom.nope": "unknown_field",
        "custom.notes_md.min": "unknown_field",
        "custom.budget.above": "unknown_field",
        "custom.budget": "invalid",
        "custom.budget.min": "invalid",
        "custom.vip": "invalid",
        "custom.renewal.max": "invalid",
        "custom.last_contacted.min": "invalid",
        "custom.tier": "too_long",
        "custom.": "unknown_field",
        "phone": "invalid_phone",
    }
    assert repeated.status_code == 422 and repeated.json()["errors"][0]["field"] == "custom.vip"
    assert typo.status_code == 422 and [e["field"] for e in typo.json()["errors"]] == ["custom_budget"]


async def test_custom_filters_see_only_the_callers_account(api: str, container: Container, account: NewAccount) -> None:
    async with container.pool.acquire() as conn:
        other = await create_account(conn, f"other {uuid.uuid4().hex[:8]}", "other@example.com")
    async with client(api, other.api_key) as theirs:
        await define(theirs, "tier", "choice", ["gold"])
        await define(theirs, "only_theirs", "number")
        await create_listed(theirs, phone="+15550001111", custom={"tier": "gold", "only_theirs": 5})
    async with client(api, account.api_key) as http:
        await define(http, "tier", "choice", ["gold"])
        mine = await create_listed(http, phone="+15550001111", custom={"tier": "gold"})
        by_tier = await listed(http, mine, **{"custom.tier": "gold"})
        by_phone = await listed(http, mine, phone="+15550001111")
        theirs_key = await http.get("/v1/leads", params={"custom.only_theirs.min": "1"})

    assert by_tier == [mine["id"]] and by_phone == [mine["id"]]
    assert theirs_key.status_code == 422 and theirs_key.json()["errors"][0]["field"] == "custom.only_theirs.min"


async def test_members_see_only_their_leads_through_custom_filters(
    api: str, container: Container, account: NewAccount
) -> None:
    member, member_key = await add_user(container, account.account_id, "member")
    async with client(api, account.api_key) as http:
        await define(http, "tier", "choice", ["gold"])
        theirs = await create_listed(http, assigned_to=str(member), custom={"tier": "gold"})
        others = await create_listed(http, custom={"tier": "gold"})
    async with client(api, member_key) as as_member:
        seen = await listed(as_member, others, **{"custom.tier": "gold"})

    assert seen == [theirs["id"]]


@pytest.mark.parametrize("sort", ["-created_at", "created_at", "-updated_at", "score"])
async def test_a_walk_with_custom_filters_while_others_write_visits_each_matching_lead_once(
    api: str, account: NewAccount, sort: str
) -> None:
    """Writers create matching and non-matching leads and change the matching ones' score and notes (never
    their custom values) while one client walks a custom-filtered list: each lead matching throughout is seen
    once, and no lead that never matched is seen."""
    async with client(api, account.api_key) as http:
        await define(http, "segment", "choice", ["walk", "other"])
        await define(http, "budget", "number")
        matching = {"segment": "walk", "budget": 500}
        existing = [await create_listed(http, score=i % 100, custom=matching | {"budget": 100 + i}) for i in range(60)]
        outsiders = [await create_listed(http, custom={"segment": "other", "budget": 500}) for _ in range(10)]

        async def create_more(writer: httpx.AsyncClient, rng: random.Random) -> None:
            await create_listed(writer, score=rng.randint(0, 100), custom=matching)
            await create_listed(writer, custom={"segment": "walk", "budget": 10_000})  # outside the range

        filters = {"custom.segment": "walk", "custom.budget.min": "100", "custom.budget.max": "999", "sort": sort}
        seen, changed = await walk_while_writing(
            api, account.api_key, filters, existing, create_more, outsiders[-1]["_position"]
        )
        leads = {lead["id"]: lead for lead in (await http.get("/v1/leads", params={"limit": 200})).json()["data"]}

    assert changed > 10  # the walk really ran under writes
    assert len(seen) == len(set(seen)), "a lead was visited twice"
    assert {lead["id"] for lead in existing} <= set(seen), "a lead was never visited"
    assert not {lead["id"] for lead in outsiders} & set(seen)
    assert all(leads[i]["custom"]["budget"] <= 999 for i in seen if i in leads)


async def test_while_an_older_lead_list_is_rebuilt_the_new_filters_are_unavailable(
    container: Container, account: NewAccount
) -> None:
    """A lead list built before schema version 4 has no phone or custom columns: those filters answer 503
    (retry) until the runner has rebuilt it, and the other filters go on working."""
    older = """CREATE TEMP TABLE lead_list (id uuid, account_id uuid, created_at timestamptz, updated_at timestamptz,
        score integer, archived boolean, doc json, changed_tx xid8, changed_pos bigint)"""
    async with container.pool.acquire() as conn:
        await conn.execute(older)  # shadows the live table on this connection only
        try:
            plain = await list_page(conn, account.account_id, LeadFilter(), "-score", None, 10)
            with pytest.raises(ListRebuilding):
                await list_page(conn, account.account_id, LeadFilter(phones=["+15552345678"]), "-score", None, 10)
        finally:
            await conn.execute("DROP TABLE pg_temp.lead_list")

    assert plain.docs == []
