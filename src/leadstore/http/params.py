"""Query and path values: parsed by hand where their rules go beyond a type, each failure naming its field."""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from typing import Any
from uuid import UUID

import asyncpg

from leadstore.domain.errors import FieldError, ValidationFailed
from leadstore.domain.field_checks import InvalidValueError
from leadstore.http.errors import NotFound, ProjectionLagging
from leadstore.store import checkpoints
from leadstore.store.events import Checkpoint

LIST_PROJECTION = "lead_list"
POLL_SECONDS = 0.02
RETRY_AFTER_SECONDS = 1  # a list that lags past the bounded wait is rebuilding or catching up a burst
_UUID = re.compile(r"\A[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
_DIGITS = re.compile(r"\A[0-9]{1,9}\Z")


def path_id(text: str, what: str = "lead") -> UUID:
    """An id from the path; anything that is not a UUID names nothing (404)."""
    if not _UUID.match(text):
        raise NotFound(f"{what} {text[:64]!r} not found")
    return UUID(text)


def position(token: str) -> Checkpoint:
    try:
        return Checkpoint.parse(token)
    except ValueError:
        message = "must be a position token from a Leadstore-Position header or an event"
        raise InvalidValueError("invalid", message) from None


async def wait_for_projection(
    reads: asyncpg.Pool, primary: asyncpg.Pool, account_id: UUID, token: Checkpoint, seconds: float
) -> None:
    """Return once the lead list that `reads` serves (the primary's, or a replica's) has applied the event at
    `token`: 422 at once when the account's log has no such position (waiting could not help),
    ProjectionLagging after `seconds` when it is only behind."""
    deadline = time.monotonic() + seconds
    known = False
    while True:
        async with reads.acquire() as conn:  # not held while sleeping
            if await checkpoints.read(conn, LIST_PROJECTION) >= token:
                return
            if not known:  # asked once, and only of a list that is behind
                known = await checkpoints.log_reaches(conn, account_id, token)
        if not known and reads is not primary:  # a replica may not have replayed it yet: the primary decides
            async with primary.acquire() as conn:
                known = await checkpoints.log_reaches(conn, account_id, token)
        if not known:
            message = "is beyond the last write of this account: pass a Leadstore-Position a write returned"
            raise ValidationFailed([FieldError("min_position", "beyond_head", message)])
        if time.monotonic() >= deadline:
            message = f"the lead list has not reached position {token.token()} in {seconds:g}s; retry"
            raise ProjectionLagging(message, retry_after=RETRY_AFTER_SECONDS)
        await asyncio.sleep(POLL_SECONDS)


async def refuse_query_parameters(request: Any) -> None:
    """A before-request hook for endpoints that take no query parameter at all."""
    reject_unknown_query(request)


def reject_unknown_query(request: Any, *allowed: str, integers: tuple[str, ...] = ()) -> None:
    """422 naming each query parameter the endpoint does not take (so a misspelt filter never widens a list),
    each one given twice (every parameter takes one value), and each of `integers` not written in digits
    (`50.0`, `1e1` and `+5` are refused, not rounded)."""
    pairs: list[tuple[str, str]] = list(request.query_params.multi_items())
    names = [name for name, _ in pairs]
    given, known = set(names), set(allowed)
    problems = [
        FieldError(name[:100], "unknown_field", "not a query parameter of this endpoint")
        for name in sorted(given - known)[:20]
    ]
    if len(given) < len(names):  # a name is repeated: counted once each, not by a scan of every name per name
        counts = Counter(names)
        problems += [
            FieldError(name[:100], "repeated", "give this parameter once")
            for name in sorted(name for name in known if counts[name] > 1)
        ]
    problems += [
        FieldError(name, "invalid", "must be a whole number written in digits")
        for name, value in pairs
        if name in integers and not _DIGITS.match(value)
    ]
    if problems:
        raise ValidationFailed(problems)
