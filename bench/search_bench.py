"""Issue 15 figures: GET /v1/leads?q= at 1,000,000 leads, next to a filtered list in the same run.

python -m bench.search_bench [--requests 400] [--seconds 10] [--connections 32] [--sql]

The million leads are written straight into the lead list read model with SQL (bench/search_seed.py:
generate_series; names, companies, emails, phones and a text custom field), in one big account (700,000) and
ten of 30,000: creating them through the API, or replaying a million LeadCreated events, takes far longer than
this machine gives a benchmark, and a search reads only the read model. Then, through the real HTTP app (one
uvicorn process serving the API as `leadstore serve --no-workers` does), on the big account:
- one client: p50/p99 of each search and of a filtered list, `--requests` sequential requests each;
- `--connections` clients for `--seconds`: requests/s, p50 and p99 of the searches (each connection cycling
  through them) and of the filtered list alone.
`--sql` also times each search's SQL in the shapes considered (mean of 30 runs on one connection, 3 if slow): the
trigram substring search of lead_list version 4, the words query as the planner plans it, and the probe and
matches shapes pages.py uses, and a page read as pages.py reads it (probe, a second probe, matches: as
each finds).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import time
from typing import Any
from urllib.parse import quote
from uuid import UUID

from bench.common import benchmark_database, machine
from bench.http_bench import exchange, latencies, start_server
from bench.search_seed import seed_account
from leadstore.bootstrap import Container
from leadstore.cli import event_loop_factory
from leadstore.projection.rebuild import create_table
from leadstore.store.accounts import NewAccount, create_account
from leadstore.store.lead_list.pages import list_page
from leadstore.store.lead_list.query import COLUMNS, PROBE_ROWS, LeadFilter, like_pattern, search_sql
from leadstore.store.lead_list.search import index_query, search_query
from projections import get_projection

BIG, SMALL, SMALL_ACCOUNTS = 700_000, 30_000, 10
FILTERED = "status=contacted"


async def seed(container: Container) -> tuple[NewAccount, list[NewAccount]]:
    """The big account and the small ones, their leads in a fresh lead list, indexed and analysed."""
    async with container.pool.acquire() as conn:
        await conn.execute("SET statement_timeout = 0")  # set-up, not the measure: an index build takes minutes
        big = await create_account(conn, "search big", "big@example.com")
        small = [await create_account(conn, f"search {n}", f"s{n}@example.com") for n in range(SMALL_ACCOUNTS)]
        deferred = await create_table(conn, get_projection("lead_list"), "lead_list", defer_indexes=True)
        await seed_account(conn, big.account_id, big.user_id, 0, BIG)
        for n, account in enumerate(small):
            await seed_account(conn, account.account_id, account.user_id, BIG + n * SMALL, SMALL)
        await conn.execute("SET maintenance_work_mem = '512MB'")  # building the indexes after the rows
        for statement in deferred:
            await conn.execute(statement)
        await conn.execute("VACUUM ANALYZE lead_list")  # as autovacuum would soon after a bulk load
    return big, small


async def searches(container: Container, account: NewAccount) -> list[tuple[str, str]]:
    """(what, q): common and rare words, several words, an email, phones as typed, no match."""
    async with container.pool.acquire() as conn:
        phone = await conn.fetchval(
            "SELECT phone FROM lead_list WHERE account_id = $1 AND phone IS NOT NULL LIMIT 1", account.account_id
        )
        email = await conn.fetchval(
            "SELECT email_lower FROM lead_list WHERE account_id = $1 LIMIT 1", account.account_id
        )
    national = phone[2:]
    return [
        ("the issue's query (71 leads)", "company 123"),
        ("a last name (1 in 130)", "garcia"),
        ("first name and a last-name prefix", "maria gar"),
        ("an email domain (1 in 6)", "gmail"),
        ("a whole email", email),
        ("a custom text value (1 in 6)", "enterprise"),
        ("phone, international prefix", f"+1 {national[:3]} {national[3:6]}"),
        ("phone, national digits", national),
        ("phone, national format", f"({national[:3]}) {national[3:6]}-{national[6:]}"),
        ("no match", "zzqx"),
    ]


async def load(port: int, key: str, queries: list[str], connections: int, seconds: float) -> tuple[float, float, float]:
    """(requests/s, p50 ms, p99 ms) of `connections` keep-alive clients cycling through `queries`."""
    timings: list[float] = []
    deadline = time.perf_counter() + seconds

    async def client(offset: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for query in itertools.islice(itertools.cycle(queries), offset, None):
            if time.perf_counter() > deadline:
                break
            request = f"GET /v1/leads?{query} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {key}\r\n\r\n"
            started = time.perf_counter()
            status, body = await exchange(reader, writer, request.encode())
            assert status == 200, body
            timings.append((time.perf_counter() - started) * 1000)
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(connections)))
    rate = len(timings) / (time.perf_counter() - started)
    cuts = statistics.quantiles(timings, n=100)
    return rate, cuts[49], cuts[98]


async def time_sql(container: Container, account_id: UUID, q: str) -> dict[str, float]:
    """Mean ms of the SQL shapes considered for the first page of `q` (by -created_at, 50 a page)."""
    words = search_query(q)
    assert words is not None
    order = "ORDER BY created_at DESC, id DESC LIMIT 51"
    shapes: dict[str, tuple[str, list[Any]]] = {
        "substring (v4)": (
            f"SELECT {COLUMNS} FROM lead_list WHERE account_id = $1 AND NOT archived AND search LIKE $2 {order}",
            [account_id, like_pattern(q)],
        ),
        "words, planner": (
            f"SELECT {COLUMNS} FROM lead_list WHERE account_id = $1 AND NOT archived AND search_words @@ $2::tsquery "
            + order,
            [account_id, words],
        ),
    }
    indexed = index_query(q) if index_query(q) != words else None
    for name, probe in (("probe", PROBE_ROWS), ("matches", None)):
        sql, args = search_sql(LeadFilter(words=words, indexed=indexed), "-created_at", None, 50, probe=probe)
        shapes[name] = (sql, [account_id, *args[1:]])
    spent = {}
    async with container.pool.acquire() as conn:
        for name, (sql, args) in shapes.items():
            started = time.perf_counter()
            await conn.fetch(sql, *args)
            runs = 30 if time.perf_counter() - started < 0.1 else 3  # a slow shape's mean is clear soon enough
            started = time.perf_counter()
            for _ in range(runs):
                await conn.fetch(sql, *args)
            spent[name] = (time.perf_counter() - started) / runs * 1000
        started = time.perf_counter()
        for _ in range(30):  # as pages.py reads a page: probe, a second probe, matches, as each finds
            await list_page(conn, account_id, LeadFilter(words=words, indexed=indexed), "-created_at", None, 50)
        spent["as served"] = (time.perf_counter() - started) / 30 * 1000
    return spent


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=400, help="sequential requests per query, one client")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each concurrent measurement")
    parser.add_argument("--connections", type=int, default=32, help="concurrent keep-alive connections")
    parser.add_argument("--sql", action="store_true", help="also time each search's SQL in every shape considered")
    args, _ = parser.parse_known_args()  # `make bench` passes every benchmark the same arguments
    print(f"machine: {machine()}; embedded PostgreSQL (fsync off; reads only), one uvicorn process", flush=True)
    async with benchmark_database(fast=True) as (container, _):
        started = time.perf_counter()
        big, _small = await seed(container)
        print(f"seeded and indexed {BIG + SMALL * SMALL_ACCOUNTS:,} leads in {time.perf_counter() - started:.0f}s")
        found = await searches(container, big)
        if args.sql:
            for what, q in found:
                spent = await time_sql(container, big.account_id, q)
                shapes = ", ".join(f"{name} {ms:.2f}" for name, ms in spent.items())
                print(f"SQL ms, {what:<36} q={q!r}: {shapes}", flush=True)
        proc, port = start_server("api", container.settings.database_url)
        try:
            queries = [f"q={quote(q)}" for _, q in found]
            for (what, _), query in [*zip(found, queries, strict=True), (("filtered list", ""), FILTERED)]:
                p50, p99, page = await latencies(port, big.api_key, query, args.requests)
                print(f"one client, {what:<36} ({page:>2} leads): p50 {p50:5.1f} ms, p99 {p99:5.1f} ms  ?{query}")
            for what, mix in (("filtered list", [FILTERED]), ("searches, mixed", queries)):
                rate, p50, p99 = await load(port, big.api_key, mix, args.connections, args.seconds)
                print(
                    f"{args.connections} clients, {what:<16}: {rate:7,.0f} requests/s, p50 {p50:6.1f} ms, "
                    f"p99 {p99:6.1f} ms",
                    flush=True,
                )
        finally:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
        runner.run(main())
