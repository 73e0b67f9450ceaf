"""GET /v1/events: the account's whole event feed in commit order, for admins."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Response, get
from litestar.params import QueryParameter

from leadstore.documents import event_envelope
from leadstore.domain.field_checks import checked
from leadstore.http.auth import admin_only
from leadstore.http.context import AnyRequest, Services, principal_of
from leadstore.http.openapi import problems
from leadstore.http.params import position, reject_unknown_query
from leadstore.http.schemas import EventPage
from leadstore.store.events import START, TOKEN_PATTERN, read_log

AFTER = "A position token (an event's `position`, or the previous page's `next_cursor`); default: the start."
_encoder = msgspec.json.Encoder()


class EventFeed(Controller):
    path = "/v1/events"
    tags = ["Events"]
    guards = [admin_only]

    @get("/", operation_id="listEvents", responses=problems(), summary="The account's event feed")
    async def feed(
        self,
        request: AnyRequest,
        services: Services,
        after: Annotated[str | None, QueryParameter(description=AFTER, schema_extra={"pattern": TOKEN_PATTERN})] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
    ) -> Response[EventPage]:
        """Every event of the account after `after`, in commit order: a reader that keeps `next_cursor` and
        polls sees each event exactly once, even when transactions commit out of position order."""
        reject_unknown_query(request, "after", "limit", integers=("limit",))
        start = START if after is None else checked("after", position, after)
        async with services.read_pool.acquire() as conn:  # a replica's snapshot skips no late commit either
            events = await read_log(conn, start, limit, principal_of(request).account_id)
        last = events[-1].checkpoint if events else start
        body = {"object": "list", "data": [event_envelope(e) for e in events], "has_more": len(events) == limit}
        content = _encoder.encode(body | {"next_cursor": last.token()})
        response: Response[Any] = Response(content, media_type="application/json")
        return response
