"""Concurrent writers over HTTP: every feature that writes keeps its promise when requests race."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any
from uuid import UUID

import httpx

from leadstore.bootstrap import Container
from leadstore.http.testing import add_user
from leadstore.store.accounts import NewAccount
from tests.integration.helpers import events_of

RACERS = 12


def client(api: str, key: str) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=RACERS * 3)
    return httpx.AsyncClient(base_url=api, headers={"Authorization": f"Bearer {key}"}, timeout=30, limits=limits)


async def race(*requests: Any) -> list[httpx.Response]:
    return list(await asyncio.gather(*requests))


async def test_concurrent_patches_with_the_same_if_match_exactly_one_wins(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        lead = (await http.post("/v1/leads", json={"first_name": "Contested"})).json()
        path, headers = f"/v1/leads/{lead['id']}", {"If-Match": '"1"'}
        responses = await race(
            *(http.patch(path, json={"notes": f"writer {i}"}, headers=headers) for i in range(RACERS))
        )
        final = (await http.get(path)).json()

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: 1, 412: RACERS - 1}
    winner = next(r for r in responses if r.status_code == 200).json()
    assert final["version"] == 2 and final["notes"] == winner["notes"]


async def test_concurrent_actions_with_the_same_if_match_exactly_one_wins(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        lead = (await http.post("/v1/leads", json={"first_name": "Contested"})).json()
        path, headers = f"/v1/leads/{lead['id']}", {"If-Match": '"1"'}
        actions = [http.post(f"{path}/archive", headers=headers), http.post(f"{path}/convert", headers=headers)]
        # scores from 1: a PATCH of the default 0 would change nothing, and a no-op at version 1 is a 200 too
        actions += [http.patch(path, json={"score": i + 1}, headers=headers) for i in range(RACERS - 2)]
        responses = await race(*actions)

    assert Counter(r.status_code for r in responses) == {200: 1, 412: RACERS - 1}


async def test_concurrent_creates_with_one_idempotency_key_write_once(
    api: str, container: Container, account: NewAccount
) -> None:
    before = await events_of(container, account)
    async with client(api, account.api_key) as http:
        headers = {"Idempotency-Key": "race-create"}
        responses = await race(
            *(http.post("/v1/leads", json={"first_name": "Once"}, headers=headers) for _ in range(RACERS))
        )

    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in responses) == RACERS - 1
    assert await events_of(container, account) == before + 1


async def test_concurrent_patches_with_one_idempotency_key_write_once(
    api: str, container: Container, account: NewAccount
) -> None:
    async with client(api, account.api_key) as http:
        lead = (await http.post("/v1/leads", json={"first_name": "Once", "score": 1})).json()
        before = await events_of(container, account)
        headers = {"Idempotency-Key": "race-patch", "If-Match": '"1"'}
        patches = (http.patch(f"/v1/leads/{lead['id']}", json={"score": 2}, headers=headers) for _ in range(RACERS))
        responses = await race(*patches)

    assert {r.status_code for r in responses} == {200} and len({r.content for r in responses}) == 1
    assert await events_of(container, account) == before + 1


async def test_concurrent_creates_with_one_email_exactly_one_wins(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        bodies = [{"email": f"{'SAME' if i % 2 else 'same'}@example.com"} for i in range(RACERS)]
        responses = await race(*(http.post("/v1/leads", json=body) for body in bodies))

    assert Counter(r.status_code for r in responses) == {201: 1, 409: RACERS - 1}


async def rotating_team(container: Container, account: NewAccount, http: httpx.AsyncClient) -> tuple[list[UUID], str]:
    """Three new members in a new team that rotates: (members, team id)."""
    members = [(await add_user(container, account.account_id, "member"))[0] for _ in range(3)]
    team = {"name": "Round robin", "members": [str(m) for m in members], "rotation": True}
    return members, (await http.post("/v1/teams", json=team)).json()["id"]


async def test_concurrent_creates_share_the_rotation_fairly(
    api: str, container: Container, account: NewAccount
) -> None:
    async with client(api, account.api_key) as http:
        members, team_id = await rotating_team(container, account, http)
        created = await race(*(http.post("/v1/leads", json={"first_name": "R", "team_id": team_id}) for _ in range(12)))
        lead = created[0].json()
        turns = await race(*(http.post(f"/v1/leads/{lead['id']}/assign", json={"rotation": True}) for _ in range(6)))

    assert Counter(r.json()["assigned_to"] for r in created) == {str(m): 4 for m in members}
    assert {r.status_code for r in turns} == {200}, turns[0].text
    assert len({r.headers["etag"] for r in turns}) == 6  # each turn moved the lead on (no two picked the same)


async def test_rotation_turns_on_many_leads_racing_creates_are_shared_fairly(
    api: str, container: Container, account: NewAccount
) -> None:
    async with client(api, account.api_key) as http:
        members, team_id = await rotating_team(container, account, http)
        held = {"first_name": "H", "team_id": team_id, "assigned_to": str(account.user_id)}  # named: no turn
        leads = [(await http.post("/v1/leads", json=held)).json()["id"] for _ in range(12)]
        turns = await race(
            *(http.post(f"/v1/leads/{lead}/assign", json={"rotation": True}) for lead in leads),
            *(http.post("/v1/leads", json={"first_name": "R", "team_id": team_id}) for _ in range(12)),
        )
    async with container.pool.acquire() as conn:
        picked = await conn.fetch(
            "SELECT stream_id, data->>'to' AS member FROM events"
            " WHERE account_id = $1 AND type = 'LeadAssigned' AND (data->>'by_rotation')::boolean",
            account.account_id,
        )

    assert {r.status_code for r in turns} == {200, 201}
    assert Counter(r["member"] for r in picked) == {str(m): 8 for m in members}  # 24 turns, 8 each
    assert len({r["stream_id"] for r in picked}) == 24  # one turn per lead, none lost or doubled


async def test_a_rotation_turn_inserts_its_event_before_it_takes_the_rotation_row(
    api: str, container: Container, account: NewAccount
) -> None:
    """DESIGN.md decision 2: the event insert is a command's first write; the rotation row comes after."""
    first, member = [(await add_user(container, account.account_id, "member"))[0] for _ in range(2)]
    async with client(api, account.api_key) as http:
        team = {"name": "Pair", "members": [str(first), str(member)], "rotation": True}
        team_id = (await http.post("/v1/teams", json=team)).json()["id"]
        lead = (await http.post("/v1/leads", json={"first_name": "W", "team_id": team_id})).json()
        async with container.pool.acquire() as holder, holder.transaction():
            await holder.execute("SELECT 1 FROM teams WHERE id = $1 FOR UPDATE", UUID(team_id))  # the pointer row
            turn = asyncio.create_task(http.post(f"/v1/leads/{lead['id']}/assign", json={"rotation": True}))
            blocked = None
            for _ in range(2000):  # up to 20 s on a loaded machine
                blocked = await container.pool.fetchrow(  # not `holder`: a transaction sees one stats snapshot
                    "SELECT query, backend_xid FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    " AND datname = current_database() AND query LIKE '%write_command%'"  # not another test's
                )
                if blocked is not None:
                    break
                await asyncio.sleep(0.01)
        response = await turn

    assert blocked is not None  # the turn's write, waiting for the pointer row
    assert blocked["backend_xid"] is not None  # it waits on the row holding an xid: its event is already in
    assert response.status_code == 200 and response.json()["assigned_to"] == str(member)


async def test_leads_swapping_email_addresses_at_once_never_fail_with_a_500(
    api: str, container: Container, account: NewAccount
) -> None:
    """Each swap makes two commands wait on each other's reservation (a deadlock PostgreSQL breaks): the
    handler runs the loser again, so every answer is a 200 or a 409 duplicate_email, and the reservations
    still match the leads' addresses."""
    pairs = 6
    async with client(api, account.api_key) as http:
        leads = [
            (await http.post("/v1/leads", json={"first_name": "S", "email": f"swap{i}@example.com"})).json()["id"]
            for i in range(pairs * 2)
        ]
        swaps = [(leads[2 * n], leads[2 * n + 1], n) for n in range(pairs)]
        responses = await race(
            *(
                http.patch(f"/v1/leads/{lead}", json={"email": f"swap{2 * n + other}@example.com"})
                for first, second, n in swaps
                for lead, other in ((first, 1), (second, 0))
            )
        )
        emails = {lead: (await http.get(f"/v1/leads/{lead}")).json()["email"] for lead in leads}
    async with container.pool.acquire() as conn:
        reserved = await conn.fetch(
            "SELECT email_lower, lead_id FROM lead_emails WHERE account_id = $1", account.account_id
        )

    assert {r.status_code for r in responses} <= {200, 409}, [r.text for r in responses if r.status_code >= 500]
    assert all(r.json()["code"] == "duplicate_email" for r in responses if r.status_code == 409)
    assert {r["email_lower"]: str(r["lead_id"]) for r in reserved} == {email: lead for lead, email in emails.items()}


async def test_concurrent_config_writes(api: str, container: Container, account: NewAccount) -> None:
    users = [(await add_user(container, account.account_id, "member"))[0] for _ in range(4)]
    async with client(api, account.api_key) as http:
        statuses = await race(*(http.post("/v1/statuses", json={"key": "demo", "label": f"D{i}"}) for i in range(6)))
        await race(*(http.post("/v1/statuses", json={"key": f"s{i}", "label": f"S{i}"}) for i in range(4)))
        keys = await race(*(http.post("/v1/api-keys", json={"name": f"k{i}"}) for i in range(6)))
        team = (await http.post("/v1/teams", json={"name": "T"})).json()
        lists = [[str(u) for u in users[:2]], [str(u) for u in users[2:]], [str(u) for u in users]]
        await race(*(http.patch(f"/v1/teams/{team['id']}", json={"members": members}) for members in lists))
        final = next(t for t in (await http.get("/v1/teams")).json()["data"] if t["id"] == team["id"])
        positions = [s["position"] for s in (await http.get("/v1/statuses")).json()["data"]]

    assert Counter(r.status_code for r in statuses) == {201: 1, 422: 5}
    assert {r.status_code for r in keys} == {201} and len({r.json()["key"] for r in keys}) == 6
    assert sorted(final["members"]) in [sorted(members) for members in lists]
    assert positions == list(range(10))


async def test_mixed_writers_without_if_match_are_each_recorded_once_in_order(
    api: str, container: Container, account: NewAccount
) -> None:
    async with client(api, account.api_key) as http:
        lead = (await http.post("/v1/leads", json={"first_name": "Busy"})).json()
        path = f"/v1/leads/{lead['id']}"
        writes = [http.patch(path, json={"notes": f"note {i}"}) for i in range(RACERS)]
        writes += [http.post(f"{path}/convert", json={"customer_id": f"cus_{i}"}) for i in range(RACERS // 2)]
        writes += [http.patch(path, json={"status": "contacted"}) for _ in range(RACERS // 2)]
        responses = await race(*writes)
        log = (await http.get(f"{path}/events")).json()["data"]

    assert all(r.status_code in (200, 409) for r in responses), [r.text for r in responses if r.status_code >= 500]
    conversions = [r for r in responses[RACERS : RACERS + RACERS // 2] if r.status_code == 200]
    converted = [e for e in log if e["type"] == "LeadConverted"]
    assert len(conversions) == len(converted) >= 1  # an admin's PATCH to "contacted" reopens a converted lead
    won_and_reopened = [e["type"] for e in log if e["type"] == "LeadConverted" or e["data"].get("reopened_from_won")]
    assert won_and_reopened[::2] == ["LeadConverted"] * len(converted)  # converted again only after a reopen
    assert all(kind == "LeadStatusChanged" for kind in won_and_reopened[1::2])
    assert [e["version"] for e in log] == list(range(1, len(log) + 1))
    noted = {r.json()["notes"] for r in responses[:RACERS] if r.status_code == 200}
    notes = [e["data"]["changes"]["notes"] for e in log if e["type"] == "LeadUpdated"]
    assert sorted(n["to"] for n in notes) == sorted(noted)  # every accepted note is one event, and only those
    assert [n["from"] for n in notes] == [None] + [n["to"] for n in notes[:-1]]  # no change lost in between
    assert {int(r.headers["etag"].strip('"')) for r in responses if r.status_code == 200} <= {e["version"] for e in log}
