"""The access log: one line per request on the `leadstore.access` logger, with the method, the route
template, the status, the duration, the request id and the account. Never a key, a header value or a query
value: the route is the template (`/v1/leads/{lead_id}`), not the path."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from leadstore.http.context import PRINCIPAL_KEY
from leadstore.http.tracing import request_id
from leadstore.store.accounts import Principal

log = logging.getLogger("leadstore.access")
Scope = dict[str, Any]  # any ASGI scope, lifespan included
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
UNMATCHED = "-"  # a path no route matched: the path itself may hold anything, so it is not logged


class AccessLog:
    """ASGI middleware around the whole app, so that unmatched paths and refused requests are logged too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

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
            _log(scope, status, (time.perf_counter() - started) * 1000)


def _log(scope: Scope, status: int, duration_ms: float) -> None:
    principal = scope.get("state", {}).get(PRINCIPAL_KEY)
    account = str(principal.account_id) if isinstance(principal, Principal) else None
    fields = {
        "method": scope["method"],
        "route": scope.get("path_template") or UNMATCHED,
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
