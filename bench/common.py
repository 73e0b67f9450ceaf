"""Shared set-up for benchmarks: an embedded PostgreSQL in a temporary folder, migrated, with one account."""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import tempfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import msgspec
from uuid_utils.compat import uuid7

from leadstore.bootstrap import Container, bootstrap
from leadstore.domain.events import Change, LeadCreated, LeadUpdated, event_data
from leadstore.embedded import EmbeddedPostgres
from leadstore.settings import Settings
from leadstore.store import encryption
from leadstore.store.accounts import NewAccount, create_account
from leadstore.store.encryption import KeyRing, generate_kek, parse_kek


def throwaway_kek() -> None:
    """A key-encryption key for this benchmark process and the servers it starts (issue 13): LEADSTORE_KEK when
    set, else a fresh one, installed here and exported to child processes."""
    os.environ.setdefault("LEADSTORE_KEK", generate_kek())
    if encryption.installed() is None:
        encryption.install(KeyRing(parse_kek(os.environ["LEADSTORE_KEK"], "LEADSTORE_KEK")))


def machine() -> str:
    """The machine the figures come from, printed next to every figure."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {memory:.0f} GiB, {platform.python_implementation()} {platform.python_version()}"


def backlog_and_delay_arguments(doc: str | None, *, events: int) -> argparse.Namespace:
    """The command line of a benchmark that drains a backlog of `events`, then measures commit-to-delivery delay."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=events, help="events in the backlog")
    parser.add_argument("--rate", type=float, default=200.0, help="writes a second for the delay measurement")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the delay measurement")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of writes before the measurement")
    return parser.parse_args()


def percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def delay_summary(sorted_delays: list[float]) -> str:
    """p50, p99 and max of delays in seconds, in milliseconds."""
    p50, p99 = percentile(sorted_delays, 0.5) * 1000, percentile(sorted_delays, 0.99) * 1000
    return f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {sorted_delays[-1] * 1000:.1f} ms"


def cpu_seconds(processes: dict[str, int]) -> dict[str, float]:
    """CPU seconds (user and system) used so far by each named process of `processes` together with its
    children (a PostgreSQL server's backends): where a benchmark's time goes (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    named = {pid: name for name, pid in processes.items()}
    used = dict.fromkeys(processes, 0.0)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        name = named.get(int(entry.name)) or named.get(int(fields[1]))
        if name is not None:
            used[name] += (int(fields[11]) + int(fields[12])) / tick
    return used


def postmaster_pid(database_url: str) -> int:
    """The process id of the embedded PostgreSQL server behind a benchmark database (0 if not found)."""
    port = urlsplit(database_url).port
    for pid_file in Path(tempfile.gettempdir()).glob("leadstore-bench-*/**/postmaster.pid"):
        lines = pid_file.read_text().splitlines()
        if len(lines) > 3 and lines[3].strip() == str(port):
            return int(lines[0])
    return 0


@contextlib.asynccontextmanager
async def benchmark_database(*, fast: bool = False, pool_size: int = 40) -> AsyncIterator[tuple[Container, NewAccount]]:
    """A migrated embedded database (durable settings unless `fast`) and an account in it."""
    throwaway_kek()
    with tempfile.TemporaryDirectory(prefix="leadstore-bench-") as folder:
        server = EmbeddedPostgres(Path(folder), fast=fast)
        url = server.start()
        try:
            container = await bootstrap(Settings(database_url=url, pool_max_size=pool_size), run_migrations=True)
            async with container.pool.acquire() as conn:
                account = await create_account(conn, "bench", "bench@example.com")
            try:
                yield container, account
            finally:
                await container.close()
        finally:
            server.stop()


METADATA = {
    "actor": {"user_id": None, "email": "bench@example.com", "api_key_id": None},
    "request": {
        "id": "req_bench",
        "method": "PATCH",
        "path": "/v1/leads",
        "ip": "203.0.113.9",
        "user_agent": "bench/1",
        "headers": {"authorization": "***", "content-type": "application/json"},
    },
}

# Bulk fill: one statement per version level of a chunk of leads, the hash chained in SQL as the append does.
FILL = """
INSERT INTO events (event_id, account_id, stream_id, stream_type, version, type, data, metadata, occurred_at,
                    prev_hash, hash)
SELECT t.event_id, $2::uuid, t.stream_id, 'lead', $3::integer, $4::text, t.data::jsonb, $5::jsonb, t.occurred_at,
       p.hash, event_hash(p.hash, t.event_id, $2, t.stream_id, 'lead', $3, $4, t.data::jsonb, $5::jsonb, t.occurred_at)
FROM unnest($1::uuid[], $6::uuid[], $7::text[], $8::timestamptz[]) WITH ORDINALITY
     AS t(event_id, stream_id, data, occurred_at, n)
LEFT JOIN events p ON p.stream_id = t.stream_id AND p.version = $3 - 1
ORDER BY t.n"""


def created(account: NewAccount, n: int) -> dict[str, Any]:
    event = LeadCreated(
        account_id=account.account_id,
        created_by=account.user_id,
        status="new",
        first_name="Bench",
        last_name=f"Lead {n}",
        email=f"lead{n}@example.com",
        phone=f"+1555{n % 10_000_000:07d}",
        company=f"Company {n % 5000}",
        source="website",
        score=n % 100,
        marketing_attribution=["newsletter", "webinar"],
        description="Asked for a demo of the enterprise plan.",
    )
    return event_data(event)


def updated(n: int, version: int) -> dict[str, Any]:
    changes = {
        2: {"company": Change(f"Company {n % 5000}", f"Company {n % 5000} Ltd")},
        3: {"score": Change(n % 100, (n + 7) % 100), "title": Change(None, "Head of Sales")},
        4: {"email": Change(f"lead{n}@example.com", f"lead{n}@corp.example.com")},
    }[version]
    return event_data(LeadUpdated(changes))


async def fill_log(
    container: Container, account: NewAccount, events: int, *, updates: int = 3, chunk: int = 10_000
) -> None:
    """`events` events of realistic leads (each created, then updated `updates` times, at most 3), hash-chained,
    in bulk: set-up for a measurement, not the measure."""
    leads = events // (1 + updates)
    metadata = msgspec.json.encode(METADATA).decode()
    base = datetime(2026, 1, 1, tzinfo=UTC)
    async with container.pool.acquire() as conn:
        for start in range(0, leads, chunk):
            numbers = range(start, min(start + chunk, leads))
            streams: list[UUID] = [uuid7() for _ in numbers]
            for version in range(1, 2 + updates):
                kind = "LeadCreated" if version == 1 else "LeadUpdated"
                data = [created(account, n) if version == 1 else updated(n, version) for n in numbers]
                times = [base + timedelta(seconds=n * 10 + version) for n in numbers]
                await conn.execute(
                    FILL,
                    [uuid7() for _ in numbers],
                    account.account_id,
                    version,
                    kind,
                    metadata,
                    streams,
                    [msgspec.json.encode(d).decode() for d in data],
                    times,
                )


async def account_with_members(container: Container, members: int = 10) -> tuple[NewAccount, list[str]]:
    """A new account for the list benchmarks, and the ids of `members` member users to own its leads."""
    from leadstore.http.testing import add_user

    async with container.pool.acquire() as conn:
        account = await create_account(conn, "bench lists", "lists@example.com")
    users = [str((await add_user(container, account.account_id, "member"))[0]) for _ in range(members)]
    return account, users
