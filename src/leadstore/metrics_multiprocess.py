"""Several API processes, one scrape: prometheus_client's multiprocess mode. Every process writes its metrics
to files of its own (memory-mapped, named by its pid) in the directory PROMETHEUS_MULTIPROC_DIR names; a
scrape of any process reads them all and sums them (counters and histograms; gauges as each one says).

How `leadstore serve --processes N` uses it: in the parent, before any API process starts,
`prepare_multiprocess(directory)`; the processes inherit the variable, and prometheus_client reads it when
it is imported, so a process forked from a parent that imported it first would count in memory only (Metrics
refuses to start then). Each process calls `process_exited` as it ends (Container.close does), and the
parent calls it with a child's pid when the child dies without ending cleanly."""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client import CollectorRegistry, values
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare_multiprocess(directory: str | Path) -> Path:
    """Make `directory` (emptied of a previous run's files) the place where the processes started from now
    on write their metrics; returns it."""
    path = Path(directory).resolve()
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):  # a previous run's counters would be added to this run's
        stale.unlink()
    os.environ[MULTIPROCESS_ENV] = str(path)
    return path


def counts_in_files() -> bool:
    """Whether this process's metrics go to the multiprocess files: decided when prometheus_client was imported."""
    return bool(getattr(values.ValueClass, "_multiprocess", False))


def check_multiprocess() -> None:
    """Refuse to count in memory when a scrape would read the files: the variable came too late."""
    if os.environ.get(MULTIPROCESS_ENV) and not counts_in_files():
        raise RuntimeError(
            f"{MULTIPROCESS_ENV} was set after prometheus_client was imported in this process: set it before "
            "the process starts (leadstore.metrics_multiprocess.prepare_multiprocess in the parent)"
        )


def multiprocess_registry(directory: str, *collectors: Collector) -> CollectorRegistry:
    """A registry for one scrape: every process's metrics from `directory`, and `collectors` of this process."""
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]  # the library is untyped here
    for collector in collectors:
        registry.register(collector)
    return registry


def process_exited(directory: str, pid: int | None = None) -> None:
    """A process (this one by default) ended: its gauges leave the `live` sums; its counts stay in the totals."""
    mark_process_dead(pid or os.getpid(), directory)  # type: ignore[no-untyped-call]
