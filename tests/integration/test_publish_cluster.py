"""The LEADS stream on a three-node NATS cluster, three replicas: killing the node that leads it under load
loses, duplicates and reorders nothing, and the publisher carries on through another node."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from leadstore.bootstrap import Container, bootstrap
from leadstore.embedded_cluster import EmbeddedNatsCluster
from leadstore.publishing import STREAM, EventSubscription, PublishingSettings
from leadstore.settings import Settings
from leadstore.store.accounts import NewAccount, create_account
from tests.integration.helpers import assert_version_order, signing_public_key, stored_count, until, write_lead

REPLICATED = PublishingSettings(
    nats_stream_replicas=3,
    publish_ack_timeout_seconds=2,
    publish_poll_seconds=0.5,
    publish_backoff_initial_seconds=0.1,
    publish_backoff_max_seconds=1,
)
WRITERS = 8
BEFORE_THE_KILL = 150  # events published before the leader dies
AFTER_RESUMING = 2.0  # seconds of writes once publishing has resumed
LEAD_EVENTS = "SELECT event_id FROM events WHERE stream_type = 'lead'"


@pytest.fixture
def nats_cluster(tmp_path: Path) -> Iterator[EmbeddedNatsCluster]:
    cluster = EmbeddedNatsCluster(tmp_path / "nats-cluster", size=3)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


class Progress:
    """When the publisher's count of acknowledged events moved, sampled every 10 ms."""

    def __init__(self, node: Container) -> None:
        assert node.publisher is not None
        self.publisher = node.publisher
        self.moved_at: list[float] = []
        self._task = asyncio.create_task(self._sample())

    async def _sample(self) -> None:
        seen = self.publisher.published
        while True:
            await asyncio.sleep(0.01)
            if self.publisher.published != seen:
                seen = self.publisher.published
                self.moved_at.append(time.monotonic())

    def longest_pause(self) -> float:
        return max(later - earlier for earlier, later in zip(self.moved_at, self.moved_at[1:], strict=False))

    def resumed_after(self, moment: float) -> bool:
        return bool(self.moved_at) and self.moved_at[-1] > moment

    async def stop(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


async def write_until(node: Container, account: NewAccount, stop: asyncio.Event) -> int:
    """Leads (each created, then updated twice) written by one writer until `stop`; how many."""
    leads = 0
    while not stop.is_set():
        await write_lead(node, account, 2)
        leads += 1
    return leads


async def test_killing_the_node_that_leads_the_stream_loses_duplicates_and_reorders_nothing(
    own_database: str, nats_cluster: EmbeddedNatsCluster
) -> None:
    node = await bootstrap(
        Settings(database_url=own_database, nats_url=nats_cluster.url), projections=[], publishing=REPLICATED
    )
    try:
        async with node.pool.acquire() as conn:
            account = await create_account(conn, "cluster test", "admin@example.com")
        assert node.publisher is not None
        publisher = node.publisher
        node.start_workers()
        await until(lambda: publisher.published > 0, 20)  # the stream exists, the account's opening is out
        async with EventSubscription(
            nats_cluster.reader_url,
            public_key=await signing_public_key(node),
            account_id=account.account_id,
            fetch_timeout=1,
        ) as subscription:
            progress, stop = Progress(node), asyncio.Event()
            writers = [asyncio.create_task(write_until(node, account, stop)) for _ in range(WRITERS)]
            await until(lambda: publisher.published >= BEFORE_THE_KILL, 30)
            leader = await nats_cluster.stream_leader(STREAM)
            leader.kill()
            killed_at = time.monotonic()
            await until(lambda: progress.resumed_after(killed_at), 30)
            await asyncio.sleep(AFTER_RESUMING)
            stop.set()
            written = sum(await asyncio.gather(*writers))
            events = await subscription.take(3 * written, within=60)
            await progress.stop()

        new_leader = await nats_cluster.stream_leader(STREAM)
        assert new_leader is not leader and new_leader.running
        async with node.pool.acquire() as conn:
            expected = [r["event_id"] for r in await conn.fetch(LEAD_EVENTS)]
        assert len(expected) == 3 * written
        assert len(events) == len(expected) and {e.id for e in events} == set(expected)  # each once, none missing
        assert_version_order(events)
        assert await stored_count(nats_cluster.url, account.account_id) == len(expected)  # no copy in the stream
        pause = progress.longest_pause()
        print(f"\n{len(expected)} events, publishing paused {pause:.1f}s when the stream leader was killed")
        assert pause < 20
    finally:
        await node.close()
