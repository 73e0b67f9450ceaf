"""An endpoint's sender: posts its due deliveries while its deliverer holds the endpoint's lease.

A row is due when its time has come and no earlier version of its stream is pending, so a failing event holds
back the later events of its lead only. Up to `webhooks_concurrency_per_endpoint` posts are in flight, each
also holding one of the process's slots, so a hung endpoint holds its own few and delays nobody else. Due rows
are fetched a few windows ahead (at most one per stream, so order holds); successes are marked in one
statement per round, failures one by one. Every mark is fenced by the lease: a deposed sender writes nothing.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import msgspec

from leadstore.documents import event_envelope
from leadstore.leadership import Lease
from leadstore.webhooks import store
from leadstore.webhooks.disabling import disable_if_failing
from leadstore.webhooks.sender import Attempt, new_client, post, signed_headers
from leadstore.webhooks.shared import DeliveryContext, delivery_id

_encoder = msgspec.json.Encoder()
AHEAD = 4  # due rows fetched per free place in flight


class EndpointGone(Exception):
    """The endpoint was deleted or disabled: its deliverer ends."""


class Sender:
    """Sends one endpoint's due deliveries until `stop` is set; raises what ends its deliverer's term."""

    def __init__(
        self, pool: asyncpg.Pool, webhook_id: UUID, lease: Lease, context: DeliveryContext, stop: asyncio.Event
    ) -> None:
        self.pool, self.webhook_id, self.lease, self.context, self.stop = pool, webhook_id, lease, context, stop
        self.room = max(1, context.settings.webhooks_concurrency_per_endpoint)
        self.wake = asyncio.Event()
        self.sent = 0
        self._queue: deque[store.Due] = deque()
        self._in_flight: dict[asyncio.Task[Attempt], store.Due] = {}
        self._finished: list[tuple[store.Due, Attempt]] = []  # attempts made whose outcome is not written yet
        self._writing: list[tuple[store.Due, Attempt]] = []
        self._writer: asyncio.Task[None] | None = None
        self._endpoint: store.Endpoint | None = None
        self._secrets: list[str] = []
        self._client: httpx.AsyncClient | None = None

    async def run(self) -> None:
        self._client = new_client(self.room)
        try:
            while not self.stop.is_set():
                self.lease.check()
                self.wake.clear()
                await self._refill()
                self._start()
                await self._wait(self.context.settings.webhooks_poll_seconds)
                self._collect()
        finally:
            for task in self._in_flight:
                task.cancel()
            await asyncio.gather(*self._in_flight, return_exceptions=True)
            if self._writer is not None:
                await asyncio.gather(self._writer, return_exceptions=True)
            await self._client.aclose()

    def _collect(self) -> None:
        """Take the finished attempts; one writer at a time writes all that finished meanwhile (few statements
        however many deliveries), and a failed write ends the term."""
        self._finished += [(self._in_flight.pop(task), task.result()) for task in list(self._in_flight) if task.done()]
        if self._writer is not None and self._writer.done():
            writer, self._writer, self._writing = self._writer, None, []
            writer.result()
        if self._writer is None and self._finished:
            self._writing, self._finished = self._finished, []
            self._writer = asyncio.create_task(self._record(self._writing))

    async def _refill(self) -> None:
        """Fetch due rows (and the endpoint as it is now) when fewer are queued than places in flight."""
        if len(self._queue) >= self.room:
            return
        unwritten = [row for row, _ in (*self._finished, *self._writing)]
        busy = [row.event.event_id for row in (*self._queue, *self._in_flight.values(), *unwritten)]
        async with self.pool.acquire() as conn:
            endpoint = await store.endpoint(conn, self.webhook_id)
            if endpoint is None or not endpoint.active:
                raise EndpointGone(str(self.webhook_id))
            self._queue.extend(await store.due(conn, self.webhook_id, busy, self.room * AHEAD))
        if endpoint != self._endpoint:
            self._endpoint, self._secrets = endpoint, self.context.secrets(endpoint)

    def _start(self) -> None:
        assert self._endpoint is not None
        while self._queue and len(self._in_flight) < self.room:
            row = self._queue.popleft()
            self._in_flight[asyncio.create_task(self._deliver(self._endpoint, self._secrets, row))] = row

    async def _wait(self, seconds: float) -> None:
        waking = asyncio.ensure_future(self.wake.wait())
        waiters: set[asyncio.Future[Any]] = {*self._in_flight, waking}
        if self._writer is not None:
            waiters.add(self._writer)
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waking.cancel()
            await asyncio.gather(waking, return_exceptions=True)

    async def _deliver(self, endpoint: store.Endpoint, secrets: list[str], row: store.Due) -> Attempt:
        event = row.event
        body = _encoder.encode(event_envelope(event))
        headers = signed_headers(secrets, str(event.event_id), delivery_id(endpoint.id, event.event_id), body)
        async with self.context.slots:
            allow_private = self.context.settings.webhooks_allow_private
            assert self._client is not None
            return await post(self._client, endpoint.url, body, headers, allow_private=allow_private)

    async def _record(self, outcomes: list[tuple[store.Due, Attempt]]) -> None:
        """Write what the attempts came to; a failure of the endpoint past its window disables it."""
        fence = (self.lease.name, self.lease.holder, self.lease.token)
        delivered = [(row, attempt) for row, attempt in outcomes if attempt.delivered]
        async with self.pool.acquire() as conn:
            if delivered:
                ids, statuses = [row.event.event_id for row, _ in delivered], [a.status for _, a in delivered]
                generations = [row.generation for row, _ in delivered]
                await conn.execute(store.DELIVERED, self.webhook_id, ids, statuses, *fence, generations)
                self.sent += len(delivered)
            for row, attempt in outcomes:
                if attempt.delivered:
                    continue
                key = (self.webhook_id, row.event.event_id, attempt.status, *fence, attempt.error, row.generation)
                if attempt.retry:
                    await conn.execute(store.RETRY, *key, self.context.backoff(row.attempts + 1, attempt.retry_after))
                else:
                    await conn.execute(store.FAILED, *key)
            if any(attempt.retry for _, attempt in outcomes) and self._endpoint is not None:
                window = self.context.settings.webhooks_retry_window_seconds
                if await disable_if_failing(conn, self._endpoint, window, fence):
                    self.stop.set()
        self.wake.set()  # their streams' next versions may be due now
