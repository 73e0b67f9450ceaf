"""Waiting for a wave's acknowledgements: what did not answer is given up cleanly, with nothing left unretrieved."""

from __future__ import annotations

import asyncio
import gc
import logging

import nats.errors
import pytest
from nats.js.api import PubAck

from leadstore.publishing.batch import _await_acks, _collect


def unretrieved(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What asyncio logged about futures whose exception nobody looked at."""
    gc.collect()
    return [r.getMessage() for r in caplog.records if "never retrieved" in r.getMessage()]


async def wave(*, answered: bool, closed: asyncio.Event | None = None) -> tuple[list[bool], str | None]:
    """A wave of three acks: one that never comes, one refused, and one acknowledged when `answered`."""
    loop = asyncio.get_running_loop()
    silent: asyncio.Future[PubAck] = loop.create_future()
    refused: asyncio.Future[PubAck] = loop.create_future()
    refused.set_exception(nats.errors.NoRespondersError())
    acked: asyncio.Future[PubAck] = loop.create_future()
    if answered:
        acked.set_result(PubAck(stream="LEADS", seq=1))
    futures = {silent: 0, refused: 1, acked: 2}
    await _await_acks(list(futures), 0.05, closed)
    marks = [False] * 3
    _, error = _collect(futures, marks)
    return marks, error


async def test_acks_that_time_out_leave_no_unretrieved_exception(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="asyncio")
    marks, error = await wave(answered=True)
    assert marks == [False, False, True] and error is not None and "no publish acknowledgement" in error
    await asyncio.sleep(0.01)  # callbacks of the cancelled futures run
    assert unretrieved(caplog) == []


async def test_acks_given_up_when_the_connection_closes_leave_no_unretrieved_exception(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR, logger="asyncio")
    closed = asyncio.Event()
    closed.set()
    marks, error = await wave(answered=False, closed=closed)
    assert marks == [False, False, False] and error is not None
    await asyncio.sleep(0.01)
    assert unretrieved(caplog) == []
