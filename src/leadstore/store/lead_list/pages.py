"""The lead list as clients page through it (GET /v1/leads): pages of the read model, and cursor walks that
visit every lead matching throughout exactly once while leads are being written.

- `created_at` never changes, so a keyset on (created_at, id) holds as it is.
- `updated_at` and `score` do change: a lead written mid-walk would jump across the cursor and be seen twice,
  or never. A walk over them is pinned to the lead list's checkpoint when its first page was read (the
  cursor's `at`) and goes on in the order the leads had then. Leads unchanged since keep their place in the
  index; the few changed since are placed by their value at that checkpoint, folded from the log, which
  remembers it. Nothing is stored per walk. Leads created after a walk began are not in it, as in a
  `created_at` walk. Filters apply to the leads as they are now. A walk with more than MAX_MOVED leads
  changed since it began is too old to go on cheaply: its cursor is refused and the client starts again.

Each page is one statement, so one snapshot: a first page and the checkpoint it pins agree, and a later
page's unchanged and changed leads are split at one instant.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from leadstore.store.db import Conn
from leadstore.store.events import Checkpoint, fold_recorded, read_streams_until
from leadstore.store.lead_list import query as lead_query
from leadstore.store.lead_list.query import (
    MAX_MOVED,
    MUTABLE_SORTS,
    SORTS,
    Cursor,
    InvalidCursor,
    LeadFilter,
    ListRebuilding,
    Page,
    encode_cursor,
    like_pattern,
    list_sql,
    search_sql,
    walk_sql,
)

# (sort value as the walk began, id, the row as it is now)
Entry = tuple[Any, UUID, Any]


async def list_page(
    conn: Conn, account_id: UUID, filters: LeadFilter, sort: str, cursor: Cursor | None, limit: int
) -> Page:
    """One page of the account's leads, and the cursor of the next one."""
    try:
        return await _list_page(conn, account_id, filters, sort, cursor, limit)
    except asyncpg.UndefinedColumnError:
        if filters.words is not None and filters.q is not None:
            # The live table predates search_words (lead_list version 7, being rebuilt): `q` goes on as the
            # substring search it was meanwhile.
            older = msgspec.structs.replace(filters, words=None, search=like_pattern(filters.q))
            return await list_page(conn, account_id, older, sort, cursor, limit)
        if filters.needs_version_4() or filters.merged:  # the live table is older: its runner is rebuilding it
            raise ListRebuilding("the lead list is being rebuilt for this filter; retry in a minute") from None
        if filters.merged is None:
            raise
    # a table older than version 5 has no merged_into, and (built by code that knew no merges) no merged lead
    unmerged = msgspec.structs.replace(filters, merged=None)
    return await _list_page(conn, account_id, unmerged, sort, cursor, limit)


async def _list_page(
    conn: Conn, account_id: UUID, filters: LeadFilter, sort: str, cursor: Cursor | None, limit: int
) -> Page:
    column = SORTS[sort][2]
    if sort not in MUTABLE_SORTS:
        rows = await _listed(conn, account_id, filters, sort, cursor, limit)
        return _page(sort, _entries(rows, column), limit, None)
    if cursor is None:
        rows = await _listed(conn, account_id, filters, sort, None, limit, pin=True)
        at = (rows[0]["at_tx"] or 0, rows[0]["at_pos"] or 0) if rows else None
        return _page(sort, _entries(rows, column), limit, at)
    try:
        rows = await _fetch(conn, account_id, *walk_sql(filters, cursor, limit))
        if filters.words is not None and sum(not row["moved"] for row in rows) <= limit:
            rows = await _fetch(conn, account_id, *walk_sql(filters, cursor, limit, probe=False))
    except asyncpg.UndefinedColumnError:
        # The live table predates the changed_* columns (it is being rebuilt for lead_list version 3):
        # go on as a plain keyset meanwhile, exactly-once only for leads that do not change.
        rows = await _fetch(conn, account_id, *list_sql(filters, sort, cursor, limit))
        return _page(sort, _entries(rows, column), limit, cursor.at)
    moved = [row for row in rows if row["moved"]]
    if len(moved) > MAX_MOVED:
        message = f"more than {MAX_MOVED:,} leads changed since this walk began: start again from the first page"
        raise InvalidCursor(message)
    entries = _entries([row for row in rows if not row["moved"]], column)
    entries += await _placed_as_then(conn, moved, cursor)
    entries.sort(key=lambda entry: (entry[0], entry[1]), reverse=sort.startswith("-"))
    return _page(sort, entries, limit, cursor.at)


async def _listed(
    conn: Conn, account_id: UUID, filters: LeadFilter, sort: str, cursor: Cursor | None, limit: int, pin: bool = False
) -> list[Any]:
    """The rows of a keyset page (limit + 1 of them when there are more); a `q` search first probes the next
    leads in order (twice when the first probe's share of matches says a longer one fills the page), then,
    when they hold less than a page, takes every match from the words index."""
    if filters.words is None:
        return await _fetch(conn, account_id, *list_sql(filters, sort, cursor, limit, pin=pin))
    probe = lead_query.PROBE_ROWS
    rows = await _fetch(conn, account_id, *search_sql(filters, sort, cursor, limit, probe=probe, pin=pin))
    if len(rows) > limit:
        return rows
    wanted = (limit + 1) * probe * 3 // (2 * len(rows)) if rows else None
    if wanted is not None and wanted <= lead_query.MAX_PROBE_ROWS:
        rows = await _fetch(conn, account_id, *search_sql(filters, sort, cursor, limit, probe=wanted, pin=pin))
        if len(rows) > limit:
            return rows
    return await _fetch(conn, account_id, *search_sql(filters, sort, cursor, limit, probe=None, pin=pin))


async def _placed_as_then(conn: Conn, moved: list[Any], cursor: Cursor) -> list[Entry]:
    """The leads changed since the walk began that come after the cursor in the walk's order, each placed
    by its sort value when the walk began (folded from the log up to the walk's checkpoint)."""
    if not moved:
        return []
    assert cursor.at is not None
    then = await read_streams_until(conn, [row["id"] for row in moved], Checkpoint(*cursor.at))
    column, descending = SORTS[cursor.sort][2], cursor.sort.startswith("-")
    entries = []
    for row in moved:
        lead = fold_recorded(then.get(row["id"], []))
        if lead is None:
            continue  # created after the walk began
        key = (getattr(lead, column), row["id"])
        if (key < (cursor.value, cursor.id)) if descending else (key > (cursor.value, cursor.id)):
            entries.append((key[0], row["id"], row))
    return entries


def _entries(rows: list[Any], column: str) -> list[Entry]:
    """Rows whose sort value now is their value as the walk began (unchanged since, or no walk)."""
    return [(row[column], row["id"], row) for row in rows]


async def _fetch(conn: Conn, account_id: UUID, sql: str, args: list[Any]) -> list[Any]:
    args[0] = account_id
    return list(await conn.fetch(sql, *args))


def _page(sort: str, entries: list[Entry], limit: int, at: tuple[int, int] | None) -> Page:
    more = len(entries) > limit
    entries = entries[:limit]
    next_cursor = encode_cursor(Cursor(sort, entries[-1][0], entries[-1][1], at)) if more else None
    return Page([msgspec.Raw(row["doc"].encode()) for _, _, row in entries], next_cursor)
