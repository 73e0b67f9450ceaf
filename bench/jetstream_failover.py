"""Issue 11 figures: the LEADS stream on a local three-node NATS cluster.

python -m bench.jetstream_failover [--events 50000] [--rounds 3] [--writers 16] [--seconds 60] [--kills 3]

1. Publisher throughput from a backlog of `events` (the same log, a fresh cluster each time) with the stream
   on one replica and on three, alternating for `rounds` rounds: what replication costs.
2. Failover under load: `writers` concurrent writers through the command handler for `seconds`, the publisher
   on its production settings and connected with all three URLs; `kills` times the node that leads the stream
   is killed (SIGKILL), and started again once publishing has resumed. For each kill: how long publishing
   paused, and whether the publisher's own connection was on the killed node. At the end a subscriber must
   have received every event once, in per-lead version order, and the stream must hold no copy.

Everything (PostgreSQL, three nats-server processes, writers, publisher, subscriber) shares this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple
from uuid import UUID

from uuid_utils.compat import uuid7

from bench.common import METADATA, benchmark_database, fill_log, machine
from leadstore.bootstrap import Container
from leadstore.domain.commands import Actor, CreateLead, UpdateLead
from leadstore.embedded_cluster import ClusterNode, EmbeddedNatsCluster
from leadstore.publishing import STREAM, EventSubscription, NatsConnection, PublishedEvent, Publisher
from leadstore.publishing import PublishingSettings as Tuning
from leadstore.store.accounts import NewAccount
from tests.publish_progress import Progress

COUNT_EVENTS = "SELECT count(*) FROM events"
LEAD_EVENT_IDS = "SELECT event_id FROM events WHERE stream_type = 'lead' AND account_id = $1"


@contextlib.asynccontextmanager
async def cluster_of_three() -> AsyncIterator[EmbeddedNatsCluster]:
    """A fresh three-node cluster in a temporary folder, locked down as a deployment is."""
    with tempfile.TemporaryDirectory(prefix="leadstore-bench-nats-") as folder:
        cluster = EmbeddedNatsCluster(Path(folder), size=3)
        await asyncio.to_thread(cluster.start)
        try:
            yield cluster
        finally:
            await asyncio.to_thread(cluster.stop)


async def until(condition: Callable[[], bool], within: float) -> None:
    """Poll `condition()` every 10 ms until it holds."""
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 - counters to poll, there is no event to wait on
            await asyncio.sleep(0.01)


async def backlog_rate(container: Container, replicas: int, round_: int) -> float:
    """Events/s for a fresh publisher to have the whole log acknowledged by a stream of `replicas` replicas."""
    async with container.pool.acquire() as conn:
        total = await conn.fetchval(COUNT_EVENTS)
    async with cluster_of_three() as cluster:
        tuning = Tuning(nats_stream_replicas=replicas)
        publisher = Publisher(container.settings.database_url, cluster.url, tuning, name=f"bench:r{replicas}:{round_}")
        stop = asyncio.Event()
        started = time.perf_counter()
        task = asyncio.create_task(publisher.run(stop))
        await until(lambda: publisher.published >= total, 600)
        elapsed = time.perf_counter() - started
        stop.set()
        await task
    return float(total) / elapsed


async def replication_cost(events: int, rounds: int) -> None:
    """Print the publisher's backlog throughput with one replica and with three, alternating rounds."""
    async with benchmark_database() as (container, account):
        await fill_log(container, account, events, updates=1)
        rates: dict[int, list[float]] = {1: [], 3: []}
        for round_ in range(rounds):  # alternating, so that a busy moment of the machine hits both
            for replicas in (1, 3):
                rates[replicas].append(await backlog_rate(container, replicas, round_))
    r1, r3 = statistics.median(rates[1]), statistics.median(rates[3])
    print(
        f"publisher from a backlog of {events:,} events, events/s (median of {rounds}): R1 {r1:,.0f}, R3 {r3:,.0f}",
        end="",
    )
    print(f" (R3/R1 {r3 / r1:.2f})")
    print("  rounds: " + ", ".join(f"R1 {a:,.0f} / R3 {b:,.0f}" for a, b in zip(rates[1], rates[3], strict=True)))


async def write(container: Container, account: NewAccount, stop: asyncio.Event, written: list[int]) -> None:
    """Leads, each created then updated twice, until `stop`; `written[0]` counts the events."""
    actor = Actor(user_id=account.user_id, role="admin")
    while not stop.is_set():
        lead_id, now = uuid7(), datetime.now(UTC)
        fields = {"first_name": "Failover", "last_name": f"Lead {written[0]}"}
        create = CreateLead(lead_id=lead_id, account_id=account.account_id, actor=actor, now=now, fields=fields)
        await container.handler.execute(create, account_id=account.account_id, metadata=METADATA)
        for n in range(2):
            update = UpdateLead(lead_id=lead_id, actor=actor, now=datetime.now(UTC), changes={"company": f"Co {n}"})
            await container.handler.execute(update, account_id=account.account_id, metadata=METADATA)
        written[0] += 3


async def replicas_current(cluster: EmbeddedNatsCluster) -> bool:
    """Whether the stream has a leader and every follower has caught up with it."""
    nc = await NatsConnection(url=cluster.url).connect(connect_timeout=2, allow_reconnect=False)
    try:
        info = await nc.jetstream(timeout=2).stream_info(STREAM)
    except Exception:
        return False
    finally:
        await nc.close()
    replicas = info.cluster.replicas if info.cluster else None
    return bool(info.cluster and info.cluster.leader and replicas and all(peer.current for peer in replicas))


def connected_to(publisher: Publisher, node: ClusterNode) -> bool:
    """Whether the publisher's connection is on `node`."""
    return publisher.link.server_port == node.port


class Kill(NamedTuple):
    """One leader killed: seconds until another led the stream, and until publishing had resumed."""

    election: float
    pause: float
    publisher_on_killed_node: bool


async def kill_leaders(
    cluster: EmbeddedNatsCluster, publisher: Publisher, progress: Progress, every: float, kills: int
) -> list[Kill]:
    """Kill the stream's leader `kills` times, `every` seconds apart; each kill's pause and publisher placement."""
    results: list[Kill] = []
    for _ in range(kills):
        await asyncio.sleep(every)
        leader = await cluster.stream_leader(STREAM)
        on_leader = connected_to(publisher, leader)
        leader.kill()
        killed_at = time.monotonic()
        await cluster.next_leader(STREAM, leader)
        elected_at = time.monotonic()
        await until(functools.partial(progress.resumed_after, elected_at), 120)
        await asyncio.sleep(1.0)
        pause = progress.longest_gap(killed_at, time.monotonic())
        results.append(Kill(elected_at - killed_at, pause, on_leader))
        await asyncio.to_thread(leader.start)
        await asyncio.to_thread(cluster.wait_ready)
        while not await replicas_current(cluster):  # noqa: ASYNC110 - a state to ask the cluster for
            await asyncio.sleep(0.2)
    return results


def in_version_order(events: list[PublishedEvent]) -> bool:
    versions: dict[UUID | None, list[int]] = defaultdict(list)
    for event in events:
        versions[event.lead_id].append(event.version)
    return all(seen == list(range(1, len(seen) + 1)) for seen in versions.values())


async def stored_copies(cluster: EmbeddedNatsCluster, account: NewAccount) -> int:
    nc = await NatsConnection(url=cluster.url).connect()
    try:
        info = await nc.jetstream().stream_info(STREAM, subjects_filter=f"leads.{account.account_id}.*")
    finally:
        await nc.close()
    return sum((info.state.subjects or {}).values())


async def failover(container: Container, account: NewAccount, writers: int, seconds: float, kills: int) -> None:
    """Writers for `seconds`, the stream's leader killed `kills` times; print the pauses and the checks."""
    async with cluster_of_three() as cluster:
        publisher = Publisher(
            container.settings.database_url, cluster.url, Tuning(nats_stream_replicas=3), name="bench:failover"
        )
        stop_publishing, stop_writing = asyncio.Event(), asyncio.Event()
        publishing = asyncio.create_task(publisher.run(stop_publishing))
        async with container.pool.acquire() as conn:
            public_key = (await container.keys.signer(conn)).public_key
        await until(lambda: publisher.published > 0, 30)
        received: list[PublishedEvent] = []
        async with EventSubscription(cluster.reader_url, public_key=public_key, account_id=account.account_id) as sub:

            async def receive() -> None:
                async for delivery in sub:
                    received.append(delivery.event)
                    await delivery.ack()

            receiving = asyncio.create_task(receive())
            progress, written = Progress(publisher), [0]
            started = time.monotonic()
            writing = [asyncio.create_task(write(container, account, stop_writing, written)) for _ in range(writers)]
            killed = await kill_leaders(cluster, publisher, progress, seconds / (kills + 1), kills)
            await asyncio.sleep(max(0.0, started + seconds - time.monotonic()))
            stop_writing.set()
            await asyncio.gather(*writing)
            elapsed = time.monotonic() - started
            await until(lambda: len(received) >= written[0], 300)
            receiving.cancel()
            await progress.stop()
            duplicates = sub.duplicates
        async with container.pool.acquire() as conn:
            expected = {r["event_id"] for r in await conn.fetch(LEAD_EVENT_IDS, account.account_id)}
        copies = await stored_copies(cluster, account)
        stop_publishing.set()
        await publishing
    print(f"failover: {writers} writers for {elapsed:.0f}s, {written[0]:,} events ({written[0] / elapsed:,.0f}/s)")
    for n, kill in enumerate(killed, 1):
        where = "on the killed node" if kill.publisher_on_killed_node else "on a surviving node"
        print(f"  kill {n}: new leader seen after {kill.election:.1f}s, publishing paused {kill.pause:.1f}s", end="")
        print(f" (publisher {where})")
    once = len(received) == len(expected) and {e.id for e in received} == expected
    print(f"  subscriber: {len(received):,} events, all and each once: {once}, copies skipped: {duplicates}")
    print(f"  per-lead version order: {in_version_order(received)}; stream: {copies:,} messages for {len(expected):,}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=50_000, help="events in the backlog")
    parser.add_argument("--rounds", type=int, default=3, help="backlog rounds, R1 and R3 alternating")
    parser.add_argument("--writers", type=int, default=16, help="concurrent writers during the failover run")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the failover run")
    parser.add_argument("--kills", type=int, default=3, help="stream leaders killed during the failover run")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    await replication_cost(args.events, args.rounds)
    async with benchmark_database() as (container, account):
        await failover(container, account, args.writers, args.seconds, args.kills)


if __name__ == "__main__":
    asyncio.run(main())
