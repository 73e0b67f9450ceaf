"""A projection runner outlives failures it did not foresee: its task never ends before `stop`."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, cast

import asyncpg
import pytest

from leadstore.projection.base import Projection
from leadstore.projection.runner import ProjectionRunner


class NamedProjection:
    name = "test_unforeseen"
    version = 1


async def test_an_unforeseen_failure_is_logged_and_the_runner_stands_again(caplog: pytest.LogCaptureFixture) -> None:
    runner = ProjectionRunner(cast(asyncpg.Pool, None), "", cast(Projection, NamedProjection()), poll_seconds=0.01)
    stop = asyncio.Event()
    terms: list[int] = []

    async def serve(_: asyncio.Event) -> None:
        terms.append(len(terms))
        if len(terms) == 1:
            raise RuntimeError("a bug in the projection's rebuild")
        stop.set()

    cast(Any, runner)._serve = serve
    with caplog.at_level(logging.ERROR, "leadstore.projection.runner"):
        await asyncio.wait_for(runner.run(stop), 5)
    assert terms == [0, 1]
    assert "a bug in the projection's rebuild" in caplog.text


async def test_a_write_notified_while_a_batch_runs_is_applied_without_waiting_for_the_poll() -> None:
    runner = ProjectionRunner(cast(asyncpg.Pool, None), "", cast(Projection, NamedProjection()), poll_seconds=30)
    stop = asyncio.Event()
    catch_ups = 0

    async def setup() -> None:
        return None

    async def catch_up(*_: object) -> int:
        nonlocal catch_ups
        catch_ups += 1
        if catch_ups == 1:
            runner.wake()  # the NOTIFY of a commit the batch's last read did not see
        else:
            stop.set()
        return 0

    class Conn:
        async def add_listener(self, *_: object) -> None:
            return None

        def is_closed(self) -> bool:
            return False

    fake = cast(Any, runner)
    fake.setup, fake.catch_up, fake.lease.check = setup, catch_up, lambda *_: None
    await asyncio.wait_for(runner._lead(stop, cast(asyncpg.Connection, Conn())), 5)
    assert catch_ups == 2
