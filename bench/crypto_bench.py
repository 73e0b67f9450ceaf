"""Issue 13 figures: create throughput and replay throughput with encryption at rest, next to the same without it,
measured in the same run.

python -m bench.crypto_bench [--seconds 8] [--writers 8] [--rounds 3] [--leads 25000]

Creates: the write lane (`LeadCommandHandler.execute(CreateLead)`) with `--writers` concurrent writers, rounds
alternating between a store that seals personal values and one built with `encrypt=False` (the baseline exists
only in code, never as a setting). Replay: two logs of the same leads (a create and three updates each, with the
HTTP layer's metadata), one sealed with per-lead data keys and one in plaintext, each in its own embedded
PostgreSQL (fsync off: the figures compare code paths, not disks); rounds alternate `leadstore replay` of the lead
list between them, and a plain read of the whole log (`read_log`, where the opening happens) is timed as well.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import msgspec
from uuid_utils.compat import uuid7

from bench.common import METADATA, benchmark_database, cpu_seconds, created, machine, postmaster_pid, updated
from leadstore.bootstrap import Container
from leadstore.cli.replay import replay_all
from leadstore.domain.commands import Actor, CreateLead
from leadstore.handler import LeadCommandHandler
from leadstore.store import encryption
from leadstore.store.accounts import NewAccount
from leadstore.store.events import START, read_log
from leadstore.store.lead_store import PostgresLeadStore
from projections import get_projection

UPDATES = 3
# As bench.common.FILL, with each event's own metadata (sealed values bind the event's id).
FILL = """
INSERT INTO events (event_id, account_id, stream_id, stream_type, version, type, data, metadata, occurred_at,
                    prev_hash, hash)
SELECT t.event_id, $2::uuid, t.stream_id, 'lead', $3::integer, $4::text, t.data::jsonb, t.metadata::jsonb,
       t.occurred_at, p.hash,
       event_hash(p.hash, t.event_id, $2, t.stream_id, 'lead', $3, $4, t.data::jsonb, t.metadata::jsonb, t.occurred_at)
FROM unnest($1::uuid[], $5::uuid[], $6::text[], $7::text[], $8::timestamptz[]) WITH ORDINALITY
     AS t(event_id, stream_id, data, metadata, occurred_at, n)
LEFT JOIN events p ON p.stream_id = t.stream_id AND p.version = $3 - 1
ORDER BY t.n"""
KEYS = """
INSERT INTO lead_keys (account_id, lead_id, wrapped_key, kek_id)
SELECT $1, lead_id, wrapped, $4 FROM unnest($2::uuid[], $3::bytea[]) AS t(lead_id, wrapped)"""


def create_fields(n: int) -> dict[str, Any]:
    return {
        "first_name": "Bench",
        "last_name": f"Lead {n}",
        "email": f"lead{n}@example.com",
        "phone": f"+1555{n % 10_000_000:07d}",
        "company": f"Company {n % 5000}",
        "score": n % 100,
        "description": "Asked for a demo of the enterprise plan.",
    }


class Cpu:
    """CPU seconds used by this process and by the PostgreSQL server (with its backends) between two marks."""

    def __init__(self, database_url: str) -> None:
        self.postmaster = postmaster_pid(database_url)

    def mark(self) -> tuple[float, float]:
        server = cpu_seconds({"postgres": self.postmaster})["postgres"] if self.postmaster else 0.0
        return time.process_time(), server


async def creates(handler: LeadCommandHandler, account: NewAccount, writers: int, seconds: float, base: int) -> float:
    """Creates/s through the write lane for `seconds`; lead numbers start at `base` (emails stay unique)."""
    deadline = time.perf_counter() + seconds
    actor = Actor(user_id=account.user_id, role="admin")
    counter = itertools.count(base)
    done = 0

    async def writer() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            cmd = CreateLead(
                lead_id=uuid7(),
                account_id=account.account_id,
                actor=actor,
                now=datetime.now(UTC),
                fields=create_fields(next(counter)),
            )
            await handler.execute(cmd, account_id=account.account_id, metadata=METADATA)
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(writer() for _ in range(writers)))
    return done / (time.perf_counter() - started)


async def measure_creates(args: argparse.Namespace) -> tuple[float, float]:
    async with benchmark_database(fast=True) as (container, account):
        handlers = {
            sealed: LeadCommandHandler(PostgresLeadStore(container.pool, encrypt=sealed)) for sealed in (False, True)
        }
        rates: dict[bool, list[float]] = {False: [], True: []}
        cpu: dict[bool, list[tuple[float, float]]] = {False: [], True: []}  # per create: (python, postgres) µs
        meter = Cpu(container.settings.database_url)
        await creates(handlers[True], account, args.writers, 1.0, 10_000_000)  # warm-up (pool, caches)
        for n, sealed in enumerate(itertools.islice(itertools.cycle((False, True)), 2 * args.rounds)):
            before = meter.mark()
            rate = await creates(handlers[sealed], account, args.writers, args.seconds, n * 1_000_000)
            after = meter.mark()
            rates[sealed].append(rate)
            count = rate * args.seconds
            cpu[sealed].append(((after[0] - before[0]) / count * 1e6, (after[1] - before[1]) / count * 1e6))
        for handler in handlers.values():
            await handler.close()
    plain, sealed_rate = (statistics.median(rates[s]) for s in (False, True))
    for mode, label in ((False, "without"), (True, "with")):
        py, pg = (statistics.median(c[i] for c in cpu[mode]) for i in (0, 1))
        print(f"  CPU per create {label} encryption: this process {py:,.0f} µs, PostgreSQL {pg:,.0f} µs")
    print(f"creates/s through the write lane, {args.writers} writers, {args.rounds} x {args.seconds:g}s per mode:")
    print(f"  without encryption: median {plain:,.0f}/s  (rounds: {_rounds(rates[False])})")
    print(f"  with encryption:    median {sealed_rate:,.0f}/s  (rounds: {_rounds(rates[True])})")
    print(f"  encrypted / plain: {sealed_rate / plain:.3f}")
    return plain, sealed_rate


def _rounds(values: list[float]) -> str:
    return ", ".join(f"{v:,.0f}" for v in values)


async def fill(container: Container, account: NewAccount, leads: int, sealed: bool, chunk: int = 5000) -> None:
    """`leads` leads of a create and UPDATES updates each, with the HTTP layer's metadata: sealed with a data key
    per lead (as the write lane stores them), or in plaintext. Set-up, not measured."""
    ring = encryption.keyring()
    base = datetime(2026, 1, 1, tzinfo=UTC)
    encode = msgspec.json.encode
    async with container.pool.acquire() as conn:
        for start in range(0, leads, chunk):
            numbers = range(start, min(start + chunk, leads))
            streams: list[UUID] = [uuid7() for _ in numbers]
            keys = [ring.new_key(stream) for stream in streams] if sealed else []
            if sealed:
                wrapped = [k.wrapped for k in keys]
                await conn.execute(KEYS, account.account_id, streams, wrapped, ring.current_id)
            for version in range(1, 2 + UPDATES):
                kind = "LeadCreated" if version == 1 else "LeadUpdated"
                ids = [uuid7() for _ in numbers]
                datas, metas = [], []
                for i, n in enumerate(numbers):
                    data = created(account, n) if version == 1 else updated(n, version)
                    meta = METADATA
                    if sealed:
                        data, meta = encryption.seal_event(keys[i], ids[i], data, METADATA)
                    datas.append(encode(data).decode())
                    metas.append(encode(meta).decode())
                times = [base + timedelta(seconds=n * 10 + version) for n in numbers]
                await conn.execute(FILL, ids, account.account_id, version, kind, streams, datas, metas, times)


async def read_all(container: Container) -> float:
    """Seconds to read the whole log through read_log (opening sealed events) in batches of 1000."""
    started = time.perf_counter()
    checkpoint = START
    async with container.pool.acquire() as conn:
        while batch := await read_log(conn, checkpoint, 1000):
            checkpoint = batch[-1].checkpoint
    return time.perf_counter() - started


async def measure_replay(args: argparse.Namespace) -> None:
    async with benchmark_database(fast=True) as plain, benchmark_database(fast=True) as sealed:
        logs = {False: plain, True: sealed}
        for mode, (container, account) in logs.items():
            await fill(container, account, args.leads, mode)
        events = args.leads * (1 + UPDATES)
        replays: dict[bool, list[float]] = {False: [], True: []}
        reads: dict[bool, list[float]] = {False: [], True: []}
        projection = get_projection("lead_list")
        for mode in itertools.islice(itertools.cycle((False, True)), 2 * args.rounds):
            container = logs[mode][0]
            reads[mode].append(events / await read_all(container))
            started = time.perf_counter()
            assert await replay_all(container.pool, [projection]) == 0
            replays[mode].append(events / (time.perf_counter() - started))
    for name, rates in (("replay of the lead list (build and swap)", replays), ("read_log of the whole log", reads)):
        plain_rate, sealed_rate = (statistics.median(rates[s]) for s in (False, True))
        print(f"{name}, {events:,} events, {args.rounds} rounds per mode, events/s:")
        print(f"  without encryption: median {plain_rate:,.0f}/s  (rounds: {_rounds(rates[False])})")
        print(f"  with encryption:    median {sealed_rate:,.0f}/s  (rounds: {_rounds(rates[True])})")
        print(f"  encrypted / plain: {sealed_rate / plain_rate:.3f}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each create round")
    parser.add_argument("--writers", type=int, default=8, help="concurrent writers")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per mode, alternating")
    parser.add_argument("--leads", type=int, default=25_000, help="leads in each replayed log (4 events each)")
    args = parser.parse_args()
    print(f"machine: {machine()} (other work on the machine shares its cores)")
    await measure_creates(args)
    sys.stdout.flush()
    await measure_replay(args)


if __name__ == "__main__":
    asyncio.run(main())
