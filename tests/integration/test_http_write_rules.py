"""The write rules of issue 8 over HTTP, against API.md only: reopening, the team rule and rotation on PATCH,
required and narrowed custom fields, the account's default rotation, the seeds' spellings, and two API
processes over one database. Requests and JSON only, so these tests outlive any rewrite of the write path."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from itertools import pairwise
from typing import Any

import httpx
import pytest

from leadstore.bootstrap import bootstrap
from leadstore.http.testing import serve
from leadstore.settings import Settings
from leadstore.store.accounts import NewAccount, PrincipalCache
from tests.integration.helpers import client, create

Json = dict[str, Any]


# Small builders, all through the public API.


async def lead_of(http: httpx.AsyncClient, lead_id: str) -> Json:
    response = await http.get(f"/v1/leads/{lead_id}")
    assert response.status_code == 200, response.text
    lead: Json = response.json()
    return lead


async def events_of(http: httpx.AsyncClient, lead_id: str) -> list[Json]:
    response = await http.get(f"/v1/leads/{lead_id}/events")
    assert response.status_code == 200, response.text
    events: list[Json] = response.json()["data"]
    return events


async def new_user(http: httpx.AsyncClient, role: str = "member") -> tuple[str, str]:
    """A new active user of the admin's account and a key of theirs: (user id, key)."""
    email = f"{role}-{uuid.uuid4().hex[:12]}@example.com"
    user = await http.post("/v1/users", json={"email": email, "name": role.title(), "role": role})
    assert user.status_code == 201, user.text
    key = await http.post("/v1/api-keys", json={"user_id": user.json()["id"]})
    assert key.status_code == 201, key.text
    return user.json()["id"], key.json()["key"]


async def new_team(http: httpx.AsyncClient, members: list[str] | None = None, *, rotation: bool = False) -> str:
    body = {"name": f"Team {uuid.uuid4().hex[:6]}", "members": members or [], "rotation": rotation}
    response = await http.post("/v1/teams", json=body)
    assert response.status_code == 201, response.text
    team_id: str = response.json()["id"]
    return team_id


async def new_source(http: httpx.AsyncClient, key: str, team_id: str | None) -> None:
    response = await http.post("/v1/sources", json={"key": key, "label": key.title(), "team_id": team_id})
    assert response.status_code == 201, response.text


async def new_field(http: httpx.AsyncClient, key: str, type_: str, **rest: Any) -> None:
    response = await http.post("/v1/custom-fields", json={"key": key, "label": key.title(), "type": type_, **rest})
    assert response.status_code == 201, response.text


def refused(response: httpx.Response, status: int, code: str, *fields: str) -> Json:
    """Assert a problem-details refusal with this status and code, naming at least these fields."""
    assert response.status_code == status, response.text
    problem: Json = response.json()
    assert problem["code"] == code, problem
    assert set(fields) <= {error["field"] for error in problem.get("errors", [])}, problem
    return problem


def field_codes(response: httpx.Response) -> dict[str, str]:
    return {error["field"]: error["code"] for error in response.json().get("errors", [])}


# 1. Reopening a converted lead.


async def test_reopening_a_converted_lead_clears_the_conversion(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        lead = await create(http)
        converted = await http.post(f"/v1/leads/{lead['id']}/convert", json={"customer_id": "cus_1"})
        reopened = await http.patch(f"/v1/leads/{lead['id']}", json={"status": "contacted"})
        fetched = await lead_of(http, lead["id"])
        events = await events_of(http, lead["id"])

    assert converted.status_code == 200 and converted.json()["is_converted"] is True
    assert reopened.status_code == 200, reopened.text
    body = reopened.json()
    assert (body["status"], body["is_converted"], body["converted_at"], body["customer_id"]) == (
        "contacted",
        False,
        None,
        None,
    )
    assert fetched == body
    assert [e["type"] for e in events] == ["LeadCreated", "LeadConverted", "LeadStatusChanged"]
    assert events[-1]["data"]["from"] == "converted" and events[-1]["data"]["to"] == "contacted"
    assert events[-1]["data"]["reopened_from_won"] is True


async def test_a_reopened_lead_can_be_converted_again(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        lead = await create(http)
        await http.post(f"/v1/leads/{lead['id']}/convert", json={"customer_id": "cus_1"})
        await http.patch(f"/v1/leads/{lead['id']}", json={"status": "qualified"})
        again = await http.post(f"/v1/leads/{lead['id']}/convert", json={"customer_id": "cus_2"})
        events = await events_of(http, lead["id"])

    assert again.status_code == 200, again.text
    body = again.json()
    assert (body["is_converted"], body["customer_id"], body["status"]) == (True, "cus_2", "converted")
    assert body["converted_at"] is not None
    converted = [e["data"]["customer_id"] for e in events if e["type"] == "LeadConverted"]
    assert converted == ["cus_1", "cus_2"]  # the first conversion stays in the log


async def test_a_reopened_lead_moved_to_lost_is_lost_and_not_converted(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        lead = await create(http)
        await http.post(f"/v1/leads/{lead['id']}/convert", json={"customer_id": "cus_1"})
        await http.patch(f"/v1/leads/{lead['id']}", json={"status": "new"})
        lost = await http.patch(f"/v1/leads/{lead['id']}", json={"status": "lost"})

    assert lost.status_code == 200, lost.text
    body = lost.json()
    assert (body["status"], body["is_converted"], body["converted_at"], body["customer_id"]) == (
        "lost",
        False,
        None,
        None,
    )


async def test_a_status_change_that_does_not_leave_won_does_not_say_reopened(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        lead = await create(http)
        await http.patch(f"/v1/leads/{lead['id']}", json={"status": "lost"})
        await http.patch(f"/v1/leads/{lead['id']}", json={"status": "new"})
        events = await events_of(http, lead["id"])

    reopened = events[-1]
    assert reopened["type"] == "LeadStatusChanged" and reopened["data"]["to"] == "new"
    assert not reopened["data"].get("reopened_from_won", False)


async def test_a_converted_lead_cannot_be_moved_straight_to_lost(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        lead = await create(http)
        converted = (await http.post(f"/v1/leads/{lead['id']}/convert")).json()
        to_lost = await http.patch(f"/v1/leads/{lead['id']}", json={"status": "lost"})
        after = await lead_of(http, lead["id"])

    refused(to_lost, 409, "invalid_transition")
    assert after == converted


async def test_a_member_cannot_reopen_a_converted_lead_but_a_manager_can(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as admin:
        _, member_key = await new_user(admin, "member")
        _, manager_key = await new_user(admin, "manager")
        async with client(api, member_key) as member, client(api, manager_key) as manager:
            lead = await create(member)  # created by the member: theirs to see
            converted = await member.post(f"/v1/leads/{lead['id']}/convert")
            by_member = await member.patch(f"/v1/leads/{lead['id']}", json={"status": "contacted"})
            unchanged = await lead_of(admin, lead["id"])
            by_manager = await manager.patch(f"/v1/leads/{lead['id']}", json={"status": "contacted"})

    assert converted.status_code == 200, converted.text
    refused(by_member, 409, "invalid_transition")
    assert unchanged == converted.json()
    assert by_manager.status_code == 200, by_manager.text
    assert (by_manager.json()["status"], by_manager.json()["is_converted"]) == ("contacted", False)


# 2. The team rule through PATCH.


async def teams_with_sources(http: httpx.AsyncClient) -> tuple[str, str]:
    """Team A without sources of its own and team B whose own source is `expo`: (a, b)."""
    team_a, team_b = await new_team(http), await new_team(http)
    await new_source(http, "expo", team_b)
    return team_a, team_b


async def test_patching_team_id_to_a_team_with_its_own_sources_needs_one_of_them(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        team_a, team_b = await teams_with_sources(http)
        lead = await create(http, team_id=team_a, source="website")
        moved = await http.patch(f"/v1/leads/{lead['id']}", json={"team_id": team_b})
        after = await lead_of(http, lead["id"])
        with_its_source = await http.patch(f"/v1/leads/{lead['id']}", json={"team_id": team_b, "source": "expo"})

    refused(moved, 422, "source_required", "source")
    assert after == lead and after["version"] == 1
    assert with_its_source.status_code == 200, with_its_source.text
    assert (with_its_source.json()["team_id"], with_its_source.json()["source"]) == (team_b, "expo")


async def test_patching_source_away_from_the_teams_own_sources_is_refused(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        _, team_b = await teams_with_sources(http)
        lead = await create(http, team_id=team_b, source="expo")
        changed = await http.patch(f"/v1/leads/{lead['id']}", json={"source": "website"})
        cleared = await http.patch(f"/v1/leads/{lead['id']}", json={"source": None})
        after = await lead_of(http, lead["id"])

    refused(changed, 422, "source_required", "source")
    refused(cleared, 422, "source_required", "source")
    assert after == lead


async def test_patching_team_id_to_null_in_an_account_with_teams_is_refused(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        team_a, _ = await teams_with_sources(http)
        lead = await create(http, team_id=team_a)
        cleared = await http.patch(f"/v1/leads/{lead['id']}", json={"team_id": None})
        after = await lead_of(http, lead["id"])
        events = await events_of(http, lead["id"])

    refused(cleared, 422, "team_required", "team_id")
    assert after == lead and [e["version"] for e in events] == [1]


async def test_skip_team_requirement_lifts_the_team_rule_on_patch_and_is_recorded(
    api: str, account: NewAccount
) -> None:
    skip = {"skip_team_requirement": "true"}
    async with client(api, account.api_key) as http:
        team_a, team_b = await teams_with_sources(http)
        lead = await create(http, team_id=team_a, source="website")
        moved = await http.patch(f"/v1/leads/{lead['id']}", json={"team_id": team_b}, params=skip)
        cleared = await http.patch(f"/v1/leads/{lead['id']}", json={"team_id": None}, params=skip)
        events = await events_of(http, lead["id"])

    assert moved.status_code == 200, moved.text
    assert (moved.json()["team_id"], moved.json()["source"]) == (team_b, "website")
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["team_id"] is None
    assert [e["type"] for e in events] == ["LeadCreated", "LeadUpdated", "LeadUpdated"]
    for event in events[1:]:  # API.md: every use of the flag is in the event's request metadata
        assert "skip_team_requirement" in json.dumps(event["request"]), event["request"]
    assert "skip_team_requirement" not in json.dumps(events[0]["request"])


# 3. A team change takes a rotation turn.


async def test_moving_an_unassigned_lead_to_a_rotating_team_takes_a_turn(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        first, _ = await new_user(http)
        second, _ = await new_user(http)
        quiet, rotating = await new_team(http), await new_team(http, [first, second], rotation=True)
        leads = [await create(http, team_id=quiet) for _ in range(2)]
        moved = [await http.patch(f"/v1/leads/{lead['id']}", json={"team_id": rotating}) for lead in leads]
        events = await events_of(http, leads[0]["id"])

    assert all(lead["assigned_to"] is None for lead in leads)
    assert [m.status_code for m in moved] == [200, 200], moved[0].text
    assert {m.json()["assigned_to"] for m in moved} == {first, second}  # two turns, two members
    assigned = [e for e in events if e["type"] == "LeadAssigned"]
    assert len(assigned) == 1 and assigned[0]["data"]["by_rotation"] is True
    assert assigned[0]["data"]["to"] == moved[0].json()["assigned_to"]


async def test_moving_a_lead_to_a_rotating_team_with_a_named_assignee_takes_no_turn(
    api: str, account: NewAccount
) -> None:
    async with client(api, account.api_key) as http:
        first, _ = await new_user(http)
        second, _ = await new_user(http)
        quiet, rotating = await new_team(http), await new_team(http, [first, second], rotation=True)
        lead = await create(http, team_id=quiet)
        moved = await http.patch(f"/v1/leads/{lead['id']}", json={"team_id": rotating, "assigned_to": second})
        events = await events_of(http, lead["id"])
        next_turn = await create(http, team_id=rotating)

    assert moved.status_code == 200, moved.text
    assert moved.json()["assigned_to"] == second
    assigned = [e["data"] for e in events if e["type"] == "LeadAssigned"]
    assert assigned == [{"from": None, "to": second, "by_rotation": False}]
    assert next_turn["assigned_to"] == first  # the rotation did not move on


async def test_concurrent_moves_to_a_rotating_team_share_the_turns_fairly(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        members = [(await new_user(http))[0] for _ in range(2)]
        quiet, rotating = await new_team(http), await new_team(http, members, rotation=True)
        leads = [await create(http, team_id=quiet) for _ in range(10)]
        moved = await asyncio.gather(
            *(http.patch(f"/v1/leads/{lead['id']}", json={"team_id": rotating}) for lead in leads)
        )

    assert {m.status_code for m in moved} == {200}, [m.text for m in moved if m.status_code != 200]
    assert Counter(m.json()["assigned_to"] for m in moved) == {member: 5 for member in members}


# 4. Required custom fields can not be cleared.


async def test_a_required_custom_field_cannot_be_cleared_by_patch(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        await new_field(http, "k", "text", required=True)
        lead = await create(http, custom={"k": "kept"})
        key_null = await http.patch(f"/v1/leads/{lead['id']}", json={"custom": {"k": None}})
        custom_null = await http.patch(f"/v1/leads/{lead['id']}", json={"custom": None})
        after = await lead_of(http, lead["id"])
        events = await events_of(http, lead["id"])

    refused(key_null, 422, "validation_failed", "custom.k")
    refused(custom_null, 422, "validation_failed", "custom.k")
    assert after == lead and after["custom"] == {"k": "kept"} and len(events) == 1


async def test_clearing_a_required_custom_field_is_listed_with_every_other_bad_field(
    api: str, account: NewAccount
) -> None:
    async with client(api, account.api_key) as http:
        await new_field(http, "k", "text", required=True)
        lead = await create(http, custom={"k": "kept"})
        both = await http.patch(f"/v1/leads/{lead['id']}", json={"custom": {"k": None}, "score": 500})
        after = await lead_of(http, lead["id"])

    refused(both, 422, "validation_failed", "custom.k", "score")
    assert after == lead


# 5. Narrowing a choice field.


async def test_narrowing_choices_leaves_leads_holding_a_removed_choice_unchanged(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        await new_field(http, "tier", "choice", choices=["gold", "silver", "bronze"])
        await new_field(http, "size", "number")
        lead = await create(http, custom={"tier": "bronze"})
        narrowed = await http.patch("/v1/custom-fields/tier", json={"choices": ["gold", "silver"]})
        held = await lead_of(http, lead["id"])
        notes = await http.patch(f"/v1/leads/{lead['id']}", json={"notes": "still bronze"})
        other_custom = await http.patch(f"/v1/leads/{lead['id']}", json={"custom": {"size": 3}})
        dotted = await http.patch(f"/v1/leads/{lead['id']}", json={"score": 7})

    assert narrowed.status_code == 200, narrowed.text
    assert narrowed.json()["choices"] == ["gold", "silver"]
    assert held["custom"] == {"tier": "bronze"}
    assert notes.status_code == 200, notes.text
    assert notes.json()["custom"] == {"tier": "bronze"}
    assert other_custom.status_code == 200, other_custom.text
    assert other_custom.json()["custom"] == {"tier": "bronze", "size": 3}
    assert dotted.status_code == 200, dotted.text


async def test_setting_a_removed_choice_is_refused(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        await new_field(http, "tier", "choice", choices=["gold", "silver", "bronze"])
        lead = await create(http, custom={"tier": "gold"})
        await http.patch("/v1/custom-fields/tier", json={"choices": ["gold", "silver"]})
        patched = await http.patch(f"/v1/leads/{lead['id']}", json={"custom": {"tier": "bronze"}})
        created = await http.post("/v1/leads", json={"first_name": "B", "custom": {"tier": "bronze"}})
        after = await lead_of(http, lead["id"])
        allowed = await http.patch(f"/v1/leads/{lead['id']}", json={"custom": {"tier": "silver"}})

    refused(patched, 422, "validation_failed", "custom.tier")
    refused(created, 422, "validation_failed", "custom.tier")
    assert after == lead
    assert allowed.status_code == 200 and allowed.json()["custom"] == {"tier": "silver"}


# 6. The account's default rotation.


async def test_the_account_rotation_is_set_by_admins_and_read_by_every_role(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        first, member_key = await new_user(http, "member")
        second, manager_key = await new_user(http, "manager")
        rotation = {"enabled": True, "members": [first, second]}
        put = await http.put("/v1/rotation", json=rotation)
        reads = [await http.get("/v1/rotation")]
        async with client(api, member_key) as member, client(api, manager_key) as manager:
            reads += [await member.get("/v1/rotation"), await manager.get("/v1/rotation")]
            by_member = await member.put("/v1/rotation", json={"enabled": False, "members": []})
            by_manager = await manager.put("/v1/rotation", json={"enabled": False, "members": []})
        after = await http.get("/v1/rotation")

    assert put.status_code == 200, put.text
    assert {key: put.json()[key] for key in rotation} == rotation
    for read in reads:
        assert read.status_code == 200, read.text
        assert {key: read.json()[key] for key in rotation} == rotation
    refused(by_member, 403, "forbidden")
    refused(by_manager, 403, "forbidden")
    assert {key: after.json()[key] for key in rotation} == rotation


async def test_the_account_rotation_takes_only_active_users_of_the_account(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        active, _ = await new_user(http)
        gone, _ = await new_user(http)
        await http.post(f"/v1/users/{gone}/deactivate")
        stranger = str(uuid.uuid4())
        inactive = await http.put("/v1/rotation", json={"enabled": True, "members": [active, gone]})
        unknown = await http.put("/v1/rotation", json={"enabled": True, "members": [stranger, active]})
        foreign = await http.put("/v1/rotation", json={"enabled": True, "members": [str(account.account_id)]})
        after = await http.get("/v1/rotation")
        lead = await create(http)

    refused(inactive, 422, "validation_failed", "members[1]")
    refused(unknown, 422, "validation_failed", "members[0]")
    refused(foreign, 422, "validation_failed")
    assert after.status_code == 200 and after.json()["enabled"] is False  # nothing was written
    assert lead["assigned_to"] is None


async def test_leads_without_team_or_assignee_take_turns_of_the_account_rotation(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        first, _ = await new_user(http)
        second, _ = await new_user(http)
        await http.put("/v1/rotation", json={"enabled": True, "members": [first, second]})
        leads = [await create(http) for _ in range(4)]
        named = await create(http, assigned_to=str(account.user_id))
        events = await events_of(http, leads[0]["id"])

    picked = [lead["assigned_to"] for lead in leads]
    assert set(picked) == {first, second}
    assert all(a != b for a, b in pairwise(picked)), picked  # alternately
    assert named["assigned_to"] == str(account.user_id)
    assigned = [e["data"] for e in events if e["type"] == "LeadAssigned"]
    assert assigned == [{"from": None, "to": picked[0], "by_rotation": True}]


async def test_a_disabled_account_rotation_assigns_nobody(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        first, _ = await new_user(http)
        before = await create(http)
        await http.put("/v1/rotation", json={"enabled": False, "members": [first]})
        disabled = await create(http)
        await http.put("/v1/rotation", json={"enabled": True, "members": [first]})
        enabled = await create(http)
        await http.put("/v1/rotation", json={"enabled": False, "members": [first]})
        disabled_again = await create(http)

    assert before["assigned_to"] is None and disabled["assigned_to"] is None
    assert enabled["assigned_to"] == first and disabled_again["assigned_to"] is None


async def test_the_account_rotation_does_not_apply_to_leads_of_a_team(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        first, _ = await new_user(http)
        await http.put("/v1/rotation", json={"enabled": True, "members": [first]})
        quiet = await new_team(http)  # a team that does not rotate
        lead = await create(http, team_id=quiet)

    assert lead["assigned_to"] is None


async def test_concurrent_creates_share_the_account_rotation_fairly(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        first, _ = await new_user(http)
        second, _ = await new_user(http)
        await http.put("/v1/rotation", json={"enabled": True, "members": [first, second]})
        created = await asyncio.gather(*(http.post("/v1/leads", json={"first_name": f"R{i}"}) for i in range(20)))

    assert {r.status_code for r in created} == {201}, [r.text for r in created if r.status_code != 201]
    assert Counter(r.json()["assigned_to"] for r in created) == {first: 10, second: 10}


# 7. The seeds' spellings and a conversion by PATCH.


async def test_a_lead_can_be_created_from_a_company_id_alone(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        created = await http.post("/v1/leads", json={"company_id": "c-1", "notes": "from the seed"})

    assert created.status_code == 201, created.text
    assert (created.json()["company_id"], created.json()["notes"]) == ("c-1", "from the seed")


async def test_patching_a_won_status_converts_the_lead(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        plain = await create(http, company_id="c-1", notes="seed 004")
        with_customer = await create(http)
        won = await http.patch(f"/v1/leads/{plain['id']}", json={"status": "converted"})
        won_with_customer = await http.patch(
            f"/v1/leads/{with_customer['id']}", json={"status": "converted", "customer_id": "cus_7"}
        )
        plain_events = await events_of(http, plain["id"])
        customer_events = await events_of(http, with_customer["id"])

    assert won.status_code == 200, won.text
    body = won.json()
    assert (body["status"], body["is_converted"], body["customer_id"]) == ("converted", True, None)
    assert body["converted_at"] is not None
    assert [e["type"] for e in plain_events] == ["LeadCreated", "LeadConverted"]
    assert won_with_customer.status_code == 200, won_with_customer.text
    assert (won_with_customer.json()["customer_id"], won_with_customer.json()["is_converted"]) == ("cus_7", True)
    assert customer_events[-1]["type"] == "LeadConverted" and customer_events[-1]["data"]["customer_id"] == "cus_7"


async def test_patching_a_won_status_on_a_converted_or_lost_lead_is_refused(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        converted, lost = await create(http), await create(http)
        converted = (await http.post(f"/v1/leads/{converted['id']}/convert")).json()
        lost = (await http.patch(f"/v1/leads/{lost['id']}", json={"status": "lost"})).json()
        twice = await http.patch(f"/v1/leads/{converted['id']}", json={"status": "converted"})
        from_lost = await http.patch(f"/v1/leads/{lost['id']}", json={"status": "converted"})
        after = [await lead_of(http, converted["id"]), await lead_of(http, lost["id"])]

    refused(twice, 409, "already_converted")
    refused(from_lost, 409, "invalid_transition")
    assert after == [converted, lost]


async def test_a_top_level_custom_member_sets_the_custom_field(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        await new_field(http, "budget", "number")
        created = await http.post("/v1/leads", json={"first_name": "Close", "custom.budget": 5})
        lead_id = created.json().get("id")
        patched = await http.patch(f"/v1/leads/{lead_id}", json={"custom.budget": 9})

    assert created.status_code == 201, created.text
    assert created.json()["custom"] == {"budget": 5}
    assert patched.status_code == 200, patched.text
    assert patched.json()["custom"] == {"budget": 9}


async def test_an_unknown_top_level_custom_member_is_refused(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        await new_field(http, "budget", "number")
        lead = await create(http)
        created = await http.post("/v1/leads", json={"first_name": "Close", "custom.nope": 1})
        patched = await http.patch(f"/v1/leads/{lead['id']}", json={"custom.nope": 1})
        wrong_type = await http.patch(f"/v1/leads/{lead['id']}", json={"custom.budget": "lots"})
        after = await lead_of(http, lead["id"])

    refused(created, 422, "validation_failed", "custom.nope")
    refused(patched, 422, "validation_failed", "custom.nope")
    refused(wrong_type, 422, "validation_failed", "custom.budget")
    assert after == lead


# Concurrency of the writes above.


async def test_thirty_concurrent_patches_to_one_lead_are_each_one_event(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        lead = await create(http)
        path = f"/v1/leads/{lead['id']}"
        bodies = [{"notes": f"note {i}"} if i % 2 else {"score": i + 1} for i in range(30)]
        responses = await asyncio.gather(*(http.patch(path, json=body) for body in bodies))
        events = await events_of(http, lead["id"])
        final = await lead_of(http, lead["id"])

    assert {r.status_code for r in responses} == {200}, [r.text for r in responses if r.status_code != 200]
    assert [e["version"] for e in events] == list(range(1, 32))
    assert final["version"] == 31
    assert sorted(int(r.headers["etag"].strip('"')) for r in responses) == list(range(2, 32))


async def test_concurrent_conversions_by_patch_convert_once(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        lead = await create(http)
        path = f"/v1/leads/{lead['id']}"
        responses = await asyncio.gather(
            *(http.patch(path, json={"status": "converted", "customer_id": f"cus_{i}"}) for i in range(10))
        )
        events = await events_of(http, lead["id"])

    assert Counter(r.status_code for r in responses) == {200: 1, 409: 9}, [r.text for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"already_converted"}
    assert [e["type"] for e in events] == ["LeadCreated", "LeadConverted"]


async def test_racing_conversions_and_reopenings_leave_the_lead_as_its_log_says(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        lead = await create(http)
        path = f"/v1/leads/{lead['id']}"
        writes = [
            http.post(f"{path}/convert", json={"customer_id": f"cus_{i}"})
            if i % 2 == 0
            else http.patch(path, json={"status": "contacted"})
            for i in range(20)
        ]
        responses = await asyncio.gather(*writes)
        events = await events_of(http, lead["id"])
        final = await lead_of(http, lead["id"])

    assert {r.status_code for r in responses} <= {200, 409}, [r.text for r in responses if r.status_code >= 500]
    assert [e["version"] for e in events] == list(range(1, len(events) + 1))
    conversions = [e for e in events if e["type"] == "LeadConverted"]
    reopenings = [e for e in events if e["type"] == "LeadStatusChanged" and e["data"].get("reopened_from_won")]
    assert len(conversions) >= 1 and len(conversions) - len(reopenings) in (0, 1)
    is_converted = len(conversions) > len(reopenings)
    assert final["is_converted"] is is_converted
    assert final["customer_id"] == (conversions[-1]["data"]["customer_id"] if is_converted else None)


# 8. Two API processes over one database, each with its own container.


@pytest.fixture(scope="module")
async def second_api(database_url: str) -> AsyncIterator[str]:
    """Another API process's base URL: its own container (pool, caches) over the same database."""
    other = await bootstrap(Settings(database_url=database_url, nats_url="", pool_max_size=10))
    try:
        async with serve(other) as url:
            yield url
    finally:
        await other.close()


async def test_a_key_revoked_in_one_process_is_refused_by_another(
    api: str, second_api: str, account: NewAccount
) -> None:
    async with client(api, account.api_key) as first:
        issued = (await first.post("/v1/api-keys", json={"name": "doomed"})).json()
        async with client(second_api, issued["key"]) as second:
            warm_read = await second.get("/v1/leads")  # the second process has seen the key work
            warm_write = await second.post("/v1/leads", json={"first_name": "Before"})
            revoked = await first.post(f"/v1/api-keys/{issued['id']}/revoke")
            write = await second.post("/v1/leads", json={"first_name": "After"})
            patch = await second.patch(f"/v1/leads/{warm_write.json()['id']}", json={"notes": "after"})
            await asyncio.sleep(PrincipalCache().ttl)  # the longest a process reads on a key it checked before
            read = await second.get("/v1/leads")

    assert warm_read.status_code == 200 and warm_write.status_code == 201
    assert revoked.status_code == 200, revoked.text
    refused(write, 401, "unauthorized")
    refused(patch, 401, "unauthorized")
    refused(read, 401, "unauthorized")


async def test_a_user_deactivated_in_one_process_is_refused_by_another(
    api: str, second_api: str, account: NewAccount
) -> None:
    async with client(api, account.api_key) as first, client(second_api, account.api_key) as second:
        user, key = await new_user(first)
        lead = await create(second)
        warm = await second.post(f"/v1/leads/{lead['id']}/assign", json={"assigned_to": user})
        await second.post(f"/v1/leads/{lead['id']}/assign", json={"assigned_to": None})
        async with client(second_api, key) as as_user:
            before = await as_user.get("/v1/leads")
            deactivated = await first.post(f"/v1/users/{user}/deactivate")
            write_as_user = await as_user.post("/v1/leads", json={"first_name": "Ghost"})
        assigned = await second.post(f"/v1/leads/{lead['id']}/assign", json={"assigned_to": user})
        patched = await second.patch(f"/v1/leads/{lead['id']}", json={"assigned_to": user})
        created = await second.post("/v1/leads", json={"first_name": "X", "assigned_to": user})
        after = await lead_of(second, lead["id"])

    assert warm.status_code == 200 and before.status_code == 200
    assert deactivated.status_code == 200 and deactivated.json()["active"] is False
    refused(write_as_user, 401, "unauthorized")
    for response in (assigned, patched, created):
        refused(response, 422, "validation_failed", "assigned_to")
        assert field_codes(response)["assigned_to"] == "unknown_user"
    assert after["assigned_to"] is None


async def test_a_custom_field_created_in_one_process_is_usable_at_once_in_another(
    api: str, second_api: str, account: NewAccount
) -> None:
    async with client(api, account.api_key) as first, client(second_api, account.api_key) as second:
        lead = await create(second, custom={})  # the second process has read the account's rules
        await new_field(first, "budget", "number")
        created = await second.post("/v1/leads", json={"first_name": "B", "custom": {"budget": 3}})
        patched = await second.patch(f"/v1/leads/{lead['id']}", json={"custom": {"budget": 4}})
        await new_field(first, "must", "text", required=True)
        missing = await second.post("/v1/leads", json={"first_name": "M"})

    assert created.status_code == 201, created.text
    assert created.json()["custom"] == {"budget": 3}
    assert patched.status_code == 200, patched.text
    assert patched.json()["custom"] == {"budget": 4}
    refused(missing, 422, "validation_failed", "custom.must")


async def test_a_user_created_in_one_process_can_be_assigned_at_once_in_another(
    api: str, second_api: str, account: NewAccount
) -> None:
    async with client(api, account.api_key) as first, client(second_api, account.api_key) as second:
        lead = await create(second)  # the second process has read the account's users
        user, _ = await new_user(first)
        assigned = await second.post(f"/v1/leads/{lead['id']}/assign", json={"assigned_to": user})
        created = await second.post("/v1/leads", json={"first_name": "N", "assigned_to": user})

    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["assigned_to"] == user
    assert created.status_code == 201, created.text
    assert created.json()["assigned_to"] == user


async def test_a_rotation_set_in_one_process_is_followed_at_once_by_another(
    api: str, second_api: str, account: NewAccount
) -> None:
    async with client(api, account.api_key) as first, client(second_api, account.api_key) as second:
        user, _ = await new_user(first)
        unassigned = await create(second)
        await first.put("/v1/rotation", json={"enabled": True, "members": [user]})
        rotated = await create(second)

    assert unassigned["assigned_to"] is None and rotated["assigned_to"] == user
