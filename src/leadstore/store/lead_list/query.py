"""The lead list's SQL: filters composed from fixed fragments, keyset cursors, and the positions they carry."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import msgspec

from leadstore.domain.errors import LeadstoreError
from leadstore.store.lead_list.ranges import range_cover

Sort = Literal["created_at", "-created_at", "updated_at", "-updated_at", "score", "-score"]

COLUMNS = "id, created_at, updated_at, score, doc::text AS doc"
LIST_LEADS = f"SELECT {COLUMNS} FROM lead_list WHERE account_id = $1"
WALK_LEADS = f"SELECT {COLUMNS}, {{0}} AS moved FROM lead_list WHERE account_id = $1"
# A walk's first page also reads the lead list's checkpoint, in the same statement and so the same snapshot.
PINNED_COLUMNS = f"""{COLUMNS},
    (SELECT transaction_id FROM checkpoints WHERE name = 'lead_list') AS at_tx,
    (SELECT position FROM checkpoints WHERE name = 'lead_list') AS at_pos"""
PINNED_LIST_LEADS = f"SELECT {PINNED_COLUMNS} FROM lead_list WHERE account_id = $1"
# A page of a `q` search is read in one of two shapes (leadstore.store.lead_list.pages picks): the probe checks
# the words of the next PROBE_ROWS leads in the sort's order (its btree index), which fills a page at once when
# the words are common; the matches shape takes every match after the cursor from the words index (GIN), sorts
# their keys and reads the page's rows by id, which is cheap when they are few. Both are written out (a
# MATERIALIZED CTE keeps the second off the sort's index), as the planner's guess of how common a word prefix
# is can be far off: with it, a search matching nothing scanned all of a big account's leads in sort order.
# In the matches shape the account is checked on each match (`IS TRUE` keeps the planner from adding the
# account's half-million entries of another GIN index to the bitmap, as it did).
PROBE_ROWS = 1000
# When the probe finds some matches but not a page, a second probe reads as many leads as the first one's
# share of matches says a page needs (half as many again), up to this many; past it, the matches shape.
MAX_PROBE_ROWS = 20_000
SEARCHED = "SELECT * FROM lead_list WHERE account_id = $1"
MATCHED = "SELECT id, created_at, updated_at, score FROM lead_list WHERE (account_id = $1) IS TRUE"
# Each filter is a fixed fragment; `{0}` is replaced by the $n placeholder of its value, never by the value.
FILTERS: dict[str, str] = {
    "status": "status = {0}::text",
    "statuses": "status = ANY({0}::text[])",
    "assigned_to": "assigned_to = {0}::uuid",
    "unassigned": "assigned_to IS NULL",
    "team_id": "team_id = {0}::uuid",
    "source": "source = {0}::text",
    "company_id": "company_id = {0}::text",
    "min_score": "score >= {0}::int",
    "max_score": "score <= {0}::int",
    "created_after": "created_at >= {0}::timestamptz",
    "created_before": "created_at < {0}::timestamptz",
    "updated_after": "updated_at >= {0}::timestamptz",
    "is_converted": "is_converted = {0}::boolean",
    "archived": "archived = {0}::boolean",
    "email": "email_lower = lower({0}::text)",
    "search": "search LIKE {0}::text ESCAPE '\\'",
    "words": "search_words @@ {0}::tsquery",
    "visible_to": "(assigned_to = {0}::uuid OR created_by = {0}::uuid)",
    "phones": "phone = ANY({0}::text[])",
    "custom": "custom @> {0}::jsonb",
    "merged": "(merged_into IS NOT NULL) = {0}::boolean",  # merges (issue 14)
}
# custom.<key>.min/.max: the range's buckets (leadstore.store.lead_list.ranges) find the candidates through the
# GIN index, and the values are compared. The comparison is written `NULLIF(<it>, false) IS NOT NULL`, true
# exactly when it is, so that the planner (which has no statistics for it) takes it as nearly always true and
# counts on the buckets' statistics alone: as plain comparisons it would guess 0.5% of the rows, and read a
# range holding half the leads through the index. The key and the bounds are $n placeholders too.
IN_RANGE = "custom_ranges && {buckets}::text[] AND NULLIF({exact}, false) IS NOT NULL"
RANGE_VALUE = {
    "number": "CASE WHEN jsonb_typeof(custom -> {0}::text) = 'number' THEN (custom -> {0}::text)::numeric END",
    "date": '(custom ->> {0}::text) COLLATE "C"',  # YYYY-MM-DD: text order is date order
    "datetime": '(custom ->> {0}::text) COLLATE "C"',  # fixed-width UTC (custom_fields.rfc3339): likewise
}
RANGE_BOUND = {"number": "{0}::numeric", "date": "{0}::text", "datetime": "{0}::text"}
# sort: (ORDER BY, the keyset condition after a cursor's (value, id), the sort column)
SORTS: dict[str, tuple[str, str, str]] = {
    "created_at": ("created_at, id", "(created_at, id) > ({0}::timestamptz, {1}::uuid)", "created_at"),
    "-created_at": ("created_at DESC, id DESC", "(created_at, id) < ({0}::timestamptz, {1}::uuid)", "created_at"),
    "updated_at": ("updated_at, id", "(updated_at, id) > ({0}::timestamptz, {1}::uuid)", "updated_at"),
    "-updated_at": ("updated_at DESC, id DESC", "(updated_at, id) < ({0}::timestamptz, {1}::uuid)", "updated_at"),
    "score": ("score, id", "(score, id) > ({0}::int, {1}::uuid)", "score"),
    "-score": ("score DESC, id DESC", "(score, id) < ({0}::int, {1}::uuid)", "score"),
}


class LeadFilter(msgspec.Struct, kw_only=True):
    """The filters of GET /v1/leads, combined with AND; None means "not filtered"."""

    status: str | None = None
    statuses: list[str] | None = None
    assigned_to: UUID | None = None
    unassigned: bool | None = None
    team_id: UUID | None = None
    source: str | None = None
    company_id: str | None = None
    min_score: int | None = None
    max_score: int | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    updated_after: datetime | None = None
    is_converted: bool | None = None
    archived: bool | None = False
    email: str | None = None
    search: str | None = None  # a LIKE pattern on `search`: `q` on a lead list older than schema version 5
    words: str | None = None  # `q` as a tsquery (leadstore.store.lead_list.search.search_query)
    indexed: str | None = None  # what of it the words index is asked for, when not all (search.index_query)
    q: str | None = None  # `q` as given, to fall back on `search` while the lead list is being rebuilt
    visible_to: UUID | None = None
    phones: list[str] | None = None  # E.164 numbers, any of which
    custom: dict[str, Any] | None = None  # contained in the lead's custom values
    custom_ranges: list[CustomRange] | None = None
    merged: bool | None = False  # merged leads (merged_into set) leave the default list

    def needs_version_4(self) -> bool:
        """Whether a filter reads a column lead_list has had since its schema version 4."""
        return bool(self.phones or self.custom or self.custom_ranges)


class CustomRange(msgspec.Struct, frozen=True):
    """custom.<key>.min and/or .max of a number (Decimal bounds), date or datetime field (text bounds, as
    stored); both inclusive, None when open."""

    key: str
    kind: str  # number, date or datetime
    low: Any = None  # Decimal | str | None (a union msgspec cannot type)
    high: Any = None

    def buckets(self) -> list[str]:
        return range_cover(self.key, self.kind, self.low, self.high)


# Sorts on a value a write can change. A walk over one is pinned to the lead list's checkpoint when it began
# (the cursor's `at`), and goes on in the order the leads had then (see leadstore.store.lead_list.pages).
MUTABLE_SORTS = frozenset({"updated_at", "-updated_at", "score", "-score"})
# The leads of a walk that changed after it began: their place in the walk comes from the log.
CHANGED_SINCE = "(changed_tx, changed_pos) > ({0}::xid8, {1}::bigint)"
UNCHANGED_SINCE = "(changed_tx, changed_pos) <= ({0}::xid8, {1}::bigint)"
# A page places each lead changed since its walk began by folding that lead's log: past this many, the walk
# is too old to go on cheaply and the client starts again from the first page (422 on `cursor`).
MAX_MOVED = 2000


class Cursor(msgspec.Struct, frozen=True, array_like=True):
    """Where a page ended: the sort, the last lead's sort value (as the walk began) and id, and for a mutable
    sort the lead list's checkpoint (transaction id, position) when the walk began."""

    sort: str
    value: datetime | int
    id: UUID
    at: tuple[int, int] | None = None


class Page(msgspec.Struct, frozen=True):
    docs: list[msgspec.Raw]
    next_cursor: str | None


class ListRebuilding(LeadstoreError):
    """A filter needs a column the live lead list does not have yet: its runner is rebuilding it (schema
    version 4 added phone and custom values). Filters that existed before keep working meanwhile."""

    code = "unavailable"


class InvalidCursor(ValueError):
    """A cursor that is not one this server made (or was made for another sort)."""


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` (lower-cased) anywhere, with its wildcards escaped."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def encode_cursor(cursor: Cursor) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(cursor)).decode().rstrip("=")


def decode_cursor(token: str, sort: str) -> Cursor:
    """The cursor a `next_cursor` token holds; InvalidCursor when it is not one for `sort`."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        cursor = msgspec.json.decode(raw, type=Cursor)
    except (binascii.Error, ValueError, msgspec.DecodeError, msgspec.ValidationError):
        raise InvalidCursor("is not a cursor returned by this API") from None
    if cursor.sort != sort:
        raise InvalidCursor(f"was made for sort={cursor.sort}: send the same sort with it")
    expected = int if SORTS[sort][2] == "score" else datetime
    if not isinstance(cursor.value, expected) or isinstance(cursor.value, bool):
        raise InvalidCursor("is not a cursor returned by this API")
    if isinstance(cursor.value, datetime) and cursor.value.utcoffset() is None:
        raise InvalidCursor("is not a cursor returned by this API")  # ours always carry the zone
    if (cursor.at is not None) != (sort in MUTABLE_SORTS) or not all(0 <= n < 2**63 for n in cursor.at or ()):
        raise InvalidCursor("is not a cursor returned by this API")
    if isinstance(cursor.value, int) and not -(2**31) <= cursor.value < 2**31:
        raise InvalidCursor("is not a cursor returned by this API")
    return cursor


def list_sql(
    filters: LeadFilter, sort: str, cursor: Cursor | None, limit: int, *, pin: bool = False
) -> tuple[str, list[Any]]:
    """The list query and its arguments: fixed fragments joined with AND, then keyset order and limit.
    With `pin`, each row also carries the lead list's checkpoint (`at_tx`, `at_pos`)."""
    clauses, args = _filtered(PINNED_LIST_LEADS if pin else LIST_LEADS, filters)
    order, keyset, _ = SORTS[sort]
    if cursor is not None:
        args += [cursor.value, cursor.id]
        clauses.append(keyset.format(f"${len(args) - 1}", f"${len(args)}"))
    args.append(limit + 1)
    return " AND ".join(clauses) + f" ORDER BY {order} LIMIT ${len(args)}", args


def search_sql(
    filters: LeadFilter, sort: str, cursor: Cursor | None, limit: int, *, probe: int | None, pin: bool = False
) -> tuple[str, list[Any]]:
    """A page of a `q` search (filters.words set) as list_sql returns it: the probe of the next `probe` leads,
    or (None) the matches shape."""
    assert filters.words is not None
    clauses, args = _filtered(SEARCHED if probe else MATCHED, msgspec.structs.replace(filters, words=None))
    order, keyset, _ = SORTS[sort]
    if cursor is not None:
        args += [cursor.value, cursor.id]
        clauses.append(keyset.format(f"${len(args) - 1}", f"${len(args)}"))
    words = matching(filters, args, indexed=probe is None)
    args.append(limit + 1)
    columns, n = PINNED_COLUMNS if pin else COLUMNS, len(args)
    if probe is not None:
        probed = " AND ".join(clauses) + f" ORDER BY {order} LIMIT {int(probe)}"
        return f"SELECT {columns} FROM ({probed}) lead_list WHERE {words} ORDER BY {order} LIMIT ${n}", args
    matched = " AND ".join([*clauses, words])
    page = f"SELECT * FROM matched ORDER BY {order} LIMIT ${n}"
    return (
        f"WITH matched AS MATERIALIZED ({matched}) SELECT {columns} FROM ({page}) page "
        f"JOIN lead_list USING (id, created_at, updated_at, score) ORDER BY {order}",
        args,
    )


def matching(filters: LeadFilter, args: list[Any], *, indexed: bool) -> str:
    """The condition of a `q` search, its values appended to `args`. For the matches shape (`indexed`) with
    filters.indexed set, the index is asked for that, and its matches are checked against the whole query
    (`IS TRUE` keeps the check out of the index)."""
    args.append(filters.words)
    words = FILTERS["words"].format(f"${len(args)}")
    if not indexed or filters.indexed is None:
        return words
    args.append(filters.indexed)
    return f"{FILTERS['words'].format(f'${len(args)}')} AND ({words}) IS TRUE"


def walk_sql(filters: LeadFilter, cursor: Cursor, limit: int, *, probe: bool = True) -> tuple[str, list[Any]]:
    """A later page of a walk by a mutable sort, in one statement (one snapshot): the next leads unchanged
    since the walk began, by keyset, then every matching lead changed since (`moved`), in no order. For a `q`
    search, the unchanged leads are read in the probe or the matches shape (see PROBE_ROWS)."""
    assert cursor.at is not None
    clauses, args = _filtered(WALK_LEADS, msgspec.structs.replace(filters, words=None))
    words = None if filters.words is None else matching(filters, args, indexed=not probe)
    args += [*cursor.at, cursor.value, cursor.id, limit + 1]
    n = len(args)
    at, after = (f"${n - 4}", f"${n - 3}"), (f"${n - 2}", f"${n - 1}")
    order, keyset, _ = SORTS[cursor.sort]
    select, conditions = clauses[0], clauses[1:]
    since = [UNCHANGED_SINCE.format(*at), keyset.format(*after)]
    moved = " AND ".join([select.format("true"), *conditions, *([words] if words else []), CHANGED_SINCE.format(*at)])
    moved_part = f"({moved} LIMIT {MAX_MOVED + 1})"
    if words is None:
        unchanged = " AND ".join([select.format("false"), *conditions, *since])
        return f"({unchanged} ORDER BY {order} LIMIT ${n}) UNION ALL {moved_part}", args
    if probe:
        probed = " AND ".join([SEARCHED, *conditions, *since]) + f" ORDER BY {order} LIMIT {PROBE_ROWS}"
        unchanged = f"SELECT {COLUMNS}, false AS moved FROM ({probed}) lead_list WHERE {words}"
        return f"({unchanged} ORDER BY {order} LIMIT ${n}) UNION ALL {moved_part}", args
    matched = " AND ".join([MATCHED, *conditions, words, *since])
    page = f"SELECT * FROM matched ORDER BY {order} LIMIT ${n}"
    unchanged = (
        f"SELECT {COLUMNS}, false AS moved FROM ({page}) page JOIN lead_list USING (id, created_at, updated_at, score)"
    )
    return f"WITH matched AS MATERIALIZED ({matched}) ({unchanged}) UNION ALL {moved_part}", args


def _filtered(select: str, filters: LeadFilter) -> tuple[list[str], list[Any]]:
    """The select and one fixed fragment per filter set; $1 is the account, filled by the caller."""
    clauses: list[str] = [select]
    args: list[Any] = [None]
    for name, fragment in FILTERS.items():
        value = getattr(filters, name)
        if value is None:
            continue
        if "{0}" in fragment:
            args.append(value)
            clauses.append(fragment.format(f"${len(args)}"))
        elif value is True:
            clauses.append(fragment)
    clauses += [_in_range(each, args) for each in filters.custom_ranges or ()]
    return clauses, args


def _in_range(bounds: CustomRange, args: list[Any]) -> str:
    """The IN_RANGE fragment of one custom range, its values appended to `args` as $n parameters."""
    args += [bounds.buckets(), bounds.key]
    buckets, key = f"${len(args) - 1}", f"${len(args)}"
    value, exact = RANGE_VALUE[bounds.kind].format(key), []
    for bound, compare in ((bounds.low, ">="), (bounds.high, "<=")):
        if bound is not None:
            args.append(bound)
            exact.append(f"{value} {compare} {RANGE_BOUND[bounds.kind].format(f'${len(args)}')}")
    return IN_RANGE.format(buckets=buckets, exact=" AND ".join(exact))
