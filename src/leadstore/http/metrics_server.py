"""LEADSTORE_METRICS_PORT: /metrics on a port of its own (so that the API port can be public and the scrape
port not), served by a second, tiny uvicorn server in the API process's event loop; the API then has no
/metrics. With several API processes each binds the port with SO_REUSEPORT and any of them answers, with
every process's metrics (multiprocess mode)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator, Iterator

import uvicorn
from litestar import Litestar
from litestar.datastructures import State

from leadstore.bootstrap import Container
from leadstore.http.metrics_route import metrics
from leadstore.metrics_multiprocess import MULTIPROCESS_ENV


class _Server(uvicorn.Server):
    """The API server handles the signals; this one stops when the API does."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def metrics_app(container: Container) -> Litestar:
    """An app of one route, GET /metrics."""
    return Litestar([metrics], state=State({"container": container}), openapi_config=None, logging_config=None)


@contextlib.asynccontextmanager
async def metrics_server(container: Container) -> AsyncIterator[str | None]:
    """Serve /metrics on LEADSTORE_METRICS_PORT until the block ends, yielding its URL; nothing when unset."""
    port, host = container.settings.metrics_port, container.settings.host
    if not port:
        yield None
        return
    shared = bool(os.environ.get(MULTIPROCESS_ENV))  # the sibling API processes bind it too
    sock = socket.create_server((host, port), reuse_port=shared)  # an OSError here names the port in use
    app = metrics_app(container)
    config = uvicorn.Config(
        app, lifespan="off", log_level="warning", log_config=None, access_log=False, server_header=False
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]), name="metrics server")
    try:
        while not server.started:
            if task.done():
                task.result()  # raises why it did not start
            await asyncio.sleep(0.01)
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()
