"""Requests still running when a shutdown's bound (LEADSTORE_SHUTDOWN_SECONDS) is reached: uvicorn cancels
them, and would then answer 500 and log a traceback for each. They are answered 503 `unavailable` with
Retry-After instead (the client retries, on a process that is not stopping), one info line each."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from leadstore.http.errors import PROBLEM_JSON, Unavailable, problem_parts
from leadstore.http.tracing import HEADER, request_id

log = logging.getLogger(__name__)
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[dict[str, Any], Receive, Send], Awaitable[None]]
_encoder = msgspec.json.Encoder()


class CutAtShutdown:
    """ASGI middleware answering 503 for a request cancelled before its response started."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def noting_start(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, noting_start)
        except asyncio.CancelledError:
            if started:
                raise
            # Only a shutdown cancels a request, and it does not wait for it: answering and returning here
            # ends the task as well as re-raising would, without uvicorn's 500 and traceback.
            log.info("%s %s: cut off by the shutdown, answered 503", scope["method"], scope.get("path_template", "-"))
            await _answer(send, scope)


async def _answer(send: Send, scope: dict[str, Any]) -> None:
    rid = request_id(scope)
    status, body, headers = problem_parts(Unavailable("the server is shutting down; retry"), rid)
    payload = _encoder.encode(body)
    raw = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    raw += [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(payload)).encode())]
    raw += [(HEADER, rid.encode()), (b"connection", b"close")]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})
