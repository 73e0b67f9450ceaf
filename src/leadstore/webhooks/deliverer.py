"""One endpoint's deliverer: a follower of the log (DESIGN.md decisions 3 and 11) in two steps.

The reader stands on the same pieces as a projection: the lease `webhook:<id>`, the commit-order `read_log` of
the endpoint's account from the checkpoint of the same name (a new endpoint starts at the log's head as it is
first seen), and a batch that writes one `pending` delivery row per matching event in the transaction of its
fenced checkpoint save. It also applies an admin's replay request (the checkpoint moves back; the events after
it are owed again). The sender, while the same lease is held, posts due rows: per stream in version order
(a row is due only when no earlier version of its stream is pending), at most
`webhooks_concurrency_per_endpoint` at a time and within the process's overall slots, so a hung endpoint holds
only its own. Its row updates are fenced by the lease too.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from leadstore.documents import event_envelope
from leadstore.leadership import DATABASE_ERRORS, Lease, LeaseLost, close_quietly
from leadstore.store import checkpoints, db
from leadstore.store.events import NOTIFY_CHANNEL, Checkpoint, RecordedEvent, read_log
from leadstore.store.notifier import wait_or_stop
from leadstore.webhooks import store
from leadstore.webhooks.disabling import disable_if_failing
from leadstore.webhooks.sender import Attempt, post, signed_headers
from leadstore.webhooks.shared import DeliveryContext, delivery_id

log = logging.getLogger(__name__)
_encoder = msgspec.json.Encoder()


def past(checkpoint: Checkpoint, events: list[RecordedEvent], head: Checkpoint | None, limit: int) -> Checkpoint:
    """Where the reader has got to after a batch of its account's events: past the batch, and, when the batch
    was not cut short by `limit`, past the whole log's head as read before it, too, since any event of the
    account at or before that head was committed in time for the batch's read to see it. So the checkpoint
    also moves over other accounts' events: each read starts near the end, and its lag means what it says."""
    reached = events[-1].checkpoint if events else checkpoint
    if len(events) < limit and head is not None and head > reached:
        return head
    return reached


class EndpointGone(Exception):
    """The endpoint was deleted or disabled: its deliverer ends."""


class EndpointDeliverer:
    """Reads the log into one endpoint's delivery rows and sends them; `run` it in every worker, one leads."""

    def __init__(self, pool: asyncpg.Pool, dsn: str, webhook_id: UUID, context: DeliveryContext) -> None:
        self.pool, self.dsn, self.webhook_id, self.context = pool, dsn, webhook_id, context
        self.name = f"webhook:{webhook_id}"
        settings = context.settings
        self.batch_size = settings.projection_batch_size
        self.poll_seconds = settings.webhooks_poll_seconds
        self.lease = Lease(dsn, self.name, settings.lease_seconds, on_lost=self.wake)
        self.stop = asyncio.Event()  # set when the endpoint goes, or the worker stops
        self.active = False
        self.sent = 0
        self._wake = asyncio.Event()
        self._send_wake = asyncio.Event()

    def wake(self, *_: object) -> None:
        self._wake.set()
        self._send_wake.set()

    async def run(self) -> None:
        """Stand by until elected, then deliver until stopped; outlives lost leases and database outages."""
        while not self.stop.is_set():
            try:
                await self._serve()
            except EndpointGone:
                self.stop.set()
            except LeaseLost as exc:
                log.warning("%s stood down (%s); standing by", self.name, exc)
            except DATABASE_ERRORS as exc:
                log.warning("%s lost its database connection (%s); reconnecting", self.name, exc)
            except Exception:
                log.exception("%s failed; restarting", self.name)
            await wait_or_stop(self.stop, self.poll_seconds)

    async def _serve(self) -> None:
        conn = await db.connect(self.dsn)  # the reader's batches run on it: the session a successor ends
        try:
            await store.start_at_head(conn, self.name)
            async with self.lease.term(self.stop, conn) as elected:
                if elected:
                    await self._lead(conn)
        finally:
            self.active = False
            await close_quietly(conn)

    async def _lead(self, conn: asyncpg.Connection) -> None:
        self.active = True
        log.info("%s delivering", self.name)
        await conn.add_listener(NOTIFY_CHANNEL, self.wake)
        sending = asyncio.create_task(self._send_loop(), name=f"{self.name} sender")
        try:
            while not self.stop.is_set():
                self.lease.check()
                if sending.done():
                    sending.result()  # its failure is the term's
                    return
                try:
                    if await self.catch_up(conn):
                        self._send_wake.set()
                except Exception as exc:
                    self.lease.check(exc)
                    raise
                self._wake.clear()
                await wait_or_stop(self.stop, self.poll_seconds, self._wake)
        finally:
            sending.cancel()
            await asyncio.gather(sending, return_exceptions=True)

    async def catch_up(self, conn: asyncpg.Connection) -> int:
        """Read batches into delivery rows until nothing committed is left beyond the checkpoint."""
        total = 0
        while read := await self.read_batch(conn):
            total += read
        return total

    async def read_batch(self, conn: asyncpg.Connection) -> int:
        """One batch: owe the matching events and move the fenced checkpoint past them, in one transaction."""
        async with conn.transaction():
            self.lease.check()
            checkpoint = await checkpoints.lock(conn, self.name)
            replay = await store.take_replay(conn, self.webhook_id)
            if replay is not None:
                log.info("%s: replaying after %s", self.name, replay.token())
                checkpoint = replay
                await self.lease.save(conn, checkpoint)
            endpoint = await store.endpoint(conn, self.webhook_id)
            if endpoint is None or not endpoint.active:
                raise EndpointGone(self.name)
            head = await store.head(conn)  # before the read: see `past`
            events = await read_log(conn, checkpoint, self.batch_size, endpoint.account_id)
            await store.owe(conn, self.webhook_id, [e.event_id for e in events if endpoint.wants(e.type)])
            reached = past(checkpoint, events, head, self.batch_size)
            if reached == checkpoint:
                return 0
            await self.lease.save(conn, reached)
        return max(1, len(events))

    async def _send_loop(self) -> None:
        """Keep up to the endpoint's concurrency of due deliveries in flight until stopped."""
        in_flight: dict[UUID, asyncio.Task[None]] = {}
        room = max(1, self.context.settings.webhooks_concurrency_per_endpoint)
        try:
            while not self.stop.is_set():
                self.lease.check()
                self._send_wake.clear()
                if len(in_flight) < room:
                    await self._start_due(in_flight, room - len(in_flight))
                waiters: set[asyncio.Future[Any]] = {
                    *in_flight.values(),
                    asyncio.ensure_future(self._send_wake.wait()),
                }
                try:
                    await asyncio.wait(waiters, timeout=self.poll_seconds, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    waiters.difference_update(in_flight.values())
                    for waiter in waiters:
                        waiter.cancel()
                for event_id, task in list(in_flight.items()):
                    if task.done():
                        del in_flight[event_id]
                        task.result()  # a lost lease or database error ends the term
        finally:
            for task in in_flight.values():
                task.cancel()
            await asyncio.gather(*in_flight.values(), return_exceptions=True)

    async def _start_due(self, in_flight: dict[UUID, asyncio.Task[None]], room: int) -> None:
        async with self.pool.acquire() as conn:
            endpoint = await store.endpoint(conn, self.webhook_id)
            if endpoint is None or not endpoint.active:
                raise EndpointGone(self.name)
            due = await store.due(conn, self.webhook_id, list(in_flight), room)
        if not due:
            return
        secrets = self.context.secrets(endpoint)
        for row in due:
            task = asyncio.create_task(self._deliver(endpoint, secrets, row), name=f"{self.name} delivery")
            in_flight[row.event.event_id] = task

    async def _deliver(self, endpoint: store.Endpoint, secrets: list[str], row: store.Due) -> None:
        event = row.event
        body = _encoder.encode(event_envelope(event))
        headers = signed_headers(secrets, str(event.event_id), delivery_id(endpoint.id, event.event_id), body)
        async with self.context.slots:
            allow_private = self.context.settings.webhooks_allow_private
            attempt = await post(self.context.client, endpoint.url, body, headers, allow_private=allow_private)
        await self._record(endpoint, row, attempt)

    async def _record(self, endpoint: store.Endpoint, row: store.Due, attempt: Attempt) -> None:
        fence = (self.name, self.lease.holder, self.lease.token)
        key = (self.webhook_id, row.event.event_id, attempt.status)
        async with self.pool.acquire() as conn:
            if attempt.delivered:
                await conn.execute(store.DELIVERED, *key, *fence)
                self.sent += 1
            elif attempt.retry:
                delay = self.context.backoff(row.attempts + 1, attempt.retry_after)
                await conn.execute(store.RETRY, *key, *fence, attempt.error, delay)
                if await disable_if_failing(conn, endpoint, self.context.settings.webhooks_retry_window_seconds):
                    self.stop.set()
            else:
                await conn.execute(store.FAILED, *key, *fence, attempt.error)

    def status(self) -> dict[str, object]:
        return {"name": self.name, "active": self.active, "sent": self.sent}
