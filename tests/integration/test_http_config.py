"""Configuration endpoints (admin only) and the account's event feed, over a real socket."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import httpx

from leadstore.bootstrap import Container
from leadstore.http.testing import add_user
from leadstore.store.accounts import NewAccount
from leadstore.store.events import Checkpoint
from tests.integration.helpers import client

CONFIG_ROUTES = [
    ("GET", "/v1/statuses"),
    ("POST", "/v1/statuses"),
    ("PATCH", "/v1/statuses/new"),
    ("POST", "/v1/statuses/reorder"),
    ("GET", "/v1/sources"),
    ("POST", "/v1/sources"),
    ("PATCH", "/v1/sources/website"),
    ("GET", "/v1/teams"),
    ("POST", "/v1/teams"),
    ("PATCH", f"/v1/teams/{UUID(int=1)}"),
    ("GET", "/v1/custom-fields"),
    ("POST", "/v1/custom-fields"),
    ("PATCH", "/v1/custom-fields/x"),
    ("GET", "/v1/rotation"),
    ("PUT", "/v1/rotation"),
    ("GET", "/v1/users"),
    ("POST", "/v1/users"),
    ("POST", f"/v1/users/{UUID(int=1)}/deactivate"),
    ("GET", "/v1/api-keys"),
    ("POST", "/v1/api-keys"),
    ("POST", f"/v1/api-keys/{UUID(int=1)}/revoke"),
    ("GET", "/v1/events"),
]


def fields_of(response: httpx.Response) -> set[str]:
    return {error["field"] for error in response.json()["errors"]}


PIPELINE_READS = ["/v1/statuses", "/v1/sources", "/v1/teams", "/v1/custom-fields", "/v1/rotation", "/v1/users"]


async def test_configuration_is_changed_by_admins_only(api: str, container: Container, account: NewAccount) -> None:
    _, manager_key = await add_user(container, account.account_id, "manager")
    async with client(api, manager_key) as manager, httpx.AsyncClient(base_url=api) as anonymous:
        for method, path in CONFIG_ROUTES:
            response = await manager.request(method, path, json={})
            if method == "GET" and path in PIPELINE_READS:
                assert response.status_code == 200, (method, path)  # every role discovers the valid keys
            else:
                assert response.status_code == 403 and response.json()["code"] == "forbidden", (method, path)
            assert (await anonymous.request(method, path, json={})).status_code == 401, (method, path)


async def test_statuses_are_listed_created_renamed_and_reordered(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        defaults = (await http.get("/v1/statuses")).json()["data"]
        created = await http.post("/v1/statuses", json={"key": "nurturing", "label": "Nurturing", "color": "#00aa00"})
        duplicate = await http.post("/v1/statuses", json={"key": "nurturing", "label": "Again"})
        invalid = await http.post("/v1/statuses", json={"key": "Bad Key", "label": "", "kind": "maybe", "x": 1})
        renamed = await http.patch("/v1/statuses/new", json={"label": "Fresh"})
        missing = await http.patch("/v1/statuses/nope", json={"label": "X"})
        keys = ["nurturing", "new", "contacted", "qualified", "converted", "lost"]
        reordered = await http.post("/v1/statuses/reorder", json={"keys": keys})
        closed_first = await http.post("/v1/statuses/reorder", json={"keys": ["lost", *keys[:-1]]})
        partial = await http.post("/v1/statuses/reorder", json={"keys": keys[:3]})
        lead = (await http.post("/v1/leads", json={"first_name": "Nurtured"})).json()

    assert [(s["key"], s["kind"]) for s in defaults] == [
        ("new", "open"),
        ("contacted", "open"),
        ("qualified", "open"),
        ("converted", "won"),
        ("lost", "lost"),
    ]
    assert created.status_code == 201 and created.json() == {
        "key": "nurturing",
        "label": "Nurturing",
        "kind": "open",
        "position": 5,
        "color": "#00aa00",
    }
    assert duplicate.status_code == 422 and fields_of(duplicate) == {"key"}
    assert invalid.status_code == 422 and fields_of(invalid) == {"key", "label", "kind", "x"}
    assert renamed.json()["label"] == "Fresh" and renamed.json()["key"] == "new"
    assert missing.status_code == 404
    assert [s["key"] for s in reordered.json()["data"]] == keys
    assert closed_first.status_code == 422 and partial.status_code == 422
    assert lead["status"] == "nurturing"


async def test_sources_and_team_sources(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        listed = [s["key"] for s in (await http.get("/v1/sources")).json()["data"]]
        team = (await http.post("/v1/teams", json={"name": "Events"})).json()
        created = await http.post("/v1/sources", json={"key": "expo", "label": "Expo", "team_id": team["id"]})
        unknown_team = await http.post("/v1/sources", json={"key": "y", "label": "Y", "team_id": str(UUID(int=3))})
        moved = await http.patch("/v1/sources/expo", json={"team_id": None, "label": "Expo 2026"})
        unknown_source = await http.post("/v1/leads", json={"first_name": "A", "team_id": team["id"], "source": "zz"})

    assert sorted(listed) == sorted(
        ["website", "referral", "trade_show", "cold_call", "social_media", "partner", "other"]
    )
    assert created.status_code == 201 and created.json()["team_id"] == team["id"]
    assert unknown_team.status_code == 422 and fields_of(unknown_team) == {"team_id"}
    assert moved.json() == {"key": "expo", "label": "Expo 2026", "team_id": None}
    assert unknown_source.status_code == 422 and fields_of(unknown_source) == {"source"}


async def test_teams_with_members_and_rotation(api: str, container: Container, account: NewAccount) -> None:
    first, _ = await add_user(container, account.account_id, "member")
    second, _ = await add_user(container, account.account_id, "member")
    async with client(api, account.api_key) as http:
        created = await http.post("/v1/teams", json={"name": "Sales", "members": [str(first)], "rotation": True})
        team_id = created.json()["id"]
        stranger = await http.post("/v1/teams", json={"name": "X", "members": [str(first), str(UUID(int=9))]})
        changed = await http.patch(f"/v1/teams/{team_id}", json={"members": [str(first), str(second)], "name": "S2"})
        missing = await http.patch(f"/v1/teams/{UUID(int=9)}", json={"name": "nobody"})
        lead = (await http.post("/v1/leads", json={"first_name": "Routed", "team_id": team_id})).json()

    assert created.status_code == 201 and created.json()["members"] == [str(first)] and created.json()["rotation"]
    assert stranger.status_code == 422 and fields_of(stranger) == {"members[1]"}
    assert changed.json() == {"id": team_id, "name": "S2", "members": [str(first), str(second)], "rotation": True}
    assert missing.status_code == 404
    assert lead["assigned_to"] in (str(first), str(second))


async def test_custom_fields_validate_lead_values(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        tier = {"key": "tier", "label": "Tier", "type": "choice", "choices": ["gold", "silver"], "required": True}
        created = await http.post("/v1/custom-fields", json=tier)
        no_choices = await http.post("/v1/custom-fields", json={"key": "kind", "label": "K", "type": "choice"})
        stray = await http.post(
            "/v1/custom-fields", json={"key": "n", "label": "N", "type": "number", "choices": ["a"]}
        )
        missing = await http.post("/v1/leads", json={"first_name": "A"})
        wrong = await http.post("/v1/leads", json={"first_name": "A", "custom": {"tier": "bronze", "other": 1}})
        right = await http.post("/v1/leads", json={"first_name": "A", "custom": {"tier": "gold"}})
        widened = await http.patch("/v1/custom-fields/tier", json={"choices": ["gold", "silver", "bronze"]})
        emptied = await http.patch("/v1/custom-fields/tier", json={"choices": []})
        listed = (await http.get("/v1/custom-fields")).json()["data"]

    assert created.status_code == 201 and created.json() == tier
    assert no_choices.status_code == 422 and stray.status_code == 422
    assert missing.status_code == 422 and fields_of(missing) == {"custom.tier"}
    assert wrong.status_code == 422 and fields_of(wrong) == {"custom.tier", "custom.other"}
    assert right.status_code == 201 and right.json()["custom"] == {"tier": "gold"}
    assert widened.json()["choices"] == ["gold", "silver", "bronze"] and emptied.status_code == 422
    assert listed == [widened.json()]


async def test_users_are_created_listed_and_deactivated(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        created = await http.post("/v1/users", json={"email": "rep@example.com", "name": "Rep", "role": "manager"})
        duplicate = await http.post("/v1/users", json={"email": "REP@example.com"})
        invalid = await http.post("/v1/users", json={"email": "nope", "role": "owner"})
        user_id = created.json()["id"]
        issued = (await http.post("/v1/api-keys", json={"user_id": user_id})).json()
        async with client(api, issued["key"]) as as_user:
            before = await as_user.get("/v1/leads")
            deactivated = await http.post(f"/v1/users/{user_id}/deactivate")
            after = await as_user.get("/v1/leads")
        self_deactivation = await http.post(f"/v1/users/{account.user_id}/deactivate")
        listed = (await http.get("/v1/users")).json()["data"]

    assert created.status_code == 201 and created.json()["role"] == "manager" and created.json()["active"]
    assert duplicate.status_code == 422 and fields_of(duplicate) == {"email"}
    assert invalid.status_code == 422 and fields_of(invalid) == {"email", "role"}
    assert before.status_code == 200 and deactivated.json()["active"] is False and after.status_code == 401
    assert self_deactivation.status_code == 422
    assert {u["id"] for u in listed} == {str(account.user_id), user_id}


async def test_api_keys_are_shown_once_and_revocable(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        issued = await http.post("/v1/api-keys", json={"name": "ci"})
        key = issued.json()
        listed = await http.get("/v1/api-keys")
        async with client(api, key["key"]) as with_new_key:
            works = await with_new_key.get("/v1/leads")
            used = {k["id"]: k["last_used_at"] for k in (await http.get("/v1/api-keys")).json()["data"]}
            revoked = await http.post(f"/v1/api-keys/{key['id']}/revoke")
            refused = await with_new_key.get("/v1/leads")
        unknown = await http.post(f"/v1/api-keys/{UUID(int=4)}/revoke")
        stranger = await http.post("/v1/api-keys", json={"user_id": str(UUID(int=4))})

    assert issued.status_code == 201 and key["key"].startswith(key["prefix"]) and key["user_id"] == str(account.user_id)
    assert key["key"] not in listed.text and len(listed.json()["data"]) == 2
    assert key["last_used_at"] is None and used[key["id"]] is not None  # noted on first use
    assert works.status_code == 200 and revoked.json()["revoked_at"] and refused.status_code == 401
    assert unknown.status_code == 404 and stranger.status_code == 422


async def _feed_reaches(http: httpx.AsyncClient, position: str) -> None:
    """Wait until the feed shows the write at `position` (it shows an event once older transactions end)."""
    for _ in range(500):
        data = (await http.get("/v1/events", params={"limit": 1000})).json()["data"]
        if data and Checkpoint.parse(data[-1]["position"]) >= Checkpoint.parse(position):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the feed never reached {position}")


async def test_the_event_feed_pages_in_commit_order_for_the_account_only(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        leads = [(await http.post("/v1/leads", json={"first_name": f"F{i}"})).json() for i in range(3)]
        patched = await http.patch(f"/v1/leads/{leads[0]['id']}", json={"score": 3})
        await _feed_reaches(http, patched.headers["leadstore-position"])
        first = (await http.get("/v1/events", params={"limit": 2})).json()
        rest = (await http.get("/v1/events", params={"after": first["next_cursor"]})).json()
        drained = (await http.get("/v1/events", params={"after": rest["next_cursor"]})).json()
        bad = await http.get("/v1/events", params={"after": "x.y"})

    events: list[dict[str, Any]] = first["data"] + rest["data"]
    assert first["has_more"] and not rest["has_more"] and drained == {**drained, "data": [], "has_more": False}
    administration = ["AccountCreated", "UserCreated", "ApiKeyIssued"]  # the account's stream begins the feed
    assert [e["type"] for e in events] == administration + ["LeadCreated"] * 3 + ["LeadUpdated"]
    assert {e["account_id"] for e in events} == {str(account.account_id)}
    assert drained["next_cursor"] == rest["next_cursor"] == events[-1]["position"]
    assert bad.status_code == 422 and fields_of(bad) == {"after"}


async def test_the_last_working_admin_key_cannot_be_revoked(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        own = next(key for key in (await http.get("/v1/api-keys")).json()["data"])
        refused = await http.post(f"/v1/api-keys/{own['id']}/revoke")
        still_works = await http.get("/v1/leads")

    assert refused.status_code == 409 and refused.json()["code"] == "invalid_transition"
    assert still_works.status_code == 200


async def test_two_admins_revoking_each_others_keys_at_once_leave_one_working(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        first = (await http.get("/v1/api-keys")).json()["data"][0]
        second = (await http.post("/v1/api-keys", json={"name": "second"})).json()
        async with client(api, second["key"]) as other:
            answers = await asyncio.gather(
                http.post(f"/v1/api-keys/{second['id']}/revoke"), other.post(f"/v1/api-keys/{first['id']}/revoke")
            )
        listings = [await http.get("/v1/api-keys")]
        async with client(api, second["key"]) as other:
            listings.append(await other.get("/v1/api-keys"))
    working = [listing for listing in listings if listing.status_code == 200]  # the revoked key's is a 401
    live = [key for key in working[0].json()["data"] if key["revoked_at"] is None]

    # the loser is refused by the rule (409), or already unauthorized if the winner's revocation came first
    assert sorted(answer.status_code for answer in answers) in ([200, 401], [200, 409])
    assert len(live) == 1


async def test_every_role_reads_the_active_users_id_name_and_role_only(
    api: str, container: Container, account: NewAccount
) -> None:
    member, member_key = await add_user(container, account.account_id, "member")
    gone, _ = await add_user(container, account.account_id, "member")
    async with client(api, account.api_key) as admin:
        await admin.post(f"/v1/users/{gone}/deactivate")
        whole = (await admin.get("/v1/users")).json()["data"]
    async with client(api, member_key) as as_member:
        seen = await as_member.get("/v1/users")
        creating = await as_member.post("/v1/users", json={"email": "x@example.com", "role": "admin"})

    assert {user["id"] for user in whole} >= {str(member), str(gone)} and all("email" in user for user in whole)
    assert seen.status_code == 200
    assert {user["id"] for user in seen.json()["data"]} == {str(account.user_id), str(member)}
    assert all(set(user) == {"id", "name", "role"} for user in seen.json()["data"])
    assert creating.status_code == 403
