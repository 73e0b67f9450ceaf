"""PostgreSQL stopped fast and started again, again and again, under POST /v1/leads and list reads: what the
clients were answered (only 2xx and 503 with Retry-After are right; a 500 is a bug) and how soon after each
start the API served writes again. The suite's fast variant: tests/integration/test_postgres_restart.py.

python -m bench.restart_bench [--restarts 6] [--clients 16] [--down 1.0]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
from uuid_utils.compat import uuid7

from bench.common import machine, throwaway_kek
from leadstore.bootstrap import bootstrap
from leadstore.cli import event_loop_factory
from leadstore.embedded import EmbeddedPostgres
from leadstore.http.testing import serve
from leadstore.settings import Settings
from leadstore.store.accounts import create_account


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--restarts", type=int, default=6, help="fast shutdowns, each followed by a start")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients, each writing then listing")
    parser.add_argument("--down", type=float, default=1.0, help="seconds PostgreSQL stays down each time")
    args = parser.parse_args()
    print(f"machine: {machine()}; embedded PostgreSQL, durable settings; API in-process", flush=True)
    with tempfile.TemporaryDirectory(prefix="leadstore-bench-") as folder:
        server = EmbeddedPostgres(Path(folder))
        url = server.start()
        try:
            settings = Settings(database_url=url, rate_limit_per_second=0, auth_failures_per_minute=0)
            throwaway_kek()
            container = await bootstrap(settings, run_migrations=True)
            try:
                async with container.pool.acquire() as conn:
                    account = await create_account(conn, "restart bench", "bench@example.com")
                async with serve(container) as api:
                    await restarts(server, api, account.api_key, args)
            finally:
                await container.close()
        finally:
            server.stop()


async def restarts(server: EmbeddedPostgres, api: str, key: str, args: argparse.Namespace) -> None:
    """Run the clients through every restart; print the answers by status and the recovery times."""
    answers: list[tuple[float, int, bool]] = []  # (when, status, has Retry-After)
    stop = asyncio.Event()
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=api, headers=headers, timeout=60) as http:

        async def client() -> None:
            while not stop.is_set():
                body = {"first_name": "Ada", "email": f"{uuid7().hex}@example.com", "source": "website"}
                for response in (await http.post("/v1/leads", json=body), await http.get("/v1/leads")):
                    answers.append((time.monotonic(), response.status_code, "retry-after" in response.headers))

        clients = [asyncio.create_task(client()) for _ in range(args.clients)]
        recoveries = []
        try:
            for _ in range(args.restarts):
                await asyncio.sleep(2)
                await asyncio.to_thread(server.stop)
                await asyncio.sleep(args.down)
                await asyncio.to_thread(server.start)
                back = time.monotonic()
                while not [a for a in answers if a[0] > back and a[1] == 201]:  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
                recoveries.append(min(a[0] for a in answers if a[0] > back and a[1] == 201) - back)
        finally:
            stop.set()
            await asyncio.gather(*clients)
    statuses = Counter(status for _, status, _ in answers)
    without = sum(1 for _, status, retry in answers if status == 503 and not retry)
    print(
        f"{args.restarts} fast shutdowns ({args.down:g} s down each), {args.clients} clients: {len(answers):,} answers"
    )
    print("by status: " + ", ".join(f"{status}: {count:,}" for status, count in sorted(statuses.items())))
    print(f"503 without Retry-After: {without}; 500: {statuses.get(500, 0)}")
    print(
        f"first 201 after PostgreSQL was back: median {statistics.median(recoveries) * 1000:.0f} ms, "
        f"worst {max(recoveries) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
        runner.run(main())
