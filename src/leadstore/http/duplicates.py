"""Duplicate candidates over HTTP (issue 14): one lead's, and the account's pairs. Found in the lead list read
model (leadstore.store.duplicates), so a lead written a moment ago may be missing for as long as it lags."""

from __future__ import annotations

from typing import Annotated, Any

import asyncpg
import msgspec
from litestar import Controller, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter

from leadstore.domain.errors import FieldError, LeadNotFound, ValidationFailed
from leadstore.http import params
from leadstore.http.context import AnyRequest, Services, principal_of, visible_to
from leadstore.http.merge_schemas import DuplicateList, DuplicatePairPage, duplicates_example, pairs_example
from leadstore.http.openapi import LeadId, problems
from leadstore.store import duplicates, replica
from leadstore.store.events import fold_recorded
from leadstore.store.lead_list.query import ListRebuilding

_encoder = msgspec.json.Encoder()
CURSOR_DOC = "The `next_cursor` of the previous page."


class DuplicateRoutes(Controller):
    path = "/v1"
    tags = ["Duplicates"]

    @get(
        "/leads/{lead_id:str}/duplicates",
        operation_id="listLeadDuplicates",
        responses=problems(404, 422) | {200: ResponseSpec(DuplicateList, examples=[duplicates_example()])},
        summary="A lead's duplicate candidates",
    )
    async def lead_duplicates(
        self,
        request: AnyRequest,
        services: Services,
        lead_id: LeadId,
        limit: Annotated[int, QueryParameter(ge=1, le=duplicates.MAX_CANDIDATES)] = 10,
    ) -> Response[DuplicateList]:
        """Leads of the account that may be the same person, best first, each with a score and its reasons:
        the same email (any case), the same phone (after E.164 normalisation), or a similar full name at the
        same company or company_id. Never the lead itself or a merged lead; a member sees only leads they can
        see (and 404 for a lead that is not theirs)."""
        params.reject_unknown_query(request, "limit", integers=("limit",))
        principal = principal_of(request)
        lead_uuid = params.path_id(lead_id)
        lead = fold_recorded(await replica.stream_as_of(services.pool, services.read_pool, lead_uuid, None))
        if lead is None or not visible_to(principal, lead):
            raise LeadNotFound(lead_uuid)
        async with services.read_pool.acquire() as conn:
            found = await _rebuilding_guard(duplicates.candidates(conn, lead, _member(request), limit))
        data = [{"object": "duplicate", "lead": c.doc, "score": c.score, "reasons": c.reasons} for c in found]
        return _json({"object": "list", "data": data, "has_more": False, "next_cursor": None})

    @get(
        "/duplicates",
        operation_id="listDuplicates",
        responses=problems(422) | {200: ResponseSpec(DuplicatePairPage, examples=[pairs_example()])},
        summary="The account's duplicate pairs",
    )
    async def list_duplicates(
        self,
        request: AnyRequest,
        services: Services,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 50,
        cursor: Annotated[str | None, QueryParameter(description=CURSOR_DOC, max_length=1_024)] = None,
    ) -> Response[DuplicatePairPage]:
        """Every pair of leads of the account that may be the same person, each pair once (lower id first),
        ordered by the pair's ids, with its score and reasons (as for one lead's candidates). Merged leads are
        left out; a member sees only pairs of two leads they can see. A page looks through a bounded number of
        leads, so it may hold fewer than `limit` pairs with `has_more` true: walk `next_cursor` to the end."""
        params.reject_unknown_query(request, "limit", "cursor", integers=("limit",))
        account = principal_of(request).account_id
        async with services.read_pool.acquire() as conn:
            try:
                page = await _rebuilding_guard(duplicates.pairs(conn, account, _member(request), cursor, limit))
            except duplicates.InvalidPairsCursor as exc:
                raise ValidationFailed([FieldError("cursor", "invalid_cursor", str(exc))]) from None
        data = [
            {
                "object": "duplicate_pair",
                "lead_ids": [str(i) for i in pair.lead_ids],
                "leads": list(pair.docs),
                "score": pair.score,
                "reasons": pair.reasons,
            }
            for pair in page.pairs
        ]
        body = {"object": "list", "data": data, "has_more": page.next_cursor is not None}
        return _json(body | {"next_cursor": page.next_cursor})


def _member(request: AnyRequest) -> Any:
    """The member whose leads alone the caller sees; None for admins and managers (every lead)."""
    actor = principal_of(request).actor
    return actor.user_id if actor.role == "member" else None


async def _rebuilding_guard(query: Any) -> Any:
    """The query's answer; 503 while the live lead list predates the duplicates' columns (being rebuilt)."""
    try:
        return await query
    except asyncpg.UndefinedColumnError:
        raise ListRebuilding("the lead list is being rebuilt for duplicates; retry in a minute") from None


def _json(body: Any) -> Response[Any]:
    return Response(_encoder.encode(body), media_type="application/json")
