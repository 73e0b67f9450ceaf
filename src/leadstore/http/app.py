"""The Litestar application factory; the container is built by the caller (bootstrap)."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Response, Router, get
from litestar.datastructures import State
from litestar.di import Provide

from leadstore.bootstrap import Container
from leadstore.http.auth import authenticated
from leadstore.http.config_routes import ConfigRoutes
from leadstore.http.errors import handle_exception
from leadstore.http.feed import EventFeed
from leadstore.http.lead_reads import LeadReads
from leadstore.http.leads import LeadCommands
from leadstore.http.openapi import ACCOUNT_HEADER, REQUEST_ID, openapi_config
from leadstore.http.params import LIST_PROJECTION, refuse_query_parameters
from leadstore.http.people import People
from leadstore.http.signing_key import signing_key
from leadstore.http.tracing import add_request_id
from leadstore.metrics import CONTENT_TYPE
from leadstore.store import replica
from leadstore.store.checkpoints import reader_lag


@get("/health", include_in_schema=False)
async def health() -> dict[str, Any]:
    return {"status": "ok"}


@get("/ready", include_in_schema=False)
async def ready(state: State) -> dict[str, Any]:
    """Ready when the database answers; each projection's checkpoint and lag, the publisher's status, and the
    read replica's lag and lead-list checkpoint when there is one."""
    container: Container = state.container
    projections: dict[str, Any] = {}
    async with container.pool.acquire() as conn:
        for runner in container.runners:
            lag = await reader_lag(conn, runner.name)
            projections[runner.name] = {
                "active_here": runner.active,
                "applied_here": runner.applied,
                "schema_current": runner.schema_current,
                **lag,
            }
    body: dict[str, Any] = {"status": "ready", "projections": projections}
    if container.read_pool is not container.pool:  # a standby that is down fails lists, not writes: still ready
        body["read_replica"] = await replica.status(container.read_pool, LIST_PROJECTION)
    if container.publisher is not None:
        body["publisher"] = container.publisher.status()
    return body


@get("/metrics", include_in_schema=False)
async def metrics(state: State) -> Response[bytes]:
    """The process's metrics in the Prometheus text format; like /health, no key (operators scrape it)."""
    container: Container = state.container
    return Response(container.metrics.exposition(), media_type=CONTENT_TYPE)


def create_app(container: Container) -> Litestar:
    """The ASGI app serving the API over an already-built container."""
    api = Router(
        path="/",
        route_handlers=[
            LeadCommands,
            LeadReads,
            EventFeed,
            # configuration and people take no query parameter: any is a typo, refused (422)
            Router(path="/", route_handlers=[*ConfigRoutes, *People], before_request=refuse_query_parameters),
        ],
        guards=[authenticated],
        dependencies={"services": Provide(lambda: container, sync_to_thread=False)},
        parameters={"x_account_id": ACCOUNT_HEADER},
        response_headers=[REQUEST_ID],
    )
    return Litestar(
        route_handlers=[health, ready, signing_key, metrics, api],
        state=State({"container": container}),
        exception_handlers={Exception: handle_exception},
        before_send=[add_request_id],
        request_max_body_size=container.settings.max_body_bytes,
        openapi_config=openapi_config(),
        debug=False,
        logging_config=None,  # the process's logging (leadstore.cli) stays as configured: one format
    )
