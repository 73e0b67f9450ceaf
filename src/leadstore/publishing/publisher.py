"""The NATS publisher: a reader of the log that sends every event to JetStream, at least once, in commit order.

One publisher is active across all processes: it holds a session advisory lock on its own database
connection, the same connection it reads the log and saves its checkpoint on, so losing that connection
loses the lock and the right to advance. Others stand by and try the lock again every few seconds.
The checkpoint advances only over events whose publish JetStream acknowledged. While NATS is out the
publisher backs off (capped, exponential), logs the outage once, and resumes from its checkpoint;
writes never wait for it. Retried events carry the same `Nats-Msg-Id`, so the stream drops the copies.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime
from typing import Any

import asyncpg
import nats.errors
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from leadstore.documents import timestamp
from leadstore.publishing.batch import BatchResult, publish_batch
from leadstore.publishing.connection import NatsConnection
from leadstore.publishing.health import Backoff, Outage
from leadstore.publishing.keys import SigningKeys
from leadstore.publishing.settings import PublishingSettings
from leadstore.publishing.signature import Signer
from leadstore.publishing.stream import STREAM, ensure_stream
from leadstore.store import checkpoints, db
from leadstore.store.events import NOTIFY_CHANNEL, Checkpoint, read_log
from leadstore.store.notifier import wait_or_stop

log = logging.getLogger(__name__)

DEFAULT_NAME = "publisher:nats"
NATS_ERRORS = (OSError, nats.errors.Error)  # OSError covers TimeoutError


# On a JetStream cluster, the stream's replicas elect a new leader some seconds after its leader's node died
# (4-9 s after a SIGKILL); until then the stream answers nothing. The publisher keeps its connection and
# tries again every ELECTION_RETRY_SECONDS, with no growing backoff, so that it resumes right after the
# election; past ELECTION_GRACE_SECONDS (no election takes that long: the stream has lost its quorum, or was
# deleted) it falls back to reconnecting with backoff. Calls that manage the stream wait STREAM_API_SECONDS
# at most, so that one asked during an election does not stall the publisher for a whole ack timeout.
ELECTION_RETRY_SECONDS = 0.25
ELECTION_GRACE_SECONDS = 30.0
STREAM_API_SECONDS = 1.0


class NatsUnavailable(Exception):
    """NATS could not be reached, refused the stream, or did not acknowledge in time; `electing` when only the
    stream's leader was missing, on a live connection."""

    def __init__(self, reason: str, *, electing: bool = False) -> None:
        super().__init__(reason)
        self.electing = electing


class Publisher:
    """Publishes the log to the JetStream stream LEADS; `run` it in every worker, one is active."""

    def __init__(
        self,
        dsn: str,
        nats_url: str | NatsConnection,
        settings: PublishingSettings | None = None,
        *,
        name: str = DEFAULT_NAME,
        keys: SigningKeys | None = None,
    ) -> None:
        self.dsn = dsn
        self.connection = NatsConnection.of(nats_url)
        self.settings = settings or PublishingSettings()
        self.name = name
        self.keys = keys or SigningKeys()
        self.running = False
        self.active = False
        self.checkpoint: Checkpoint | None = None
        self.lag: int | None = None  # committed events not yet acknowledged by NATS (capped, see reader_lag)
        self.lag_seconds: float | None = None  # age of the oldest of them
        self.published = 0
        self.duplicates = 0
        self.last_published_at: float | None = None
        self.nats = Outage("NATS", log)
        self.database = Outage("PostgreSQL (publisher)", log)
        self._nc: NatsClient | None = None
        self._js: JetStreamContext | None = None
        self._wake = asyncio.Event()
        self._closed = asyncio.Event()  # set when the current NATS connection drops
        self._lag_measured_at = 0.0

    def status(self) -> dict[str, Any]:
        """A snapshot for /ready: never raises, never waits."""
        outage = "database" if self.database.down else "nats" if self.nats.down else None
        return {
            "enabled": True,
            "running": self.running,
            "active": self.active,
            "connected": self._nc is not None and self._nc.is_connected,
            "stream": STREAM,
            "checkpoint": self.checkpoint.token() if self.checkpoint else None,
            "lag": self.lag,
            "lag_seconds": self.lag_seconds,
            "published": self.published,
            "last_published_at": timestamp_or_none(self.last_published_at),
            "outage": outage,
            "last_error": self.database.last_error if self.database.down else self.nats.last_error,
        }

    def wake(self, *_: object) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Stand by until elected, then publish until `stop` is set; outlives database and NATS outages."""
        self.running = True
        backoff = Backoff(self.settings.publish_backoff_initial_seconds, self.settings.publish_backoff_max_seconds)
        try:
            while not stop.is_set():
                try:
                    await self._term(stop)
                    backoff.reset()
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                    self.database.failed(repr(exc), "publishing paused until it returns")
                    await wait_or_stop(stop, backoff.next())
                except Exception:
                    log.exception("publisher %s failed; restarting", self.name)
                    await wait_or_stop(stop, backoff.next())
        finally:
            self.running = False
            await self._close_nats()

    async def _term(self, stop: asyncio.Event) -> None:
        """One database connection's life: stand by, then (once elected) follow the log on it."""
        conn = await db.connect(self.dsn)
        try:
            await checkpoints.ensure(conn, self.name)
            signer = await self.keys.signer(conn)
            self.database.recovered()
            if not await self._elect(conn, stop):
                return
            self.active = True
            log.info("publisher %s active from %s", self.name, self.checkpoint.token() if self.checkpoint else "-")
            await conn.add_listener(NOTIFY_CHANNEL, self.wake)
            await self._follow(conn, stop, signer)
        finally:
            self.active = False
            await self._close_nats()
            await _close_quietly(conn)

    async def _elect(self, conn: asyncpg.Connection, stop: asyncio.Event) -> bool:
        """Wait for the advisory lock (True) or for `stop` (False); keep checkpoint and lag fresh meanwhile."""
        while not stop.is_set():
            if await checkpoints.try_lead(conn, self.name):
                self.checkpoint = await checkpoints.read(conn, self.name)  # read under the lock: the last word
                return True
            self.checkpoint = await checkpoints.read(conn, self.name)
            await self._measure_lag(conn)
            await wait_or_stop(stop, self.settings.publish_standby_seconds)
        return False

    async def _follow(self, conn: asyncpg.Connection, stop: asyncio.Event, signer: Signer) -> None:
        """Publish whatever is committed, then wait for a NOTIFY or the poll; back off while NATS is out."""
        backoff = Backoff(self.settings.publish_backoff_initial_seconds, self.settings.publish_backoff_max_seconds)
        while not stop.is_set():
            self._wake.clear()
            try:
                await self._drain(conn, await self._jetstream(), signer)
            except NatsUnavailable as exc:
                self.nats.failed(str(exc), "publishing paused (writes go on), retrying with backoff")
                if exc.electing and time.time() - (self.nats.since or 0.0) < ELECTION_GRACE_SECONDS:
                    await self._measure_lag(conn, force=True)
                    await wait_or_stop(stop, ELECTION_RETRY_SECONDS)
                    continue
                await self._close_nats()
                await self._measure_lag(conn, force=True)
                await wait_or_stop(stop, backoff.next())
                continue
            backoff.reset()
            await wait_or_stop(stop, self.settings.publish_poll_seconds, self._wake)

    async def _drain(self, conn: asyncpg.Connection, js: JetStreamContext, signer: Signer) -> None:
        """Publish batch after batch until nothing committed is left beyond the checkpoint."""
        while True:
            assert self.checkpoint is not None
            events = await read_log(conn, self.checkpoint, self.settings.publish_batch_size)
            if not events:
                self.lag, self.lag_seconds = 0, 0.0
                return
            result = await publish_batch(js, events, signer, self.settings.publish_ack_timeout_seconds, self._closed)
            if result.acked:
                await self._advance(conn, events[result.acked - 1].checkpoint, result)
            if result.error is not None:
                raise NatsUnavailable(result.error, electing=result.electing)
            self.nats.recovered(f"publishing resumed, now at {self.checkpoint.token()}")
            await self._measure_lag(conn)

    async def _advance(self, conn: asyncpg.Connection, checkpoint: Checkpoint, result: BatchResult) -> None:
        # forward only: a publisher that lost its lock without noticing can never move the checkpoint back
        await checkpoints.save_forward(conn, self.name, checkpoint)
        self.checkpoint = checkpoint
        self.published += result.acked
        self.duplicates += result.duplicates
        self.last_published_at = time.time()

    async def _measure_lag(self, conn: asyncpg.Connection, *, force: bool = False) -> None:
        """Count committed events not yet acknowledged (at most once a second unless forced)."""
        if not force and time.monotonic() - self._lag_measured_at < 1.0:
            return
        self._lag_measured_at = time.monotonic()
        behind = await checkpoints.reader_lag(conn, self.name)
        self.lag, self.lag_seconds = behind["lag_events"], behind["lag_seconds"]

    async def _jetstream(self) -> JetStreamContext:
        """The JetStream context of a live connection, connecting and ensuring the stream when needed."""
        if self._js is not None and self._nc is not None and self._nc.is_connected:
            return self._js
        await self._close_nats()
        self._closed = closed = asyncio.Event()

        async def on_closed() -> None:
            closed.set()

        try:
            self._nc = await self.connection.connect(
                name=f"leadstore {self.name}",
                # reconnecting is ours (capped backoff, logged once, resume from the checkpoint): one connect
                # attempt and its immediate retry, as the client otherwise retries the first connect 60 times
                allow_reconnect=False,
                max_reconnect_attempts=1,
                reconnect_time_wait=0,
                connect_timeout=2,
                error_cb=self._on_nats_error,
                disconnected_cb=on_closed,
                closed_cb=on_closed,
            )
            self._js = self._nc.jetstream(
                timeout=self.settings.publish_ack_timeout_seconds,
                publish_async_max_pending=max(4000, self.settings.publish_batch_size),
            )
            await ensure_stream(self._nc.jetstream(timeout=STREAM_API_SECONDS), self.settings)
        except NATS_ERRORS as exc:
            connected_but_unanswered = self._js is not None and isinstance(exc, TimeoutError)
            await self._close_nats()
            raise NatsUnavailable(f"{type(exc).__name__}: {exc}", electing=connected_but_unanswered) from exc
        return self._js

    async def _on_nats_error(self, exc: Exception) -> None:
        self.nats.last_error = f"{type(exc).__name__}: {exc}"
        log.debug("NATS client error: %r", exc)

    async def _close_nats(self) -> None:
        nc, self._nc, self._js = self._nc, None, None
        if nc is not None and not nc.is_closed:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(nc.close(), 5)


def timestamp_or_none(epoch: float | None) -> str | None:
    """RFC 3339 of an epoch time, or None."""
    return None if epoch is None else timestamp(datetime.fromtimestamp(epoch, UTC))


async def _close_quietly(conn: asyncpg.Connection) -> None:
    """Close (which releases the advisory lock); drop the socket when the server does not answer."""
    try:
        await asyncio.wait_for(conn.close(), 5)
    except Exception:
        conn.terminate()
