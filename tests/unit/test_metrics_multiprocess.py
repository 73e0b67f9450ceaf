"""Several API processes, one scrape: what each process counts, any process's /metrics reports, summed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from leadstore.metrics_multiprocess import MULTIPROCESS_ENV, prepare_multiprocess, process_exited

# An API process's counting, as the request middleware, the write lane and the pool gauge do it.
COUNT = """
import os, sys
from leadstore.metrics import Metrics

class Pool:
    def get_size(self): return 3
    def get_idle_size(self): return 1
    def get_max_size(self): return 20

metrics = Metrics()
metrics.watch_pool(Pool())
metrics.observe_request("GET", "/v1/leads", 200, 0.02)
metrics.observe_command("CreateLead", "ok", appended=1)
if sys.argv[1] == "ends-cleanly":
    metrics.close()
print(os.getpid())
"""
SCRAPE = "import sys; from leadstore.metrics import Metrics; sys.stdout.buffer.write(Metrics().exposition())"


def run(code: str, *args: str, directory: Path) -> str:
    env = {**os.environ, MULTIPROCESS_ENV: str(directory)}
    done = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def scrape(directory: Path) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """One scrape, by a third process: every sample by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(run(SCRAPE, directory=directory))
        for sample in family.samples
    }


def test_one_scrape_sums_what_every_process_counted(tmp_path: Path) -> None:
    directory = tmp_path / "metrics"
    (directory).mkdir()
    (directory / "counter_1.db").write_bytes(b"a previous run's counts")
    env = dict(os.environ)
    try:
        assert prepare_multiprocess(directory) == directory.resolve() and os.environ[MULTIPROCESS_ENV]
    finally:
        os.environ.clear()
        os.environ.update(env)  # the variable is for the processes a parent starts, not for the other tests
    assert list(directory.iterdir()) == []

    run(COUNT, "ends-cleanly", directory=directory)
    crashed = int(run(COUNT, "crashes", directory=directory))
    samples = scrape(directory)
    process_exited(str(directory), crashed)  # what the parent does for a child that died without cleaning up
    after_exit = scrape(directory)

    request = frozenset({"method": "GET", "route": "/v1/leads", "status": "200"}.items())
    assert samples["leadstore_http_requests_total", request] == 2
    assert samples["leadstore_http_request_duration_seconds_count", request - {("status", "200")}] == 2
    assert samples["leadstore_commands_total", frozenset({"command": "CreateLead", "outcome": "ok"}.items())] == 2
    assert samples["leadstore_events_appended_total", frozenset()] == 2
    # the pool gauge sums the live processes: the one that ended cleanly left the sum at once, the other when
    # its parent noticed
    assert samples["leadstore_db_pool_connections", frozenset({("state", "in_use")})] == 2
    assert ("leadstore_db_pool_connections", frozenset({("state", "in_use")})) not in after_exit
    assert after_exit["leadstore_http_requests_total", request] == 2  # counts outlive their process


def test_a_process_that_learned_of_the_directory_too_late_refuses_to_count_in_memory(tmp_path: Path) -> None:
    late = f"import os, prometheus_client; os.environ[{MULTIPROCESS_ENV!r}] = {str(tmp_path)!r}; {COUNT}"
    env = {name: value for name, value in os.environ.items() if name != MULTIPROCESS_ENV}
    done = subprocess.run([sys.executable, "-c", late, "x"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "was set after prometheus_client was imported" in done.stderr
