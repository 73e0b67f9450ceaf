"""Access and failure over HTTP: authentication, tenancy, roles, team rules, and bad requests that write nothing."""

from __future__ import annotations

import base64
from uuid import UUID

import httpx

from leadstore.bootstrap import Container
from leadstore.http.testing import add_user
from leadstore.store.accounts import NewAccount, create_account
from tests.integration.helpers import assert_problem, client, create, events_of

JSON = {"Content-Type": "application/json"}


async def test_bad_requests_get_problem_details_and_write_nothing(
    api: str, container: Container, account: NewAccount
) -> None:
    async with client(api, account.api_key) as http:
        lead = await create(http, email="taken@example.com")
        written = await events_of(container, account)
        responses = {
            "malformed": await http.post("/v1/leads", content=b'{"first_name": ', headers=JSON),
            "deep": await http.post(
                "/v1/leads", content=b'{"custom": ' + b"[" * 5000 + b"]" * 5000 + b"}", headers=JSON
            ),
            "not_json": await http.post(
                "/v1/leads", content=b'{"first_name": "A"}', headers={"Content-Type": "text/plain"}
            ),
            "untyped": await http.post("/v1/leads", content=b'{"first_name": "A"}'),
            "array": await http.post("/v1/leads", json=[1]),
            "empty": await http.post("/v1/leads", json={}),
            "fields": await http.post("/v1/leads", json={"first_name": "x" * 256, "emial": "a@b.c", "id": "x"}),
            "duplicate": await http.post("/v1/leads", json={"email": "TAKEN@example.com"}),
            "too_large": await http.post("/v1/leads", json={"notes": "x" * 300_000}),
            "unknown_lead": await http.get(f"/v1/leads/{UUID(int=7)}"),
            "not_a_uuid": await http.patch("/v1/leads/123", json={}),
            "method": await http.delete(f"/v1/leads/{lead['id']}"),
            "bad_key_header": await http.post("/v1/leads", json={"first_name": "A"}, headers={"Idempotency-Key": ""}),
        }

    assert_problem(responses["malformed"], 400, "validation_failed", "body")
    assert_problem(responses["deep"], 400, "validation_failed", "body")
    assert_problem(responses["array"], 422, "validation_failed", "body")
    assert_problem(responses["not_json"], 415, "unsupported_media_type")
    assert_problem(responses["untyped"], 415, "unsupported_media_type")
    assert_problem(responses["empty"], 422, "validation_failed", "first_name")
    assert_problem(responses["fields"], 422, "validation_failed", "first_name", "emial", "id")
    assert_problem(responses["duplicate"], 409, "duplicate_email", "email")
    assert_problem(responses["too_large"], 413, "payload_too_large")
    assert_problem(responses["unknown_lead"], 404, "not_found")
    assert_problem(responses["not_a_uuid"], 404, "not_found")
    assert_problem(responses["method"], 405, "method_not_allowed")
    assert_problem(responses["bad_key_header"], 422, "validation_failed", "Idempotency-Key")
    assert await events_of(container, account) == written


async def test_team_and_source_rules(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        team = (await http.post("/v1/teams", json={"name": "Inbound"})).json()
        await http.post("/v1/sources", json={"key": "inbound_form", "label": "Form", "team_id": team["id"]})
        no_team = await http.post("/v1/leads", json={"first_name": "A"})
        wrong_source = await http.post("/v1/leads", json={"first_name": "A", "team_id": team["id"], "source": "other"})
        right = await http.post("/v1/leads", json={"first_name": "A", "team_id": team["id"], "source": "inbound_form"})
        lifted = await http.post("/v1/leads", params={"skip_team_requirement": "true"}, json={"first_name": "A"})

    assert_problem(no_team, 422, "team_required", "team_id")
    assert_problem(wrong_source, 422, "source_required", "source")
    assert right.status_code == 201 and lifted.status_code == 201


async def test_authentication_and_the_account_header(api: str, container: Container, account: NewAccount) -> None:
    lead_path = f"/v1/leads/{UUID(int=1)}"
    async with httpx.AsyncClient(base_url=api) as anonymous:
        missing = await anonymous.get("/v1/leads")
        unknown = await anonymous.get("/v1/leads", headers={"Authorization": "Bearer lsk_nope"})
        basic = await anonymous.get("/v1/leads", headers={"Authorization": f"Basic {account.api_key}"})
        write = await anonymous.post("/v1/leads", json={"first_name": "A"})
    async with client(api, account.api_key) as http:
        other = await http.get("/v1/leads", headers={"X-Account-Id": str(UUID(int=5))})
        garbage = await http.get(lead_path, headers={"X-Account-Id": "acme"})
        own = await http.get("/v1/leads", headers={"X-Account-Id": str(account.account_id)})

    for response in (missing, unknown, basic, write):
        assert_problem(response, 401, "unauthorized")
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert_problem(other, 403, "forbidden")
    assert_problem(garbage, 403, "forbidden")
    assert own.status_code == 200


async def test_basic_authentication_takes_the_key_as_user_name_with_an_empty_password(
    api: str, account: NewAccount
) -> None:
    def basic(user_and_password: str) -> dict[str, str]:
        return {"Authorization": "Basic " + base64.b64encode(user_and_password.encode()).decode()}

    async with httpx.AsyncClient(base_url=api) as anonymous:
        read = await anonymous.get("/v1/leads", headers=basic(f"{account.api_key}:"))
        written = await anonymous.post("/v1/leads", json={"first_name": "Basic"}, headers=basic(f"{account.api_key}:"))
        with_password = await anonymous.get("/v1/leads", headers=basic(f"{account.api_key}:secret"))
        unknown = await anonymous.get("/v1/leads", headers=basic("lsk_nope:"))
        no_colon = await anonymous.get("/v1/leads", headers=basic(account.api_key))

    assert read.status_code == 200 and written.status_code == 201, (read.text, written.text)
    for refused in (with_password, unknown, no_colon):
        assert_problem(refused, 401, "unauthorized")


async def test_accounts_never_see_each_others_leads(api: str, container: Container, account: NewAccount) -> None:
    async with container.pool.acquire() as conn:
        stranger = await create_account(conn, "stranger", "s@example.com")
    async with client(api, account.api_key) as mine, client(api, stranger.api_key) as theirs:
        lead = await create(mine)
        path = f"/v1/leads/{lead['id']}"
        responses = [
            await theirs.get(path),
            await theirs.get(f"{path}/events"),
            await theirs.patch(path, json={"notes": "x"}),
            await theirs.post(f"{path}/archive"),
            await theirs.post(f"{path}/convert"),
        ]
        still = await mine.get(path)

    for response in responses:
        assert_problem(response, 404, "not_found")
    assert still.json() == lead


async def test_members_see_only_their_leads_and_managers_all(
    api: str, container: Container, account: NewAccount
) -> None:
    member, member_key = await add_user(container, account.account_id, "member")
    _, manager_key = await add_user(container, account.account_id, "manager")
    async with client(api, account.api_key) as admin, client(api, member_key) as as_member:
        others = await create(admin)
        assigned = await create(admin, assigned_to=str(member))
        own = await create(as_member, first_name="Mine")
        hidden = await as_member.get(f"/v1/leads/{others['id']}")
        hidden_patch = await as_member.patch(f"/v1/leads/{others['id']}", json={"notes": "x"})
        seen = await as_member.get(f"/v1/leads/{assigned['id']}")
        config = await as_member.get("/v1/statuses")
        feed = await as_member.get("/v1/events")
        await as_member.patch(f"/v1/leads/{own['id']}", json={"status": "lost"})
        reopen = await as_member.patch(f"/v1/leads/{own['id']}", json={"status": "new"})
    async with client(api, manager_key) as as_manager:
        manager_sees = await as_manager.get(f"/v1/leads/{others['id']}")
        manager_config = await as_manager.get("/v1/users")

    assert_problem(hidden, 404, "not_found")
    assert_problem(hidden_patch, 404, "not_found")
    assert seen.status_code == 200 and own["created_by"] == str(member)
    assert config.status_code == 200  # every role reads the pipeline, to discover valid keys
    assert_problem(feed, 403, "forbidden")
    assert_problem(reopen, 409, "invalid_transition")
    assert manager_sees.status_code == 200
    assert manager_config.status_code == 200 and "email" not in manager_config.json()["data"][0]


async def test_health_and_readiness_need_no_key(api: str) -> None:
    async with httpx.AsyncClient(base_url=api) as anonymous:
        health, ready = await anonymous.get("/health"), await anonymous.get("/ready")

    assert health.json() == {"status": "ok"}
    lead_list = ready.json()["projections"]["lead_list"]
    assert ready.status_code == 200 and isinstance(lead_list["lag_events"], int) and lead_list["checkpoint"]


async def test_an_unknown_query_parameter_is_refused_on_every_write_and_configuration_endpoint(
    api: str, account: NewAccount
) -> None:
    async with client(api, account.api_key) as http:
        lead = await create(http)
        path = f"/v1/leads/{lead['id']}"
        answers = [
            await http.post(f"{path}/assign?rotaton=true", json={"assigned_to": None}),
            await http.post(f"{path}/convert?dry_run=1", json={}),
            await http.post(f"{path}/archive?force=1", json={}),
            await http.post(f"{path}/restore?force=1", json={}),
            await http.get("/v1/statuses?kind=open"),
            await http.post("/v1/sources?team=x", json={"key": "typo", "label": "Typo"}),
            await http.get("/v1/users?role=admin"),
            await http.get("/v1/rotation?verbose=1"),
        ]
        after = await http.get(path)

    for answer in answers:
        assert_problem(answer, 422, "validation_failed")
        assert answer.json()["errors"][0]["code"] == "unknown_field"
    assert after.json()["version"] == lead["version"]  # none of the writes happened
