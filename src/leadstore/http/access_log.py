"""The access log: one line per request on the `leadstore.access` logger, with the method, the route
template, the status, the duration, the request id and the account. Never a key, a header value or a query
value: the route is the template (`/v1/leads/{lead_id}`), not the path. The same middleware feeds the
request metrics (leadstore_http_*), labelled the same way."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from leadstore.http.context import PRINCIPAL_KEY
from leadstore.http.tracing import request_id
from leadstore.store.accounts import Principal

if TYPE_CHECKING:
    from leadstore.metrics import Metrics

log = logging.getLogger("leadstore.access")
Scope = dict[str, Any]  # any ASGI scope, lifespan included
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
UNMATCHED = "-"  # a path no route matched: the path itself may hold anything, so it is not logged


class AccessLog:
    """ASGI middleware around the whole app, so that unmatched paths and refused requests are logged (when
    `lines` is on) and counted in `metrics` too."""

    def __init__(self, app: ASGIApp, metrics: Metrics | None = None, *, lines: bool = True) -> None:
        self.app = app
        self.metrics = metrics
        self.lines = lines

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500  # 500 unless the app answered: it raised past everything

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            seconds = time.perf_counter() - started
            if self.metrics is not None:
                self.metrics.observe_request(scope["method"], route_of(scope), status, seconds)
            if self.lines:
                _log(scope, status, seconds * 1000)


def route_of(scope: Scope) -> str:
    """The template of the route that served the request, or `-` when none matched."""
    return str(scope.get("path_template") or UNMATCHED)


def _log(scope: Scope, status: int, duration_ms: float) -> None:
    principal = scope.get("state", {}).get(PRINCIPAL_KEY)
    account = str(principal.account_id) if isinstance(principal, Principal) else None
    fields = {
        "method": scope["method"],
        "route": route_of(scope),
        "status": status,
        "duration_ms": round(duration_ms, 1),
        "request_id": request_id(scope),
        "account_id": account,
    }
    log.info(
        "%s %s %d %.1fms request_id=%s account_id=%s",
        *(fields[name] for name in ("method", "route", "status", "duration_ms", "request_id", "account_id")),
        extra=fields,
    )
