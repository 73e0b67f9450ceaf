"""POST /v1/webhooks/{id}/test: a signed ping, answered synchronously; another account's webhook is 404."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from uuid import UUID

import pytest
from uuid_utils.compat import uuid7

from leadstore.bootstrap import Container, bootstrap
from leadstore.http.testing import serve
from leadstore.settings import Settings
from leadstore.store.accounts import NewAccount, create_account
from leadstore.webhooks import verify
from leadstore.webhooks.secrets import SecretBox, new_secret
from tests.integration.helpers import client
from tests.webhook_receiver import Received, Receiver

KEY = bytes(range(1, 33))
ADD = "INSERT INTO webhooks (id, account_id, url, event_types, secret) VALUES ($1, $2, $3, '{*}', $4)"


@pytest.fixture(scope="module")
async def keyed(container: Container) -> AsyncIterator[Container]:
    """A container whose settings hold the secrets key and allow the receiver's loopback address."""
    settings = Settings(
        database_url=container.settings.database_url,
        nats_url="",
        secrets_key=base64.b64encode(KEY).decode(),
        webhooks_allow_private=True,
        rate_limit_per_second=0,
        auth_failures_per_minute=0,
    )
    built = await bootstrap(settings)
    yield built
    await built.close()


@pytest.fixture(scope="module")
async def keyed_api(keyed: Container) -> AsyncIterator[str]:
    async with serve(keyed) as url:
        yield url


async def add(keyed: Container, account: NewAccount, url: str) -> tuple[UUID, str]:
    webhook_id, secret = UUID(str(uuid7())), new_secret()
    async with keyed.pool.acquire() as conn:
        await conn.execute(ADD, webhook_id, account.account_id, url, SecretBox(KEY).seal(webhook_id, secret))
        await conn.execute("UPDATE webhooks SET active = false WHERE id = $1", webhook_id)  # no worker sends to it
    return webhook_id, secret


async def test_a_ping_reaches_the_receiver_signed_and_reports_its_status(
    keyed: Container, keyed_api: str, account: NewAccount
) -> None:
    async def teapot(_: Received) -> int:
        return 418

    async with Receiver(teapot) as receiver:
        webhook_id, secret = await add(keyed, account, receiver.url)
        async with client(keyed_api, account.api_key) as http:
            response = await http.post(f"/v1/webhooks/{webhook_id}/test")
    assert response.status_code == 200, response.text
    assert response.json() | {"duration_ms": 0} == {
        "delivered": False,
        "status": 418,
        "error": "the receiver answered 418",
        "duration_ms": 0,
    }
    [ping] = receiver.received
    verify(ping.body, ping.headers, secret)
    assert ping.json()["type"] == "WebhookTest" and ping.json()["webhook_id"] == str(webhook_id)


async def test_another_accounts_webhook_is_not_found(keyed: Container, keyed_api: str, account: NewAccount) -> None:
    async with keyed.pool.acquire() as conn:
        other = await create_account(conn, "other", "admin@example.com")
    webhook_id, _ = await add(keyed, other, "http://127.0.0.1:9/hook")
    async with client(keyed_api, account.api_key) as http:
        assert (await http.post(f"/v1/webhooks/{webhook_id}/test")).status_code == 404
        assert (await http.post("/v1/webhooks/not-a-uuid/test")).status_code == 404
