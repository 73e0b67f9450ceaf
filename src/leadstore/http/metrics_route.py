"""GET /metrics: the Prometheus text format, no key (operators scrape it, like /health). The readers' lag and
the oldest transaction are read from the database at scrape time, with /ready's queries and time limit."""

from __future__ import annotations

from litestar import Response, get
from litestar.datastructures import State

from leadstore.bootstrap import Container
from leadstore.http.ready import database_status
from leadstore.metrics import CONTENT_TYPE


async def refresh_readers(container: Container) -> None:
    """Measure what the reader-lag gauges report (none of them when the database does not answer)."""
    found = await database_status(container)
    if found.server is None:
        container.metrics.readers.forget()
        return
    oldest = found.server.oldest_transaction
    container.metrics.readers.update(list(found.readers.values()), oldest.seconds if oldest else 0.0)


@get("/metrics", operation_id="getMetrics", tags=["Operations"], include_in_schema=False)
async def metrics(state: State) -> Response[bytes]:
    """Every metric of the API processes in the Prometheus text format."""
    container: Container = state.container
    await refresh_readers(container)
    return Response(container.metrics.exposition(), media_type=CONTENT_TYPE)
