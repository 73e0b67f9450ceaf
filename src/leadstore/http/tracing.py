"""Request ids: echoed from `X-Request-Id` when the client sent a sane one, else a new UUIDv7."""

from __future__ import annotations

import re
from typing import Any

from litestar.types import Message, Scope
from uuid_utils.compat import uuid7

HEADER = b"x-request-id"
_STATE_KEY = "leadstore.request_id"
_SANE = re.compile(r"\A[\x21-\x7e]{1,200}\Z")  # visible ASCII: safe to echo in a header and to store


def request_id(scope: Scope | dict[str, Any]) -> str:
    """This request's id, decided once and kept in the scope's state."""
    state: dict[str, Any] = scope.setdefault("state", {})
    rid = state.get(_STATE_KEY)
    if rid is None:
        sent = next((value for name, value in scope.get("headers", ()) if name.lower() == HEADER), b"")
        text = sent.decode("latin-1")
        rid = text if _SANE.match(text) else str(uuid7())
        state[_STATE_KEY] = rid
    return str(rid)


async def add_request_id(message: Message, scope: Scope) -> None:
    """A before-send hook: every response, errors and unmatched routes included, carries X-Request-Id."""
    if message["type"] == "http.response.start":
        headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != HEADER]
        headers.append((HEADER, request_id(scope).encode()))
        message["headers"] = headers
