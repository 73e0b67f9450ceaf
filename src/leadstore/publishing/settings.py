"""Tuning of the NATS publisher and of the LEADS stream, from `LEADSTORE_*` variables, read when asked."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from leadstore.settings import from_env


class PublishingSettings(msgspec.Struct, frozen=True, kw_only=True):
    """How the publisher batches, waits and backs off, and how the LEADS stream is configured.

    The duplicate window must outlast the longest gap between a first publish of an event and its
    last retry (ack timeout, then a capped backoff, or a standby taking over a lapsed lease), so that
    JetStream drops the retried copy. Five minutes covers those (10 s + 30 s + 10 s) many times over
    and a short NATS restart, while bounding the server's dedupe map (one entry per event in the window).
    """

    nats_stream_replicas: int = 1
    nats_stream_max_age_seconds: float = 0  # 0 keeps events forever: the stream is an audit feed
    nats_stream_max_bytes: int = -1  # -1: no size limit
    nats_duplicate_window_seconds: float = 300
    publish_batch_size: int = 1000
    publish_ack_timeout_seconds: float = 10
    publish_poll_seconds: float = 1.0  # fallback when a NOTIFY is lost
    publish_backoff_initial_seconds: float = 0.2
    publish_backoff_max_seconds: float = 30
    # Publisher resume (issue 11): how often the client tries to restore a dropped NATS connection; the
    # publisher resumes as soon as it has
    publish_reconnect_seconds: float = 0.5

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> PublishingSettings:
        """Read every `LEADSTORE_<FIELD>` variable that is set (e.g. LEADSTORE_NATS_STREAM_REPLICAS=3)."""
        return from_env(cls, environ)
