"""Issue 5 figures: appends/s with and without the hash chain (same run); replay and verify of 1,000,000 events.

python -m bench.replay_bench [--events 1000000] [--seconds 10] [--writers 8] [--rounds 4]

Embedded PostgreSQL with fsync off (fast=True) in a temporary folder: the figures compare code paths, not disks.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import time
from datetime import UTC, datetime

from uuid_utils.compat import uuid7

from bench.common import METADATA, benchmark_database, created, fill_log, machine, updated
from leadstore.bootstrap import Container
from leadstore.cli.replay import replay_all
from leadstore.log.integrity import check_log
from leadstore.store import events as store
from leadstore.store.accounts import NewAccount
from projections import all_projections

UPDATES_PER_LEAD = 3


async def appends(container: Container, account: NewAccount, writers: int, seconds: float, chain: bool) -> float:
    """Appends/s: each writer locks its stream and appends one event per transaction (1 create, then updates)."""
    deadline = time.perf_counter() + seconds
    counts = [0] * writers

    async def writer(w: int) -> None:
        while time.perf_counter() < deadline:
            stream = uuid7()
            for version in range(1, 2 + UPDATES_PER_LEAD):
                data = created(account, counts[w]) if version == 1 else updated(counts[w], version)
                kind = "LeadCreated" if version == 1 else "LeadUpdated"
                async with container.pool.acquire() as conn, conn.transaction():
                    await store.lock_stream(conn, stream)
                    await store.append(
                        conn,
                        account_id=account.account_id,
                        stream_id=stream,
                        stream_type="lead",
                        expected_version=version - 1,
                        events=[store.NewEvent(type=kind, data=data, metadata=METADATA)],
                        occurred_at=datetime.now(UTC),
                        chain=chain,
                    )
                counts[w] += 1

    started = time.perf_counter()
    await asyncio.gather(*(writer(w) for w in range(writers)))
    return sum(counts) / (time.perf_counter() - started)


async def measure_appends(args: argparse.Namespace) -> None:
    async with benchmark_database(fast=True) as (container, account):
        rates: dict[bool, list[float]] = {False: [], True: []}
        for chain in itertools.islice(itertools.cycle((False, True)), 2 * args.rounds):
            rates[chain].append(await appends(container, account, args.writers, args.seconds, chain))
        plain, chained = (statistics.median(rates[c]) for c in (False, True))
        print(f"appends/s, {args.writers} writers, one event per transaction, {args.rounds} x {args.seconds:g}s each:")
        print(f"  without hash chain: median {plain:,.0f}/s  (rounds: {', '.join(f'{r:,.0f}' for r in rates[False])})")
        print(f"  with hash chain:    median {chained:,.0f}/s  (rounds: {', '.join(f'{r:,.0f}' for r in rates[True])})")
        print(f"  chained / plain: {chained / plain:.3f}")


async def measure_replay(args: argparse.Namespace) -> None:
    async with benchmark_database(fast=True) as (container, account):
        started = time.perf_counter()
        await fill_log(container, account, args.events, updates=UPDATES_PER_LEAD)
        async with container.pool.acquire() as conn:
            events = await conn.fetchval("SELECT count(*) FROM events")
        print(f"filled {events:,} events in {time.perf_counter() - started:,.0f}s (set-up, not measured)")
        projections = all_projections()
        started = time.perf_counter()
        assert await replay_all(container.pool, projections) == 0
        elapsed = time.perf_counter() - started
        names = ", ".join(p.name for p in projections)
        print(f"replay of {events:,} events into all read models ({names}), build and swap: {elapsed:,.1f}s")
        print(f"  {events / elapsed:,.0f} events/s (per read model: {events * len(projections) / elapsed:,.0f})")
        started = time.perf_counter()
        async with container.pool.acquire() as conn:
            report = await check_log(conn)
        elapsed = time.perf_counter() - started
        print(
            f"verify, log check (versions, hashes, links) of {report.events:,} events: {elapsed:,.1f}s, ok={report.ok}"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000, help="events in the log to replay")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each append round")
    parser.add_argument("--writers", type=int, default=8, help="concurrent writers")
    parser.add_argument("--rounds", type=int, default=4, help="append rounds per mode, alternating")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    await measure_appends(args)
    await measure_replay(args)


if __name__ == "__main__":
    asyncio.run(main())
