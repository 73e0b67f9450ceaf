"""Webhook delivery against the database's interleavings: what a write in flight, a replay or a new endpoint
may meet, checked step by step on the store and the sender rather than by timing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any
from uuid import UUID

import pytest
from uuid_utils.compat import uuid7

from leadstore.bootstrap import Container
from leadstore.store import checkpoints, webhooks
from leadstore.store.account_log import AdminChange
from leadstore.store.accounts import NewAccount
from leadstore.store.events import START, RecordedEvent, read_log
from leadstore.webhooks import store
from leadstore.webhooks.secrets import SecretBox, new_secret
from leadstore.webhooks.sender import Attempt
from leadstore.webhooks.sending import Sender
from leadstore.webhooks.shared import DeliveryContext
from tests.integration.helpers import write_lead
from tests.integration.test_webhook_delivery import add_webhook, all_delivered, delivering, log_events, quick, written
from tests.webhook_receiver import Receiver

BOX = SecretBox(bytes(range(32)))
ADD = """
INSERT INTO webhooks (id, account_id, url, event_types, secret) VALUES ($1, $2, 'http://127.0.0.1:9/', '{*}', $3)"""
LEASE = """
INSERT INTO leases (name, holder, token, expires_at, acquired_at, renewed_at)
VALUES ($1, 'test', 1, now() + interval '1 minute', now(), now())"""
STATE = "SELECT state FROM webhook_deliveries WHERE webhook_id = $1 AND event_id = $2"


@pytest.fixture
async def webhook(container: Container, account: NewAccount) -> AsyncIterator[UUID]:
    """An endpoint of the test's account (deleted afterwards, so no worker delivers to it)."""
    webhook_id = UUID(str(uuid7()))
    async with container.pool.acquire() as conn:
        await conn.execute(ADD, webhook_id, account.account_id, BOX.seal(webhook_id, new_secret()))
    yield webhook_id
    async with container.pool.acquire() as conn:
        await conn.execute("UPDATE webhooks SET deleted_at = now(), active = false WHERE id = $1", webhook_id)


async def lead_event(container: Container, account: NewAccount) -> RecordedEvent:
    lead_id = await write_lead(container, account, 0)
    async with asyncio.timeout(10):
        while True:
            async with container.pool.acquire() as conn:
                events = [e for e in await read_log(conn, START, 100_000, account.account_id) if e.stream_id == lead_id]
            if events:
                return events[0]
            await asyncio.sleep(0.05)


def sender(container: Container, webhook_id: UUID) -> Sender:
    """A sender fenced by the lease row `LEASE` writes (holder `test`, token 1)."""
    lease: Any = SimpleNamespace(name=f"webhook:{webhook_id}", holder="test", token=1)
    context = DeliveryContext(quick(container), BOX)
    return Sender(container.pool, webhook_id, lease, context, asyncio.Event())


@pytest.mark.parametrize("attempt", [Attempt(204), Attempt(410, "the receiver answered 410")])
async def test_a_replay_while_a_send_is_in_flight_owes_the_event_again_whatever_that_send_came_to(
    container: Container, account: NewAccount, webhook: UUID, attempt: Attempt
) -> None:
    event = await lead_event(container, account)
    async with container.pool.acquire() as conn:
        await conn.execute(LEASE, f"webhook:{webhook}")
        await store.owe(conn, webhook, [event.event_id])
        [in_flight] = await store.due(conn, webhook, [], 10)
        await store.owe(conn, webhook, [event.event_id])  # the reader meets it again: a replay asked for it
    await sender(container, webhook)._record([(in_flight, attempt)])
    async with container.pool.acquire() as conn:
        assert await conn.fetchval(STATE, webhook, event.event_id) == "pending"
        [again] = await store.due(conn, webhook, [], 10)
    await sender(container, webhook)._record([(again, attempt)])
    async with container.pool.acquire() as conn:
        assert await conn.fetchval(STATE, webhook, event.event_id) != "pending"


async def test_events_written_after_an_endpoint_is_created_are_owed_before_any_worker_has_seen_it(
    container: Container, account: NewAccount
) -> None:
    webhook_id = webhooks.new_webhook_id()
    values = {"url": "http://127.0.0.1:9/", "event_types": ["*"], "active": True, "description": None}
    change = AdminChange(account.account_id, {"actor": {"user_id": None}, "request": {"method": "TEST"}})
    async with container.pool.acquire() as conn:
        await webhooks.create_webhook(conn, change, webhook_id, values, BOX.seal(webhook_id, new_secret()))
    try:
        event = await lead_event(container, account)  # answered 201 while no webhook worker runs
        name = f"webhook:{webhook_id}"
        async with container.pool.acquire() as conn:
            await store.start_at_head(conn, name)  # a worker's deliverer, first seeing the endpoint now
            assert await checkpoints.read(conn, name) < event.checkpoint
    finally:
        async with container.pool.acquire() as conn:
            await conn.execute("UPDATE webhooks SET deleted_at = now(), active = false WHERE id = $1", webhook_id)


async def test_a_deposed_sender_does_not_disable_the_endpoint(
    container: Container, account: NewAccount, webhook: UUID
) -> None:
    event = await lead_event(container, account)
    async with container.pool.acquire() as conn:
        await conn.execute(LEASE, f"webhook:{webhook}")
        await store.owe(conn, webhook, [event.event_id])
        [row] = await store.due(conn, webhook, [], 10)
        await conn.execute(
            "UPDATE webhook_deliveries SET first_failed_at = now() - interval '4 days' WHERE webhook_id = $1", webhook
        )
        await conn.execute("UPDATE leases SET token = 2, holder = 'standby' WHERE name = $1", f"webhook:{webhook}")
    deposed = sender(container, webhook)  # still token 1: a standby took the lease over meanwhile
    async with container.pool.acquire() as conn:
        deposed._endpoint = await store.endpoint(conn, webhook)
    await deposed._record([(row, Attempt(503, "the receiver answered 503", retry=True))])
    async with container.pool.acquire() as conn:
        assert await conn.fetchval("SELECT active FROM webhooks WHERE id = $1", webhook) is True
    assert not deposed.stop.is_set()


async def test_a_replay_after_a_position_the_reader_has_not_reached_skips_nothing(
    container: Container, account: NewAccount
) -> None:
    hooks: list[UUID] = []
    async with Receiver() as receiver:
        webhook_id, _ = await add_webhook(container, account, hooks, receiver.url)
        try:
            before = len(await log_events(container, account))
            await write_lead(container, account, 9)
            events = await written(container, account, before, 10)
            async with container.pool.acquire() as conn:  # where the reader stopped (disabled, say), and a replay
                await conn.execute(
                    "INSERT INTO checkpoints (name, transaction_id, position) VALUES ($1, $2, $3)",
                    f"webhook:{webhook_id}",
                    events[0].checkpoint.transaction_id,
                    events[0].checkpoint.position,
                )
                replay = events[5].checkpoint.token()
                await conn.execute("UPDATE webhooks SET replay_after = $2 WHERE id = $1", webhook_id, replay)
            async with delivering(container, quick(container), webhook_id):
                await all_delivered(container, webhook_id, events[1:], 10)
        finally:
            async with container.pool.acquire() as conn:
                await conn.execute("UPDATE webhooks SET deleted_at = now(), active = false WHERE id = $1", webhook_id)


async def test_two_replay_requests_before_the_reader_takes_them_redeliver_after_the_earlier(
    container: Container, account: NewAccount, webhook: UUID
) -> None:
    before = len(await log_events(container, account))
    await write_lead(container, account, 3)
    events = await written(container, account, before, 4)
    change = AdminChange(account.account_id, {"actor": {"user_id": None}, "request": {"method": "TEST"}})
    async with container.pool.acquire() as conn:
        await webhooks.request_replay(conn, change, webhook, events[0].checkpoint)
        await webhooks.request_replay(conn, change, webhook, events[2].checkpoint)
        assert await conn.fetchval("SELECT replay_after FROM webhooks WHERE id = $1", webhook) == (
            events[0].checkpoint.token()
        )
        await webhooks.request_replay(conn, change, webhook, events[1].checkpoint)
        assert await store.take_replay(conn, webhook) == events[0].checkpoint
