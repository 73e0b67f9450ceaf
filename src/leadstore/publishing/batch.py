"""Publish one batch of the log to JetStream with asynchronous acks, keeping each lead's version order.

Events go out in waves: a wave holds at most one event per lead, and the next wave is sent only once
every ack of the previous one is in. So a lead's version n+1 is never on the wire before version n is
stored, whatever gets lost on the way; events of different leads are pipelined freely. The caller
may advance its checkpoint over the acknowledged prefix (in log order) and no further. Each message is
signed (publishing/signature.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

import msgspec
from nats.js import JetStreamContext
from nats.js.api import PubAck
from nats.js.errors import NoStreamResponseError

from leadstore.documents import event_envelope
from leadstore.domain.account_events import ACCOUNT_STREAM
from leadstore.publishing.signature import Signer
from leadstore.publishing.stream import MSG_ID, STREAM, subject_for
from leadstore.store.events import RecordedEvent

_encoder = msgspec.json.Encoder()


class BatchResult(msgspec.Struct, frozen=True):
    """How many events, from the start of the batch, are acknowledged; the error that stopped it, if any, and
    whether that error was only the stream having no leader (a cluster electing one after losing a node)."""

    acked: int
    duplicates: int = 0
    error: str | None = None
    electing: bool = False


def waves(events: Sequence[RecordedEvent]) -> list[list[int]]:
    """Indexes of `events` grouped so that wave k holds the k-th event of each lead in the batch."""
    depth: dict[UUID, int] = {}
    result: list[list[int]] = []
    for index, event in enumerate(events):
        level = depth.get(event.stream_id, 0)
        depth[event.stream_id] = level + 1
        if level == len(result):
            result.append([])
        result[level].append(index)
    return result


def acked_prefix(acked: Sequence[bool]) -> int:
    """The length of the run of acknowledged events at the start of the batch."""
    for index, ok in enumerate(acked):
        if not ok:
            return index
    return len(acked)


async def publish_batch(
    js: JetStreamContext,
    events: Sequence[RecordedEvent],
    signer: Signer,
    ack_timeout: float,
    closed: asyncio.Event | None = None,
    leading: Callable[[], bool] = lambda: True,
) -> BatchResult:
    """Publish `events` wave by wave; stop at the first wave with a missing or failed ack.

    `closed`, set when the connection drops, ends the wait for acks at once instead of at the timeout. When
    `leading` turns false (the publisher's lease may have lapsed), no further wave is sent.
    """
    acked = [False] * len(events)
    duplicates = 0
    for wave in waves(events):
        if not leading():
            return BatchResult(acked_prefix(acked), duplicates)
        futures: dict[asyncio.Future[PubAck], int] = {}
        error: str | None = None
        try:
            for index in wave:
                futures[await _send(js, events[index], signer)] = index
        except Exception as exc:  # a closed connection, a full buffer: the rest of the wave is not sent
            error = f"publish failed: {exc!r}"
        await _await_acks(list(futures), ack_timeout, closed)
        wave_duplicates, wave_error = _collect(futures, acked)
        duplicates += wave_duplicates
        electing = error is None and _leaderless(futures)
        error = error or wave_error
        if error is not None:
            return BatchResult(acked_prefix(acked), duplicates, error, electing)
    return BatchResult(len(events), duplicates)


async def _send(js: JetStreamContext, event: RecordedEvent, signer: Signer) -> asyncio.Future[PubAck]:
    # no wait_stall: the context allows a whole batch in flight (see Publisher), and a stall timeout
    # would run every publish through asyncio.wait_for, which costs more than the publish itself
    body = _encoder.encode(event_envelope(event))
    return await js.publish_async(
        subject_for(event.account_id, event.type, event.stream_type == ACCOUNT_STREAM),
        body,
        headers={MSG_ID: str(event.event_id), **signer.headers(body, event.hash)},
    )


async def _await_acks(futures: list[asyncio.Future[PubAck]], ack_timeout: float, closed: asyncio.Event | None) -> None:
    """Wait until every ack is in, the connection closes, or the timeout; cancel the unanswered ones."""
    if not futures:
        return
    gathered = asyncio.gather(*futures, return_exceptions=True)
    waiters: set[asyncio.Future[Any]] = {gathered}
    if closed is not None:
        waiters.add(asyncio.ensure_future(closed.wait()))
    await asyncio.wait(waiters, timeout=ack_timeout, return_when=asyncio.FIRST_COMPLETED)
    for waiter in waiters:
        waiter.cancel()  # cancelling the gathering cancels unanswered acks, which frees their client slots
    # a cancelled gathering ends with CancelledError as its exception: retrieve it, or asyncio logs
    # "_GatheringFuture exception was never retrieved" when it is collected
    await asyncio.gather(*waiters, return_exceptions=True)


def _leaderless(futures: dict[asyncio.Future[PubAck], int]) -> bool:
    """Whether every failed publish of a wave found no stream to answer it, with the connection up: the stream's
    leader is gone and its replicas are electing another."""
    if any(future.cancelled() for future in futures):
        return False
    failures = [exc for future in futures if (exc := future.exception()) is not None]
    return bool(failures) and all(isinstance(exc, NoStreamResponseError) for exc in failures)


def _collect(futures: dict[asyncio.Future[PubAck], int], acked: list[bool]) -> tuple[int, str | None]:
    """Mark the acknowledged events of a wave; return the duplicates JetStream dropped and the first error."""
    unanswered = sum(future.cancelled() for future in futures)
    error = f"no publish acknowledgement for {unanswered} event(s)" if unanswered else None
    duplicates = 0
    for future, index in futures.items():
        if future.cancelled():
            continue
        if (exc := future.exception()) is not None:
            error = error or f"publish rejected: {exc!r}"
            continue
        ack = future.result()
        if ack.stream != STREAM:
            error = error or f"published into stream {ack.stream!r}, expected {STREAM}"
            continue
        acked[index] = True
        duplicates += bool(ack.duplicate)
    return duplicates, error
