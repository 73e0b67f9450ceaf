"""POST /v1/leads requests/s, served as `leadstore dev` serves it (projections and the NATS publisher running in
the same process), next to a minimal Litestar route doing one INSERT (same run, same uvicorn settings, same
database, alternating rounds); the cost of the per-key request limit on the same requests (no limit, the
shared bucket taken from once per request, leased ten tokens at a time); and p50/p99 latency of filtered lists
at 100,000 leads.

python -m bench.http_bench [--seconds 5] [--connections 32] [--leads 100000] [--requests 400]
                           [--scenarios writes,limits,lists]

Each server runs in its own process; the load generator is a small keep-alive HTTP/1.1 client here.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import uvicorn
from litestar import Litestar, post
from uuid_utils.compat import uuid7

from bench.common import account_with_members, benchmark_database, cpu_seconds, machine, postmaster_pid, throwaway_kek
from leadstore.bootstrap import Container, bootstrap
from leadstore.cli import event_loop_factory
from leadstore.domain.commands import Actor, UpdateLead
from leadstore.embedded import free_port, wait_for_port
from leadstore.embedded_nats import EmbeddedNats
from leadstore.http.app import create_app
from leadstore.settings import Settings
from leadstore.store.accounts import NewAccount

MINIMAL_TABLE = "CREATE TABLE IF NOT EXISTS bench_minimal (id uuid PRIMARY KEY, body jsonb NOT NULL)"
MINIMAL_INSERT = "INSERT INTO bench_minimal (id, body) VALUES ($1, $2)"
RAW_EVENT = """
INSERT INTO events (event_id, account_id, stream_id, stream_type, version, type, data, metadata, occurred_at)
VALUES ($1, $2, $3, 'lead', 1, 'LeadCreated', $4, '{}', $5)"""
WRITE_ROUNDS = 4
SCENARIOS = ("writes", "limits", "lists")
# The per-key limit as each server applies it: "off", or the tokens a process leases from the shared bucket at
# a time, under a budget these requests never reach (so the cost is measured, never a refusal).
LIMITERS = {"off": 0, "per request": 1, "leased": 10}
NEVER_REACHED = 1e9
STATUSES, SOURCES = ["new", "contacted", "qualified"], ["website", "referral", "partner", "cold_call", "other"]


def minimal_app(container: Container) -> Litestar:
    """The yardstick: decode a JSON body, one INSERT, answer 201 with an id."""

    @post("/minimal")
    async def insert(data: dict[str, Any]) -> dict[str, str]:
        row_id = uuid7()
        async with container.pool.acquire() as conn:
            await conn.execute(MINIMAL_INSERT, row_id, data)
        return {"id": str(row_id)}

    return Litestar(route_handlers=[insert])


def limited(lease: int) -> dict[str, Any]:
    """Settings of a per-key limit these requests never reach, leased `lease` tokens at a time (0: no limit)."""
    if not lease:
        return {"rate_limit_per_second": 0}
    return {"rate_limit_per_second": NEVER_REACHED, "rate_limit_burst": int(NEVER_REACHED), "rate_limit_lease": lease}


async def run_server(kind: str, database_url: str, port: int, nats_url: str = "", lease: int = 10) -> None:
    """In the server process, under uvicorn: the leadstore API with its workers (projections and, given a NATS
    server, the publisher) in the same process as `leadstore dev` runs them; the API alone ("api", as
    `leadstore serve --no-workers`); or the minimal app."""
    settings = Settings(database_url=database_url, nats_url=nats_url, pool_max_size=40, **limited(lease))
    throwaway_kek()
    container = await bootstrap(settings)
    if kind == "leadstore":
        container.start_workers()
    app = minimal_app(container) if kind == "minimal" else create_app(container)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    try:
        await uvicorn.Server(config).serve()
    finally:
        await container.close()


def start_server(
    kind: str, database_url: str, nats_url: str = "", lease: int = 10
) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    command = [sys.executable, "-m", "bench.http_bench", "--serve", kind, "--database-url", database_url]
    command += ["--nats-url", nats_url, "--lease", str(lease)]
    proc = subprocess.Popen([*command, "--port", str(port)])
    wait_for_port(port, 60, proc)
    return proc, port


async def exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> tuple[int, bytes]:
    """Send one request on a kept-alive connection and read the whole response: (status, body)."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
    )
    body = await reader.readexactly(length)
    return int(head.split(b" ", 2)[1]), body


async def hammer(port: int, make: Callable[[int], bytes], connections: int, seconds: float, ok: int) -> float:
    """Requests/s of `connections` keep-alive connections sending `make(n)` for `seconds`."""
    counter, done = iter(range(10**9)), [0]
    deadline = time.perf_counter() + seconds

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.perf_counter() < deadline:
            status, _ = await exchange(reader, writer, make(next(counter)))
            assert status == ok, f"unexpected status {status}"
            done[0] += 1
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(connections)))
    return done[0] / (time.perf_counter() - started)


def post_request(path: str, key: str | None) -> Callable[[int], bytes]:
    auth = f"Authorization: Bearer {key}\r\n" if key else ""
    run = uuid7().hex[-8:].encode()  # emails are unique per account: every call makes new ones

    def make(n: int) -> bytes:
        body = b'{"first_name":"Bench","last_name":"Lead %d","email":"%s.%d@example.com","company":"Acme",' % (
            n,
            run,
            n,
        )
        body += b'"source":"website","score":%d}' % (n % 101)
        head = f"POST {path} HTTP/1.1\r\nHost: bench\r\n{auth}Content-Type: application/json\r\n"
        return head.encode() + b"Content-Length: %d\r\n\r\n" % len(body) + body

    return make


async def fill(container: Container, account: NewAccount, leads: int, users: list[str]) -> None:
    """`leads` leads of varied status, source, score, owner and age (raw LeadCreated rows, then projected)."""
    rng, start = random.Random(7), datetime.now(UTC) - timedelta(days=365)
    async with container.pool.acquire() as conn:
        for first in range(0, leads, 5000):
            rows = []
            for n in range(first, min(first + 5000, leads)):
                data: dict[str, Any] = {"account_id": str(account.account_id), "created_by": str(account.user_id)}
                data |= {"status": rng.choice(STATUSES), "source": rng.choice(SOURCES), "score": rng.randint(0, 100)}
                data |= {"first_name": f"First{n}", "last_name": "Lead", "company": f"Company {n % 997}"}
                data |= {"email": f"fill{n}@example.com", "assigned_to": rng.choice(users)}
                when = start + timedelta(seconds=n * 300)
                rows.append((uuid7(), account.account_id, uuid7(), data, when))
            await conn.executemany(RAW_EVENT, rows)
    await container.runner("lead_list").catch_up()
    async with container.pool.acquire() as conn:
        await conn.execute("ANALYZE lead_list")  # as autovacuum would soon after a bulk load


async def latencies(port: int, key: str, query: str, requests: int) -> tuple[float, float, int]:
    """(p50, p99) in ms of `requests` sequential GET /v1/leads?`query` on one connection, and leads per page."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = f"GET /v1/leads?{query} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {key}\r\n\r\n".encode()
    timings, body = [], b""
    for n in range(requests + 20):
        started = time.perf_counter()
        status, body = await exchange(reader, writer, request)
        assert status == 200, body
        if n >= 20:  # warm-up
            timings.append((time.perf_counter() - started) * 1000)
    writer.close()
    cuts = statistics.quantiles(timings, n=100)
    return cuts[49], cuts[98], len(msgspec.json.decode(body)["data"])


Side = tuple[tuple[subprocess.Popen[bytes], int], str, str | None]  # (server process and port, path, key)


async def compare(
    sides: dict[str, Side],
    postgres: int,
    nats: EmbeddedNats,
    args: argparse.Namespace,
    others: dict[str, int] | None = None,
) -> dict[str, float]:
    """POST requests/s of each side, the medians of alternating rounds against running servers (so that
    checkpoints and autovacuum land on every side alike), and the CPU each side's requests cost in each
    process (a server's with its children's; `others` names more processes to count), which says where the
    time goes."""
    rates: dict[str, list[float]] = {kind: [] for kind in sides}
    costs: dict[str, Counter[str]] = {kind: Counter() for kind in sides}
    for round_ in range(WRITE_ROUNDS + 1):  # the first round warms every side up and is not counted
        for kind, ((proc, port), path, key) in sides.items():
            pids = {"server": proc.pid, "load": os.getpid(), "postgres": postgres}
            pids["nats-server"] = nats.proc.pid if nats.proc else 0
            pids |= others or {}
            before = cpu_seconds(pids)
            rate = await hammer(port, post_request(path, key), args.connections, args.seconds, 201)
            if round_:
                rates[kind].append(rate)
                after = cpu_seconds(pids)
                costs[kind].update({name: after[name] - before[name] for name in after})
                costs[kind]["requests"] += rate * args.seconds
    for kind, cost in costs.items():
        per = {name: 1e6 * used / cost["requests"] for name, used in cost.items() if name != "requests"}
        spent = ", ".join(f"{name} {micro:,.0f}" for name, micro in per.items())
        print(f"CPU per request, {kind}: {sum(per.values()):,.0f} us ({spent})", flush=True)
    return {kind: statistics.median(rates[kind]) for kind in sides}


@contextlib.asynccontextmanager
async def servers(
    container: Container, kinds: dict[str, tuple[str, int]]
) -> AsyncIterator[tuple[dict[str, tuple[subprocess.Popen[bytes], int]], int, EmbeddedNats]]:
    """Server processes by name (each `(kind, lease)`, sharing one NATS server), the PostgreSQL server's pid
    and the NATS server; all stopped when the block ends."""
    url = container.settings.database_url
    with tempfile.TemporaryDirectory(prefix="leadstore-bench-nats-") as folder:
        nats = EmbeddedNats(Path(folder))
        nats_url = nats.start()
        started: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
        try:
            for name, (kind, lease) in kinds.items():
                started[name] = start_server(kind, url, nats_url if kind == "leadstore" else "", lease)
            yield started, postmaster_pid(url), nats
        finally:
            for proc, _ in started.values():
                proc.terminate()
                proc.wait()
            nats.stop()


async def writes(container: Container, account: NewAccount, args: argparse.Namespace) -> None:
    """POST /v1/leads as `leadstore dev` serves it (workers and publishing on) against the minimal route."""
    async with container.pool.acquire() as conn:
        await conn.execute(MINIMAL_TABLE)
    async with servers(container, {"minimal": ("minimal", 0), "leadstore": ("leadstore", 10)}) as (up, postgres, nats):
        sides = {
            "minimal": (up["minimal"], "/minimal", None),
            "leadstore": (up["leadstore"], "/v1/leads", account.api_key),
        }
        rates = await compare(sides, postgres, nats, args)
    minimal, leadstore = rates["minimal"], rates["leadstore"]
    print(f"POST /minimal (one INSERT), {args.connections} connections: {minimal:,.0f} requests/s", flush=True)
    print(f"POST /v1/leads, workers on, {args.connections} connections: {leadstore:,.0f} requests/s", flush=True)
    print(f"leadstore / minimal: {leadstore / minimal:.2f} (medians of {WRITE_ROUNDS} rounds of {args.seconds:g}s)")


async def limits(container: Container, account: NewAccount, args: argparse.Namespace) -> None:
    """POST /v1/leads with no per-key limit, with the shared bucket taken from once per request, and with
    tokens leased ten at a time (one key, as a busy integration sends them; a budget never reached). The
    servers run no workers: in this scenario, a projector in one of them would tax only that side."""
    kinds = {name: ("api", lease) for name, lease in LIMITERS.items()}
    async with servers(container, kinds) as (up, postgres, nats):
        sides: dict[str, Side] = {name: (up[name], "/v1/leads", account.api_key) for name in LIMITERS}
        rates = await compare(sides, postgres, nats, args)
    for name, rate in rates.items():
        ratio = rate / rates["off"]
        print(f"POST /v1/leads, per-key limit {name}: {rate:,.0f} requests/s ({ratio:.2f} of no limit)", flush=True)


async def lists(container: Container, args: argparse.Namespace) -> None:
    account, users = await account_with_members(container)
    started = time.perf_counter()
    await fill(container, account, args.leads, users)
    print(f"filled and projected {args.leads:,} leads in {time.perf_counter() - started:.0f}s", flush=True)
    queries = [
        "status=contacted",
        "status=qualified&min_score=50&sort=-score",
        f"source=referral&assigned_to={users[3]}&limit=20",
        "created_after=2026-01-01&sort=created_at&limit=100",
        "q=company%20123",
    ]
    proc, port = start_server("leadstore", container.settings.database_url)
    try:
        for query in queries:
            p50, p99, page = await latencies(port, account.api_key, query, args.requests)
            print(f"GET /v1/leads?{query} ({page} leads): p50 {p50:.1f} ms, p99 {p99:.1f} ms", flush=True)
        await walks(container, account, port, args.requests)
    finally:
        proc.terminate()
        proc.wait()


async def walks(container: Container, account: NewAccount, port: int, requests: int) -> None:
    """Page 2 of a cursor walk: by created_at (a plain keyset, the baseline) and by -updated_at, whose walk is
    pinned to where it began, with 0, 100 and 1,000 leads changed since (each placed by a fold of its log)."""
    cursors = {}
    for sort in ("-created_at", "-updated_at"):
        first = f"GET /v1/leads?sort={sort}&limit=50 HTTP/1.1\r\nHost: b\r\nAuthorization: Bearer {account.api_key}"
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        _, body = await exchange(reader, writer, f"{first}\r\n\r\n".encode())
        writer.close()
        cursors[sort] = msgspec.json.decode(body)["next_cursor"]
    baseline, _, _ = await latencies(
        port, account.api_key, f"sort=-created_at&cursor={cursors['-created_at']}", requests
    )
    print(f"walk page 2, sort=-created_at (baseline): p50 {baseline:.1f} ms", flush=True)
    async with container.pool.acquire() as conn:
        ids = [
            row["id"] for row in await conn.fetch("SELECT id FROM lead_list WHERE account_id = $1", account.account_id)
        ]
    rng, changed = random.Random(11), 0
    for target in (0, 100, 1000):
        for lead_id in rng.sample(ids, target - changed):
            cmd = UpdateLead(
                lead_id=lead_id,
                actor=Actor(user_id=account.user_id, role="admin"),
                now=datetime.now(UTC),
                changes={"score": rng.randint(0, 100)},
            )
            await container.handler.execute(cmd, account_id=account.account_id, metadata={})
        changed = target
        await container.runner("lead_list").catch_up()
        p50, p99, _ = await latencies(
            port, account.api_key, f"sort=-updated_at&cursor={cursors['-updated_at']}", requests
        )
        print(
            f"walk page 2, sort=-updated_at, {changed:,} leads changed since it began: p50 {p50:.1f} ms, "
            f"p99 {p99:.1f} ms ({p50 / baseline:.1f}x the created_at page)",
            flush=True,
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each round of POST measurement")
    parser.add_argument("--connections", type=int, default=32, help="concurrent keep-alive connections")
    parser.add_argument("--leads", type=int, default=100_000, help="leads in the account the lists read")
    parser.add_argument("--requests", type=int, default=400, help="sequential requests per list query")
    parser.add_argument("--serve", choices=["leadstore", "api", "minimal"], help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--scenarios", default=",".join(SCENARIOS), help=f"which to run, comma-separated, of {', '.join(SCENARIOS)}"
    )
    parser.add_argument("--nats-url", default="", help=argparse.SUPPRESS)
    parser.add_argument("--lease", type=int, default=10, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return await run_server(args.serve, args.database_url, args.port, args.nats_url, args.lease)
    chosen = args.scenarios.split(",")
    if unknown := set(chosen) - set(SCENARIOS):
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    print(f"machine: {machine()}; embedded PostgreSQL, durable settings; one uvicorn process per server", flush=True)
    async with benchmark_database() as (container, account):
        if "writes" in chosen:
            await writes(container, account, args)
        if "limits" in chosen:
            await limits(container, account, args)
        if "lists" in chosen:
            await lists(container, args)


if __name__ == "__main__":
    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:  # the loop `leadstore serve` runs on
        runner.run(main())
