"""The `imports` table (migration 110): an upload, the state of its run, and the run's fenced progress."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import msgspec

from leadstore.store.db import Conn

State = Literal["queued", "running", "done", "failed"]
MAX_ERRORS = 1000  # row errors kept per import (the first ones, in row order); the count is `failed`

INSERT = """
INSERT INTO imports (id, account_id, user_id, role, api_key_id, email, format, charset, columns, on_duplicate,
                     skip_team_requirement, metadata, body, rows)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"""
PROGRESS_COLUMNS = "id, state, rows, done, created, updated, skipped, failed, errors, failure, created_at, finished_at"
FIND = (
    f"SELECT {PROGRESS_COLUMNS} FROM imports WHERE id = $1 AND account_id = $2 AND ($3::uuid IS NULL OR user_id = $3)"
)
LIST = f"""
SELECT {PROGRESS_COLUMNS} FROM imports
WHERE account_id = $1 AND ($2::uuid IS NULL OR user_id = $2)
  AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4::uuid))
ORDER BY created_at DESC, id DESC LIMIT $5"""
PENDING = "SELECT id FROM imports WHERE state IN ('queued', 'running') ORDER BY created_at, id LIMIT $1"
LOAD = """
SELECT id, account_id, user_id, role, api_key_id, email, format, charset, columns, on_duplicate,
       skip_team_requirement, metadata, body, state, rows, cursor, done, created, updated, skipped, failed,
       jsonb_array_length(errors) AS kept_errors
FROM imports WHERE id = $1"""
# Every save names the lease ($2 name, $3 holder, $4 token) and locks its row until the transaction ends: a
# worker that lost the lease (frozen, cut off) saves nothing after its successor took over. True when saved.
FENCE = "WITH lease AS (SELECT FROM leases WHERE name = $2 AND holder = $3 AND token = $4 FOR SHARE)"
START = f"""{FENCE}, started AS (
    UPDATE imports SET state = 'running', started_at = coalesce(started_at, now())
    WHERE id = $1 AND state IN ('queued', 'running') AND EXISTS (SELECT FROM lease))
SELECT EXISTS (SELECT FROM lease)"""
ADVANCE = f"""{FENCE}, saved AS (
    UPDATE imports SET cursor = $5, done = done + $6, created = created + $7, updated = updated + $8,
        skipped = skipped + $9, failed = failed + $10,
        errors = CASE WHEN jsonb_array_length(errors) >= {MAX_ERRORS} THEN errors
                      ELSE (SELECT coalesce(jsonb_agg(e ORDER BY n), '[]') FROM (
                              SELECT e, n FROM jsonb_array_elements(errors || $11::jsonb) WITH ORDINALITY AS x(e, n)
                              ORDER BY n LIMIT {MAX_ERRORS}) AS kept) END
    WHERE id = $1 AND cursor = $12 AND state = 'running' AND EXISTS (SELECT FROM lease)
    RETURNING 1)
SELECT EXISTS (SELECT FROM saved)"""
FINISH = f"""{FENCE}, finished AS (
    UPDATE imports SET state = $5, failure = $6, finished_at = now(), body = NULL
    WHERE id = $1 AND state IN ('queued', 'running') AND EXISTS (SELECT FROM lease)
    RETURNING 1)
SELECT EXISTS (SELECT FROM finished)"""
STATE = "SELECT state FROM imports WHERE id = $1"


class RowError(msgspec.Struct, frozen=True):
    """One problem of one row; `field` is None when the whole row could not be read."""

    row: int
    field: str | None
    code: str
    message: str


class ImportProgress(msgspec.Struct, kw_only=True):
    """What GET /v1/imports/{id} shows."""

    id: UUID
    object: str = "import"
    state: State
    rows: int
    done: int
    created: int
    updated: int
    skipped: int
    failed: int
    errors: list[RowError]
    failure: str | None = None
    created_at: datetime
    finished_at: datetime | None = None


class NewImport(msgspec.Struct, kw_only=True):
    id: UUID
    account_id: UUID
    user_id: UUID
    role: str
    api_key_id: UUID | None
    email: str | None
    format: Literal["csv", "ndjson"]
    charset: str
    columns: list[dict[str, Any]]
    on_duplicate: Literal["skip", "update"]
    skip_team_requirement: bool
    metadata: dict[str, Any]
    body: bytes
    rows: int


class Counts(msgspec.Struct, kw_only=True):
    """Outcomes of a chunk of rows, or of the run so far."""

    done: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0


class Fence(msgspec.Struct, frozen=True):
    """The lease a run's saves are fenced by."""

    name: str
    holder: str
    token: int


async def insert(conn: Conn, new: NewImport) -> None:
    await conn.execute(
        INSERT,
        new.id,
        new.account_id,
        new.user_id,
        new.role,
        new.api_key_id,
        new.email,
        new.format,
        new.charset,
        new.columns,
        new.on_duplicate,
        new.skip_team_requirement,
        new.metadata,
        new.body,
        new.rows,
    )


def _progress(row: Any) -> ImportProgress:
    values = dict(row)
    return msgspec.convert(values, ImportProgress)


async def find(conn: Conn, import_id: UUID, account_id: UUID, user_id: UUID | None = None) -> ImportProgress | None:
    """An import of the account (of `user_id` only, when given: a member sees their own imports)."""
    row = await conn.fetchrow(FIND, import_id, account_id, user_id)
    return None if row is None else _progress(row)


async def page(
    conn: Conn, account_id: UUID, user_id: UUID | None, before: tuple[datetime, UUID] | None, limit: int
) -> list[ImportProgress]:
    """The account's imports, newest first, after the cursor `before` (created_at, id)."""
    after_at, after_id = before if before else (None, None)
    rows = await conn.fetch(LIST, account_id, user_id, after_at, after_id, limit)
    return [_progress(row) for row in rows]


async def pending(conn: Conn, limit: int) -> list[UUID]:
    """Imports still to run (queued, or running in a worker that may have died), oldest first."""
    return [row["id"] for row in await conn.fetch(PENDING, limit)]


async def load(conn: Conn, import_id: UUID) -> dict[str, Any] | None:
    """Everything a run needs: the upload, its options and where the run has got to."""
    row = await conn.fetchrow(LOAD, import_id)
    return None if row is None else dict(row)


async def state(conn: Conn, import_id: UUID) -> str | None:
    found: str | None = await conn.fetchval(STATE, import_id)
    return found


async def start(conn: Conn, import_id: UUID, fence: Fence) -> bool:
    """Mark the import running (False: the lease was lost)."""
    started: bool = await conn.fetchval(START, import_id, fence.name, fence.holder, fence.token)
    return started


async def advance(
    conn: Conn, import_id: UUID, fence: Fence, cursor: int, expected_cursor: int, counts: Counts, errors: list[RowError]
) -> bool:
    """Move the cursor past a chunk and add its counts and errors, if the lease holds and nobody else moved
    the cursor since `expected_cursor`; False, having written nothing, otherwise."""
    saved: bool = await conn.fetchval(
        ADVANCE,
        import_id,
        fence.name,
        fence.holder,
        fence.token,
        cursor,
        counts.done,
        counts.created,
        counts.updated,
        counts.skipped,
        counts.failed,
        [msgspec.to_builtins(e) for e in errors],
        expected_cursor,
    )
    return saved


async def finish(conn: Conn, import_id: UUID, fence: Fence, final: State, failure: str | None = None) -> bool:
    """End the run (done or failed) and drop the upload; False when the lease was lost."""
    finished: bool = await conn.fetchval(FINISH, import_id, fence.name, fence.holder, fence.token, final, failure)
    return finished
