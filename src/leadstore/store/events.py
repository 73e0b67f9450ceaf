"""The event store: append with an expected version, read a stream, read the whole log in commit order."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import msgspec
from uuid_utils.compat import uuid7

from leadstore.domain.errors import VersionConflict
from leadstore.domain.events import load_event
from leadstore.domain.state import EventMeta, Lead, evolve
from leadstore.store import encryption
from leadstore.store.db import Conn
from leadstore.store.encryption import MARK, DataKey

NOTIFY_CHANNEL = "leadstore_events"

LOCK_STREAM = "SELECT pg_advisory_xact_lock($1)"
# What a RecordedEvent holds, in its field order.
EVENT_COLUMNS = """position, event_id, account_id, stream_id, stream_type, version, type, data, metadata,
       occurred_at, transaction_id, prev_hash, hash"""
# A commit-order reader's view of some streams: their events at or before its checkpoint.
READ_STREAMS_UNTIL = f"""
SELECT {EVENT_COLUMNS}
FROM events WHERE stream_id = ANY($1::uuid[]) AND (transaction_id, position) <= ($2::xid8, $3::bigint)
ORDER BY stream_id, version"""
# Both in one round trip (migration 030): the lock first, then a read with a snapshot taken after it.
# Lead streams only: an id that names an account's stream (migration 055) is no lead.
LOCK_AND_READ_STREAM = f"""
SELECT {EVENT_COLUMNS}
FROM lock_and_read_stream($1, $2) WHERE stream_type = 'lead'"""
READ_STREAM = f"""
SELECT {EVENT_COLUMNS}
FROM events WHERE stream_id = $1 AND stream_type = 'lead' AND ($2::timestamptz IS NULL OR occurred_at <= $2)
ORDER BY version"""
# The insert also queues the NOTIFY that wakes readers (delivered at commit), saving a round trip.
APPEND = """
WITH appended AS (
    INSERT INTO events (event_id, account_id, stream_id, stream_type, version, type, data, metadata, occurred_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
    RETURNING position, transaction_id, prev_hash, hash)
SELECT position, transaction_id, prev_hash, hash, pg_notify('leadstore_events', '') FROM appended"""
# The chained append: the hash is computed here from the stored values (migration 020), linked to the
# previous version's hash; nothing is inserted when that version is missing, which append reports as a conflict.
APPEND_CHAINED = """
WITH prev AS (
    SELECT NULL::bytea AS hash WHERE $5::integer = 1
    UNION ALL
    SELECT hash FROM events WHERE stream_id = $3::uuid AND version = $5::integer - 1
), appended AS (
    INSERT INTO events (event_id, account_id, stream_id, stream_type, version, type, data, metadata, occurred_at,
                        prev_hash, hash)
    SELECT $1::uuid, $2::uuid, $3::uuid, $4::text, $5::integer, $6::text, $7::jsonb, $8::jsonb, $9::timestamptz,
           prev.hash, event_hash(prev.hash, $1, $2, $3, $4, $5, $6, $7, $8, $9)
    FROM prev
    RETURNING position, transaction_id, prev_hash, hash)
SELECT position, transaction_id, prev_hash, hash, pg_notify('leadstore_events', '') FROM appended"""
STREAM_VERSION = "SELECT coalesce(max(version), 0) FROM events WHERE stream_id = $1"
# Decision 3 of DESIGN.md, for every reader of the log: never past the oldest open transaction, ordered by
# (transaction_id, position), after a checkpoint ($1, $2), optionally one account's ($4), $3 at a time.
COMMIT_ORDER_AFTER = """
FROM events
WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
  AND (transaction_id, position) > ($1::xid8, $2::bigint)
  AND ($4::uuid IS NULL OR account_id = $4)
ORDER BY transaction_id, position
LIMIT $3"""
READ_LOG = (
    f"""
SELECT {EVENT_COLUMNS}"""
    + COMMIT_ORDER_AFTER
)


TOKEN_PATTERN = r"^[0-9]{1,20}\.[0-9]{1,20}$"  # matched whole; the OpenAPI document states it
_TOKEN = re.compile(TOKEN_PATTERN)


class Checkpoint(msgspec.Struct, frozen=True, order=True):
    """A reader's place in the log: the last (transaction_id, position) it has handled."""

    transaction_id: int = 0
    position: int = 0

    def token(self) -> str:
        """The opaque position token given to clients (`Leadstore-Position`, `after=`)."""
        return f"{self.transaction_id}.{self.position}"

    @classmethod
    def parse(cls, token: str) -> Checkpoint:
        """Read a token back (ASCII digits, a dot, ASCII digits: nothing else `int` would take); ValueError
        when it is not one."""
        if not _TOKEN.fullmatch(token):
            raise ValueError(token)
        txid, _, position = token.partition(".")
        checkpoint = cls(int(txid), int(position))
        if not (0 <= checkpoint.transaction_id < 2**63 and 0 <= checkpoint.position < 2**63):
            raise ValueError(token)
        return checkpoint


START = Checkpoint()


class RecordedEvent(msgspec.Struct, frozen=True, kw_only=True):
    """An event as stored in the log."""

    position: int
    event_id: UUID
    account_id: UUID
    stream_id: UUID
    stream_type: str
    version: int
    type: str
    data: dict[str, Any]
    metadata: dict[str, Any]
    occurred_at: datetime
    transaction_id: int
    prev_hash: bytes | None = None  # the hash of the previous version (None for version 1 or unchained)
    hash: bytes | None = None  # SHA-256 over the canonical content and prev_hash (migration 020)

    @property
    def checkpoint(self) -> Checkpoint:
        return Checkpoint(self.transaction_id, self.position)


class NewEvent(msgspec.Struct, frozen=True, kw_only=True):
    """An event to append: its type, data and metadata."""

    type: str
    data: dict[str, Any]
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)
    event_id: UUID = msgspec.field(default_factory=uuid7)


async def open_events(
    conn: Conn, rows: Sequence[asyncpg.Record] | Sequence[dict[str, Any]], keys: dict[UUID, DataKey] | None = None
) -> list[RecordedEvent]:
    """Stored rows (EVENT_COLUMNS) as events, their personal values opened: the one way every reader of the
    log turns rows into data (issue 13). One query fetches the data keys of the batch's sealed leads; a lead
    without one (erased) reads its personal values as null. `keys` collects the keys found (the write lane
    seals the lead's next events with its key)."""
    sealed = {row["stream_id"] for row in rows if row["metadata"].get(MARK)}
    if not sealed:
        return [RecordedEvent(**dict(row)) for row in rows]
    found = await encryption.lead_keys(conn, sealed)
    if keys is not None:
        keys.update(found)
    events = []
    for row in rows:
        fields = dict(row)
        if fields["metadata"].get(MARK):
            key = found.get(fields["stream_id"])
            fields["data"], fields["metadata"] = encryption.open_event_parts(
                None if key is None else key.aead, fields["event_id"], fields["data"], fields["metadata"]
            )
        events.append(RecordedEvent(**fields))
    return events


def stream_lock_key(stream_id: UUID) -> int:
    """A signed 64-bit advisory-lock key for a stream (collisions only make two streams queue)."""
    value = stream_id.int
    key = (value >> 64) ^ (value & 0xFFFF_FFFF_FFFF_FFFF)
    return key - (1 << 64) if key >= (1 << 63) else key


async def lock_stream(conn: Conn, stream_id: UUID) -> None:
    """Take the transaction-scoped advisory lock of a stream; it assigns no transaction id."""
    await conn.execute(LOCK_STREAM, stream_lock_key(stream_id))


async def lock_and_read_stream(
    conn: Conn, stream_id: UUID, keys: dict[UUID, DataKey] | None = None
) -> list[RecordedEvent]:
    """Take the stream's lock (as `lock_stream`), then read all of it: what a command does first."""
    return await open_events(conn, await conn.fetch(LOCK_AND_READ_STREAM, stream_id, stream_lock_key(stream_id)), keys)


async def read_stream(
    conn: Conn, stream_id: UUID, until: datetime | None = None, keys: dict[UUID, DataKey] | None = None
) -> list[RecordedEvent]:
    """Every event of a lead's stream in version order, optionally only those that occurred by `until`."""
    return await open_events(conn, await conn.fetch(READ_STREAM, stream_id, until), keys)


async def read_streams_until(
    conn: Conn, stream_ids: Sequence[UUID], until: Checkpoint
) -> dict[UUID, list[RecordedEvent]]:
    """The events of several streams that a commit-order reader at `until` had read, each in version order
    (a stream with none is left out)."""
    streams: dict[UUID, list[RecordedEvent]] = {}
    rows = await conn.fetch(READ_STREAMS_UNTIL, list(stream_ids), until.transaction_id, until.position)
    for event in await open_events(conn, rows):
        streams.setdefault(event.stream_id, []).append(event)
    return streams


async def append(
    conn: Conn,
    *,
    account_id: UUID,
    stream_id: UUID,
    stream_type: str,
    expected_version: int,
    events: Sequence[NewEvent],
    occurred_at: datetime,
    chain: bool = True,
) -> list[RecordedEvent]:
    """Append events after `expected_version`; VersionConflict if the stream has moved on.

    It stores what it is given, as events were stored before encryption (issue 13): the write lane
    (`command_writes.write`) is what seals a lead's personal values.

    With `chain` (the default) each event gets its hash-chain link; False exists to measure that cost.
    """
    recorded = []
    for offset, event in enumerate(events, start=1):
        version = expected_version + offset
        try:
            row = await conn.fetchrow(
                APPEND_CHAINED if chain else APPEND,
                event.event_id,
                account_id,
                stream_id,
                stream_type,
                version,
                event.type,
                event.data,
                event.metadata,
                occurred_at,
            )
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name == "events_stream_version":
                raise VersionConflict(stream_id, expected_version, version) from exc
            raise
        if row is None:  # the chained insert found no previous version: expected_version is ahead
            raise VersionConflict(stream_id, expected_version, await _stream_version(conn, stream_id))
        recorded.append(
            RecordedEvent(
                position=row["position"],
                event_id=event.event_id,
                account_id=account_id,
                stream_id=stream_id,
                stream_type=stream_type,
                version=version,
                type=event.type,
                data=event.data,
                metadata=event.metadata,
                occurred_at=occurred_at,
                transaction_id=row["transaction_id"],
                prev_hash=row["prev_hash"],
                hash=row["hash"],
            )
        )
    return recorded


async def _stream_version(conn: Conn, stream_id: UUID) -> int:
    version: int = await conn.fetchval(STREAM_VERSION, stream_id)
    return version


async def read_log(conn: Conn, after: Checkpoint, limit: int, account_id: UUID | None = None) -> list[RecordedEvent]:
    """The next committed events after `after`, in commit order, never skipping a late commit."""
    rows = await conn.fetch(READ_LOG, after.transaction_id, after.position, limit, account_id)
    return await open_events(conn, rows)


def fold_recorded(recorded: list[RecordedEvent]) -> Lead | None:
    """The lead as its stored events make it (None for no events): the one fold every reader uses."""
    lead: Lead | None = None
    for event in recorded:
        lead = evolve(
            lead, load_event(event.type, event.data), EventMeta(event.stream_id, event.version, event.occurred_at)
        )
    return lead
