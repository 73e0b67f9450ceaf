"""Import throughput: rows/s of POST /v1/imports (a CSV of --rows leads, from the upload until GET says done)
next to POST /v1/leads one by one at --connections keep-alive connections, in the same run, against the same
server process (`leadstore dev`'s arrangement: API, projections, publisher and the import worker in one
process), on the same database. Target: the import at least 2x the single creates.

python -m bench.import_bench [--rows 100000] [--seconds 20] [--connections 32]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time

import httpx
from uuid_utils.compat import uuid7

from bench.common import benchmark_database, cpu_seconds, machine
from bench.http_bench import hammer, post_request, servers
from leadstore.cli import event_loop_factory


def csv_file(rows: int) -> bytes:
    """`rows` leads with the fields of the single creates' bodies, spelled as another CRM exports them."""
    run = uuid7().hex[-8:]
    lines = ["firstName,lastName,email,company_name,leadSource,score"]
    lines += [f"Bench,Lead {n},{run}.import.{n}@example.com,Acme,website,{n % 101}" for n in range(rows)]
    return ("\r\n".join(lines) + "\r\n").encode()


async def imported(port: int, key: str, body: bytes) -> tuple[float, dict[str, object]]:
    """Seconds from the upload until the import is done, and the import as it ended."""
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {key}"}, timeout=120
    ) as http:
        started = time.perf_counter()
        response = await http.post("/v1/imports", content=body, headers={"Content-Type": "text/csv"})
        assert response.status_code == 202, response.text
        location = response.headers["location"]
        accepted = time.perf_counter() - started
        while True:
            state = (await http.get(location)).json()
            if state["state"] in ("done", "failed"):
                break
            await asyncio.sleep(0.2)
        elapsed = time.perf_counter() - started
    print(f"upload answered 202 in {accepted:.2f}s", flush=True)
    return elapsed, state


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="lead rows in the imported file")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the single-create measurement")
    parser.add_argument("--connections", type=int, default=32, help="connections sending single creates")
    args = parser.parse_args()
    print(f"machine: {machine()}; embedded PostgreSQL, durable settings; one uvicorn process", flush=True)
    body = csv_file(args.rows)
    async with (
        benchmark_database() as (container, account),
        servers(container, {"leadstore": ("leadstore", 10)}) as (up, postgres, _),
    ):
        proc, port = up["leadstore"]
        pids = {"server": proc.pid, "load": os.getpid(), "postgres": postgres}
        print(f"server pid {proc.pid} (py-spy record -p {proc.pid} shows where its time goes)", flush=True)
        await hammer(port, post_request("/v1/leads", account.api_key), args.connections, 2.0, 201)  # warm-up
        before = cpu_seconds(pids)
        single = await hammer(port, post_request("/v1/leads", account.api_key), args.connections, args.seconds, 201)
        single_cpu = _per_row(before, cpu_seconds(pids), single * args.seconds)
        before = cpu_seconds(pids)
        elapsed, state = await imported(port, account.api_key, body)
        import_cpu = _per_row(before, cpu_seconds(pids), args.rows)
    rate = args.rows / elapsed
    print(f"POST /v1/leads one by one, {args.connections} connections: {single:,.0f} leads/s (CPU {single_cpu})")
    print(f"POST /v1/imports, {args.rows:,} rows: {rate:,.0f} rows/s in {elapsed:.1f}s (CPU {import_cpu}); {state}")
    print(f"import / single creates: {rate / single:.2f} (target 2.00)", flush=True)


def _per_row(before: dict[str, float], after: dict[str, float], rows: float) -> str:
    per = {name: 1e6 * (after[name] - before[name]) / rows for name in after}
    return f"{sum(per.values()):,.0f} us a row: " + ", ".join(f"{name} {micro:,.0f}" for name, micro in per.items())


if __name__ == "__main__":
    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
        runner.run(main())
