"""GET /v1/leads over a real socket: every filter, every sort, limits, cursors under writes, min_position."""

from __future__ import annotations

import asyncio
import copy
import random
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import msgspec
import pytest

from leadstore.bootstrap import Container
from leadstore.http.testing import add_user, projecting, serve
from leadstore.store.accounts import NewAccount, create_account
from leadstore.store.lead_list import pages as listing
from leadstore.store.lead_list import query as queries
from tests.integration.helpers import META, client, create_cmd, create_listed, now, walk_while_writing


@pytest.fixture(scope="module")
async def api(container: Container) -> AsyncIterator[str]:
    async with serve(container) as url, projecting(container):
        yield url


async def listed(http: httpx.AsyncClient, last: dict[str, Any] | None = None, **params: Any) -> list[str]:
    """The ids of one page (after the write `last` is in the list)."""
    if last is not None:
        params["min_position"] = last["_position"]
    response = await http.get("/v1/leads", params=params)
    assert response.status_code == 200, response.text
    return [lead["id"] for lead in response.json()["data"]]


async def test_every_filter(api: str, container: Container, account: NewAccount) -> None:
    member, member_key = await add_user(container, account.account_id, "member")
    async with client(api, account.api_key) as http:
        team = (await http.post("/v1/teams", json={"name": "Solo"})).json()
        a = await create_listed(
            http, last_name="Alpha", company="Zeta Corp", email="A@Example.com", score=10, team_id=team["id"]
        )
        b = await create_listed(
            http, source="referral", company_id="co_1", score=50, assigned_to=str(member), team_id=team["id"]
        )
        c = await create_listed(http, first_name="Carl_%", score=90, team_id=team["id"])
        await http.patch(f"/v1/leads/{b['id']}", json={"status": "contacted"})
        await http.post(f"/v1/leads/{c['id']}/convert")
        d = await create_listed(http, team_id=team["id"], notes="archived")
        last = (await http.post(f"/v1/leads/{d['id']}/archive")).headers["leadstore-position"]
        sync = {"_position": last}
        ids = {"a": a["id"], "b": b["id"], "c": c["id"], "d": d["id"]}
        expectations: list[tuple[dict[str, Any], set[str]]] = [
            ({}, {"a", "b", "c"}),
            ({"status": "contacted"}, {"b"}),
            ({"status": "new,converted"}, {"a", "c"}),
            ({"assigned_to": str(member)}, {"b"}),
            ({"assigned_to": "none"}, {"a", "c"}),
            ({"team_id": team["id"]}, {"a", "b", "c"}),
            ({"source": "referral"}, {"b"}),
            ({"company_id": "co_1"}, {"b"}),
            ({"min_score": 50}, {"b", "c"}),
            ({"max_score": 50}, {"a", "b"}),
            ({"min_score": 20, "max_score": 60}, {"b"}),
            ({"is_converted": "true"}, {"c"}),
            ({"is_converted": "false"}, {"a", "b"}),
            ({"archived": "true"}, {"d"}),
            ({"email": "a@EXAMPLE.com"}, {"a"}),
            ({"q": "zeta"}, {"a"}),
            ({"q": "ALPHA"}, {"a"}),
            ({"q": "carl"}, {"c"}),
            ({"q": "a@example"}, {"a"}),
            ({"created_after": b["created_at"]}, {"b", "c"}),
            ({"created_before": b["created_at"]}, {"a"}),
            ({"created_after": "2000-01-01", "created_before": "2000-01-02"}, set()),
            ({"updated_after": c["created_at"], "archived": "false"}, {"b", "c"}),
        ]
        for params, expected in expectations:
            found = await listed(http, sync, **params)
            assert set(found) == {ids[name] for name in expected}, params
    async with client(api, member_key) as as_member:
        assert await listed(as_member, sync) == [b["id"]]


async def test_every_sort_and_limit(api: str, container: Container, account: NewAccount) -> None:
    start, ids = now() - timedelta(seconds=3), []
    for number, score in enumerate((30, 10, 20)):  # created a second apart, the last a second before the patch
        command = create_cmd(account, first_name="Lead", score=score, at=start + timedelta(seconds=number))
        outcome = await container.handler.execute(command, account_id=account.account_id, metadata=META)
        ids.append(str(outcome.lead.id))
    async with client(api, account.api_key) as http:
        touched = await http.patch(f"/v1/leads/{ids[0]}", json={"notes": "touched"})
        sync = {"_position": touched.headers["leadstore-position"]}
        assert await listed(http, sync) == ids[::-1]
        assert await listed(http, sync, sort="created_at") == ids
        assert await listed(http, sync, sort="-created_at", limit=2) == ids[::-1][:2]
        assert await listed(http, sync, sort="updated_at") == [ids[1], ids[2], ids[0]]
        assert await listed(http, sync, sort="-updated_at") == [ids[0], ids[2], ids[1]]
        assert await listed(http, sync, sort="score") == [ids[1], ids[2], ids[0]]
        assert await listed(http, sync, sort="-score") == [ids[0], ids[2], ids[1]]


async def test_bad_list_parameters_are_each_named(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        many = await http.get("/v1/leads", params={"team_id": "t", "created_after": "soon", "cursor": "zz"})
        limit = await http.get("/v1/leads", params={"limit": 0})
        sort = await http.get("/v1/leads", params={"sort": "name"})
        position = await http.get("/v1/leads", params={"min_position": "later"})
        search = await http.get("/v1/leads", params={"q": "x" * 256})

    assert {e["field"] for e in many.json()["errors"]} == {"team_id", "created_after", "cursor"}
    checks = ((many, "cursor"), (limit, "limit"), (sort, "sort"), (position, "min_position"), (search, "q"))
    for response, field in checks:
        assert response.status_code == 422 and response.json()["code"] == "validation_failed"
        assert field in {e["field"] for e in response.json()["errors"]}


async def test_cursors_page_through_and_belong_to_their_sort(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        leads = [await create_listed(http, score=i % 3) for i in range(7)]
        sync = {"min_position": leads[-1]["_position"]}
        for sort in ("-created_at", "score", "-updated_at"):
            seen, cursor = [], None
            while True:
                params = {"sort": sort, "limit": 3, **sync, **({"cursor": cursor} if cursor else {})}
                page = (await http.get("/v1/leads", params=params)).json()
                seen += [lead["id"] for lead in page["data"]]
                assert page["has_more"] == (page["next_cursor"] is not None)
                if not page["has_more"]:
                    break
                cursor = page["next_cursor"]
            assert sorted(seen) == sorted(lead["id"] for lead in leads) and len(seen) == 7, sort
        first = (await http.get("/v1/leads", params={"limit": 2})).json()
        other_sort = await http.get("/v1/leads", params={"cursor": first["next_cursor"], "sort": "score"})

    assert other_sort.status_code == 422 and other_sort.json()["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize("sort", ["-created_at", "created_at", "updated_at", "-updated_at", "score", "-score"])
async def test_walking_cursors_while_others_write_visits_every_matching_lead_once(
    api: str, container: Container, account: NewAccount, sort: str
) -> None:
    """Writers keep creating leads and changing the existing ones' score and updated_at (the sort values)
    while one client walks the cursors: each lead that matched throughout is visited exactly once."""
    source = f"walk{sort.replace('-', 'desc_')}"
    async with client(api, account.api_key) as http:
        await http.post("/v1/sources", json={"key": source, "label": source})
        existing = [await create_listed(http, source=source, score=i % 100) for i in range(60)]

        async def create_more(writer: httpx.AsyncClient, rng: random.Random) -> None:
            await create_listed(writer, source=source, score=rng.randint(0, 100))

        filters = {"source": source, "sort": sort}
        seen, changed = await walk_while_writing(
            api, account.api_key, filters, existing, create_more, existing[-1]["_position"]
        )

    assert changed > 10  # the walk really ran under writes
    assert len(seen) == len(set(seen)), "a lead was visited twice"
    assert {lead["id"] for lead in existing} <= set(seen), "a lead was never visited"


async def test_a_walk_with_too_many_leads_changed_since_it_began_asks_to_start_again(
    api: str, account: NewAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "MAX_MOVED", 3)  # a page folds at most this many changed leads
    monkeypatch.setattr(listing, "MAX_MOVED", 3)
    async with client(api, account.api_key) as http:
        leads = [await create_listed(http, score=n) for n in range(6)]
        first = (
            await http.get("/v1/leads", params={"sort": "score", "limit": 2, "min_position": leads[-1]["_position"]})
        ).json()
        for lead in leads[:4]:
            changed = await http.patch(f"/v1/leads/{lead['id']}", json={"score": 99})
        params = {
            "sort": "score",
            "limit": 2,
            "cursor": first["next_cursor"],
            "min_position": changed.headers["leadstore-position"],
        }
        stale = await http.get("/v1/leads", params=params)

    assert stale.status_code == 422, stale.text
    assert stale.json()["errors"][0]["field"] == "cursor" and stale.json()["errors"][0]["code"] == "expired"


async def test_min_position_waits_for_the_projection_then_gives_up_with_retry_after(
    api: str, container: Container, account: NewAccount
) -> None:
    async with client(api, account.api_key) as http:
        lead = await create_listed(http)
        fresh = await listed(http, lead)
    impatient = copy.copy(container)
    impatient.settings = msgspec.structs.replace(container.settings, min_position_wait_seconds=0.2)
    async with container.pool.acquire() as held, held.transaction():
        await held.execute("SELECT 1 FROM checkpoints WHERE name = 'lead_list' FOR UPDATE")  # the projector waits
        async with serve(impatient) as other, client(other, account.api_key) as http:
            behind = await create_listed(http)
            lagging = await http.get("/v1/leads", params={"min_position": behind["_position"]})

    assert fresh[0] == lead["id"]
    assert lagging.status_code == 503 and lagging.json()["code"] == "projection_lagging"
    assert lagging.headers["retry-after"] == "1"


async def test_min_position_beyond_the_accounts_log_is_a_422_at_once(
    api: str, container: Container, account: NewAccount
) -> None:
    patient = copy.copy(container)
    patient.settings = msgspec.structs.replace(container.settings, min_position_wait_seconds=30)
    async with serve(patient) as other, client(other, account.api_key) as http:
        own = (await create_listed(http))["_position"]
        txid, position = (int(part) for part in own.split("."))
        started = asyncio.get_running_loop().time()
        responses = [
            await http.get("/v1/leads", params={"min_position": token})
            for token in (f"{txid + 1_000_000}.1", f"{txid}.{position + 1}", "999999999999.1")
        ]
        waited = asyncio.get_running_loop().time() - started

    for response in responses:
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "min_position"
    assert waited < 10


async def test_min_position_of_another_accounts_write_is_not_waited_for(api: str, container: Container) -> None:
    """Only the account's own log counts: another tenant's later write is beyond it (while the list lags
    behind it; once applied, the list answers as for any position it has passed)."""
    async with container.pool.acquire() as conn:
        mine = await create_account(conn, "mine", "mine@example.com")
        theirs = await create_account(conn, "theirs", "theirs@example.com")
    async with client(api, mine.api_key) as http:
        await create_listed(http)
    async with container.pool.acquire() as held, held.transaction():
        await held.execute("SELECT 1 FROM checkpoints WHERE name = 'lead_list' FOR UPDATE")  # the projector waits
        async with client(api, theirs.api_key) as http:
            later = (await create_listed(http))["_position"]
        async with client(api, mine.api_key) as http:
            response = await http.get("/v1/leads", params={"min_position": later})

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["code"] == "beyond_head"


@pytest.mark.parametrize(
    "query",
    ["limit=50.0", "limit=5&limit=7", "min_score=1e1", "status=new&status=lost", "created_after=2026-W01-1"],
)
async def test_list_parameters_take_exactly_their_documented_forms(api: str, account: NewAccount, query: str) -> None:
    async with client(api, account.api_key) as http:
        response = await http.get(f"/v1/leads?{query}")

    assert response.status_code == 422, response.text
