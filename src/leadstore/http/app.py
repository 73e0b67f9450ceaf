"""The Litestar application factory; the container is built by the caller (bootstrap)."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Router, get
from litestar.datastructures import State
from litestar.di import Provide

from leadstore.bootstrap import Container
from leadstore.http.auth import authenticated
from leadstore.http.config_routes import ConfigRoutes
from leadstore.http.duplicates import DuplicateRoutes
from leadstore.http.errors import handle_exception
from leadstore.http.feed import EventFeed
from leadstore.http.imports import ImportRoutes
from leadstore.http.lead_reads import LeadReads
from leadstore.http.leads import LeadCommands
from leadstore.http.merges import MergeRoutes
from leadstore.http.metrics_route import metrics
from leadstore.http.openapi import ACCOUNT_HEADER, REQUEST_ID, openapi_config
from leadstore.http.openapi_conventions import OpenAPIConventions, WholeResponses
from leadstore.http.params import refuse_query_parameters
from leadstore.http.people import People
from leadstore.http.ready import ready
from leadstore.http.signing_key import signing_key
from leadstore.http.tracing import add_request_id
from leadstore.http.webhook_test import ping_webhook
from leadstore.http.webhooks import WebhookRoutes
from leadstore.settings import Settings


@get("/health", operation_id="getHealth", tags=["Operations"], include_in_schema=False)
async def health() -> dict[str, Any]:
    return {"status": "ok"}


def create_app(container: Container) -> Litestar:
    """The ASGI app serving the API over an already-built container."""
    return _app(container.settings, container)


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document the API serves at /schema/openapi.json, built without connecting to anything
    (`leadstore openapi`, and so `make client`): no route runs, and no setting changes the document."""
    return _app(Settings(), None).openapi_schema.to_schema()


def _app(settings: Settings, container: Container | None) -> Litestar:
    api = Router(
        path="/",
        route_handlers=[
            LeadCommands,
            LeadReads,
            MergeRoutes,  # merges and duplicates (issue 14)
            DuplicateRoutes,
            ImportRoutes,
            EventFeed,
            WebhookRoutes,  # each route refuses query parameters but the delivery log's filters
            ping_webhook,
            # configuration and people take no query parameter: any is a typo, refused (422)
            Router(path="/", route_handlers=[*ConfigRoutes, *People], before_request=refuse_query_parameters),
        ],
        guards=[authenticated],
        dependencies={"services": Provide(lambda: container, sync_to_thread=False)},
        parameters={"x_account_id": ACCOUNT_HEADER},
        response_headers=[REQUEST_ID],
    )
    on_api_port = [] if settings.metrics_port else [metrics]  # else on a server of its own
    return Litestar(
        route_handlers=[health, ready, signing_key, *on_api_port, api],
        state=State({"container": container}),
        exception_handlers={Exception: handle_exception},
        before_send=[add_request_id],
        request_max_body_size=settings.max_body_bytes,
        openapi_config=openapi_config(),
        plugins=[OpenAPIConventions(), WholeResponses()],
        debug=False,
        logging_config=None,  # the process's logging (leadstore.cli) stays as configured: one format
    )
