"""Lead reads: one lead folded from its stream (now or as of a time), its audit log, and the filtered list."""

from __future__ import annotations

import inspect
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from leadstore.documents import as_of_bound, event_envelope, lead_document
from leadstore.domain import field_checks
from leadstore.domain.errors import FieldError, LeadNotFound, ValidationFailed
from leadstore.domain.field_checks import InvalidValueError, Problems, checked
from leadstore.domain.field_checks import uuid as parse_uuid
from leadstore.domain.state import erased
from leadstore.http import list_filters, params
from leadstore.http.context import AnyRequest, Services, principal_of, visible_to
from leadstore.http.openapi import ETAG, LeadId, problems
from leadstore.http.schemas import EventPage, LeadOut, LeadPage
from leadstore.store import config, replica
from leadstore.store.events import TOKEN_PATTERN, Checkpoint, RecordedEvent, fold_recorded
from leadstore.store.lead_list.pages import list_page
from leadstore.store.lead_list.query import Cursor, InvalidCursor, LeadFilter, Sort, decode_cursor
from leadstore.store.lead_list.search import index_query, search_query

_encoder = msgspec.json.Encoder()
FILTER_DOC = {
    "status": "Comma-separated status keys: `new,contacted`.",
    "assigned_to": "A user id, or `none` for unassigned leads.",
    "created_after": "Date `YYYY-MM-DD` (midnight UTC) or RFC 3339 timestamp; inclusive.",
    "created_before": "Date `YYYY-MM-DD` (midnight UTC) or RFC 3339 timestamp; exclusive.",
    "updated_after": "Date `YYYY-MM-DD` (midnight UTC) or RFC 3339 timestamp; inclusive.",
    "source": "A source key.",
    "company_id": "Exact company_id.",
    "email": "Exact address, case-insensitive.",
    "phone": "A phone number, normalised as leads' numbers are: with `+` and the country code, in any format "
    "(`+1 (555) 234-5678`), the leads with that number; without `+`, a national number (`(555) 234-5678`), "
    "the leads whose number it is in any country where it can be one.",
    "q": "Search: the leads where every word of `q` (a run of letters, or of digits: `garcia77` is garcia and "
    "77) is a word of the lead's full name, email (`maria.garcia@acme.com` is maria, garcia, acme and com), "
    "company, or a text or choice custom value, the last word of `q` as a prefix (`mar` finds Maria); "
    "case-insensitive. Phone-ish text (`+1 555 234`, `(555) 234-5678`, `5552345678`) also matches the start "
    "of a phone number's digits, international or national. A `q` with no letter or digit is 422. There is "
    "no bound on the matches: pages are full while `has_more` is true, and walking the cursors visits every "
    "match exactly once.",
    "cursor": "The `next_cursor` of the previous page, with the same `sort`. A walk visits every lead matching "
    "throughout exactly once, even while leads are written; by `updated_at` or `score` it keeps the order the "
    "leads had when it began.",
    "min_position": "A Leadstore-Position token: wait (bounded) until the list includes that write; else 503 "
    "`projection_lagging` with `Retry-After`. A position beyond the account's last write is 422 at once.",
}


MERGED_DOC = (
    "Leads merged into another lead (`merged_into` set) instead of the others; merged leads stay readable by id."
)
AS_OF = "Date or RFC 3339 timestamp: the lead as it was then (millisecond precision); 404 if it did not exist yet."


class LeadQuery(msgspec.Struct, frozen=True):
    filters: LeadFilter
    sort: str
    cursor: Cursor | None
    limit: int
    min_position: Checkpoint | None


# Every text filter is bounded: longer values are 422 before any query runs.
NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL
MAX_LENGTH = {"status": 2_000, "company_id": 64, "q": 255, "cursor": 1_024}


# The forms the filters are parsed in, for the OpenAPI document (the parsers name the parameter when refusing).
ASSIGNEE_PATTERN = f"^(?:{field_checks.UUID_PATTERN[1:-1]}|none)$"
INSTANT = {"pattern": field_checks.INSTANT_PATTERN}
DOCUMENTED_FORM = {
    "created_after": INSTANT,
    "created_before": INSTANT,
    "updated_after": INSTANT,
    "team_id": {"format": "uuid"},
    "assigned_to": {"pattern": ASSIGNEE_PATTERN},
    "min_position": {"pattern": TOKEN_PATTERN},
}
AT_LEAST_0 = {"minimum": 0}  # Litestar leaves a bound of 0 out of the document


def _text(name: str) -> Any:
    return QueryParameter(
        description=FILTER_DOC.get(name),
        max_length=MAX_LENGTH.get(name, 255),
        pattern=NO_NUL,
        schema_extra=DOCUMENTED_FORM.get(name),
    )


async def lead_query(  # one parameter per documented filter
    request: AnyRequest,
    services: Services,
    status: Annotated[str | None, _text("status")] = None,
    assigned_to: Annotated[str | None, _text("assigned_to")] = None,
    team_id: Annotated[str | None, _text("team_id")] = None,
    source: Annotated[str | None, _text("source")] = None,
    company_id: Annotated[str | None, _text("company_id")] = None,
    min_score: Annotated[int | None, QueryParameter(ge=0, le=100, schema_extra=AT_LEAST_0)] = None,
    max_score: Annotated[int | None, QueryParameter(ge=0, le=100, schema_extra=AT_LEAST_0)] = None,
    created_after: Annotated[str | None, _text("created_after")] = None,
    created_before: Annotated[str | None, _text("created_before")] = None,
    updated_after: Annotated[str | None, _text("updated_after")] = None,
    is_converted: Annotated[bool | None, QueryParameter()] = None,
    archived: Annotated[bool, QueryParameter(description="Archived leads instead of live ones.")] = False,
    merged: Annotated[bool, QueryParameter(description=MERGED_DOC)] = False,
    email: Annotated[str | None, _text("email")] = None,
    phone: Annotated[str | None, _text("phone")] = None,
    q: Annotated[str | None, _text("q")] = None,
    sort: Annotated[Sort, QueryParameter(description="Order; `-` is descending.")] = "-created_at",
    limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, _text("cursor")] = None,
    min_position: Annotated[str | None, _text("min_position")] = None,
) -> LeadQuery:
    """The list's filters, every bad one reported at once."""
    custom = {name: request.query_params.getall(name) for name in list_filters.custom_parameters(request.query_params)}
    params.reject_unknown_query(request, *LIST_PARAMETERS, *custom, integers=("limit", "min_score", "max_score"))
    found = Problems()
    parse = _parser(found)
    principal = principal_of(request)
    contains, ranges = list_filters.custom_filters(
        custom, await _custom_fields(request, services) if custom else {}, found
    )
    filters = LeadFilter(
        status=status if status and "," not in status else None,
        statuses=[s.strip() for s in status.split(",") if s.strip()] if status and "," in status else None,
        assigned_to=None if assigned_to in (None, "none") else parse("assigned_to", parse_uuid, assigned_to),
        unassigned=True if assigned_to == "none" else None,
        team_id=parse("team_id", parse_uuid, team_id),
        source=source,
        company_id=company_id,
        min_score=min_score,
        max_score=max_score,
        created_after=parse("created_after", field_checks.instant, created_after),
        created_before=parse("created_before", field_checks.instant, created_before),
        updated_after=parse("updated_after", field_checks.instant, updated_after),
        is_converted=is_converted,
        archived=archived,
        email=email,
        words=parse("q", _search_query, q),
        indexed=_index_query(q),
        q=q,
        visible_to=principal.actor.user_id if principal.actor.role == "member" else None,
        phones=parse("phone", list_filters.phone_numbers, phone),
        custom=contains,
        custom_ranges=ranges,
        merged=merged,
    )
    after = parse("cursor", lambda token: _cursor(token, sort), cursor)
    wait = parse("min_position", params.position, min_position)
    if found.errors:
        raise ValidationFailed(found.errors)
    return LeadQuery(filters, sort, after, limit, wait)


async def _custom_fields(request: AnyRequest, services: Services) -> dict[str, str]:
    """The account's custom-field keys and their types."""
    async with services.pool.acquire() as conn:
        rows = await config.list_custom_fields(conn, principal_of(request).account_id)
    return {row["key"]: row["type"] for row in rows}


def _parser(found: Problems) -> Any:
    def parse(field: str, check: Any, value: str | None) -> Any:
        return None if value is None else found.run(field, check, value)

    return parse


def _search_query(q: str) -> str:
    words = search_query(q)
    if words is None:
        raise InvalidValueError("invalid", "must hold a letter or a digit")
    return words


def _index_query(q: str | None) -> str | None:
    """What the words index is asked for when it is not the whole of q's query (leadstore.store.lead_list.search)."""
    if not q:
        return None
    indexed = index_query(q)
    return indexed if indexed != search_query(q) else None


def _cursor(token: str, sort: str) -> Cursor:
    try:
        return decode_cursor(token, sort)
    except InvalidCursor as exc:
        raise InvalidValueError("invalid_cursor", str(exc)) from None


LIST_PARAMETERS = tuple(name for name in inspect.signature(lead_query).parameters if name != "request")


LIST_DOC = "Leads of the read model, newest first by default; walk `next_cursor` for the next page.\n"
LIST_DOC += list_filters.CUSTOM_DOC


class LeadReads(Controller):
    path = "/v1/leads"
    tags = ["Leads"]

    @get(
        "/",
        operation_id="listLeads",
        dependencies={"listing": Provide(lead_query)},
        responses=problems(422),
        summary="List leads",
        description=LIST_DOC,
    )
    async def list_leads(
        self, request: AnyRequest, services: Services, listing: NamedDependency[LeadQuery]
    ) -> Response[LeadPage]:
        """Leads of the read model, filtered and sorted, a page at a time."""
        reads, account = services.read_pool, principal_of(request).account_id
        if listing.min_position is not None:
            seconds = services.settings.min_position_wait_seconds
            await params.wait_for_projection(reads, services.pool, account, listing.min_position, seconds)
        async with reads.acquire() as conn:
            try:
                page = await list_page(conn, account, listing.filters, listing.sort, listing.cursor, listing.limit)
            except InvalidCursor as exc:  # a walk gone too far out of date to go on
                raise ValidationFailed([FieldError("cursor", "expired", str(exc))]) from None
        body = {"object": "list", "data": page.docs, "has_more": page.next_cursor is not None}
        return _json(body | {"next_cursor": page.next_cursor})

    @get(
        "/{lead_id:str}", operation_id="getLead", response_headers=[ETAG], responses=problems(404), summary="Get a lead"
    )
    async def get_lead(
        self,
        request: AnyRequest,
        services: Services,
        lead_id: LeadId,
        as_of: Annotated[str | None, QueryParameter(description=AS_OF, schema_extra=INSTANT)] = None,
    ) -> Response[LeadOut]:
        """The lead, folded from its events: now, or as it was at `as_of`."""
        params.reject_unknown_query(request, "as_of")
        moment = None if as_of is None else as_of_bound(checked("as_of", field_checks.instant, as_of))
        history = await _visible_history(request, services, lead_id, moment)
        erased_now = any(event.type == "LeadErased" for event in history)
        if moment is not None:
            history = [event for event in history if event.occurred_at <= moment]
        lead = fold_recorded(history)
        if lead is None:
            raise LeadNotFound(history[0].stream_id if history else params.path_id(lead_id))
        if erased_now:  # an erased person is gone from the lead's past too
            lead = erased(lead)
        return _json(lead_document(lead), headers={"etag": f'"{lead.version}"'})

    @get(
        "/{lead_id:str}/events",
        operation_id="listLeadEvents",
        responses=problems(404),
        summary="A lead's audit log",
        tags=["Events"],
    )
    async def lead_events(self, request: AnyRequest, services: Services, lead_id: LeadId) -> Response[EventPage]:
        """Every event of the lead, oldest first, with who made it and from which request."""
        params.reject_unknown_query(request)
        history = await _visible_history(request, services, lead_id)
        body = {"object": "list", "data": [event_envelope(e) for e in history], "has_more": False}
        return _json(body | {"next_cursor": None})


async def _visible_history(
    request: AnyRequest, services: Services, raw_id: str, as_of: datetime | None = None
) -> list[RecordedEvent]:
    """The lead's events, when the lead exists in the caller's account and the caller may see it."""
    lead_uuid = params.path_id(raw_id)
    history = await replica.stream_as_of(services.pool, services.read_pool, lead_uuid, as_of)
    lead = fold_recorded(history)
    if lead is None or not visible_to(principal_of(request), lead):
        raise LeadNotFound(lead_uuid)
    return history


def _json(body: Any, headers: dict[str, str] | None = None) -> Response[Any]:
    """A JSON response encoded here (the documented type is the handler's return annotation)."""
    return Response(_encoder.encode(body), media_type="application/json", headers=headers)
