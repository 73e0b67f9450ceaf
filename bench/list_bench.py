"""Issue 8 figures: p50/p99 of GET /v1/leads at 1,000,000 leads, for every kind of filter: the existing ones,
phone, custom-field equality and custom-field ranges, over several sorts.

python -m bench.list_bench [--leads 1000000] [--requests 400] [--explain]

The leads are LeadCreated rows written straight into the log, then projected by a replay (as `leadstore
replay` builds a read model: indexes after the rows) and analysed. Each query runs `--requests` times in a
row on one keep-alive connection to one uvicorn process, after 20 warm-up requests. `--explain` also prints
PostgreSQL's plan and timing of each query's SQL.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, quote
from uuid import UUID

import msgspec
from uuid_utils.compat import uuid7

from bench.common import account_with_members, benchmark_database, machine
from bench.http_bench import RAW_EVENT, SOURCES, STATUSES, exchange, latencies, start_server
from leadstore.bootstrap import Container
from leadstore.cli import event_loop_factory
from leadstore.domain import field_checks
from leadstore.domain.field_checks import Problems
from leadstore.http import list_filters
from leadstore.projection.swap import replay
from leadstore.store import config
from leadstore.store.account_log import by_command_line
from leadstore.store.accounts import NewAccount
from leadstore.store.lead_list.query import MUTABLE_SORTS, LeadFilter, like_pattern, list_sql
from projections import get_projection

INDUSTRIES = ["tech", "retail", "health", "finance", "energy", "media", "public", "other"]
TAGS = [["vip"], ["vip", "churn_risk"], ["newsletter"], [], ["partner", "vip"], ["partner"], [], ["newsletter"]]
FIELDS = [
    ("industry", "choice", INDUSTRIES),
    ("tags", "multi_choice", ["vip", "churn_risk", "newsletter", "partner"]),
    ("region", "text", []),
    ("deal_size", "number", []),
    ("renewal", "date", []),
    ("last_contacted", "datetime", []),
]
START = datetime(2026, 1, 1, tzinfo=UTC)


def lead_data(account: NewAccount, users: list[str], n: int, rng: random.Random) -> dict[str, Any]:
    """A LeadCreated payload: varied pipeline fields, a phone for 4 leads in 5, and custom values."""
    data: dict[str, Any] = {"account_id": str(account.account_id), "created_by": str(account.user_id)}
    data |= {"status": rng.choice(STATUSES), "source": rng.choice(SOURCES), "score": rng.randint(0, 100)}
    data |= {"first_name": f"First{n}", "last_name": "Lead", "company": f"Company {n % 997}"}
    data |= {"email": f"fill{n}@example.com", "assigned_to": rng.choice(users)}
    if n % 5:
        data["phone"] = f"+1555{n:07d}"
    custom: dict[str, Any] = {"industry": INDUSTRIES[n % 8], "tags": TAGS[(n // 8) % 8], "region": f"r{n % 1000}"}
    if n % 10:
        custom["deal_size"] = rng.randint(0, 1_000_000)
    custom["renewal"] = (START.date() + timedelta(days=rng.randrange(3 * 365))).isoformat()
    if n % 10 < 7:
        moment = START + timedelta(milliseconds=rng.randrange(365 * 86_400_000))
        custom["last_contacted"] = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return data | {"custom": custom}


async def fill(container: Container, account: NewAccount, leads: int, users: list[str]) -> None:
    """`leads` LeadCreated rows in the log, then the lead list replayed from them and analysed."""
    rng, start = random.Random(8), START - timedelta(days=365)
    async with container.pool.acquire() as conn:
        for key, kind, choices in FIELDS:
            values = {"key": key, "label": key, "type": kind, "choices": choices, "required": False}
            await config.create_custom_field(conn, by_command_line(account.account_id, "bench"), values)
        for first in range(0, leads, 5000):
            rows = []
            for n in range(first, min(first + 5000, leads)):
                when = start + timedelta(seconds=n * 30)
                rows.append((uuid7(), account.account_id, uuid7(), lead_data(account, users, n, rng), when))
            await conn.executemany(RAW_EVENT, rows)
    await replay(container.pool, get_projection("lead_list"))
    async with container.pool.acquire() as conn:
        await conn.execute("ANALYZE lead_list")  # as autovacuum would soon after a bulk load


def queries(users: list[str]) -> list[tuple[str, str]]:
    """(what, query string): the existing filters first, then phone, custom equality and custom ranges."""
    return [
        ("status", "status=contacted"),
        ("status + min_score, by score", "status=qualified&min_score=50&sort=-score"),
        ("source + assigned_to", f"source=referral&assigned_to={users[3]}&limit=20"),
        ("created_after, ascending", "created_after=2025-12-01&sort=created_at&limit=100"),
        ("q substring", "q=company%20123"),
        ("phone, E.164", "phone=%2B15550123457"),
        ("phone, national format", "phone=" + quote("(555) 012-3457")),
        ("custom choice, 1 in 8", "custom.industry=tech"),
        ("custom multi_choice contains, by score", "custom.tags=churn_risk&sort=-score"),
        ("custom text, 1 in 1,000", "custom.region=r123"),
        ("custom text, 1 in 1,000, by updated_at", "custom.region=r123&sort=-updated_at"),
        ("custom number >= 500,000 (45%)", "custom.deal_size.min=500000"),
        ("custom number 1,000-1,999 (0.1%)", "custom.deal_size.min=1000&custom.deal_size.max=1999"),
        ("custom number 0-9,999 (0.9%), by score", "custom.deal_size.min=0&custom.deal_size.max=9999&sort=score"),
        ("custom date, one month (2.8%)", "custom.renewal.min=2026-03-01&custom.renewal.max=2026-03-31"),
        (
            "custom datetime, one day (0.2%), by updated_at",
            "custom.last_contacted.min=2026-05-04&custom.last_contacted.max=2026-05-04T23:59:59.999Z&sort=-updated_at",
        ),
        (
            "status + choice + number range, by score",
            "status=new&custom.industry=tech&custom.deal_size.min=100000&sort=-score",
        ),
    ]


# Page 2 of a cursor walk with custom filters: by created_at (a keyset), by updated_at (a pinned walk).
WALKS = [
    "custom.industry=tech&sort=-created_at",
    "custom.deal_size.min=100000&custom.deal_size.max=199999&sort=-updated_at",
]


async def walk_page(port: int, key: str, query: str, requests: int) -> None:
    """p50/p99 of the second page of a walk of `query`."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = f"GET /v1/leads?{query} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {key}\r\n\r\n"
    _, body = await exchange(reader, writer, head.encode())
    writer.close()
    cursor = msgspec.json.decode(body)["next_cursor"]
    if cursor is None:
        return
    p50, p99, page = await latencies(port, key, f"{query}&cursor={cursor}", requests)
    print(f"{'walk page 2':<48} ({page:>3} leads): p50 {p50:5.1f} ms, p99 {p99:5.1f} ms   ?{query}", flush=True)


async def filters_of(container: Container, account: NewAccount, query: str) -> tuple[LeadFilter, str, int]:
    """The LeadFilter, sort and limit of one of these queries, parsed by the API's own parsers."""
    given = parse_qs(query)
    one = {name: values[0] for name, values in given.items() if not name.startswith("custom.")}
    async with container.pool.acquire() as conn:
        fields = {row["key"]: row["type"] for row in await config.list_custom_fields(conn, account.account_id)}
    found = Problems()
    custom = {name: values for name, values in given.items() if name.startswith("custom.")}
    contains, ranges = list_filters.custom_filters(custom, fields, found)
    assert not found.errors, found.errors
    filters = LeadFilter(
        status=one.get("status"),
        source=one.get("source"),
        assigned_to=UUID(one["assigned_to"]) if "assigned_to" in one else None,
        min_score=int(one["min_score"]) if "min_score" in one else None,
        created_after=field_checks.instant(one["created_after"]) if "created_after" in one else None,
        search=like_pattern(one["q"]) if "q" in one else None,
        phones=list_filters.phone_numbers(one["phone"]) if "phone" in one else None,
        custom=contains,
        custom_ranges=ranges,
    )
    return filters, one.get("sort", "-created_at"), int(one.get("limit", 50))


async def explain(container: Container, account: NewAccount, query: str) -> None:
    """PostgreSQL's plan and timing of the list SQL for `query` (its first page)."""
    filters, sort, limit = await filters_of(container, account, query)
    sql, args = list_sql(filters, sort, None, limit, pin=sort in MUTABLE_SORTS)
    args[0] = account.account_id
    async with container.pool.acquire() as conn:
        rows = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, *args)
    print("\n".join("    " + row[0] for row in rows), flush=True)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=1_000_000, help="leads in the account the lists read")
    parser.add_argument("--requests", type=int, default=400, help="sequential requests per list query")
    parser.add_argument("--explain", action="store_true", help="print each query's plan")
    args, _ = parser.parse_known_args()  # `make bench` passes every benchmark the same arguments
    print(f"machine: {machine()}; embedded PostgreSQL (fsync off; reads only), one uvicorn process", flush=True)
    async with benchmark_database(fast=True) as (container, _):
        account, users = await account_with_members(container)
        started = time.perf_counter()
        await fill(container, account, args.leads, users)
        print(f"filled and replayed {args.leads:,} leads in {time.perf_counter() - started:.0f}s", flush=True)
        proc, port = start_server("leadstore", container.settings.database_url)
        try:
            for what, query in queries(users):
                p50, p99, page = await latencies(port, account.api_key, query, args.requests)
                print(f"{what:<48} ({page:>3} leads): p50 {p50:5.1f} ms, p99 {p99:5.1f} ms   ?{query}", flush=True)
                if args.explain:
                    await explain(container, account, query)
            for query in WALKS:
                await walk_page(port, account.api_key, query, args.requests)
        finally:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
        runner.run(main())
