"""The lead endpoints end to end over a real socket: commands, reads, the audit log, headers and errors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from leadstore.bootstrap import Container
from leadstore.http.testing import add_user
from leadstore.store.accounts import NewAccount
from tests.integration.helpers import META, assert_problem, client, create, create_cmd, events_of, now

SEED_000: dict[str, Any] = {  # ../shared/seeds/000: the StateSet example lead, in our snake_case fields
    "first_name": "Sarah",
    "last_name": "Johnson",
    "email": "sarah.johnson@example.com",  # the seed's address is mangled by the page it was copied from
    "phone": "+1-555-234-5678",
    "title": "VP of Operations",
    "department": "Operations",
    "source": "website",
    "description": "Interested in returns automation",
    "mailing_address": {"street": "1 Main St", "city": "Springfield", "state": "IL", "country": "us"},
    "do_not_call": False,
    "email_opt_out": True,
}


async def test_seed_000_lead_round_trips(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        created = await http.post("/v1/leads", json=SEED_000)
        fetched = await http.get(created.headers["location"])

    assert created.status_code == 201
    lead = created.json()
    expected = SEED_000 | {"phone": "+15552345678", "mailing_address": SEED_000["mailing_address"] | {"country": "US"}}
    assert {key: lead[key] for key in expected} == expected
    assert lead["object"] == "lead" and lead["status"] == "new" and lead["full_name"] == "Sarah Johnson"
    assert lead["account_id"] == str(account.account_id) and lead["created_by"] == str(account.user_id)
    assert created.headers["location"] == f"/v1/leads/{lead['id']}"
    assert created.headers["etag"] == '"1"' and created.headers["leadstore-position"]
    assert lead["created_at"].endswith("Z") and len(lead["created_at"]) == len("2026-11-21T10:30:00.123Z")
    assert fetched.status_code == 200 and fetched.json() == lead and fetched.headers["etag"] == '"1"'


async def test_every_response_carries_a_request_id_echoing_a_sane_one(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        echoed = await http.get("/v1/leads", headers={"X-Request-Id": "client-123"})
        made_up = await http.get("/v1/leads", headers={"X-Request-Id": "has space"})
        unknown_route = await http.get("/v2/nothing")
        health = await http.get("/health")

    assert echoed.headers["x-request-id"] == "client-123"
    assert made_up.headers["x-request-id"] != "has space" and len(made_up.headers["x-request-id"]) == 36
    assert_problem(unknown_route, 404, "not_found")
    assert health.headers["x-request-id"]


async def test_as_of_returns_the_lead_as_it_was_then(api: str, container: Container, account: NewAccount) -> None:
    command = create_cmd(account, company="Old Co", at=now() - timedelta(seconds=1))  # a second before the patch
    created = await container.handler.execute(command, account_id=account.account_id, metadata=META)
    async with client(api, account.api_key) as http:
        path = f"/v1/leads/{created.lead.id}"
        lead = (await http.get(path)).json()
        changed = (await http.patch(path, json={"company": "New Co"})).json()
        then = await http.get(path, params={"as_of": lead["updated_at"]})
        later = await http.get(path, params={"as_of": changed["updated_at"]})
        before = await http.get(path, params={"as_of": "2000-01-01"})
        garbage = await http.get(path, params={"as_of": "yesterday"})

    assert then.json() == lead and then.headers["etag"] == '"1"'
    assert later.json()["company"] == "New Co" and later.headers["etag"] == '"2"'
    assert_problem(before, 404, "not_found")
    assert_problem(garbage, 422, "validation_failed", "as_of")


async def test_patch_is_a_merge_patch_with_status_and_assignee_as_their_own_events(
    api: str, container: Container, account: NewAccount
) -> None:
    async with client(api, account.api_key) as http:
        lead = await create(http, company="Acme", notes="keep", score=10)
        patch = {"company": None, "score": 55, "status": "contacted", "assigned_to": str(account.user_id)}
        patched = await http.patch(f"/v1/leads/{lead['id']}", json=patch)
        events = (await http.get(f"/v1/leads/{lead['id']}/events")).json()["data"]

    body = patched.json()
    assert patched.status_code == 200 and patched.headers["etag"] == '"4"'
    assert (body["company"], body["notes"], body["score"]) == (None, "keep", 55)
    assert (body["status"], body["assigned_to"]) == ("contacted", str(account.user_id))
    assert [e["type"] for e in events] == ["LeadCreated", "LeadUpdated", "LeadAssigned", "LeadStatusChanged"]
    assert events[1]["data"] == {"changes": {"company": {"from": "Acme", "to": None}, "score": {"from": 10, "to": 55}}}
    assert patched.headers["leadstore-position"] == events[-1]["position"]
    assert len({e["request"]["id"] for e in events[1:]}) == 1  # one request, three events


async def test_a_patch_that_fails_anywhere_writes_nothing_and_lists_every_bad_field(
    api: str, container: Container, account: NewAccount
) -> None:
    async with client(api, account.api_key) as http:
        lead = await create(http)
        written = await events_of(container, account)
        bad_status = await http.patch(f"/v1/leads/{lead['id']}", json={"notes": "x", "status": "nope"})
        many = await http.patch(f"/v1/leads/{lead['id']}", json={"score": 500, "status": 5, "assigned_to": "me"})
        after = (await http.get(f"/v1/leads/{lead['id']}")).json()

    assert_problem(bad_status, 422, "validation_failed", "status")
    assert_problem(many, 422, "validation_failed", "score", "status", "assigned_to")
    assert after == lead and await events_of(container, account) == written


async def test_a_lead_document_sent_back_is_told_its_server_members_are_read_only(
    api: str, account: NewAccount
) -> None:
    async with client(api, account.api_key) as http:
        lead = await create(http)
        echoed = await http.patch(f"/v1/leads/{lead['id']}", json=lead | {"score": 101})
        typo = await http.patch(f"/v1/leads/{lead['id']}", json={"nickname": "x"})
        after = await http.get(f"/v1/leads/{lead['id']}")

    codes = {error["field"]: error["code"] for error in assert_problem(echoed, 422, "validation_failed")["errors"]}
    assert codes["object"] == codes["full_name"] == codes["id"] == codes["version"] == "read_only"
    assert codes["score"] not in ("read_only", "unknown_field")  # a bad value, listed with the rest
    assert assert_problem(typo, 422, "validation_failed", "nickname")["errors"][0]["code"] == "unknown_field"
    assert after.json()["version"] == lead["version"]  # nothing written


async def test_one_patch_can_edit_and_close_or_reopen_and_edit(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        lead = await create(http)
        closed = await http.patch(f"/v1/leads/{lead['id']}", json={"notes": "no budget", "status": "lost"})
        frozen = await http.patch(f"/v1/leads/{lead['id']}", json={"notes": "again"})
        reopened = await http.patch(f"/v1/leads/{lead['id']}", json={"status": "contacted", "notes": "budget now"})
        won_by_patch = await http.patch(f"/v1/leads/{lead['id']}", json={"status": "converted"})

    assert (closed.json()["status"], closed.json()["notes"]) == ("lost", "no budget")
    assert_problem(frozen, 409, "invalid_transition")
    assert (reopened.json()["status"], reopened.json()["notes"]) == ("contacted", "budget now")
    assert (won_by_patch.json()["status"], won_by_patch.json()["is_converted"]) == ("converted", True)


async def test_patch_with_the_current_values_records_nothing(
    api: str, container: Container, account: NewAccount
) -> None:
    async with client(api, account.api_key) as http:
        lead = await create(http, company="Same")
        written = await events_of(container, account)
        same = await http.patch(f"/v1/leads/{lead['id']}", json={"company": "Same", "status": "new"})

    assert same.status_code == 200 and same.json() == lead and same.headers["etag"] == '"1"'
    assert same.headers["leadstore-position"] and await events_of(container, account) == written


async def test_assign_to_a_user_to_nobody_and_by_rotation(api: str, container: Container, account: NewAccount) -> None:
    first, _ = await add_user(container, account.account_id, "member")
    second, _ = await add_user(container, account.account_id, "member")
    async with client(api, account.api_key) as http:
        team = (await http.post("/v1/teams", json={"name": "T", "members": [str(first), str(second)]})).json()
        lead = await create(http, team_id=team["id"])
        to_user = await http.post(f"/v1/leads/{lead['id']}/assign", json={"assigned_to": str(second)})
        to_nobody = await http.post(f"/v1/leads/{lead['id']}/assign", json={"assigned_to": None})
        no_rotation = await http.post(f"/v1/leads/{lead['id']}/assign", json={"rotation": True})
        await http.patch(f"/v1/teams/{team['id']}", json={"rotation": True})
        turns = [await http.post(f"/v1/leads/{lead['id']}/assign", json={"rotation": True}) for _ in range(3)]
        await http.post(f"/v1/leads/{lead['id']}/assign", json={"assigned_to": str(second)})  # second's turn next
        handed_on = await http.post(f"/v1/leads/{lead['id']}/assign", json={"rotation": True})
        both = await http.post(f"/v1/leads/{lead['id']}/assign", json={"assigned_to": None, "rotation": True})
        stranger = await http.post(f"/v1/leads/{lead['id']}/assign", json={"assigned_to": str(account.account_id)})
        events = (await http.get(f"/v1/leads/{lead['id']}/events")).json()["data"]

    assert to_user.json()["assigned_to"] == str(second) and to_nobody.json()["assigned_to"] is None
    assert_problem(no_rotation, 422, "validation_failed", "rotation")
    assert [t.json()["assigned_to"] for t in turns] == [str(first), str(second), str(first)]
    assert handed_on.json()["assigned_to"] == str(first)  # a turn never leaves the lead where it was
    assert events[-1]["data"] == {"from": str(second), "to": str(first), "by_rotation": True}
    assert_problem(both, 422, "validation_failed", "assigned_to")
    assert_problem(stranger, 422, "validation_failed", "assigned_to")


async def test_convert_once_and_never_a_lost_lead(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        lead, lost = await create(http), await create(http)
        converted = await http.post(f"/v1/leads/{lead['id']}/convert", json={"customer_id": "cus_42"})
        again = await http.post(f"/v1/leads/{lead['id']}/convert")
        await http.patch(f"/v1/leads/{lost['id']}", json={"status": "lost"})
        refused = await http.post(f"/v1/leads/{lost['id']}/convert")
        bad_body = await http.post(f"/v1/leads/{lost['id']}/convert", json={"customer_id": 7, "x": 1})

    body = converted.json()
    assert (body["is_converted"], body["customer_id"], body["status"]) == (True, "cus_42", "converted")
    assert body["converted_at"].endswith("Z")
    assert_problem(again, 409, "already_converted")
    assert_problem(refused, 409, "invalid_transition")
    assert_problem(bad_body, 422, "validation_failed", "customer_id", "x")


async def test_archive_and_restore(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        lead = await create(http)
        archived = await http.post(f"/v1/leads/{lead['id']}/archive", json={"reason": "duplicate"})
        twice = await http.post(f"/v1/leads/{lead['id']}/archive")
        edit = await http.patch(f"/v1/leads/{lead['id']}", json={"notes": "x"})
        restored = await http.post(f"/v1/leads/{lead['id']}/restore")

    assert archived.json()["archived"] is True and archived.headers["etag"] == '"2"'
    assert twice.status_code == 200 and twice.headers["etag"] == '"2"'
    assert_problem(edit, 409, "invalid_transition")
    assert restored.json()["archived"] is False and restored.headers["etag"] == '"3"'


async def test_events_are_the_audit_log_with_actor_and_masked_request(api: str, account: NewAccount) -> None:
    secrets = {"Cookie": "session=abc", "X-Api-Key": "k", "X-Session-Token": "t", "X-Client-Secret": "s"}
    headers = {"X-Request-Id": "audit-1", "User-Agent": "audit-test/1.0", "X-Trace": "visible", **secrets}
    async with client(api, account.api_key, **headers) as http:
        lead = await create(http)
        events = (await http.get(f"/v1/leads/{lead['id']}/events")).json()

    (event,) = events["data"]
    assert events["object"] == "list" and event["type"] == "LeadCreated" and event["version"] == 1
    assert event["lead_id"] == lead["id"] and event["account_id"] == str(account.account_id)
    assert event["actor"]["user_id"] == str(account.user_id) and event["actor"]["api_key_id"]
    request = event["request"]
    assert (request["id"], request["method"], request["path"]) == ("audit-1", "POST", "/v1/leads")
    assert request["user_agent"] == "audit-test/1.0" and request["ip"] == "127.0.0.1"
    assert "x-trace" not in request["headers"]  # not on the allow-list
    masked = ["authorization", "cookie", "x-api-key", "x-session-token", "x-client-secret"]
    assert all(request["headers"][name] == "***" for name in masked)
    assert account.api_key not in str(events)


async def test_if_match_refuses_a_stale_version(api: str, container: Container, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        lead = await create(http)
        fresh = await http.patch(f"/v1/leads/{lead['id']}", json={"notes": "a"}, headers={"If-Match": '"1"'})
        stale = await http.patch(f"/v1/leads/{lead['id']}", json={"notes": "b"}, headers={"If-Match": '"1"'})
        written = await events_of(container, account)
        stale_action = await http.post(f"/v1/leads/{lead['id']}/archive", headers={"If-Match": "1"})
        malformed = await http.patch(f"/v1/leads/{lead['id']}", json={}, headers={"If-Match": "yesterday"})

    assert fresh.status_code == 200 and fresh.headers["etag"] == '"2"'
    assert_problem(stale, 412, "version_conflict")
    assert_problem(stale_action, 412, "version_conflict")
    assert_problem(malformed, 422, "validation_failed", "If-Match")
    assert await events_of(container, account) == written


async def test_idempotency_key_replays_the_first_response_and_refuses_another_body(
    api: str, container: Container, account: NewAccount
) -> None:
    async with client(api, account.api_key, **{"Idempotency-Key": "create-1"}) as http:
        first = await http.post("/v1/leads", json={"first_name": "Once"})
        written = await events_of(container, account)
        replay = await http.post("/v1/leads", json={"first_name": "Once"})
        other_body = await http.post("/v1/leads", json={"first_name": "Twice"})
        patch_key = {"Idempotency-Key": "patch-1"}
        patched = await http.patch(f"/v1/leads/{first.json()['id']}", json={"score": 9}, headers=patch_key)
        patched_again = await http.patch(f"/v1/leads/{first.json()['id']}", json={"score": 9}, headers=patch_key)

    assert first.status_code == replay.status_code == 201 and "idempotent-replayed" not in first.headers
    assert replay.headers["idempotent-replayed"] == "true" and replay.content == first.content
    assert replay.headers["location"] == first.headers["location"] and replay.headers["etag"] == first.headers["etag"]
    assert_problem(other_body, 422, "idempotency_conflict")
    assert patched_again.headers["idempotent-replayed"] == "true" and patched_again.content == patched.content
    assert await events_of(container, account) == written + 1


async def test_another_users_idempotency_key_is_a_conflict_not_a_replay(
    api: str, container: Container, account: NewAccount
) -> None:
    """A member who reuses the admin's key and body must not be replayed the admin's lead (they may not see it)."""
    _, member_key = await add_user(container, account.account_id, "member")
    headers = {"Idempotency-Key": "shared-1"}
    async with client(api, account.api_key, **headers) as admin, client(api, member_key, **headers) as member:
        first = await admin.post("/v1/leads", json={"first_name": "Private"})
        written = await events_of(container, account)
        reused = await member.post("/v1/leads", json={"first_name": "Private"})

    assert first.status_code == 201
    assert_problem(reused, 422, "idempotency_conflict")
    assert "Private" not in reused.text and await events_of(container, account) == written
