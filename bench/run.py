"""Run every benchmark in turn (`make bench`); each prints its figures next to its same-run baseline."""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = [
    "bench.foundation_bench",
    "bench.http_bench",
    "bench.processes_bench",
    "bench.restart_bench",
    "bench.list_bench",
    "bench.publish_bench",
    "bench.jetstream_failover",
    "bench.replay_bench",
    "bench.eventsourcing_bench",
    "bench.metrics_bench",
    "bench.replica_bench",
    "bench.webhook_bench",
    "bench.erase_bench",
]


def main() -> int:
    failed = 0
    for module in BENCHMARKS:
        print(f"== {module}", flush=True)
        failed += subprocess.run([sys.executable, "-m", module, *sys.argv[1:]]).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
