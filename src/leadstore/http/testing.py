"""Serve the API on a real socket inside the running event loop, for tests and benchmarks."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import uvicorn
from litestar import Litestar
from uuid_utils.compat import uuid7

from leadstore.bootstrap import Container
from leadstore.embedded import free_port
from leadstore.http.app import create_app
from leadstore.http.metrics_server import metrics_server
from leadstore.http.server import server_config
from leadstore.metrics import Metrics
from leadstore.store import people
from leadstore.store.account_log import by_command_line


@contextlib.asynccontextmanager
async def serve_app(
    app: Litestar,
    *,
    host: str = "127.0.0.1",
    proxies: str = "",
    access_log: bool = False,
    metrics: Metrics | None = None,
    **timeouts: Any,
) -> AsyncIterator[str]:
    """Run `app` with uvicorn on a free port, as `leadstore serve` does, until the block ends; yields its URL.
    `timeouts`: server_config's shutdown_seconds and read_seconds."""
    port = free_port()
    config = server_config(
        app, host=host, port=port, proxies=proxies, access_log=access_log, metrics=metrics, **timeouts
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()  # raises why the server did not start
            await asyncio.sleep(0.01)
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def serve(container: Container) -> AsyncIterator[str]:
    """Serve the leadstore API over `container` (the access log only when its settings turn it on, /metrics on a
    port of its own when they name one); yields its URL."""
    settings = container.settings
    async with (
        serve_app(
            create_app(container),
            proxies=settings.trusted_proxies,
            access_log=bool(settings.access_log),
            metrics=container.metrics,
            shutdown_seconds=settings.shutdown_seconds,
            read_seconds=settings.request_read_seconds,
        ) as url,
        metrics_server(container),
    ):
        yield url


@contextlib.asynccontextmanager
async def projecting(container: Container, name: str = "lead_list") -> AsyncIterator[None]:
    """Run one projection in the background (as `leadstore serve` does) until the block ends."""
    stop = asyncio.Event()
    task = asyncio.create_task(container.runner(name).run(stop))
    try:
        yield
    finally:
        stop.set()
        await task


async def add_user(container: Container, account_id: UUID, role: str, email: str | None = None) -> tuple[UUID, str]:
    """A new active user of the account with an API key: (user id, key)."""
    async with container.pool.acquire() as conn:
        row = await people.create_user(
            conn, by_command_line(account_id, "test"), email or f"{role}-{uuid7().hex[-12:]}@example.com", None, role
        )
        assert row is not None
        _, key = await people.issue_api_key(conn, by_command_line(account_id, "test"), row["id"], f"{role} key")
    return row["id"], key
