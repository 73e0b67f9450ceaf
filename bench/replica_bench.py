"""Issue 11 figures: what read-your-writes through a streaming replica costs. One client writes a lead and at
once lists with its `min_position`, in a row; the list is answered by the primary (baseline), then by a hot
standby of it (pg_basebackup -R), same run, same durable servers. Also: how long the standby takes to hold a
write the primary committed (its replay lag), sampled.

python -m bench.replica_bench [--rounds 300]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx

from bench.common import machine, throwaway_kek
from leadstore.bootstrap import bootstrap
from leadstore.cli import event_loop_factory
from leadstore.embedded import EmbeddedPostgres
from leadstore.http.testing import projecting, serve
from leadstore.settings import Settings
from leadstore.store.accounts import create_account
from projections import get_projection

WRITTEN = "SELECT pg_current_wal_insert_lsn()::text"
REPLAYED = "SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn"


@contextlib.contextmanager
def primary_and_standby() -> Iterator[tuple[str, str]]:
    """A durable embedded primary and a streaming hot standby of it: their URLs."""
    with tempfile.TemporaryDirectory(prefix="leadstore-bench-") as folder:
        primary = EmbeddedPostgres(Path(folder) / "primary")
        primary.start()
        try:
            standby = primary.replicate(Path(folder) / "standby")
            try:
                yield primary.url, standby.url
            finally:
                standby.stop()
        finally:
            primary.stop()


async def read_your_writes(settings: Settings, rounds: int) -> list[float]:
    """Seconds of each `GET /v1/leads?min_position=` right after the write it names."""
    throwaway_kek()
    container = await bootstrap(settings, run_migrations=True, projections=[get_projection("lead_list")])
    try:
        async with container.pool.acquire() as conn:
            account = await create_account(conn, "bench", "bench@example.com")
        headers = {"Authorization": f"Bearer {account.api_key}"}
        async with (
            projecting(container),
            serve(container) as api,
            httpx.AsyncClient(base_url=api, headers=headers) as http,
        ):
            took = []
            for n in range(rounds):
                written = await http.post("/v1/leads", json={"first_name": f"Lead {n}"})
                started = time.perf_counter()
                listed = await http.get(
                    "/v1/leads", params={"min_position": written.headers["leadstore-position"], "limit": 1}
                )
                took.append(time.perf_counter() - started)
                assert listed.status_code == 200 and listed.json()["data"][0]["id"] == written.json()["id"], listed.text
            return took
    finally:
        await container.close()


async def replay_lag(primary_url: str, standby_url: str, samples: int) -> list[float]:
    """Seconds from a commit on the primary until the standby has replayed it."""
    primary, standby = await asyncpg.connect(primary_url), await asyncpg.connect(standby_url)
    try:
        await primary.execute("CREATE TABLE IF NOT EXISTS bench_ticks (n int)")
        took = []
        for n in range(samples):
            started = time.perf_counter()
            await primary.execute("INSERT INTO bench_ticks VALUES ($1)", n)
            written = await primary.fetchval(WRITTEN)
            while not await standby.fetchval(REPLAYED, written):  # noqa: ASYNC110 (polled: nothing to wait on)
                await asyncio.sleep(0.0005)
            took.append(time.perf_counter() - started)
        return took
    finally:
        await primary.close()
        await standby.close()


def summary(label: str, seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"{label}: p50 {statistics.median(ordered) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms ({len(ordered)} requests)"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    print(machine())
    with primary_and_standby() as (primary, standby):
        base = Settings(database_url=primary, rate_limit_per_second=0, auth_failures_per_minute=0)
        print(summary("write, then list with min_position on the primary", await read_your_writes(base, args.rounds)))
        through = Settings(
            database_url=primary, read_database_url=standby, rate_limit_per_second=0, auth_failures_per_minute=0
        )
        print(
            summary("write, then list with min_position on the standby", await read_your_writes(through, args.rounds))
        )
        print(
            summary(
                "commit on the primary until replayed on the standby", await replay_lag(primary, standby, args.rounds)
            )
        )


if __name__ == "__main__":
    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:  # the loop `leadstore serve` runs on
        runner.run(main())
