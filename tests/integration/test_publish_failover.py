"""One active publisher across processes: the others stand by and take over, losing nothing, when it dies."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator

import pytest

from leadstore.bootstrap import Container, bootstrap
from leadstore.publishing import EventSubscription, PublishedEvent, Publisher
from leadstore.settings import Settings
from leadstore.store.accounts import NewAccount, create_account
from tests.integration.helpers import (
    ACCOUNT_OPENING,
    FAST_PUBLISHING,
    assert_version_order,
    signing_public_key,
    stored_count,
    until,
    write_lead,
)
from tests.integration.workers import WorkerProcess


@pytest.fixture
async def writer_node(own_database: str) -> AsyncIterator[Container]:
    """A container that only writes (no publisher of its own)."""
    built = await bootstrap(Settings(database_url=own_database, nats_url=""))
    yield built
    await built.close()


@pytest.fixture
async def tenant(writer_node: Container) -> NewAccount:
    async with writer_node.pool.acquire() as conn:
        return await create_account(conn, "failover test", "admin@example.com")


async def expected_ids(node: Container) -> set[object]:
    async with node.pool.acquire() as conn:
        return {r["event_id"] for r in await conn.fetch("SELECT event_id FROM events WHERE stream_type = 'lead'")}


def check_feed(events: list[PublishedEvent], expected: set[object]) -> None:
    assert len(events) == len(expected)
    assert {e.id for e in events} == expected
    assert_version_order(events)


async def test_two_publishers_one_publishes_and_the_standby_takes_over_without_loss(
    writer_node: Container, tenant: NewAccount, own_database: str, nats_url: str, nats_reader_url: str
) -> None:
    first, second = (
        Publisher(own_database, nats_url, FAST_PUBLISHING, lease_seconds=2),
        Publisher(own_database, nats_url, FAST_PUBLISHING, lease_seconds=2),
    )
    first_stop, second_stop = asyncio.Event(), asyncio.Event()
    first_task = asyncio.create_task(first.run(first_stop))
    await until(lambda: first.active, 20)
    second_task = asyncio.create_task(second.run(second_stop))
    try:
        async with EventSubscription(
            nats_reader_url,
            public_key=await signing_public_key(writer_node),
            account_id=tenant.account_id,
            fetch_timeout=1,
        ) as subscription:
            for _ in range(15):
                await write_lead(writer_node, tenant, 1)
            events = await subscription.take(30, within=20)
            await until(lambda: first.published == 30 + ACCOUNT_OPENING, 10)  # a delivery can beat its checkpoint
            assert second.running and not second.active and second.published == 0
            first_task.cancel()  # the active one dies (mid-wait or mid-batch)
            await asyncio.gather(first_task, return_exceptions=True)
            for _ in range(15):
                await write_lead(writer_node, tenant, 1)
            events += await subscription.take(30, within=20)
        await until(lambda: second.published >= 30, 10)
        assert second.active
        check_feed(events, await expected_ids(writer_node))
        assert await stored_count(nats_url, tenant.account_id) == 60
    finally:
        first_stop.set()
        second_stop.set()
        await asyncio.wait_for(asyncio.gather(first_task, second_task, return_exceptions=True), 15)


async def test_killing_the_publishing_worker_process_hands_over_to_the_other_without_loss(
    writer_node: Container, tenant: NewAccount, own_database: str, nats_url: str, nats_reader_url: str
) -> None:
    workers = [await WorkerProcess.start(own_database, nats_url) for _ in range(2)]
    try:
        await until(lambda: any(w.publishing for w in workers), 20)
        async with EventSubscription(
            nats_reader_url,
            public_key=await signing_public_key(writer_node),
            account_id=tenant.account_id,
            fetch_timeout=1,
        ) as subscription:
            for _ in range(10):
                await write_lead(writer_node, tenant, 1)
            events = await subscription.take(20, within=20)
            [active] = [w for w in workers if w.publishing]
            [standby] = [w for w in workers if w is not active]
            await active.stop(signal.SIGKILL)
            for _ in range(10):
                await write_lead(writer_node, tenant, 1)
            await until(lambda: standby.publishing, 10)
            events += await subscription.take(20, within=20)
        check_feed(events, await expected_ids(writer_node))
        assert await stored_count(nats_url, tenant.account_id) == 40
    finally:
        for worker in workers:
            await worker.stop()
