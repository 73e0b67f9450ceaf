"""Issue 14 figures: p50/p99 of one lead's duplicate candidates (GET /v1/leads/{id}/duplicates) at 100,000
leads, next to GET /v1/leads/{id} of the same leads in the same run (the baseline); and a page of the
account's pairs (GET /v1/duplicates).

python -m bench.duplicates_bench [--leads 100000] [--requests 400] [--explain]

Creating 100,000 leads through the API takes longer than this machine's budget for a benchmark, so the
leads are LeadCreated rows written straight into the log (as bench.list_bench does), then projected by a
replay (as `leadstore replay` builds a read model) and analysed. Names come from 300 first and 600 last
names, companies from 5,000, and one lead in 20 is a near copy of an earlier one (a typo in the name, the
company in other capitals, the phone in another format or the same one), so candidates exist. Each request
asks for another lead, sequentially on one keep-alive connection to one uvicorn process, after 20 warm-ups.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import string
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import msgspec
from uuid_utils.compat import uuid7

from bench.common import account_with_members, benchmark_database, machine
from bench.http_bench import RAW_EVENT, exchange, start_server
from leadstore.bootstrap import Container
from leadstore.cli import event_loop_factory
from leadstore.projection.swap import replay
from leadstore.store import duplicates
from leadstore.store.accounts import NewAccount
from leadstore.store.events import fold_recorded, read_stream
from projections import get_projection

START = datetime(2026, 1, 1, tzinfo=UTC)


def name_pool(rng: random.Random, size: int) -> list[str]:
    return ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(4, 9))).capitalize() for _ in range(size)]


def typo(text: str, rng: random.Random) -> str:
    at = rng.randrange(len(text))
    return text[:at] + rng.choice(string.ascii_lowercase) + text[at + 1 :]


def lead_rows(account: NewAccount, users: list[str], leads: int) -> list[tuple[Any, ...]]:
    """LeadCreated rows: varied people, one in 20 a near copy of an earlier lead."""
    rng = random.Random(14)
    firsts, lasts = name_pool(rng, 300), name_pool(rng, 600)
    companies = [f"Company {n} {rng.choice(lasts)}" for n in range(5000)]
    made: list[dict[str, Any]] = []
    rows = []
    for n in range(leads):
        data: dict[str, Any] = {"account_id": str(account.account_id), "created_by": str(account.user_id)}
        data |= {"status": "new", "score": rng.randint(0, 100), "assigned_to": rng.choice(users)}
        if made and n % 20 == 0:
            original = rng.choice(made)
            data |= {"first_name": typo(original["first_name"], rng), "last_name": original["last_name"]}
            data |= {"company": original["company"].upper(), "email": f"copy{n}@example.com"}
            if rng.random() < 0.5 and "phone" in original:
                data["phone"] = original["phone"]
        else:
            data |= {"first_name": rng.choice(firsts), "last_name": rng.choice(lasts)}
            data |= {"company": rng.choice(companies), "email": f"lead{n}@example.com"}
            if n % 4:
                data["phone"] = f"+1555{rng.randrange(10**7):07d}"
        made.append(data)
        rows.append((uuid7(), account.account_id, uuid7(), data, START + timedelta(seconds=n)))
    return rows


async def fill(container: Container, account: NewAccount, leads: int, users: list[str]) -> list[UUID]:
    """The leads in the log, the lead list replayed from them and analysed; their ids."""
    rows = lead_rows(account, users, leads)
    async with container.pool.acquire() as conn:
        for first in range(0, len(rows), 5000):
            await conn.executemany(RAW_EVENT, rows[first : first + 5000])
    await replay(container.pool, get_projection("lead_list"))
    async with container.pool.acquire() as conn:
        await conn.execute("ANALYZE lead_list")
    return [row[2] for row in rows]


async def latencies(port: int, key: str, paths: list[str]) -> tuple[float, float, float]:
    """(p50, p99) in ms of GET `paths` in turn on one connection (after up to 20 warm-ups), and items per answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    timings, items = [], []
    warmups = min(20, len(paths) // 2)
    for n, path in enumerate(paths):
        request = f"GET {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {key}\r\n\r\n".encode()
        started = time.perf_counter()
        status, body = await exchange(reader, writer, request)
        assert status == 200, body
        if n >= warmups:
            timings.append((time.perf_counter() - started) * 1000)
            data = msgspec.json.decode(body).get("data")
            items.append(len(data) if isinstance(data, list) else 1)
    writer.close()
    cuts = statistics.quantiles(timings, n=100) if len(timings) > 1 else timings * 99
    return cuts[49], cuts[98], statistics.mean(items)


async def explain(container: Container, lead_id: UUID) -> None:
    async with container.pool.acquire() as conn:
        lead = fold_recorded(await read_stream(conn, lead_id))
        assert lead is not None
        args = [lead.account_id, lead.id, (lead.email or "").lower(), lead.phone]
        args += [duplicates.name_key(lead.first_name, lead.last_name), duplicates.company_key(lead.company)]
        args += [lead.company_id, None, 10]
        rows = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + duplicates.CANDIDATES, *args)
        print("\n".join("    " + row[0] for row in rows), flush=True)
        batch = await conn.fetch(duplicates.NEXT_LEADS, lead.account_id, UUID(int=0), None, duplicates.PAIRS_BATCH)
        args = [lead.account_id, [row["id"] for row in batch], UUID(int=0), UUID(int=0), None]
        rows = await conn.fetch("EXPLAIN (ANALYZE, COSTS OFF) " + duplicates.PAIRS, *args)
    print(f"    pairs of {len(batch)} leads: " + rows[-1][0], flush=True)


async def sql_timings(container: Container, ids: list[UUID]) -> None:
    """p50/p99 of the candidates SQL alone (a prepared statement, as the API runs it) for `ids` in turn, with
    PostgreSQL's default plan cache and with a custom plan forced for every execution."""
    async with container.pool.acquire() as conn:
        leads = [fold_recorded(await read_stream(conn, lead_id)) for lead_id in ids]
        for mode in ("auto", "force_custom_plan"):
            await conn.execute(f"SET plan_cache_mode = {mode}")
            timings = []
            for lead in leads:
                assert lead is not None
                started = time.perf_counter()
                await duplicates.candidates(conn, lead, None, 10)
                timings.append((time.perf_counter() - started) * 1000)
            cuts = statistics.quantiles(timings[20:], n=100)
            print(
                f"    candidates SQL, plan_cache_mode={mode}: p50 {cuts[49]:.1f} ms, p99 {cuts[98]:.1f} ms", flush=True
            )
        await conn.execute("RESET plan_cache_mode")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=100_000, help="leads in the account")
    parser.add_argument("--requests", type=int, default=400, help="sequential requests per measurement")
    parser.add_argument("--explain", action="store_true", help="print the candidates query's plan")
    args, _ = parser.parse_known_args()
    print(f"machine: {machine()}; embedded PostgreSQL (fsync off; reads only), one uvicorn process", flush=True)
    async with benchmark_database(fast=True) as (container, _):
        account, users = await account_with_members(container)
        started = time.perf_counter()
        ids = await fill(container, account, args.leads, users)
        print(f"filled and replayed {args.leads:,} leads in {time.perf_counter() - started:.0f}s", flush=True)
        rng = random.Random(1)
        sample = [rng.choice(ids) for _ in range(args.requests + 20)]
        copies = [ids[n] for n in range(20, len(ids), 20)]
        copied = [rng.choice(copies) for _ in range(args.requests + 20)]
        if args.explain:
            await explain(container, copied[0])
            await sql_timings(container, sample)
        proc, port = start_server("leadstore", container.settings.database_url)
        try:
            base = await latencies(port, account.api_key, [f"/v1/leads/{i}" for i in sample])
            print(f"{'GET /v1/leads/{id} (baseline)':<44}: p50 {base[0]:5.1f} ms, p99 {base[1]:5.1f} ms", flush=True)
            for what, leads in (("any lead", sample), ("a near copy", copied)):
                p50, p99, found = await latencies(port, account.api_key, [f"/v1/leads/{i}/duplicates" for i in leads])
                print(
                    f"{'GET /v1/leads/{id}/duplicates, ' + what:<44}: p50 {p50:5.1f} ms, p99 {p99:5.1f} ms "
                    f"({found:.2f} candidates on average; p99 {p99 / base[1]:.1f}x the baseline's)",
                    flush=True,
                )
            cursors = await pair_cursors(port, account, 60)
            pages = ["/v1/duplicates?limit=50"] + [f"/v1/duplicates?limit=50&cursor={cursor}" for cursor in cursors]
            p50, p99, found = await latencies(port, account.api_key, pages)
            print(
                f"{'GET /v1/duplicates, limit=50':<44}: p50 {p50:5.1f} ms, p99 {p99:5.1f} ms "
                f"({found:.1f} pairs a page)",
                flush=True,
            )
        finally:
            proc.terminate()
            proc.wait()


async def pair_cursors(port: int, account: NewAccount, pages: int) -> list[str]:
    """The cursors of the first `pages` pages of the pairs walk (to time each page once more)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    cursors: list[str] = []
    path = "/v1/duplicates?limit=50"
    for _ in range(pages):
        request = f"GET {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {account.api_key}\r\n\r\n"
        _, body = await exchange(reader, writer, request.encode())
        cursor = msgspec.json.decode(body)["next_cursor"]
        if cursor is None:
            break
        cursors.append(cursor)
        path = f"/v1/duplicates?limit=50&cursor={cursor}"
    writer.close()
    return cursors


if __name__ == "__main__":
    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
        runner.run(main())
