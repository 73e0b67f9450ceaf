"""Issue 2 figures: appends/s through the command handler vs raw INSERTs; projection throughput from zero.

python -m bench.foundation_bench [--seconds 10] [--writers 16] [--events 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from uuid_utils.compat import uuid7

from bench.common import benchmark_database, fill_log, machine
from leadstore.bootstrap import Container
from leadstore.cli import event_loop_factory
from leadstore.domain.commands import Actor, CreateLead
from leadstore.projection.rebuild import rebuild_into
from leadstore.store.accounts import NewAccount
from leadstore.store.events import START, read_log
from projections import get_projection

RAW_INSERT = """
INSERT INTO events (event_id, account_id, stream_id, stream_type, version, type, data, metadata, occurred_at)
VALUES ($1, $2, $3, 'lead', 1, 'LeadCreated', $4, $5, now())"""
ROUNDS = 4
METADATA = {"actor": {"user_id": None}, "request": {"id": "bench", "method": "POST", "path": "/v1/leads"}}


async def _rate(writers: int, seconds: float, operation: Callable[[int], Awaitable[None]]) -> float:
    """Operations per second of `writers` concurrent loops running `operation` for `seconds`."""
    deadline = time.perf_counter() + seconds
    counts = [0] * writers

    async def loop(worker: int) -> None:
        while time.perf_counter() < deadline:
            await operation(worker)
            counts[worker] += 1

    started = time.perf_counter()
    await asyncio.gather(*(loop(w) for w in range(writers)))
    return sum(counts) / (time.perf_counter() - started)


def _fields(n: int) -> dict[str, object]:
    return {
        "first_name": "Bench",
        "last_name": f"Lead {n}",
        "email": f"lead{n}-{uuid7().hex[:8]}@example.com",
        "company": "Acme",
        "source": "website",
        "score": n % 100,
    }


async def appends(container: Container, account: NewAccount, writers: int, seconds: float) -> tuple[float, float]:
    """(handler appends/s, raw single-row INSERTs/s), each with `writers` concurrent writers."""
    actor = Actor(user_id=account.user_id, role="admin")
    counter = iter(range(10**9))

    async def through_handler(_: int) -> None:
        cmd = CreateLead(
            lead_id=uuid7(),
            account_id=account.account_id,
            actor=actor,
            now=datetime.now(UTC),
            fields=_fields(next(counter)),
        )
        await container.handler.execute(cmd, account_id=account.account_id, metadata=METADATA)

    async def raw_insert(_: int) -> None:
        data = {
            "account_id": str(account.account_id),
            "created_by": str(account.user_id),
            "status": "new",
            **_fields(next(counter)),
        }
        async with container.pool.acquire() as conn:
            await conn.execute(RAW_INSERT, uuid7(), account.account_id, uuid7(), data, METADATA)

    # alternate short rounds so that checkpoints and autovacuum land on both sides alike; report medians
    raws, handled = [], []
    for _ in range(ROUNDS):
        raws.append(await _rate(writers, seconds / ROUNDS, raw_insert))
        handled.append(await _rate(writers, seconds / ROUNDS, through_handler))
    return statistics.median(handled), statistics.median(raws)


async def projection_throughput(container: Container, account: NewAccount, events: int) -> tuple[float, float]:
    """(lead_list events/s applying `events` from zero, bare log reads/s of the same events)."""
    await fill_log(container, account, events, updates=0)
    started = time.perf_counter()
    checkpoint, read = START, 0
    async with container.pool.acquire() as conn:
        while batch := await read_log(conn, checkpoint, 5000):
            read += len(batch)
            checkpoint = batch[-1].checkpoint
    read_rate = read / (time.perf_counter() - started)
    started = time.perf_counter()
    await rebuild_into(container.pool, get_projection("lead_list"), "lead_list_bench", batch_size=1000)
    return read / (time.perf_counter() - started), read_rate


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0, help="time for each side of the append measurement")
    parser.add_argument("--writers", type=int, default=16, help="concurrent writers")
    parser.add_argument("--events", type=int, default=100_000, help="events for the projection measurement")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    async with benchmark_database() as (container, account):
        handled, raw = await appends(container, account, args.writers, args.seconds)
        print(f"appends through the handler, {args.writers} writers: {handled:,.0f}/s (median of {ROUNDS} rounds)")
        print(f"raw single-row INSERTs, {args.writers} writers:      {raw:,.0f}/s (alternating with those)")
        print(f"handler / raw: {handled / raw:.2f}")
    async with benchmark_database() as (container, account):
        applied, read = await projection_throughput(container, account, args.events)
        print(f"lead_list projection from zero, {args.events:,} events: {applied:,.0f} events/s")
        print(f"bare commit-order log read of the same events:  {read:,.0f} events/s")
        print(f"projection / read: {applied / read:.2f}")


if __name__ == "__main__":
    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:  # the loop leadstore's commands run on
        runner.run(main())
