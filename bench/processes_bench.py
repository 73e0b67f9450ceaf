"""POST /v1/leads requests/s of `leadstore serve --processes 2` against `--processes 1`: same run, same database,
alternating rounds against both servers kept running. Both serve with --no-workers, beside one `leadstore
worker` (projections and the NATS publisher) for the whole run, so the workers weigh on either side alike.

python -m bench.processes_bench [--seconds 5] [--connections 32]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import benchmark_database, machine, postmaster_pid
from bench.http_bench import NEVER_REACHED, Side, compare
from leadstore.cli import event_loop_factory
from leadstore.embedded import free_port, wait_for_port
from leadstore.embedded_nats import EmbeddedNats

PROCESSES = (1, 2)


def leadstore(command: list[str], database_url: str, nats_url: str, port: int = 0) -> subprocess.Popen[bytes]:
    """A `leadstore` command as an operator runs it, with a per-key limit these requests never reach."""
    env = os.environ | {
        "LEADSTORE_DATABASE_URL": database_url,
        "LEADSTORE_NATS_URL": nats_url,
        "LEADSTORE_PORT": str(port),
        "LEADSTORE_POOL_MAX_SIZE": "40",
        "LEADSTORE_ACCESS_LOG": "false",
        "LEADSTORE_RATE_LIMIT_PER_SECOND": str(NEVER_REACHED),
        "LEADSTORE_RATE_LIMIT_BURST": str(int(NEVER_REACHED)),
    }
    return subprocess.Popen([sys.executable, "-m", "leadstore.cli", *command], env=env)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each round of POST measurement")
    parser.add_argument("--connections", type=int, default=32, help="concurrent keep-alive connections")
    args = parser.parse_args()
    print(f"machine: {machine()}; embedded PostgreSQL, durable settings; one worker process", flush=True)
    async with benchmark_database() as (container, account):
        url = container.settings.database_url
        with tempfile.TemporaryDirectory(prefix="leadstore-bench-nats-") as folder:
            nats = EmbeddedNats(Path(folder))
            nats_url = nats.start()
            started: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
            worker = leadstore(["worker"], url, nats_url)
            try:
                for count in PROCESSES:
                    port = free_port()
                    command = ["serve", "--no-workers", "--processes", str(count)]
                    started[f"{count} process(es)"] = (leadstore(command, url, nats_url, port), port)
                    wait_for_port(port, 60, started[f"{count} process(es)"][0])
                sides: dict[str, Side] = {name: (up, "/v1/leads", account.api_key) for name, up in started.items()}
                rates = await compare(sides, postmaster_pid(url), nats, args, {"worker": worker.pid})
            finally:
                for proc in [worker, *(proc for proc, _ in started.values())]:
                    proc.terminate()
                    proc.wait()
                nats.stop()
    one, two = rates["1 process(es)"], rates["2 process(es)"]
    print(f"POST /v1/leads, serve --processes 1, {args.connections} connections: {one:,.0f} requests/s", flush=True)
    print(f"POST /v1/leads, serve --processes 2, {args.connections} connections: {two:,.0f} requests/s", flush=True)
    print(f"2 processes / 1: {two / one:.2f} (medians of the rounds, {args.seconds:g}s each)")


if __name__ == "__main__":
    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
        runner.run(main())
