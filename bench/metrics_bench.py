"""Issue 11 figures: what a scrape (GET /metrics) and a readiness probe (GET /ready) cost, against GET /health in
the same run, with the readers (the lead_list projection and the publisher) caught up and far behind a log of
--events events; the status query of /ready against the one it replaced (two per reader, the oldest pending
event found among up to 100,000 rows); and what the request metrics add to a request (middleware on and off).

python -m bench.metrics_bench [--events 200000] [--requests 400]

Embedded PostgreSQL with fsync off (fast=True): the figures compare code paths, not disks. The client runs in
the server's event loop, so each latency includes the client's share; the ratios are the point.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

import httpx

from bench.common import benchmark_database, fill_log, machine
from leadstore.bootstrap import Container
from leadstore.cli.common import event_loop_factory
from leadstore.http.app import create_app
from leadstore.http.testing import serve_app
from leadstore.publishing.publisher import DEFAULT_NAME as PUBLISHER
from leadstore.store import checkpoints, status

TO_HEAD = """
UPDATE checkpoints SET (transaction_id, position) =
    (SELECT transaction_id, position FROM events ORDER BY transaction_id DESC, position DESC LIMIT 1)
WHERE name = ANY($1::text[])"""
TO_START = "UPDATE checkpoints SET transaction_id = '0', position = 0 WHERE name = ANY($1::text[])"
# What /ready ran per reader before issue 11 (after reading the checkpoint), kept here for the comparison.
BEFORE = """
SELECT count(*) AS events, extract(epoch FROM now() - min(occurred_at)) AS seconds
FROM (SELECT occurred_at FROM events WHERE (transaction_id, position) > ($1::xid8, $2::bigint)
      ORDER BY transaction_id, position LIMIT 100000) AS pending"""


async def timed(call: Callable[[], Awaitable[object]], times: int) -> list[float]:
    """Milliseconds of each of `times` sequential calls."""
    took = []
    for _ in range(times):
        started = time.perf_counter()
        await call()
        took.append((time.perf_counter() - started) * 1000)
    return took


def median(ms: list[float]) -> float:
    return statistics.median(ms)


def p95(ms: list[float]) -> float:
    return statistics.quantiles(ms, n=20)[-1]


async def get_ok(http: httpx.AsyncClient, path: str) -> None:
    response = await http.get(path)
    assert response.status_code == 200, response.text


async def endpoints(http: httpx.AsyncClient, requests: int) -> dict[str, list[float]]:
    """Latencies of /health, /ready and /metrics, interleaved in rounds so that drift hits them alike."""
    found: dict[str, list[float]] = {"/health": [], "/ready": [], "/metrics": []}
    for _ in range(4):
        for path, took in found.items():
            took += await timed(lambda path=path: get_ok(http, path), requests // 4)  # type: ignore[misc]
    return found


async def status_queries(container: Container, names: list[str], rounds: int) -> tuple[list[float], list[float]]:
    """The readers' status as /ready and /metrics read it now, and as /ready read it before (per reader)."""
    new: list[float] = []
    old: list[float] = []
    async with container.pool.acquire() as conn:

        async def before() -> None:
            for name in names:
                checkpoint = await checkpoints.read(conn, name)
                await conn.fetchrow(BEFORE, checkpoint.transaction_id, checkpoint.position)

        for _ in range(rounds):
            new += await timed(lambda: status.readers(conn, names), 1)
            old += await timed(before, 1)
    return new, old


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200_000, help="events in the log")
    parser.add_argument("--requests", type=int, default=400, help="requests to each endpoint, in each state")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    async with benchmark_database(fast=True) as (container, account):
        await fill_log(container, account, args.events)
        names = [runner.name for runner in container.runners] + [PUBLISHER]
        async with container.pool.acquire() as conn:
            await checkpoints.ensure(conn, PUBLISHER)
            await conn.execute("VACUUM ANALYZE events")  # as autovacuum leaves an append-only table
        app = create_app(container)
        async with (
            serve_app(app, metrics=container.metrics) as url,
            serve_app(app) as bare_url,
            httpx.AsyncClient(base_url=url) as http,
            httpx.AsyncClient(base_url=bare_url) as bare,
        ):
            for state, move in (("caught up", TO_HEAD), (f"{args.events:,} events behind", TO_START)):
                async with container.pool.acquire() as conn:
                    await conn.execute(move, names)
                found = await endpoints(http, args.requests)
                base = median(found["/health"])
                print(f"readers {state}: median (p95) ms over {args.requests} requests each")
                for path, took in found.items():
                    print(f"  GET {path:8} {median(took):6.2f} ({p95(took):6.2f})  x{median(took) / base:.1f} /health")
                new, old = await status_queries(container, names, 20)
                print(f"  readers' status query: {median(new):.2f} ms; the one /ready ran before: {median(old):.2f} ms")
            on: list[float] = []
            off: list[float] = []
            for _ in range(4):
                on += await timed(lambda: get_ok(http, "/health"), args.requests // 4)
                off += await timed(lambda: get_ok(bare, "/health"), args.requests // 4)
            print(f"GET /health with the request metrics / without: {median(on) / median(off):.2f}")


if __name__ == "__main__":
    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
        runner.run(main())
