"""Prometheus metrics: the metrics of one app, on a registry of its own built by bootstrap (never a module
global, so two apps in one process, as in the tests, each count their own). With several API processes, each
writes its figures to files that any one of them reads back for a scrape (`leadstore.metrics_multiprocess`)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

from leadstore.metrics_multiprocess import MULTIPROCESS_ENV, check_multiprocess, multiprocess_registry, process_exited
from leadstore.store.status import ReaderStatus

AUTH_FAILURE_REASONS = ("missing", "malformed", "unknown_key")
RATE_LIMIT_KINDS = ("key", "address")
POOL_STATES = ("size", "idle", "in_use", "max")
# any other method a client sends is counted as `other`: a label must not take whatever a client writes
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# the text format every Prometheus server reads (names here need none of 1.0.0's escaping); the server adds
# `; charset=utf-8`
CONTENT_TYPE = "text/plain; version=0.0.4"


class Pool(Protocol):
    """What the pool gauge reads of an asyncpg pool."""

    def get_size(self) -> int: ...
    def get_idle_size(self) -> int: ...
    def get_max_size(self) -> int: ...


class Metrics:
    """Every metric the service reports, exposed together in the Prometheus text format."""

    def __init__(self) -> None:
        check_multiprocess()
        self.registry = registry = CollectorRegistry()
        self.auth_failures = Counter(
            "leadstore_auth_failures",
            "Failed authentications (answered 401), by reason: missing, malformed or unknown_key "
            "(unknown, revoked, or its user deactivated).",
            ["reason"],
            registry=registry,
        )
        self.rate_limited = Counter(
            "leadstore_rate_limited",
            "Requests refused with 429, by the limit that refused them: key (the API key's budget) or "
            "address (failed authentications from the client address).",
            ["kind"],
            registry=registry,
        )
        self.http_requests = Counter(
            "leadstore_http_requests",
            "HTTP requests answered, by method, route template (`-` when no route matched) and status.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.http_duration = Histogram(
            "leadstore_http_request_duration_seconds",
            "Time from a request's arrival to the end of its response, by method and route template.",
            ["method", "route"],
            registry=registry,
        )
        self.commands = Counter(
            "leadstore_commands",
            "Lead commands run by the write lane, by command and outcome: ok (events appended), unchanged "
            "(nothing to append), or the code of the error that refused it (version_conflict, "
            "duplicate_email, ...; error when unexpected).",
            ["command", "outcome"],
            registry=registry,
        )
        self.events_appended = Counter(
            "leadstore_events_appended", "Events appended to the log by lead commands.", registry=registry
        )
        self.pool_connections = Gauge(
            "leadstore_db_pool_connections",
            "The PostgreSQL connection pool: size (open connections), idle, in_use, and max (its limit).",
            ["state"],
            multiprocess_mode="livesum",  # summed over the API processes that are alive
            registry=registry,
        )
        self.readers = ReaderLag()
        registry.register(self.readers)
        self._pool: Pool | None = None
        self._pool_gauges: list[Gauge] = []
        for reason in AUTH_FAILURE_REASONS:  # every series is there from the start, at 0
            self.auth_failures.labels(reason=reason)
        for kind in RATE_LIMIT_KINDS:
            self.rate_limited.labels(kind=kind)

    def watch_pool(self, pool: Pool) -> None:
        """Report this pool's connections from now on."""
        self._pool = pool
        # bound once, not looked up (under a lock) four times a request; no series before a pool is watched
        self._pool_gauges = [self.pool_connections.labels(state=state) for state in POOL_STATES]
        self.observe_pool()

    def observe_pool(self) -> None:
        """Set the pool gauge to the pool's state now (after each request and at each scrape)."""
        if self._pool is not None:
            size, idle = self._pool.get_size(), self._pool.get_idle_size()
            values = (size, idle, size - idle, self._pool.get_max_size())
            for gauge, value in zip(self._pool_gauges, values, strict=True):
                gauge.set(value)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered HTTP request and its duration."""
        method = method if method in METHODS else "other"
        self.http_requests.labels(method=method, route=route, status=str(status)).inc()
        self.http_duration.labels(method=method, route=route).observe(seconds)
        self.observe_pool()

    def observe_command(self, command: str, outcome: str, appended: int = 0) -> None:
        """Count one command the write lane ran, and the events it appended."""
        self.commands.labels(command=command, outcome=outcome).inc()
        if appended:
            self.events_appended.inc(appended)

    def exposition(self) -> bytes:
        """The Prometheus text format of every metric (of every API process, in multiprocess mode)."""
        self.observe_pool()
        directory = os.environ.get(MULTIPROCESS_ENV)
        return generate_latest(multiprocess_registry(directory, self.readers) if directory else self.registry)

    def close(self) -> None:
        """The process is ending: in multiprocess mode, its gauges leave the sums."""
        if directory := os.environ.get(MULTIPROCESS_ENV):
            process_exited(directory)


class ReaderLag:
    """A collector of what the last status query found at scrape time: each reader's lag and the server's
    oldest open transaction (facts about the database, so read by the scraped process alone)."""

    def __init__(self) -> None:
        self.readers: Sequence[ReaderStatus] = ()
        self.oldest_transaction: float | None = None  # seconds; None: unknown (the query failed)

    def update(self, readers: Sequence[ReaderStatus], oldest_transaction: float | None) -> None:
        self.readers, self.oldest_transaction = readers, oldest_transaction

    def forget(self) -> None:
        """The database did not answer: report no figure rather than an old one."""
        self.update((), None)

    def collect(self) -> Iterator[Metric]:
        seconds = GaugeMetricFamily(
            "leadstore_reader_lag_seconds",
            "How long the oldest committed event a reader (projection, publisher) has not handled has waited.",
            labels=["reader"],
        )
        events = GaugeMetricFamily(
            "leadstore_reader_lag_events",
            "Committed events a reader has not handled yet (counted up to 10000).",
            labels=["reader"],
        )
        for reader in self.readers:
            seconds.add_metric([reader.name], reader.lag_seconds)
            events.add_metric([reader.name], reader.lag_events)
        oldest = GaugeMetricFamily(
            "leadstore_db_oldest_transaction_seconds",
            "Age of the oldest open transaction holding a transaction id, in any database of the server "
            "(0: none); every reader of the log waits for it to end.",
        )
        if self.oldest_transaction is not None:
            oldest.add_metric([], self.oldest_transaction)
        yield from (seconds, events, oldest)
