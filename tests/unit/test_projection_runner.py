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
