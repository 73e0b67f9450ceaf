"""Issue 4 figures: events/s the publisher sends to JetStream from a backlog, and commit-to-delivery delay.

python -m bench.publish_bench [--events 100000] [--rate 200] [--seconds 20] [--warmup 3]

Each measurement has its own embedded PostgreSQL (durable settings) and NATS. The backlog is `events`
rows of half as many leads, each LeadCreated then LeadUpdated, written before the publisher starts;
its baseline is JetStream taking the same envelopes from a bare async-publish loop (no database, no
checkpoint, no per-lead ordering). The delay runs from PostgreSQL's commit timestamp of a write to the
moment a subscriber receives the event, under `rate` creates a second through the command handler;
writers, publisher and subscriber share one process (one event loop), as in `leadstore dev`.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import msgspec
import nats
from uuid_utils.compat import uuid7

from bench.common import backlog_and_delay_arguments, delay_summary, fill_log, machine, throwaway_kek
from leadstore.bootstrap import Container, bootstrap
from leadstore.documents import event_envelope
from leadstore.domain.commands import Actor, CreateLead
from leadstore.embedded import EmbeddedPostgres
from leadstore.embedded_nats import EmbeddedNats
from leadstore.publishing import EventSubscription, Publisher, PublishingSettings
from leadstore.settings import Settings
from leadstore.store import db
from leadstore.store.accounts import NewAccount, create_account
from leadstore.store.events import START, read_log

RAW_INSERT = """
INSERT INTO events (event_id, account_id, stream_id, stream_type, version, type, data, metadata, occurred_at)
VALUES ($1, $2, $3, 'lead', $4, $5, $6, $7, now())"""
METADATA = {"actor": {"user_id": None}, "request": {"id": "bench", "method": "POST", "path": "/v1/leads"}}
BASELINE_STREAM = "BENCH_BASELINE"
TRACK_COMMIT_TIMESTAMPS = "ALTER SYSTEM SET track_commit_timestamp = on"
COMMITTED_AT = """
SELECT event_id, extract(epoch FROM pg_xact_commit_timestamp(xmin))::float8 AS at FROM events WHERE account_id = $1"""


@contextlib.asynccontextmanager
async def servers() -> AsyncIterator[tuple[Container, NewAccount, str]]:
    """A migrated embedded database (recording commit times) with an account, and an embedded NATS."""
    with tempfile.TemporaryDirectory(prefix="leadstore-bench-") as folder:
        # one NATS user for publishing, consuming and measuring: the figures are about throughput, not rights
        postgres, nats_server = EmbeddedPostgres(Path(folder) / "pg"), EmbeddedNats(Path(folder) / "nats", auth=False)
        try:
            nats_url = nats_server.start()
            conn = await db.connect(postgres.start())
            await conn.execute(TRACK_COMMIT_TIMESTAMPS)
            await conn.close()
            postgres.stop()  # the setting takes a restart
            settings = Settings(database_url=postgres.start(), pool_max_size=40)
            throwaway_kek()
            container = await bootstrap(settings, run_migrations=True)
            try:
                async with container.pool.acquire() as pooled:
                    account = await create_account(pooled, "bench", "bench@example.com")
                yield container, account, nats_url
            finally:
                await container.close()
        finally:
            postgres.stop()
            nats_server.stop()


async def publish_backlog(container: Container, nats_url: str, events: int) -> float:
    """Events/s for a fresh publisher to have every event of the backlog acknowledged by JetStream."""
    publisher = Publisher(container.settings.database_url, nats_url, PublishingSettings())
    stop = asyncio.Event()
    started = time.perf_counter()
    task = asyncio.create_task(publisher.run(stop))
    while publisher.published < events:  # noqa: ASYNC110 - a counter to poll, there is no event to wait on
        await asyncio.sleep(0.005)
    elapsed = time.perf_counter() - started
    stop.set()
    await task
    return events / elapsed


async def baseline(container: Container, nats_url: str, window: int = 1000) -> float:
    """Messages/s JetStream takes the same envelopes at from a bare loop (no database, no checkpoint)."""
    bodies, checkpoint = [], START
    async with container.pool.acquire() as conn:
        while batch := await read_log(conn, checkpoint, 5000):
            bodies += [(e.event_id, msgspec.json.encode(event_envelope(e))) for e in batch]
            checkpoint = batch[-1].checkpoint
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        await js.add_stream(name=BASELINE_STREAM, subjects=["bench.>"], duplicate_window=300)
        started = time.perf_counter()
        for offset in range(0, len(bodies), window):
            acks = [
                await js.publish_async("bench.x", body, headers={"Nats-Msg-Id": str(event_id)})
                for event_id, body in bodies[offset : offset + window]
            ]
            await asyncio.gather(*acks)
        rate = len(bodies) / (time.perf_counter() - started)
        await js.delete_stream(BASELINE_STREAM)
    finally:
        await nc.close()
    return rate


async def delivery_delays(
    container: Container, account: NewAccount, nats_url: str, rate: float, seconds: float, warmup: float
) -> list[float]:
    """Seconds from each write's commit (PostgreSQL's commit timestamp) to its delivery to a subscriber.

    `rate` creates a second for `seconds`; the first `warmup` seconds of writes (pool connections
    opening, the stream's first blocks) are written and delivered but not counted.
    """
    counted: set[UUID] = set()
    received: dict[UUID, float] = {}
    expected = int(rate * (warmup + seconds))
    counted_from = int(rate * warmup)
    all_in = asyncio.Event()
    actor = Actor(user_id=account.user_id, role="admin")

    async def write(n: int) -> None:
        command = CreateLead(
            lead_id=uuid7(),
            account_id=account.account_id,
            actor=actor,
            now=datetime.now(UTC),
            fields={"first_name": "Steady", "last_name": f"Lead {n}"},
        )
        outcome = await container.handler.execute(command, account_id=account.account_id, metadata=METADATA)
        if n >= counted_from:
            counted.add(outcome.recorded[0].event_id)

    publisher = Publisher(container.settings.database_url, nats_url, PublishingSettings())
    stop = asyncio.Event()
    publishing = asyncio.create_task(publisher.run(stop))
    async with container.pool.acquire() as conn:
        public_key = (await container.keys.signer(conn)).public_key
    async with EventSubscription(nats_url, public_key=public_key, account_id=account.account_id) as subscription:

        async def receive() -> None:
            async for delivery in subscription:
                received[delivery.event.id] = time.time()
                await delivery.ack()
                if len(received) == expected:
                    all_in.set()

        receiving = asyncio.create_task(receive())
        writes, started = [], time.perf_counter()
        for n in range(expected):  # open loop: a write every 1/rate seconds, however long each takes
            writes.append(asyncio.create_task(write(n)))
            await asyncio.sleep(max(0.0, started + (n + 1) / rate - time.perf_counter()))
        await asyncio.gather(*writes)
        await asyncio.wait_for(all_in.wait(), 60)
        receiving.cancel()
    stop.set()
    await publishing
    async with container.pool.acquire() as conn:
        committed = {r["event_id"]: r["at"] for r in await conn.fetch(COMMITTED_AT, account.account_id)}
    return sorted(received[event_id] - committed[event_id] for event_id in counted)


async def main() -> None:
    args = backlog_and_delay_arguments(__doc__, events=100_000)
    print(f"machine: {machine()}")
    async with servers() as (container, account, nats_url):
        await fill_log(container, account, args.events, updates=1)
        published = await publish_backlog(container, nats_url, args.events)
        raw = await baseline(container, nats_url)
        print(f"publisher from a backlog of {args.events:,} events: {published:,.0f} events/s")
        print(f"bare JetStream async publish of the same envelopes: {raw:,.0f} messages/s")
        print(f"publisher / bare: {published / raw:.2f}")
    async with servers() as (container, account, nats_url):
        delays = await delivery_delays(container, account, nats_url, args.rate, args.seconds, args.warmup)
        print(f"commit to delivery, {args.rate:,.0f} writes/s for {args.seconds:.0f}s ({len(delays):,} events):")
        print(f"  {delay_summary(delays)}")


if __name__ == "__main__":
    asyncio.run(main())
