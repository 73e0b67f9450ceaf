"""A `leadstore worker` killed (SIGKILL) mid-delivery: the standby worker takes the endpoint's lease over and
delivers everything, nothing skipped."""

from __future__ import annotations

import asyncio
import base64
import signal
import time
from collections.abc import AsyncIterator
from uuid import UUID

import pytest
from uuid_utils.compat import uuid7

from leadstore.bootstrap import Container, bootstrap
from leadstore.settings import Settings
from leadstore.store.accounts import NewAccount, create_account
from leadstore.store.events import START, read_log
from leadstore.webhooks import verify
from leadstore.webhooks.secrets import SecretBox, new_secret
from tests.integration.helpers import write_lead
from tests.integration.workers import WorkerProcess
from tests.webhook_receiver import Received, Receiver

KEY = bytes(range(7, 39))
ADD = "INSERT INTO webhooks (id, account_id, url, event_types, secret) VALUES ($1, $2, $3, '{*}', $4)"
# the leads' events (the account's own stream may be delivered too: the reader starts below open transactions)
DELIVERED = """
SELECT count(*) FROM webhook_deliveries WHERE webhook_id = $1 AND stream_id <> $2 AND state = 'delivered'"""
WORKER_SETTINGS = {
    "secrets_key": base64.b64encode(KEY).decode(),
    "webhooks_allow_private": "true",
    "webhooks_discover_seconds": "0.3",
    "webhooks_poll_seconds": "0.2",
    "lease_seconds": "2",
}


@pytest.fixture
async def node(own_database: str) -> AsyncIterator[Container]:
    built = await bootstrap(Settings(database_url=own_database, nats_url="", pool_max_size=12))
    yield built
    await built.close()


async def test_a_standby_worker_delivers_everything_after_the_leader_is_killed_mid_delivery(
    node: Container, own_database: str
) -> None:
    async def slow(_: Received) -> int:
        await asyncio.sleep(0.05)
        return 200

    async with node.pool.acquire() as conn:
        account: NewAccount = await create_account(conn, "webhook failover", "admin@example.com")
    async with Receiver(slow) as receiver:
        webhook_id, secret = UUID(str(uuid7())), new_secret()
        async with node.pool.acquire() as conn:
            await conn.execute(
                ADD, webhook_id, account.account_id, receiver.url, SecretBox(KEY).seal(webhook_id, secret)
            )
        delivering = f"webhook:{webhook_id} delivering"
        first = await WorkerProcess.start(own_database, "", **WORKER_SETTINGS)
        second: WorkerProcess | None = None
        try:
            await until(lambda: first.logged(delivering), 20)
            second = await WorkerProcess.start(own_database, "", **WORKER_SETTINGS)
            await asyncio.gather(*(write_lead(node, account, 19) for _ in range(10)))
            await until(lambda: len(receiver.received) > 20, 20)
            await first.stop(signal.SIGKILL)  # mid-delivery: posts in flight, rows pending
            assert len({request.headers["webhook-id"] for request in receiver.received}) < 200
            standby = second
            await until(lambda: standby.logged(delivering), 20)
            async with node.pool.acquire() as conn:
                events = [e for e in await read_log(conn, START, 10_000, account.account_id) if e.stream_type == "lead"]
                assert len(events) == 200
                deadline = time.monotonic() + 30
                while await conn.fetchval(DELIVERED, webhook_id, account.account_id) < len(events):
                    assert time.monotonic() < deadline
                    await asyncio.sleep(0.1)
        finally:
            await first.stop(signal.SIGKILL)
            if second is not None:
                await second.stop()
    arrived = {request.headers["webhook-id"] for request in receiver.received}
    assert {str(event.event_id) for event in events} <= arrived
    for request in receiver.received:
        verify(request.body, request.headers, secret)


async def until(condition: object, within: float) -> None:
    assert callable(condition)
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.05)
