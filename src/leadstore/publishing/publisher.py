"""The NATS publisher: a reader of the log that sends every event to JetStream, at least once, in commit order.

One publisher is active across all processes: it holds the lease `publisher:nats` (leadstore.leadership),
and its checkpoint saves are fenced by it, so a publisher that lost its lease (frozen, cut off) can not
advance, and it publishes no further wave once its lease may have lapsed. Others stand by and take over a
lease not renewed in time. The checkpoint advances only over events whose publish JetStream acknowledged.
While NATS is out the publisher logs the outage once and resumes from its checkpoint as soon as the client
has restored the connection (publishing/link.py); other failures are retried after a capped exponential
backoff that starts afresh after any progress. Writes never wait for it. Retried events carry the same
`Nats-Msg-Id`, so the stream drops the copies.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any

import asyncpg
from nats.js import JetStreamContext

from leadstore.documents import timestamp
from leadstore.leadership import Lease, LeaseLost, close_quietly
from leadstore.publishing.batch import BatchResult, publish_batch
from leadstore.publishing.connection import NatsConnection
from leadstore.publishing.health import Backoff, Outage
from leadstore.publishing.keys import SigningKeys
from leadstore.publishing.link import JetStreamLink, NatsUnavailable
from leadstore.publishing.settings import PublishingSettings
from leadstore.publishing.signature import Signer
from leadstore.publishing.stream import STREAM
from leadstore.store import checkpoints, db
from leadstore.store.events import NOTIFY_CHANNEL, Checkpoint, read_log
from leadstore.store.notifier import wait_or_stop

log = logging.getLogger(__name__)

DEFAULT_NAME = "publisher:nats"
# On a JetStream cluster, the stream's replicas elect a new leader some seconds after its leader's node died
# (4-9 s after a SIGKILL); until then the stream answers nothing. The publisher keeps its connection and
# tries again every ELECTION_RETRY_SECONDS, with no growing backoff, so that it resumes right after the
# election; past ELECTION_GRACE_SECONDS (no election takes that long: the stream has lost its quorum, or was
# deleted) it falls back to its backoff.
ELECTION_RETRY_SECONDS = 0.25
ELECTION_GRACE_SECONDS = 30.0


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
        lease_seconds: float = 10.0,
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
        self.link = JetStreamLink(self.connection, self.settings, name, self.nats)
        self._wake = asyncio.Event()
        tuning = self.settings
        self._backoff = Backoff(tuning.publish_backoff_initial_seconds, tuning.publish_backoff_max_seconds)
        self._lag_measured_at = 0.0
        self.lease = Lease(dsn, name, lease_seconds, on_lost=self.wake)

    def status(self) -> dict[str, Any]:
        """A snapshot for /ready: never raises, never waits."""
        outage = "database" if self.database.down else "nats" if self.nats.down else None
        return {
            "enabled": True,
            "running": self.running,
            "active": self.active,
            "connected": self.link.connected,
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
                except LeaseLost as exc:
                    log.warning("publisher %s stood down (%s); standing by", self.name, exc)
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                    self.database.failed(repr(exc), "publishing paused until it returns")
                    await wait_or_stop(stop, backoff.next())
                except Exception:
                    log.exception("publisher %s failed; restarting", self.name)
                    await wait_or_stop(stop, backoff.next())
        finally:
            self.running = False
            await self.link.close()

    async def _term(self, stop: asyncio.Event) -> None:
        """One database connection's life: stand by, then (once elected) follow the log on it."""
        conn = await db.connect(self.dsn)
        try:
            await checkpoints.ensure(conn, self.name)
            signer = await self.keys.signer(conn)
            self.database.recovered()
            async with self.lease.term(stop, conn, lambda: self._stand_by(conn)) as elected:
                if not elected:
                    return
                self.checkpoint = await checkpoints.read(conn, self.name)  # read under the lease: the last word
                self.active = True
                log.info("publisher %s active from %s", self.name, self.checkpoint.token())
                await conn.add_listener(NOTIFY_CHANNEL, self.wake)
                try:
                    await self._follow(conn, stop, signer)
                except Exception as exc:
                    self.lease.check(exc)  # lapsed meanwhile (frozen, cut off): that is why it failed
                    raise
        finally:
            self.active = False
            await self.link.close()
            await close_quietly(conn)

    async def _stand_by(self, conn: asyncpg.Connection) -> None:
        """While another publisher leads: keep checkpoint and lag fresh for /ready."""
        self.checkpoint = await checkpoints.read(conn, self.name)
        await self._measure_lag(conn)

    async def _follow(self, conn: asyncpg.Connection, stop: asyncio.Event, signer: Signer) -> None:
        """Publish whatever is committed, then wait for a NOTIFY or the poll; while NATS is out, wait for the
        client to reconnect or for the backoff (which starts afresh after any progress or reconnection)."""
        self._backoff.reset()
        while not stop.is_set():
            self._wake.clear()
            self.link.reconnected.clear()
            self.lease.check()
            try:
                await self._drain(conn, await self.link.jetstream(), signer)
            except NatsUnavailable as exc:
                self.nats.failed(str(exc), "publishing paused (writes go on), retrying")
                self.link.failed()
                electing = exc.electing and time.time() - (self.nats.since or 0.0) < ELECTION_GRACE_SECONDS
                await self._measure_lag(conn, force=not electing)  # electing: retried 4 times a second, counted once
                if electing:
                    await wait_or_stop(stop, ELECTION_RETRY_SECONDS)
                    continue
                wait = self._backoff.next()
                if not self.link.open:  # not connected at all: try as often as the client tries to reconnect
                    wait = min(wait, self.settings.publish_reconnect_seconds)
                await wait_or_stop(stop, wait, self.link.reconnected)
                if self.link.reconnected.is_set():
                    self._backoff.reset()
                continue
            await wait_or_stop(stop, self.settings.publish_poll_seconds, self._wake)

    async def _drain(self, conn: asyncpg.Connection, js: JetStreamContext, signer: Signer) -> None:
        """Publish batch after batch until nothing committed is left beyond the checkpoint."""
        while True:
            assert self.checkpoint is not None
            self.lease.check()
            events = await read_log(conn, self.checkpoint, self.settings.publish_batch_size)
            if not events:
                self.lag, self.lag_seconds = 0, 0.0
                return
            timeout, closed = self.settings.publish_ack_timeout_seconds, self.link.closed
            result = await publish_batch(js, events, signer, timeout, closed, leading=lambda: self.lease.held)
            if result.acked:
                await self._advance(conn, events[result.acked - 1].checkpoint, result)
            if result.error is not None:
                raise NatsUnavailable(result.error, electing=result.electing)
            self.nats.recovered(f"publishing resumed, now at {self.checkpoint.token()}")
            await self._measure_lag(conn)

    async def _advance(self, conn: asyncpg.Connection, checkpoint: Checkpoint, result: BatchResult) -> None:
        await self.lease.save(conn, checkpoint, forward=True)
        self.checkpoint = checkpoint
        self.published += result.acked
        self.duplicates += result.duplicates
        self.last_published_at = time.time()
        self._backoff.reset()  # progress: the next outage is met with short retries again

    async def _measure_lag(self, conn: asyncpg.Connection, *, force: bool = False) -> None:
        """Count committed events not yet acknowledged (at most once a second unless forced)."""
        if not force and time.monotonic() - self._lag_measured_at < 1.0:
            return
        self._lag_measured_at = time.monotonic()
        behind = await checkpoints.reader_lag(conn, self.name)
        self.lag, self.lag_seconds = behind["lag_events"], behind["lag_seconds"]


def timestamp_or_none(epoch: float | None) -> str | None:
    """RFC 3339 of an epoch time, or None."""
    return None if epoch is None else timestamp(datetime.fromtimestamp(epoch, UTC))
