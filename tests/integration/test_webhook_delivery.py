"""Webhook delivery (issue 12) to a real HTTP receiver in the test process: everything, in version order per
lead, signed; retried; handed over; refused for private addresses; replayed; isolated; disabled."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from typing import Any
from uuid import UUID

import msgspec
import pytest
from standardwebhooks.webhooks import Webhook
from uuid_utils.compat import uuid7

from leadstore.bootstrap import Container
from leadstore.documents import event_envelope
from leadstore.settings import Settings
from leadstore.store import checkpoints, status
from leadstore.store.accounts import NewAccount, create_account
from leadstore.store.events import START, Checkpoint, RecordedEvent, read_log
from leadstore.webhooks import verify
from leadstore.webhooks.deliverer import EndpointDeliverer
from leadstore.webhooks.secrets import SecretBox, new_secret
from leadstore.webhooks.shared import DeliveryContext
from leadstore.webhooks.worker import WebhookWorker
from tests.integration.helpers import write_lead
from tests.webhook_receiver import Received, Receiver

KEY = base64.b64encode(bytes(range(32))).decode()
BOX = SecretBox(bytes(range(32)))
ADD = """INSERT INTO webhooks (id, account_id, url, event_types, secret) VALUES ($1, $2, $3, $4, $5)"""
DELIVERED_OF = """
SELECT count(*) FROM webhook_deliveries WHERE webhook_id = $1 AND event_id = ANY($2::uuid[]) AND state = 'delivered'"""
DELIVERIES = "SELECT * FROM webhook_deliveries WHERE webhook_id = $1"


def quick(container: Container, **overrides: Any) -> Settings:
    """Settings that retry, poll and hand over in fractions of a second."""
    values: dict[str, Any] = {
        "database_url": container.settings.database_url,
        "secrets_key": KEY,
        "webhooks_allow_private": True,
        "webhooks_backoff_base_seconds": 0.1,
        "webhooks_backoff_max_seconds": 0.4,
        "webhooks_poll_seconds": 0.1,
        "webhooks_discover_seconds": 0.3,
        "lease_seconds": 2.0,
    }
    return Settings(**(values | overrides))


@pytest.fixture
async def hooks(container: Container, account: NewAccount) -> AsyncIterator[list[UUID]]:
    """The webhooks a test adds (to its account); deleted afterwards, so no later worker delivers to them."""
    added: list[UUID] = []
    yield added
    async with container.pool.acquire() as conn:
        await conn.execute("UPDATE webhooks SET deleted_at = now() WHERE id = ANY($1::uuid[])", added)


async def add_webhook(
    container: Container, account: NewAccount, hooks: list[UUID], url: str, types: Sequence[str] = ("*",)
) -> tuple[UUID, str]:
    webhook_id, secret = UUID(str(uuid7())), new_secret()
    async with container.pool.acquire() as conn:
        await conn.execute(ADD, webhook_id, account.account_id, url, list(types), BOX.seal(webhook_id, secret))
    hooks.append(webhook_id)
    return webhook_id, secret


@contextlib.asynccontextmanager
async def delivering(container: Container, settings: Settings, webhook_id: UUID) -> AsyncIterator[EndpointDeliverer]:
    """One deliverer of the endpoint, running until the block ends; yields once it leads."""
    context = DeliveryContext(settings, BOX)
    deliverer = EndpointDeliverer(container.pool, settings.database_url, webhook_id, context)
    task = asyncio.create_task(deliverer.run())
    try:
        await until(lambda: deliverer.active, 10)
        yield deliverer
    finally:
        deliverer.stop.set()
        await asyncio.wait_for(task, 15)


async def until(condition: Any, within: float) -> None:
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.05)


async def log_events(container: Container, account: NewAccount) -> list[RecordedEvent]:
    async with container.pool.acquire() as conn:
        return await read_log(conn, START, 100_000, account.account_id)


async def written(container: Container, account: NewAccount, before: int, count: int) -> list[RecordedEvent]:
    """The `count` events written after the first `before` of the account's log, once the log shows them all
    (it shows an event once every older transaction has ended)."""
    deadline = time.monotonic() + 10
    while len(events := (await log_events(container, account))[before:]) < count:
        assert time.monotonic() < deadline, f"the log shows {len(events)} of {count} events"
        await asyncio.sleep(0.05)
    assert len(events) == count
    return events


async def delivered_count(container: Container, webhook_id: UUID) -> int:
    async with container.pool.acquire() as conn:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = $1 AND state = 'delivered'", webhook_id
        )
        return count


async def all_delivered(container: Container, webhook_id: UUID, events: list[RecordedEvent], within: float) -> None:
    """Wait until every one of `events` is delivered to the endpoint."""
    ids, deadline = [event.event_id for event in events], time.monotonic() + within
    while True:
        async with container.pool.acquire() as conn:
            count = await conn.fetchval(DELIVERED_OF, webhook_id, ids)
        if count == len(ids):
            return
        assert time.monotonic() < deadline, f"{count} of {len(ids)} delivered"
        await asyncio.sleep(0.1)


def assert_as_logged(
    received: list[Received], events: list[RecordedEvent], secret: str, earlier: Sequence[RecordedEvent] = ()
) -> None:
    """Every event arrived, as its envelope, signed; each lead's first arrivals are in version order. Events
    of the account from before the test's (`earlier`) may arrive too: a new endpoint's reader starts below any
    transaction that was open when it first looked, so as never to skip one."""
    by_id = {str(event.event_id): event for event in events}
    before = {str(event.event_id) for event in earlier}
    firsts: dict[str, Received] = {}
    by_the_specification = Webhook(secret)  # the Standard Webhooks reference library, as a receiver would
    for request in received:
        verify(request.body, request.headers, secret)
        by_the_specification.verify(request.body, request.headers)
    received = [request for request in received if request.headers["webhook-id"] not in before]
    for request in received:
        firsts.setdefault(request.headers["webhook-id"], request)
    assert set(firsts) == set(by_id)
    versions: dict[UUID, list[int]] = defaultdict(list)
    for message_id, request in firsts.items():
        event = by_id[message_id]
        assert request.json() == msgspec.json.decode(msgspec.json.encode(event_envelope(event)))
        assert request.headers["leadstore-delivery-id"]
    for request in received:
        event = by_id[request.headers["webhook-id"]]
        if request is firsts[str(event.event_id)]:
            versions[event.stream_id].append(event.version)
    for stream_versions in versions.values():
        assert stream_versions == sorted(stream_versions)


async def test_every_event_of_twenty_writers_reaches_the_receiver_signed_and_in_order(
    container: Container, account: NewAccount, hooks: list[UUID]
) -> None:
    async with Receiver() as receiver:
        webhook_id, secret = await add_webhook(container, account, hooks, receiver.url)
        settings = quick(container)
        worker, stop = WebhookWorker(container.pool, settings), asyncio.Event()
        running = asyncio.create_task(worker.run(stop))
        try:
            await until(lambda: webhook_id in worker.deliverers and worker.deliverers[webhook_id][0].active, 10)
            earlier = await log_events(container, account)
            before = len(earlier)
            await asyncio.gather(*(write_lead(container, account, 49) for _ in range(20)))
            events = await written(container, account, before, 1000)
            await all_delivered(container, webhook_id, events, 60)
        finally:
            stop.set()
            await asyncio.wait_for(running, 15)
        assert_as_logged(receiver.received, events, secret, earlier)


async def test_a_receiver_failing_for_a_while_then_gets_everything_in_order(
    container: Container, account: NewAccount, hooks: list[UUID]
) -> None:
    failing_until = time.time() + 1.5

    async def flaky(_: Received) -> int:
        return 500 if time.time() < failing_until else 200

    async with Receiver(flaky) as receiver:
        webhook_id, secret = await add_webhook(container, account, hooks, receiver.url)
        async with delivering(container, quick(container), webhook_id):
            earlier = await log_events(container, account)
            before = len(earlier)
            await asyncio.gather(*(write_lead(container, account, 4) for _ in range(5)))
            events = await written(container, account, before, 25)
            await all_delivered(container, webhook_id, events, 20)
        accepted = [r for r, status in zip(receiver.received, receiver.answered, strict=True) if status == 200]
        assert_as_logged(accepted, events, secret, earlier)
        assert 500 in receiver.answered
        async with container.pool.acquire() as conn:
            rows = await conn.fetch(DELIVERIES, webhook_id)
        assert max(row["attempts"] for row in rows) > 1
        assert all(row["state"] == "delivered" and row["last_error"] is None for row in rows)


async def test_a_standby_takes_over_from_a_worker_killed_mid_delivery(
    container: Container, account: NewAccount, hooks: list[UUID]
) -> None:
    async def slow(_: Received) -> int:
        await asyncio.sleep(0.05)
        return 200

    async with Receiver(slow) as receiver:
        webhook_id, secret = await add_webhook(container, account, hooks, receiver.url)
        settings = quick(container, lease_seconds=1.0, webhooks_concurrency_per_endpoint=2)
        first_context = DeliveryContext(settings, BOX)
        first = EndpointDeliverer(container.pool, settings.database_url, webhook_id, first_context)
        killed = asyncio.create_task(first.run())
        await until(lambda: first.active, 10)
        earlier = await log_events(container, account)
        before = len(earlier)
        await asyncio.gather(*(write_lead(container, account, 9) for _ in range(10)))
        events = await written(container, account, before, 100)
        await until(lambda: len(receiver.received) > 10, 10)
        killed.cancel()  # mid-delivery: requests in flight, rows pending
        await asyncio.gather(killed, return_exceptions=True)
        assert await delivered_count(container, webhook_id) < len(events)
        async with delivering(container, settings, webhook_id):
            await all_delivered(container, webhook_id, events, 30)
        assert_as_logged(receiver.received, events, secret, earlier)


async def test_delivery_never_contacts_a_private_address_when_they_are_not_allowed(
    container: Container, account: NewAccount, hooks: list[UUID]
) -> None:
    async with Receiver() as receiver:
        by_address, _ = await add_webhook(container, account, hooks, receiver.url)
        by_name, _ = await add_webhook(container, account, hooks, f"http://localhost:{receiver.port}/hook")
        settings = quick(container, webhooks_allow_private=False)
        async with delivering(container, settings, by_address), delivering(container, settings, by_name):
            await write_lead(container, account, 1)
            async with container.pool.acquire() as conn:
                for webhook_id in (by_address, by_name):
                    deadline = time.monotonic() + 10
                    while not (rows := await conn.fetch(DELIVERIES + " AND attempts > 0", webhook_id)):
                        assert time.monotonic() < deadline
                        await asyncio.sleep(0.1)
                    assert all("not a public address" in row["last_error"] for row in rows)
                    assert all(row["state"] == "pending" for row in rows)
        assert receiver.received == []


async def test_replay_redelivers_exactly_the_events_after_a_position(
    container: Container, account: NewAccount, hooks: list[UUID]
) -> None:
    async with container.pool.acquire() as conn:
        other = await create_account(conn, f"other {uuid7()}", "admin@example.com")
    async with Receiver() as receiver:
        webhook_id, secret = await add_webhook(container, account, hooks, receiver.url)
        async with delivering(container, quick(container), webhook_id) as deliverer:
            earlier = await log_events(container, account)
            before = len(earlier)
            await write_lead(container, account, 9)
            events = await written(container, account, before, 10)
            await all_delivered(container, webhook_id, events, 10)
            receiver.received.clear()
            after: Checkpoint = events[4].checkpoint
            async with container.pool.acquire() as conn:
                await conn.execute("UPDATE webhooks SET replay_after = $2 WHERE id = $1", webhook_id, after.token())
            deliverer.wake()
            await until(lambda: len(receiver.received) >= 5, 10)
            await asyncio.sleep(0.5)  # nothing more arrives
            async with container.pool.acquire() as conn:
                assert await conn.fetchval("SELECT replay_after FROM webhooks WHERE id = $1", webhook_id) is None
                assert await checkpoints.read(conn, deliverer.name) >= events[-1].checkpoint
            await write_lead(container, other, 0)  # another account's event: passed over, not lagged behind
            deadline = time.monotonic() + 10
            while True:
                async with container.pool.acquire() as conn:
                    [reader] = await status.readers(conn, [deliverer.name])
                if reader.lag_events == 0:
                    break
                assert time.monotonic() < deadline, reader
                await asyncio.sleep(0.1)
        assert_as_logged(receiver.received, events[5:], secret)
        assert len(receiver.received) == 5


async def test_a_hung_endpoint_does_not_delay_another(
    container: Container, account: NewAccount, hooks: list[UUID]
) -> None:
    async def hang(_: Received) -> int:
        await asyncio.sleep(60)
        return 200

    async with Receiver(hang) as hung, Receiver() as healthy:
        hung_id, _ = await add_webhook(container, account, hooks, hung.url)
        healthy_id, secret = await add_webhook(container, account, hooks, healthy.url)
        settings = quick(container, webhooks_concurrency=10)
        async with delivering(container, settings, hung_id), delivering(container, settings, healthy_id):
            earlier = await log_events(container, account)
            before = len(earlier)
            await asyncio.gather(*(write_lead(container, account, 1) for _ in range(20)))
            events = await written(container, account, before, 40)
            started = time.monotonic()
            await all_delivered(container, healthy_id, events, 5)
            assert time.monotonic() - started < 5
            assert await delivered_count(container, hung_id) == 0
        assert_as_logged(healthy.received, events, secret, earlier)


async def test_an_endpoint_failing_for_its_retry_window_is_disabled_with_an_event(
    container: Container, account: NewAccount, hooks: list[UUID]
) -> None:
    async def broken(_: Received) -> int:
        return 503

    async with Receiver(broken) as receiver:
        webhook_id, _ = await add_webhook(container, account, hooks, receiver.url)
        settings = quick(container, webhooks_retry_window_seconds=1.0)
        async with delivering(container, settings, webhook_id) as deliverer:
            await write_lead(container, account, 0)
            await until(lambda: deliverer.stop.is_set(), 10)
        async with container.pool.acquire() as conn:
            row = await conn.fetchrow(
                "SELECT active, disabled_reason, disabled_at FROM webhooks WHERE id = $1", webhook_id
            )
            disabled = await conn.fetchrow(
                "SELECT data FROM events WHERE account_id = $1 AND type = 'WebhookDisabled'", account.account_id
            )
        assert row is not None and row["active"] is False and row["disabled_at"] is not None
        assert "failed continuously" in row["disabled_reason"]
        assert disabled is not None and disabled["data"]["webhook_id"] == str(webhook_id)
        assert len(receiver.received) >= 2


async def test_a_refused_event_is_final_and_does_not_hold_back_the_rest_of_its_lead(
    container: Container, account: NewAccount, hooks: list[UUID]
) -> None:
    async def refuse_creations(request: Received) -> int:
        return 410 if request.json()["type"] == "LeadCreated" else 200

    async with Receiver(refuse_creations) as receiver:
        webhook_id, secret = await add_webhook(container, account, hooks, receiver.url, ["LeadCreated", "LeadUpdated"])
        async with delivering(container, quick(container), webhook_id):
            earlier = await log_events(container, account)
            await write_lead(container, account, 2)
            events = await written(container, account, len(earlier), 3)
            await all_delivered(container, webhook_id, events[1:], 10)
        async with container.pool.acquire() as conn:
            created = await conn.fetchrow(DELIVERIES + " AND event_id = $2", webhook_id, events[0].event_id)
        assert created is not None and created["state"] == "failed" and created["attempts"] == 1
        assert created["last_status"] == 410
        assert_as_logged(receiver.received, events, secret, earlier)
