"""The publisher's link to JetStream: one client connection that the client restores after a drop, telling
the publisher when it has, and the LEADS stream ensured again on each (re)connection."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import nats.errors
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from leadstore.publishing.connection import NatsConnection
from leadstore.publishing.health import Outage
from leadstore.publishing.settings import PublishingSettings
from leadstore.publishing.stream import ensure_stream

log = logging.getLogger(__name__)

NATS_ERRORS = (OSError, nats.errors.Error)  # OSError covers TimeoutError


# Calls that manage the stream wait this long at most, so that one asked while a cluster elects the stream's
# leader does not stall the publisher for a whole ack timeout.
STREAM_API_SECONDS = 1.0


class NatsUnavailable(Exception):
    """NATS could not be reached, refused the stream, or did not acknowledge in time; `electing` when only the
    stream's leader was missing, on a live connection."""

    def __init__(self, reason: str, *, electing: bool = False) -> None:
        super().__init__(reason)
        self.electing = electing


class JetStreamLink:
    """A publishing connection to NATS. The first connect fails fast; once connected, a dropped connection is
    the client's to restore, every `publish_reconnect_seconds` for as long as it takes, and `reconnected` is
    set when it has: the publisher resumes then rather than at the end of a backoff."""

    def __init__(self, connection: NatsConnection, settings: PublishingSettings, name: str, outage: Outage) -> None:
        self.connection = connection
        self.settings = settings
        self.name = name
        self.outage = outage  # where client errors are noted (the publisher logs the outage)
        self.closed = asyncio.Event()  # set when the connection drops: a wave waiting for acks gives up at once
        self.reconnected = asyncio.Event()  # set when the client has restored a dropped connection
        self._nc: NatsClient | None = None
        self._js: JetStreamContext | None = None
        self._stream_ready = False  # ensured on this connection since it was (re)established

    @property
    def connected(self) -> bool:
        return self._nc is not None and self._nc.is_connected

    @property
    def server_port(self) -> int | None:
        """The port of the server this link is connected to (which node of a cluster), if connected."""
        url = self._nc.connected_url if self._nc is not None and self._nc.is_connected else None
        return None if url is None else url.port

    @property
    def open(self) -> bool:
        """Whether there is a client, connected or restoring its connection."""
        return self._nc is not None and not self._nc.is_closed

    async def jetstream(self) -> JetStreamContext:
        """The JetStream context of the live connection (connecting when there is none), with the stream
        ensured; NatsUnavailable while the client reconnects, or when it can not connect."""
        if self._js is None or not self.open:
            await self._connect()
        assert self._nc is not None and self._js is not None
        if not self._nc.is_connected:
            raise NatsUnavailable(f"reconnecting to NATS ({self.outage.last_error or 'connection lost'})")
        if not self._stream_ready:
            try:
                await ensure_stream(self._nc.jetstream(timeout=STREAM_API_SECONDS), self.settings)
            except NATS_ERRORS as exc:  # unanswered on a live connection: the stream is electing its leader
                electing = isinstance(exc, TimeoutError) and self._nc.is_connected
                raise NatsUnavailable(f"{type(exc).__name__}: {exc}", electing=electing) from exc
            self._stream_ready = True
        return self._js

    def failed(self) -> None:
        """Publishing failed on this connection: ensure the stream again before the next attempt."""
        self._stream_ready = False

    async def close(self) -> None:
        nc, self._nc, self._js = self._nc, None, None
        if nc is not None and not nc.is_closed:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(nc.close(), 5)

    async def _connect(self) -> None:
        await self.close()
        self.closed = asyncio.Event()
        try:
            nc = await self.connection.connect(
                name=f"leadstore {self.name}",
                # the first connect fails fast: one attempt and its immediate retry (the client would make 60)
                allow_reconnect=False,
                max_reconnect_attempts=1,
                reconnect_time_wait=0,
                connect_timeout=2,
                error_cb=self._on_error,
                disconnected_cb=self._on_disconnected,
                reconnected_cb=self._on_reconnected,
                closed_cb=self._on_disconnected,
            )
        except NATS_ERRORS as exc:
            raise NatsUnavailable(f"{type(exc).__name__}: {exc}") from exc
        # connected: from now on the client restores a dropped connection itself, for as long as it takes
        wait = self.settings.publish_reconnect_seconds
        nc.options.update(allow_reconnect=True, max_reconnect_attempts=-1, reconnect_time_wait=wait)
        self._nc, self._stream_ready = nc, False
        self._js = nc.jetstream(
            timeout=self.settings.publish_ack_timeout_seconds,
            publish_async_max_pending=max(4000, self.settings.publish_batch_size),
        )

    async def _on_error(self, exc: Exception) -> None:
        self.outage.last_error = f"{type(exc).__name__}: {exc}"
        log.debug("NATS client error: %r", exc)

    async def _on_disconnected(self) -> None:
        self.closed.set()

    async def _on_reconnected(self) -> None:
        self.closed, self._stream_ready = asyncio.Event(), False
        self.reconnected.set()
