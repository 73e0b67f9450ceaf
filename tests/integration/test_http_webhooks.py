"""The webhook endpoints' API (issue 12): admins create, read, change, delete and rotate endpoints, read the
delivery log and ask for replays; every change is an event of the account, and no secret leaves but once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from uuid import UUID

import pytest

from leadstore.bootstrap import Container, bootstrap
from leadstore.http.testing import add_user, serve
from leadstore.store.accounts import NewAccount, create_account
from leadstore.webhooks.secrets import PREFIX, SecretBox
from tests.integration.helpers import assert_problem, client, create

HOOK = {"url": "http://127.0.0.1:9/hooks", "event_types": ["LeadCreated", "StatusCreated"], "description": "CRM"}
ACCOUNT_EVENTS = "SELECT type, version, data FROM events WHERE stream_id = $1 ORDER BY version"
SEALED = "SELECT id, secret, previous_secret, previous_expires_at, replay_after FROM webhooks WHERE id = $1"
EVENTS_OF = """
SELECT event_id, stream_id, version, transaction_id, position FROM events
WHERE account_id = $1 AND stream_type = 'lead' ORDER BY transaction_id, position"""
ADD_DELIVERY = """
INSERT INTO webhook_deliveries (webhook_id, event_id, stream_id, version, transaction_id, position, state, attempts,
                                last_status, last_error, delivered_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, CASE WHEN $7 = 'delivered' THEN now() END)"""


async def account_stream(container: Container, account_id: UUID) -> list[dict[str, Any]]:
    async with container.pool.acquire() as conn:
        return [dict(row) for row in await conn.fetch(ACCOUNT_EVENTS, account_id)]


async def stored(container: Container, webhook_id: str) -> dict[str, Any]:
    async with container.pool.acquire() as conn:
        row = await conn.fetchrow(SEALED, UUID(webhook_id))
    assert row is not None
    return dict(row)


async def test_an_endpoint_is_created_with_its_secret_once_listed_read_changed_and_deleted(
    api: str, container: Container, account: NewAccount
) -> None:
    async with client(api, account.api_key) as http:
        created = await http.post("/v1/webhooks", json=HOOK)
        hook = created.json()
        listed = (await http.get("/v1/webhooks")).json()
        read = await http.get(f"/v1/webhooks/{hook['id']}")
        changed = await http.patch(f"/v1/webhooks/{hook['id']}", json={"event_types": ["*"], "description": None})
        unchanged = await http.patch(f"/v1/webhooks/{hook['id']}", json={"event_types": ["*"]})
        deleted = await http.delete(f"/v1/webhooks/{hook['id']}")
        after = [await http.request(m, f"/v1/webhooks/{hook['id']}", json={}) for m in ("GET", "PATCH", "DELETE")]
        gone = (await http.get("/v1/webhooks")).json()["data"]

    assert created.status_code == 201, created.text
    assert hook["secret"].startswith(PREFIX) and hook["object"] == "webhook"
    assert {k: hook[k] for k in HOOK} == HOOK
    assert (hook["active"], hook["disabled_reason"], hook["disabled_at"]) == (True, None, None)
    assert [item["id"] for item in listed["data"]] == [hook["id"]] and "secret" not in listed["data"][0]
    assert read.status_code == 200 and "secret" not in read.json()
    assert read.json() == {k: v for k, v in hook.items() if k not in ("secret", "previous_secret_expires_at")}
    assert changed.json()["event_types"] == ["*"] and changed.json()["description"] is None
    assert unchanged.status_code == 200 and deleted.status_code == 204
    assert [r.status_code for r in after] == [404, 404, 404] and gone == []

    row = await stored(container, hook["id"])
    assert container.secrets is not None and PREFIX.encode() not in row["secret"]
    assert container.secrets.open(row["id"], row["secret"]) == hook["secret"]
    events = (await account_stream(container, account.account_id))[3:]
    assert [e["type"] for e in events] == ["WebhookCreated", "WebhookUpdated", "WebhookDeleted"]
    assert events[0]["data"] == {"webhook_id": hook["id"], "active": True, **HOOK}
    assert events[1]["data"]["changes"] == {
        "event_types": {"from": HOOK["event_types"], "to": ["*"]},
        "description": {"from": "CRM", "to": None},
    }


async def test_a_rotated_secret_is_new_and_the_old_one_signs_for_24_hours_and_no_event_holds_either(
    api: str, container: Container, account: NewAccount
) -> None:
    async with client(api, account.api_key) as http:
        hook = (await http.post("/v1/webhooks", json=HOOK)).json()
        rotated = await http.post(f"/v1/webhooks/{hook['id']}/rotate-secret")
        feed = (await http.get("/v1/events", params={"limit": 1000})).text

    assert rotated.status_code == 200, rotated.text
    secret = rotated.json()["secret"]
    assert secret.startswith(PREFIX) and secret != hook["secret"]
    row = await stored(container, hook["id"])
    assert container.secrets is not None
    assert container.secrets.open(row["id"], row["secret"]) == secret
    assert container.secrets.open(row["id"], row["previous_secret"]) == hook["secret"]
    assert rotated.json()["previous_secret_expires_at"].replace("+00:00", "Z").endswith("Z")
    created_at = datetime.fromisoformat(hook["created_at"].replace("Z", "+00:00"))
    hours = (row["previous_expires_at"] - created_at).total_seconds() / 3600
    assert 23.9 < hours < 24.1
    events = await account_stream(container, account.account_id)
    assert events[-1]["type"] == "WebhookSecretRotated"
    assert "whsec" not in feed and hook["secret"][6:] not in feed and secret[6:] not in feed


async def test_bad_endpoints_are_refused_listing_every_bad_field_and_write_nothing(
    api: str, container: Container, account: NewAccount
) -> None:
    async with client(api, account.api_key) as http:
        bad = await http.post(
            "/v1/webhooks",
            json={"url": "ftp://example.com/x", "event_types": ["LeadCreated", "LeadExploded"], "extra": 1},
        )
        star = await http.post("/v1/webhooks", json={"url": HOOK["url"], "event_types": ["*", "LeadCreated"]})
        empty = await http.post("/v1/webhooks", json={"url": HOOK["url"], "event_types": []})
        long = await http.post("/v1/webhooks", json={"url": "https://a.example/" + "x" * 2048, "event_types": ["*"]})
        credentials = await http.post("/v1/webhooks", json={"url": "https://u:p@a.example/", "event_types": ["*"]})
        query = await http.get("/v1/webhooks", params={"limit": 5})
        hook = (await http.post("/v1/webhooks", json=HOOK)).json()
        patch = await http.patch(f"/v1/webhooks/{hook['id']}", json={"url": "nothing", "secret": "x"})
        not_a_uuid = await http.get("/v1/webhooks/nope")

    problem = assert_problem(bad, 422, "validation_failed", "url", "event_types", "extra")
    assert {e["code"] for e in problem["errors"]} == {"invalid", "unknown_event_type", "unknown_field"}
    assert_problem(star, 422, "validation_failed", "event_types")
    assert_problem(empty, 422, "validation_failed", "event_types")
    assert_problem(long, 422, "validation_failed", "url")
    assert_problem(credentials, 422, "validation_failed", "url")
    assert_problem(query, 422, "validation_failed", "limit")
    assert_problem(patch, 422, "validation_failed", "url", "secret")
    assert not_a_uuid.status_code == 404
    types = [e["type"] for e in await account_stream(container, account.account_id)]
    assert types.count("WebhookCreated") == 1 and "WebhookUpdated" not in types


async def test_webhooks_are_for_admins_of_their_own_account(
    api: str, container: Container, account: NewAccount
) -> None:
    _, manager_key = await add_user(container, account.account_id, "manager")
    async with container.pool.acquire() as conn:
        other = await create_account(conn, "other", "admin@other.example")
    async with client(api, account.api_key) as http:
        hook = (await http.post("/v1/webhooks", json=HOOK)).json()
    path = f"/v1/webhooks/{hook['id']}"
    routes = [
        ("GET", "/v1/webhooks", None),
        ("POST", "/v1/webhooks", HOOK),
        ("GET", path, None),
        ("PATCH", path, {"active": False}),
        ("POST", f"{path}/rotate-secret", None),
        ("GET", f"{path}/deliveries", None),
        ("POST", f"{path}/replay", {"after": "0.0"}),
        ("DELETE", path, None),
    ]
    async with client(api, manager_key) as manager, client(api, other.api_key) as stranger:
        for method, route, body in routes:
            assert_problem(await manager.request(method, route, json=body), 403, "forbidden")
            if route != "/v1/webhooks":
                assert_problem(await stranger.request(method, route, json=body), 404, "not_found")
        assert (await stranger.get("/v1/webhooks")).json()["data"] == []
    assert (await stored(container, hook["id"]))["replay_after"] is None


async def test_reenabling_a_disabled_endpoint_clears_why_it_was_disabled(
    api: str, container: Container, account: NewAccount
) -> None:
    async with client(api, account.api_key) as http:
        hook = (await http.post("/v1/webhooks", json=HOOK)).json()
        async with container.pool.acquire() as conn:  # what the webhook worker does after 3 days of failures
            await conn.execute(
                "UPDATE webhooks SET active = false, disabled_reason = 'failing for 3 days', disabled_at = now() "
                "WHERE id = $1",
                UUID(hook["id"]),
            )
        disabled = (await http.get(f"/v1/webhooks/{hook['id']}")).json()
        enabled = (await http.patch(f"/v1/webhooks/{hook['id']}", json={"active": True})).json()

    assert (disabled["active"], disabled["disabled_reason"]) == (False, "failing for 3 days")
    assert disabled["disabled_at"] is not None
    assert (enabled["active"], enabled["disabled_reason"], enabled["disabled_at"]) == (True, None, None)
    event = (await account_stream(container, account.account_id))[-1]
    assert event["type"] == "WebhookUpdated"
    assert event["data"]["changes"] == {
        "active": {"from": False, "to": True},
        "disabled_reason": {"from": "failing for 3 days", "to": None},
    }


async def test_the_delivery_log_is_newest_first_filtered_by_state_and_paged(
    api: str, container: Container, account: NewAccount
) -> None:
    async with client(api, account.api_key) as http:
        hook = (await http.post("/v1/webhooks", json=HOOK)).json()
        for _ in range(5):
            await create(http)
        async with container.pool.acquire() as conn:
            events = await conn.fetch(EVENTS_OF, account.account_id)
            for i, e in enumerate(events):
                state, status, error = [
                    ("delivered", 200, None),
                    ("pending", 500, "HTTP 500"),
                    ("failed", 410, "HTTP 410"),
                ][i % 3]
                await conn.execute(
                    ADD_DELIVERY,
                    UUID(hook["id"]),
                    e["event_id"],
                    e["stream_id"],
                    e["version"],
                    e["transaction_id"],
                    e["position"],
                    state,
                    i % 3 + 1,
                    status,
                    error,
                )
        path = f"/v1/webhooks/{hook['id']}/deliveries"
        first = (await http.get(path, params={"limit": 2})).json()
        second = (await http.get(path, params={"limit": 2, "after": first["next_cursor"]})).json()
        rest = (await http.get(path, params={"after": second["next_cursor"]})).json()
        pending = (await http.get(path, params={"state": "pending"})).json()["data"]
        unknown = await http.get(path, params={"limt": 3})
        bad = await http.get(path, params={"state": "lost"})
        bad_cursor = await http.get(path, params={"after": "x"})
        too_many = await http.get(path, params={"limit": 1001})

    newest_first = [e["event_id"] for e in reversed(events)]
    paged = first["data"] + second["data"] + rest["data"]
    assert [UUID(d["event_id"]) for d in paged] == newest_first
    assert (first["has_more"], rest["has_more"]) == (True, False)
    top = paged[0]
    assert top["lead_id"] == str(events[-1]["stream_id"]) and top["version"] == 1
    assert top["position"] == f"{events[-1]['transaction_id']}.{events[-1]['position']}"
    assert {"state", "attempts", "last_status", "last_error", "next_attempt_at", "delivered_at"} <= top.keys()
    assert [d["state"] for d in pending] == ["pending"] * len(pending) and len(pending) == 2
    assert all(d["last_status"] == 500 and d["last_error"] == "HTTP 500" for d in pending)
    assert_problem(unknown, 422, "validation_failed", "limt")
    assert_problem(bad, 422, "validation_failed", "state")
    assert_problem(bad_cursor, 422, "validation_failed", "after")
    assert_problem(too_many, 422, "validation_failed", "limit")


async def test_a_replay_is_recorded_with_its_position_and_refused_beyond_the_head(
    api: str, container: Container, account: NewAccount
) -> None:
    async with client(api, account.api_key) as http:
        hook = (await http.post("/v1/webhooks", json=HOOK)).json()
        lead = await http.post("/v1/leads", json={"first_name": "Ann"})
        token = lead.headers["leadstore-position"]
        path = f"/v1/webhooks/{hook['id']}/replay"
        replayed = await http.post(path, json={"after": token})
        malformed = await http.post(path, json={"after": "12"})
        beyond = await http.post(path, json={"after": "999999999999.1"})
        missing = await http.post(path, json={})

    assert replayed.status_code == 202, replayed.text
    assert replayed.json() == {"object": "webhook_replay", "webhook_id": hook["id"], "after": token}
    assert (await stored(container, hook["id"]))["replay_after"] == token
    assert_problem(malformed, 422, "validation_failed", "after")
    assert_problem(beyond, 422, "validation_failed", "after")
    assert_problem(missing, 422, "validation_failed", "after")
    events = await account_stream(container, account.account_id)
    assert [e["type"] for e in events].count("WebhookReplayRequested") == 1
    assert events[-1]["data"] == {"webhook_id": hook["id"], "after": token}


async def test_concurrent_creates_and_changes_are_all_events_of_contiguous_versions(
    api: str, container: Container, account: NewAccount
) -> None:
    async with client(api, account.api_key) as http:
        hook = (await http.post("/v1/webhooks", json=HOOK)).json()
        creates = [http.post("/v1/webhooks", json=HOOK | {"description": f"n{i}"}) for i in range(10)]
        patches = [http.patch(f"/v1/webhooks/{hook['id']}", json={"description": f"p{i}"}) for i in range(10)]
        answers = await asyncio.gather(*creates, *patches)

    assert [a.status_code for a in answers] == [201] * 10 + [200] * 10
    events = await account_stream(container, account.account_id)
    assert [e["version"] for e in events] == list(range(1, len(events) + 1))
    created = {e["data"]["webhook_id"] for e in events if e["type"] == "WebhookCreated"}
    assert created == {hook["id"], *(a.json()["id"] for a in answers[:10])}
    updates = [e["data"]["changes"]["description"] for e in events if e["type"] == "WebhookUpdated"]
    assert len(updates) == 10  # each one changed what the one before it left
    assert [u["from"] for u in updates[1:]] == [u["to"] for u in updates[:-1]]


@pytest.fixture(scope="module")
async def strict_api(database_url: str) -> AsyncIterator[str]:
    """The API of a deployment that allows no private addresses, as production is by default."""
    from leadstore.settings import Settings

    settings = Settings(
        database_url=database_url,
        nats_url="",
        rate_limit_per_second=0,
        auth_failures_per_minute=0,
        secrets_key=SecretBox.generate_key(),
    )
    built = await bootstrap(settings, projections=[])
    try:
        async with serve(built) as url:
            yield url
    finally:
        await built.close()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://localhost/hook",
        "https://10.1.2.3/hook",
        "http://[::1]/hook",
    ],
)
async def test_endpoints_at_private_addresses_are_refused_unless_the_deployment_allows_them(
    strict_api: str, container: Container, account: NewAccount, url: str
) -> None:
    async with client(strict_api, account.api_key) as http:
        refused = await http.post("/v1/webhooks", json={"url": url, "event_types": ["*"]})
        hook = (await http.post("/v1/webhooks", json={"url": "https://93.184.215.14/", "event_types": ["*"]})).json()
        moved = await http.patch(f"/v1/webhooks/{hook['id']}", json={"url": url})

    problem = assert_problem(refused, 422, "validation_failed", "url")
    assert problem["errors"][0]["code"] == "private_address"
    assert assert_problem(moved, 422, "validation_failed", "url")["errors"][0]["code"] == "private_address"
    types = [e["type"] for e in await account_stream(container, account.account_id)]
    assert types.count("WebhookCreated") == 1 and "WebhookUpdated" not in types


async def test_without_a_secrets_key_creating_an_endpoint_is_unavailable_and_writes_nothing(
    database_url: str, container: Container, account: NewAccount
) -> None:
    from leadstore.settings import Settings

    settings = Settings(database_url=database_url, nats_url="", rate_limit_per_second=0, auth_failures_per_minute=0)
    built = await bootstrap(settings, projections=[])
    try:
        assert built.secrets is None
        async with serve(built) as url, client(url, account.api_key) as http:
            refused = await http.post("/v1/webhooks", json=HOOK)
    finally:
        await built.close()
    problem = assert_problem(refused, 503, "unavailable")
    assert "LEADSTORE_SECRETS_KEY" in problem["detail"]
    assert "WebhookCreated" not in [e["type"] for e in await account_stream(container, account.account_id)]


async def test_a_token_in_an_endpoint_url_never_reaches_the_account_stream(
    api: str, container: Container, account: NewAccount
) -> None:
    async with client(api, account.api_key) as http:
        created = await http.post(
            "/v1/webhooks", json={"url": "https://hooks.example/in?token=first-secret&team=east", "event_types": ["*"]}
        )
        changed = await http.patch(
            f"/v1/webhooks/{created.json()['id']}", json={"url": "https://hooks.example/in?token=second-secret"}
        )
    async with container.pool.acquire() as conn:
        stream = await conn.fetch(
            "SELECT type, data FROM events WHERE stream_id = $1 AND type LIKE 'Webhook%' ORDER BY version",
            account.account_id,
        )

    assert created.status_code == 201 and changed.status_code == 200
    assert changed.json()["url"] == "https://hooks.example/in?token=second-secret"  # the endpoint keeps its URL
    logged = str([dict(row) for row in stream])
    assert "first-secret" not in logged and "second-secret" not in logged
    assert [row["type"] for row in stream] == ["WebhookCreated", "WebhookUpdated"]  # the change is still recorded
