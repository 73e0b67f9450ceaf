"""Consume the LEADS stream: an async iterator of typed events with explicit acks, deduplicated by event id.

    async with EventSubscription(nats_url, public_key=key, account_id=account, durable="crm-sync") as events:
        async for delivery in events:
            handle(delivery.event)           # a PublishedEvent; delivery.event.lead_event() gives the typed data
            await delivery.ack()             # not acked: redelivered after ack_wait (at-least-once)

Only what the service signed is handed out: `public_key` (GET /v1/signing-key, pinned) verifies each
message's `Leadstore-Signature` over its exact body, and the body must name the account and type of the
subject it came on, so that a signed event replayed elsewhere in the stream is refused too. Anything else
is dropped (terminated, so never redelivered), counted in `rejected` and logged without its body.

Delivery is at least once. The iterator skips (and acks) a message whose event id it has already seen
acked, so a copy that escaped JetStream's duplicate window is not handed out twice; ids are remembered
in a bounded window (`remember`). A durable consumer resumes where it stopped; an ephemeral one (the
default) starts at new events, or at the first with `from_start=True`, and is removed when closed.
The subscription reconnects by itself and recreates its consumer (from the next sequence) if the
server lost it. On a cluster an ephemeral consumer lives on one node (a durable one is replicated like the
stream): when that node is gone, the consumer stops answering, and it is recreated on a live node.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from types import TracebackType
from uuid import UUID

import msgspec
import nats.errors
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, ConsumerInfo, DeliverPolicy
from nats.js.errors import NotFoundError, ServiceUnavailableError

from leadstore.publishing.connection import NatsConnection
from leadstore.publishing.delivery import Delivery, PublishedEvent, RecentIds, decoder
from leadstore.publishing.health import Outage
from leadstore.publishing.signature import Verifier
from leadstore.publishing.stream import STREAM, files_under, filter_subject

log = logging.getLogger(__name__)

EPHEMERAL_INACTIVE_SECONDS = 300.0  # the server drops an ephemeral consumer this long after its client went away
# what asking a consumer whose node is gone yields: no answer, or no responder for its subjects
UNANSWERED = (nats.errors.TimeoutError, nats.errors.NoRespondersError, ServiceUnavailableError)


class EventSubscription:
    """Follow the LEADS stream, filtered by account and/or event type."""

    def __init__(
        self,
        nats_url: str | NatsConnection,
        *,
        public_key: str | bytes,
        account_id: UUID | str | None = None,
        event_type: str | None = None,
        durable: str | None = None,
        from_start: bool = False,
        batch: int = 256,
        ack_wait: float = 30.0,
        fetch_timeout: float = 5.0,
        remember: int = 100_000,
    ) -> None:
        self.connection = NatsConnection.of(nats_url)
        self.verifier = Verifier(public_key)
        self.subject = filter_subject(account_id, event_type)
        self.durable = durable
        self.from_start = from_start
        self.batch = batch
        self.ack_wait = ack_wait
        self.fetch_timeout = fetch_timeout
        self.seen = RecentIds(remember)
        self.duplicates = 0
        self.rejected = 0  # messages dropped: unsigned, forged, filed under another subject, or not an envelope
        self.last_sequence = 0  # the stream sequence of the last message handed out (or the start point)
        self._nc: NatsClient | None = None
        self._js: JetStreamContext | None = None
        self._sub: JetStreamContext.PullSubscription | None = None
        self._buffer: deque[Msg] = deque()
        self._pending = 0  # messages the server said were left after the last one received
        self.nats = Outage(f"NATS at {self.connection.address}", log)

    async def __aenter__(self) -> EventSubscription:
        await self.open()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def __aiter__(self) -> EventSubscription:
        return self

    async def __anext__(self) -> Delivery:
        while True:
            msg = await self._next_msg()
            self.last_sequence = int(msg.metadata.sequence.stream)
            event = await self._verified(msg)
            if event is None:
                continue
            if event.id in self.seen:
                self.duplicates += 1
                await msg.ack()
                continue
            return Delivery(event, msg, self.seen)

    async def _verified(self, msg: Msg) -> PublishedEvent | None:
        """The message's event when the service signed it for this subject; else None, the message dropped."""
        problem = self.verifier.problem(msg.data, msg.headers)
        event: PublishedEvent | None = None
        if problem is None:
            try:
                event = decoder.decode(msg.data)
            except msgspec.DecodeError as exc:
                problem = f"not an Event envelope ({exc})"
        if event is not None and not files_under(msg.subject, event.account_id, event.type):
            event, problem = None, "signed for another subject"
        if event is None:
            self.rejected += 1
            log.warning("dropped message %s on %r: %s", self.last_sequence, msg.subject, problem)
            await msg.term()
        return event

    async def take(self, count: int, within: float) -> list[PublishedEvent]:
        """Ack and return the next `count` events, or those that arrived when `within` seconds are up."""
        events: list[PublishedEvent] = []
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                while len(events) < count:
                    delivery = await self.__anext__()
                    await delivery.ack()
                    events.append(delivery.event)
        return events

    async def open(self) -> None:
        """Connect (reconnecting forever afterwards) and create or bind the consumer."""
        self._nc = await self.connection.connect(
            name="leadstore subscriber",
            max_reconnect_attempts=-1,
            reconnect_time_wait=1,
            error_cb=self._on_error,
            reconnected_cb=self._on_reconnected,
        )
        self.nats.recovered()
        self._js = self._nc.jetstream()
        try:
            await self._bind(start_sequence=None)
        except NotFoundError:  # no stream yet: everything the publisher will send is new to us
            log.info("stream %s does not exist yet; waiting for the publisher to create it", STREAM)

    async def consumer_info(self) -> ConsumerInfo:
        """The server's view of this subscription's consumer: its name, pending messages, the node it runs on."""
        if self._sub is None:
            raise RuntimeError("the subscription has no consumer (not open, or being recreated)")
        return await self._sub.consumer_info()

    async def close(self) -> None:
        """Stop; an ephemeral consumer is deleted, a durable one keeps its place."""
        nc, self._nc = self._nc, None
        if nc is None:
            return
        if self._sub is not None and self.durable is None and self._js is not None and nc.is_connected:
            try:
                await self._js.delete_consumer(STREAM, self._sub._consumer)
            except (nats.errors.Error, OSError) as exc:
                log.debug("could not delete the ephemeral consumer: %r", exc)
        await nc.close()

    async def _on_error(self, exc: Exception) -> None:
        self.nats.failed(f"{type(exc).__name__}: {exc}", "retrying every second")

    async def _on_reconnected(self) -> None:
        self.nats.recovered()

    def _config(self, start_sequence: int | None) -> ConsumerConfig:
        if start_sequence is not None:
            policy = DeliverPolicy.BY_START_SEQUENCE
        else:
            policy = DeliverPolicy.ALL if self.from_start else DeliverPolicy.NEW
        return ConsumerConfig(
            deliver_policy=policy,
            opt_start_seq=start_sequence,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.ack_wait,
            max_ack_pending=max(1000, self.batch * 4),
            inactive_threshold=None if self.durable else EPHEMERAL_INACTIVE_SECONDS,
        )

    async def _bind(self, start_sequence: int | None) -> None:
        assert self._js is not None
        self._buffer.clear()
        self._sub = await self._js.pull_subscribe(
            self.subject, durable=self.durable, stream=STREAM, config=self._config(start_sequence)
        )
        if start_sequence is None:  # where it starts, so that a recreated consumer misses nothing
            info = await self._sub.consumer_info()
            floor = info.delivered if self.durable is None else info.ack_floor
            self.last_sequence = int(floor.stream_seq or 0) if floor else 0

    async def _next_msg(self) -> Msg:
        while not self._buffer:
            if self._nc is None:
                raise StopAsyncIteration
            if self._sub is None:
                await asyncio.sleep(1)
                await self._recreate()
                continue
            try:
                self._buffer.extend(await self._fetch(self._sub))
            except TimeoutError:  # nothing new (or reconnecting): make sure the consumer still exists
                await self._check_consumer()
            except NotFoundError:
                await self._recreate()
            except nats.errors.ConnectionClosedError as exc:
                raise StopAsyncIteration from exc
            except nats.errors.Error as exc:  # e.g. 503 when the consumer vanished under a pending fetch
                log.debug("fetch failed: %r", exc)
                await asyncio.sleep(0.2)
                await self._check_consumer()
        return self._buffer.popleft()

    async def _fetch(self, sub: JetStreamContext.PullSubscription) -> list[Msg]:
        """A batch when messages are waiting; otherwise one, returned the moment it arrives.

        A pull for n messages only ends when n arrived or it expired, so asking for a batch while the
        stream is idle would hold a new event back until the pull expires.
        """
        size = min(self.batch, self._pending) if self._pending > 0 else 1
        msgs = await sub.fetch(size, timeout=self.fetch_timeout)
        self._pending = int(msgs[-1].metadata.num_pending or 0) if msgs else 0
        return msgs

    async def _check_consumer(self) -> None:
        if self._nc is None or not self._nc.is_connected or self._sub is None:
            return
        try:
            await self._sub.consumer_info()
        except NotFoundError:
            await self._recreate()
        except (nats.errors.Error, OSError) as exc:
            if self.durable is None and isinstance(exc, UNANSWERED):  # a durable one is replicated: it comes back
                log.warning("the consumer of %s does not answer (%r): recreating it on a live node", self.subject, exc)
                await self._recreate()
            else:
                log.debug("consumer check failed: %r", exc)

    async def _recreate(self) -> None:
        log.debug("(re)creating the consumer of %s from stream sequence %d", self.subject, self.last_sequence + 1)
        sub, self._sub = self._sub, None
        if sub is not None:
            try:
                await sub.unsubscribe()
            except (nats.errors.Error, OSError, ValueError) as exc:
                log.debug("unsubscribe failed: %r", exc)
        try:
            await self._bind(start_sequence=self.last_sequence + 1)
        except (nats.errors.Error, OSError) as exc:
            log.debug("could not recreate the consumer yet: %r", exc)
