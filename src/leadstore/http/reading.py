"""Requests read within a bound, so that a client trickling bytes (slowloris) can hold neither a connection
nor a shutdown for ever: a request's head must arrive within LEADSTORE_REQUEST_READ_SECONDS of the connection
(or of the previous response), and its body within as long again of its head. A client that goes away
before its body is complete is one info line, not an error."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from leadstore.domain.errors import LeadstoreError
from leadstore.http.tracing import request_id

log = logging.getLogger(__name__)
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[dict[str, Any], Receive, Send], Awaitable[None]]


class RequestTimeout(LeadstoreError):
    code = "request_timeout"


class ClientDisconnected(LeadstoreError):
    code = "client_disconnected"


class BoundedBodies:
    """ASGI middleware: the body must be complete within `seconds` of the request's start, else 408; a client
    that disconnects before it is raises ClientDisconnected (answered 499, which nobody reads)."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deadline = asyncio.get_running_loop().time() + self.seconds
        complete = False

        async def bounded_receive() -> Message:
            nonlocal complete
            if complete:  # past the body: a wait for the disconnect, which has no bound
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise RequestTimeout(f"the request body was not complete within {self.seconds:g} s") from None
            if message["type"] == "http.disconnect":
                log.info(
                    "%s %s: the client disconnected before its request body was complete (request_id=%s)",
                    scope["method"],
                    scope.get("path_template") or "-",  # the template, never the path (it may hold anything)
                    request_id(scope),
                )
                raise ClientDisconnected("the client disconnected before its request body was complete")
            complete = not message.get("more_body", False)
            return message

        await self.app(scope, bounded_receive, send)


def bounded_head_protocol(seconds: float) -> type[HttpToolsProtocol]:
    """uvicorn's HTTP protocol, closing a connection whose next request head is not complete within `seconds`
    (uvicorn bounds only the idle time after a response, and only until a first byte arrives)."""

    class BoundedHead(HttpToolsProtocol):
        _head_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def on_headers_complete(self) -> None:
            self._disarm()
            super().on_headers_complete()

        def on_response_complete(self) -> None:
            awaiting_a_head = not self.pipeline  # a pipelined request already has its head: it starts now
            super().on_response_complete()
            if awaiting_a_head and not self.transport.is_closing():
                self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._disarm()
            self._head_timer = self.loop.call_later(seconds, self._head_too_slow)

        def _disarm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_too_slow(self) -> None:
            self._head_timer = None
            log.debug("closed a connection whose request head took over %g s", seconds)
            self.transport.close()

    return BoundedHead
