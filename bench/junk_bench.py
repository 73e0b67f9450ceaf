"""30,000 junk requests against a served API (tests/junk.py draws them), as the first fault-injection round sent:
counts of answers by status, server errors (must be none), events written (must be none but valid changes),
and requests/s.

python -m bench.junk_bench [--requests 30000] [--concurrency 50] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import random
import time

import httpx

from bench.common import benchmark_database
from leadstore.http.testing import serve
from tests.junk import junk, send


async def main(requests: int, concurrency: int, seed: int) -> None:
    async with benchmark_database(fast=True) as (container, account):
        headers = {"Authorization": f"Bearer {account.api_key}"}
        async with serve(container) as url, httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
            lead = (await http.post("/v1/leads", json={"first_name": "Ann"})).json()["id"]
            rng = random.Random(seed)
            drawn = [junk(rng, lead) for _ in range(requests)]
            statuses: collections.Counter[int] = collections.Counter()
            started = time.perf_counter()
            for first in range(0, requests, concurrency):
                statuses.update(await asyncio.gather(*(send(http, r) for r in drawn[first : first + concurrency])))
            seconds = time.perf_counter() - started
            alive = (await http.get("/v1/leads", params={"limit": 1})).status_code
        async with container.pool.acquire() as conn:
            events = await conn.fetchval("SELECT count(*) FROM events WHERE account_id = $1", account.account_id)
    print(f"machine: 2 cores, 24 GiB; {requests:,} junk requests, {concurrency} at a time, seed {seed}")
    print(f"answers by status: {dict(sorted(statuses.items()))}")
    print(f"5xx: {sum(n for s, n in statuses.items() if s >= 500)}; {requests / seconds:,.0f} requests/s")
    print(f"events in the account: {events} (3 opening it and the one lead; more only from 2xx changes)")
    print(f"the API afterwards: {alive}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=30_000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.concurrency, args.seed))
