"""Background loops outlive a lost database connection in every form asyncpg reports it, including the
InternalClientError of a connection that PostgreSQL's fast shutdown ended under a query."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, cast

import asyncpg
import pytest

from leadstore.settings import Settings
from leadstore.store.idempotency import purge_idempotency_keys
from leadstore.store.rate_limits import purge_full_buckets
from leadstore.webhooks import worker as webhook_worker

LOST = asyncpg.InternalClientError("the connection was terminated under the query")


class Conn:
    async def execute(self, *_: object) -> str:
        return "DELETE 0"

    async def fetch(self, *_: object) -> list[Any]:
        return []

    async def fetchval(self, *_: object) -> int:
        return 0


class LosingPool:
    """A pool whose first acquisition fails as a fast shutdown makes it fail; the next sets `stop`."""

    def __init__(self, stop: asyncio.Event) -> None:
        self.stop, self.acquired = stop, 0

    @contextlib.asynccontextmanager
    async def acquire(self) -> AsyncIterator[Conn]:
        self.acquired += 1
        if self.acquired == 1:
            raise LOST
        self.stop.set()
        yield Conn()


@pytest.mark.parametrize("purge", [purge_full_buckets, purge_idempotency_keys])
async def test_a_purge_outlives_a_connection_lost_under_it(
    purge: Callable[[asyncpg.Pool, asyncio.Event, float], Awaitable[None]],
) -> None:
    stop = asyncio.Event()
    pool = LosingPool(stop)
    await asyncio.wait_for(purge(cast(asyncpg.Pool, pool), stop, 0.01), 5)
    assert pool.acquired == 2


async def test_the_webhook_worker_outlives_a_connection_lost_under_it(monkeypatch: pytest.MonkeyPatch) -> None:
    stop = asyncio.Event()
    pool = LosingPool(stop)

    class Listener:
        def is_closed(self) -> bool:
            return False

        async def add_listener(self, *_: object) -> None:
            return None

        async def close(self) -> None:
            return None

    async def connect(_: str) -> Listener:
        return Listener()

    monkeypatch.setattr("leadstore.store.db.connect", connect)  # the listener of leadership.look_on_notice
    monkeypatch.setattr(webhook_worker, "LOOK_GAP_SECONDS", 0.01)
    settings = Settings(webhooks_discover_seconds=0.01)
    worker = webhook_worker.WebhookWorker(cast(asyncpg.Pool, pool), settings)
    await asyncio.wait_for(worker.run(stop), 5)
    assert pool.acquired == 2
