"""Administration is events too: every change to users, keys and configuration is in the account's stream,
hash-chained with the leads' events, in the feed, with who made it and from where, and never a secret."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import httpx
import msgspec
import pytest
from uuid_utils.compat import uuid7

from leadstore.bootstrap import Container
from leadstore.domain.errors import InvalidTransition
from leadstore.log.integrity import check_log
from leadstore.store import people
from leadstore.store.account_log import by_command_line
from leadstore.store.accounts import NewAccount
from tests.integration.helpers import ACCOUNT_OPENING, assert_problem, client, create

ACCOUNT_EVENTS = """
SELECT type, version, data, metadata, stream_type FROM events WHERE stream_id = $1 ORDER BY version"""


async def account_stream(container: Container, account: NewAccount) -> list[dict[str, Any]]:
    async with container.pool.acquire() as conn:
        return [dict(row) for row in await conn.fetch(ACCOUNT_EVENTS, account.account_id)]


async def administer(http: httpx.AsyncClient, user_id: UUID) -> dict[str, str]:
    """One change of every kind an admin can make; what the answers said that the events must name."""
    ok = (200, 201)
    user = (await http.post("/v1/users", json={"email": "rep@example.com", "name": "Rep", "role": "member"})).json()
    issued = (await http.post("/v1/api-keys", json={"user_id": user["id"], "name": "rep key"})).json()
    team = (await http.post("/v1/teams", json={"name": "East", "members": [user["id"]]})).json()
    for method, path, body in [
        ("POST", "/v1/statuses", {"key": "nurture", "label": "Nurture"}),
        ("PATCH", "/v1/statuses/nurture", {"label": "Nurturing", "color": "#00ff00"}),
        ("PATCH", "/v1/statuses/nurture", {"label": "Nurturing"}),  # changes nothing: no event
        ("POST", "/v1/statuses/reorder", {"keys": ["new", "nurture", "contacted", "qualified", "converted", "lost"]}),
        ("POST", "/v1/sources", {"key": "webinar", "label": "Webinar"}),
        ("PATCH", "/v1/sources/webinar", {"team_id": team["id"]}),
        ("PATCH", f"/v1/teams/{team['id']}", {"rotation": True, "members": [user["id"], str(user_id)]}),
        ("POST", "/v1/custom-fields", {"key": "tier", "label": "Tier", "type": "choice", "choices": ["a", "b"]}),
        ("PATCH", "/v1/custom-fields/tier", {"required": True}),
        ("PUT", "/v1/rotation", {"enabled": True, "members": [str(user_id)]}),
        ("POST", f"/v1/api-keys/{issued['id']}/revoke", None),
        ("POST", f"/v1/api-keys/{issued['id']}/revoke", None),  # twice: no second event
        ("POST", f"/v1/users/{user['id']}/deactivate", None),
    ]:
        response = await http.request(method, path, json=body)
        assert response.status_code in ok, (method, path, response.text)
    return {"user": user["id"], "key_id": issued["id"], "key": issued["key"], "team": team["id"]}


async def test_every_administrative_change_is_an_event_of_the_account_with_actor_and_request(
    api: str, container: Container, account: NewAccount
) -> None:
    async with client(api, account.api_key, **{"X-Request-Id": "admin-1", "User-Agent": "console/2"}) as http:
        made = await administer(http, account.user_id)
        feed = (await http.get("/v1/events", params={"limit": 1000})).json()["data"]

    stream = await account_stream(container, account)
    assert [e["type"] for e in stream] == [
        *["AccountCreated", "UserCreated", "ApiKeyIssued"],  # the account's opening, by the command line
        *["UserCreated", "ApiKeyIssued", "TeamCreated"],
        *["StatusCreated", "StatusUpdated", "StatusesReordered", "SourceCreated", "SourceUpdated", "TeamUpdated"],
        *["CustomFieldCreated", "CustomFieldUpdated", "RotationUpdated", "ApiKeyRevoked", "UserDeactivated"],
    ]
    assert [e["version"] for e in stream] == list(range(1, len(stream) + 1))
    assert {e["stream_type"] for e in stream} == {"account"}
    by_type = {e["type"]: e["data"] for e in stream[ACCOUNT_OPENING:]}
    assert by_type["StatusUpdated"] == {
        "key": "nurture",
        "changes": {"label": {"from": "Nurture", "to": "Nurturing"}, "color": {"from": None, "to": "#00ff00"}},
    }
    assert by_type["StatusesReordered"]["to"][:2] == ["new", "nurture"]
    assert by_type["SourceUpdated"]["changes"] == {"team_id": {"from": None, "to": made["team"]}}
    assert by_type["TeamUpdated"]["changes"]["members"]["to"] == [made["user"], str(account.user_id)]
    assert by_type["CustomFieldUpdated"]["changes"] == {"required": {"from": False, "to": True}}
    assert by_type["RotationUpdated"]["changes"]["enabled"] == {"from": False, "to": True}
    assert by_type["ApiKeyRevoked"] == {"api_key_id": made["key_id"]}
    assert by_type["UserDeactivated"] == {"user_id": made["user"]}

    for event in stream[ACCOUNT_OPENING:]:
        actor, request = event["metadata"]["actor"], event["metadata"]["request"]
        assert actor["user_id"] == str(account.user_id) and actor["api_key_id"]
        assert request["id"] == "admin-1" and request["user_agent"] == "console/2" and request["ip"]
    assert stream[0]["metadata"]["request"] == {"method": "CLI", "path": "leadstore accounts create"}
    assert made["key"] not in str(stream) and account.api_key not in str(stream)  # never a secret

    administrative = [e for e in feed if e["lead_id"] is None]
    assert [e["type"] for e in administrative] == [e["type"] for e in stream]
    assert {e["account_id"] for e in administrative} == {str(account.account_id)}


async def test_a_refused_administrative_change_writes_no_event(
    api: str, container: Container, account: NewAccount
) -> None:
    before = await account_stream(container, account)
    async with client(api, account.api_key) as http:
        duplicate = await http.post("/v1/statuses", json={"key": "new", "label": "Again"})
        last_key = await http.post(f"/v1/api-keys/{before[2]['data']['api_key_id']}/revoke")
        missing = await http.patch("/v1/sources/nope", json={"label": "x"})

    assert_problem(duplicate, 422, "validation_failed", "key")
    assert_problem(last_key, 409, "invalid_transition")
    assert_problem(missing, 404, "not_found")
    assert await account_stream(container, account) == before


async def test_deactivating_the_last_admin_with_a_working_key_is_refused(
    container: Container, account: NewAccount
) -> None:
    # the route refuses only "yourself", judged by a principal read before the account row was locked: two
    # admins deactivating each other (or one whose key was revoked a moment ago) would lock the account out
    by_test = by_command_line(account.account_id, "test")
    async with container.pool.acquire() as conn:
        other = await people.create_user(conn, by_test, f"b-{uuid7().hex[:8]}@example.com", "B", "admin")
        assert other is not None
        await people.issue_api_key(conn, by_test, other["id"], "b")
        assert await people.deactivate_user(conn, by_test, other["id"]) is not None  # the first admin remains
        before = await account_stream(container, account)
        with pytest.raises(InvalidTransition):
            await people.deactivate_user(conn, by_test, account.user_id)
        user = await conn.fetchrow("SELECT active FROM users WHERE id = $1", account.user_id)
    assert user is not None and user["active"]
    assert await account_stream(container, account) == before


async def test_concurrent_administrators_lose_nothing_and_the_chain_holds(
    api: str, container: Container, account: NewAccount
) -> None:
    async with client(api, account.api_key) as http:

        async def admin(n: int) -> None:
            for i in range(4):
                assert (await http.post("/v1/statuses", json={"key": f"s{n}_{i}", "label": "S"})).status_code == 201
                assert (await http.post("/v1/sources", json={"key": f"o{n}_{i}", "label": "O"})).status_code == 201

        await asyncio.gather(*(admin(n) for n in range(12)))
        statuses = (await http.get("/v1/statuses")).json()["data"]

    stream = await account_stream(container, account)
    created = [e["data"]["key"] for e in stream if e["type"] in ("StatusCreated", "SourceCreated")]
    assert sorted(created) == sorted(f"{kind}{n}_{i}" for kind in "so" for n in range(12) for i in range(4))
    assert [e["version"] for e in stream] == list(range(1, len(stream) + 1))
    positions = [e["data"]["position"] for e in stream if e["type"] == "StatusCreated"]
    assert positions == list(range(5, 5 + 48)) == sorted(s["position"] for s in statuses)[5:]
    async with container.pool.acquire() as conn:
        report = await check_log(conn, account_id=account.account_id)
    assert report.ok and report.events == len(stream)


class RolledBack(Exception):
    """Raised to undo a forgery once it has been checked."""


async def test_tampering_with_an_administrative_event_is_reported(container: Container, account: NewAccount) -> None:
    forged = msgspec.json.encode({"api_key_id": str(UUID(int=7)), "user_id": str(account.user_id), "name": "x"})
    async with container.pool.acquire() as conn:
        with pytest.raises(RolledBack):
            async with conn.transaction():
                await conn.execute("ALTER TABLE events DISABLE TRIGGER events_no_update_delete")
                await conn.execute(
                    "UPDATE events SET data = $2::text::jsonb WHERE stream_id = $1 AND type = 'ApiKeyIssued'",
                    account.account_id,
                    forged.decode(),
                )
                report = await check_log(conn, account_id=account.account_id)
                raise RolledBack
        untouched = await check_log(conn, account_id=account.account_id)
    assert not report.ok and "does not match its hash" in " ".join(report.problems)
    assert untouched.ok


async def test_an_account_stream_is_no_lead(api: str, account: NewAccount) -> None:
    lead = f"/v1/leads/{account.account_id}"
    async with client(api, account.api_key) as http:
        answers = [
            await http.get(lead),
            await http.get(f"{lead}/events"),
            await http.patch(lead, json={"notes": "x"}),
            await http.post(f"{lead}/archive"),
        ]
    for answer in answers:
        assert_problem(answer, 404, "not_found")


async def test_a_burst_of_administrative_changes_does_not_starve_lead_writes(
    api: str, container: Container, account: NewAccount
) -> None:
    async with client(api, account.api_key) as http:

        async def admin_and_writer(n: int) -> list[str]:
            leads = []
            for i in range(4):  # each change moves the rules version that lead writes are decided on
                assert (await http.post("/v1/statuses", json={"key": f"b{n}_{i}", "label": "B"})).status_code == 201
                assert (await http.post("/v1/sources", json={"key": f"c{n}_{i}", "label": "C"})).status_code == 201
                leads.append((await create(http, first_name=f"W{n}", notes=str(i)))["id"])
            return leads

        written = await asyncio.gather(*(admin_and_writer(n) for n in range(12)))

    ids = [lead for leads in written for lead in leads]
    async with container.pool.acquire() as conn:
        stored = await conn.fetch(
            "SELECT stream_id, version FROM events WHERE account_id = $1 AND stream_type = 'lead'", account.account_id
        )
    assert len(set(ids)) == 48 and sorted(str(r["stream_id"]) for r in stored) == sorted(ids)
    assert {r["version"] for r in stored} == {1}


WAITING_ON_A_LOCK = """
SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"""


async def test_a_key_is_not_issued_to_a_user_deactivated_while_the_request_waited(
    api: str, container: Container, account: NewAccount
) -> None:
    # the route's "active user" check must run under the account's lock: checked before it, a deactivation
    # committing while the issue waits on that lock left a key for a user who can never use it
    by_test = by_command_line(account.account_id, "test")
    async with container.pool.acquire() as conn:
        user = await people.create_user(conn, by_test, f"r-{uuid7().hex[:8]}@example.com", "Rep", "member")
    assert user is not None
    async with client(api, account.api_key) as http, container.pool.acquire() as admin:
        async with admin.transaction():
            await people.deactivate_user(admin, by_test, user["id"])
            issuing = asyncio.create_task(http.post("/v1/api-keys", json={"user_id": str(user["id"])}))
            for _ in range(500):
                if await admin.fetchval(WAITING_ON_A_LOCK):
                    break
                await asyncio.sleep(0.01)
            else:
                raise AssertionError("the issue never waited on the account's lock")
        response = await issuing

    assert_problem(response, 422, "validation_failed", "user_id")
