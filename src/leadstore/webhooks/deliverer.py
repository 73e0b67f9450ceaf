"""One endpoint's deliverer: a follower of the log (DESIGN.md decisions 3 and 11) in two steps.

The reader stands on the same pieces as a projection: the lease `webhook:<id>`, the commit-order `read_log` of
the endpoint's account from the checkpoint of the same name (a new endpoint starts at the log's head as its
creation sees it), and a batch that writes one `pending` delivery row per matching event in the transaction of its
fenced checkpoint save. It also applies an admin's replay request (the checkpoint moves back; the events after
it are owed again). The sender (webhooks/sending.py) posts the due rows while the same lease is held.
"""

from __future__ import annotations

import asyncio
import logging
from uuid import UUID

import asyncpg

from leadstore.leadership import DATABASE_ERRORS, Lease, LeaseLost, close_quietly
from leadstore.store import checkpoints, db
from leadstore.store.events import NOTIFY_CHANNEL, Checkpoint, RecordedEvent, read_log
from leadstore.store.notifier import wait_or_stop
from leadstore.webhooks import store
from leadstore.webhooks.sending import EndpointGone, Sender
from leadstore.webhooks.shared import DeliveryContext

log = logging.getLogger(__name__)


def past(checkpoint: Checkpoint, events: list[RecordedEvent], head: Checkpoint | None, limit: int) -> Checkpoint:
    """Where the reader has got to after a batch of its account's events: past the batch, and, when the batch
    was not cut short by `limit`, past the whole log's head as read before it, too, since any event of the
    account at or before that head was committed in time for the batch's read to see it. So the checkpoint
    also moves over other accounts' events: each read starts near the end, and its lag means what it says."""
    reached = events[-1].checkpoint if events else checkpoint
    if len(events) < limit and head is not None and head > reached:
        return head
    return reached


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
        self._sender: Sender | None = None
        self._wake = asyncio.Event()

    @property
    def sent(self) -> int:
        """Deliveries this process's sender got a 2xx for, since it last took the lease."""
        return 0 if self._sender is None else self._sender.sent

    def wake(self, *_: object) -> None:
        self._wake.set()
        if self._sender is not None:
            self._sender.wake.set()

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
        self._sender = Sender(self.pool, self.webhook_id, self.lease, self.context, self.stop)
        sending = asyncio.create_task(self._sender.run(), name=f"{self.name} sender")
        try:
            while not self.stop.is_set():
                self.lease.check()
                if sending.done():
                    sending.result()  # its failure is the term's
                    return
                try:
                    if await self.catch_up(conn):
                        self._sender.wake.set()
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
                # back, never forward: a replay past where the reader stopped (it was disabled) skips nothing
                checkpoint = min(replay, checkpoint)
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

    def status(self) -> dict[str, object]:
        return {"name": self.name, "active": self.active, "sent": self.sent}
