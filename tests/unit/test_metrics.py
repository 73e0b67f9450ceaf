"""Metrics: a registry per app."""

from __future__ import annotations

from leadstore.metrics import Metrics


def test_two_apps_in_one_process_count_their_own_metrics() -> None:
    first, second = Metrics(), Metrics()
    first.auth_failures.labels(reason="unknown_key").inc()
    assert b'leadstore_auth_failures_total{reason="unknown_key"} 1.0' in first.exposition()
    assert b'leadstore_auth_failures_total{reason="unknown_key"} 0.0' in second.exposition()
