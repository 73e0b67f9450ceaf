"""Prometheus metrics: the counters of one app, on a registry of its own built by bootstrap (never a module
global, so two apps in one process, as in the tests, each count their own)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, generate_latest

AUTH_FAILURE_REASONS = ("missing", "malformed", "unknown_key")
RATE_LIMIT_KINDS = ("key", "address")
# the text format every Prometheus server reads (names here need none of 1.0.0's escaping); the server adds
# `; charset=utf-8`
CONTENT_TYPE = "text/plain; version=0.0.4"


class Metrics:
    """Every counter the service reports, exposed together in the Prometheus text format."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.auth_failures = Counter(
            "leadstore_auth_failures",
            "Failed authentications (answered 401), by reason: missing, malformed or unknown_key "
            "(unknown, revoked, or its user deactivated).",
            ["reason"],
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "leadstore_rate_limited",
            "Requests refused with 429, by the limit that refused them: key (the API key's budget) or "
            "address (failed authentications from the client address).",
            ["kind"],
            registry=self.registry,
        )
        for reason in AUTH_FAILURE_REASONS:  # every series is there from the start, at 0
            self.auth_failures.labels(reason=reason)
        for kind in RATE_LIMIT_KINDS:
            self.rate_limited.labels(kind=kind)

    def exposition(self) -> bytes:
        """The Prometheus text format of every metric."""
        return generate_latest(self.registry)
