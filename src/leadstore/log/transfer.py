"""Export the log as NDJSON (one event a line, with its hash) and import it into an empty database.

`data` and `metadata` travel as the exact text PostgreSQL gives for the stored jsonb, so the importing
database hashes the same canonical content and reproduces the chain bit for bit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import IO
from uuid import UUID

import msgspec

from leadstore.domain.events import load_event
from leadstore.log.integrity import LogReport, check_log
from leadstore.projection.rebuild import Progress
from leadstore.store.command_writes import email_changes
from leadstore.store.db import Conn
from leadstore.store.events import COMMIT_ORDER_AFTER, START, Checkpoint

# The stored jsonb text, exactly, so that an importing database recomputes the same hashes.
EXPORT = (
    """
SELECT position, transaction_id, event_id, account_id, stream_id, stream_type, version, type,
       data::text AS data, metadata::text AS metadata, occurred_at, prev_hash, hash"""
    + COMMIT_ORDER_AFTER
)
# What an export will write, for its progress line: the same read, counted ($3, the limit, is NULL: none).
EXPORT_COUNT = "SELECT count(*) FROM (SELECT 1" + COMMIT_ORDER_AFTER + ") exported"
LOCK_EVENTS = "LOCK TABLE events IN EXCLUSIVE MODE"
ANY_EVENT = "SELECT EXISTS (SELECT 1 FROM events)"
# unnest keeps the file's order, so positions (and the commit order of the one import transaction) follow it.
INSERT = """
INSERT INTO events (event_id, account_id, stream_id, stream_type, version, type, data, metadata, occurred_at,
                    prev_hash, hash)
SELECT event_id, account_id, stream_id, stream_type, version, type, data::jsonb, metadata::jsonb, occurred_at,
       prev_hash, hash
FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::integer[], $6::text[], $7::text[], $8::text[],
            $9::timestamptz[], $10::bytea[], $11::bytea[])
     WITH ORDINALITY AS t(event_id, account_id, stream_id, stream_type, version, type, data, metadata, occurred_at,
                          prev_hash, hash, n)
ORDER BY n"""
RESERVE_EMAILS = """
INSERT INTO lead_emails (account_id, email_lower, lead_id)
SELECT account_id, lower(email), lead_id
FROM unnest($1::uuid[], $2::text[], $3::uuid[]) AS t(account_id, email, lead_id)"""


class ExportedEvent(msgspec.Struct, kw_only=True):
    """One line of an export: the stored event, its hash-chain link, and its position in the source database."""

    event_id: UUID
    account_id: UUID
    stream_id: UUID
    stream_type: str
    version: int
    type: str
    occurred_at: datetime
    data: msgspec.Raw
    metadata: msgspec.Raw
    prev_hash: str | None
    hash: str | None
    position: str  # the source database's position token (positions and transaction ids change on import)


class NotEmpty(RuntimeError):
    """Import refuses a database that already has events."""


class ChainBroken(RuntimeError):
    """The imported events do not verify; nothing was imported."""

    def __init__(self, report: LogReport) -> None:
        super().__init__(f"the imported log does not verify: {report.total_problems} problem(s)")
        self.report = report


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(ExportedEvent)


async def events_to_export(conn: Conn, account_id: UUID | None, since: Checkpoint) -> int:
    """How many events an export after `since` (of one account, when given) would write now."""
    count: int = await conn.fetchval(EXPORT_COUNT, since.transaction_id, since.position, None, account_id)
    return count


async def export_events(
    conn: Conn,
    out: IO[bytes],
    *,
    account_id: UUID | None = None,
    since: Checkpoint = START,
    batch_size: int = 5000,
    progress: Progress | None = None,
) -> int:
    """Write the log after `since` (of one account, when given) in commit order; return the events written.
    `progress` hears the running count after each batch."""
    written, after = 0, since
    while rows := await conn.fetch(EXPORT, after.transaction_id, after.position, batch_size, account_id):
        for row in rows:
            line = ExportedEvent(
                **{k: row[k] for k in ("event_id", "account_id", "stream_id", "stream_type", "version", "type")},
                occurred_at=row["occurred_at"],
                data=msgspec.Raw(row["data"].encode()),
                metadata=msgspec.Raw(row["metadata"].encode()),
                prev_hash=_hex(row["prev_hash"]),
                hash=_hex(row["hash"]),
                position=Checkpoint(row["transaction_id"], row["position"]).token(),
            )
            out.write(_encoder.encode(line) + b"\n")
        written += len(rows)
        after = Checkpoint(rows[-1]["transaction_id"], rows[-1]["position"])
        if progress is not None:
            progress(written, after)
    return written


async def import_events(
    conn: Conn, lines: Iterable[bytes], *, batch_size: int = 5000, progress: Progress | None = None
) -> int:
    """Import an export into a database with no events, in one transaction, verifying the whole chain first.

    NotEmpty if the database has events; ChainBroken (and nothing imported) if the chain does not verify.
    Email reservations (lead_emails) are written for the imported leads.
    """
    async with conn.transaction():
        await conn.execute(LOCK_EVENTS)
        if await conn.fetchval(ANY_EVENT):
            raise NotEmpty("the database already has events: import only into an empty one")
        emails: dict[UUID, tuple[UUID, str | None]] = {}
        imported = 0
        for batch in _batches(lines, batch_size):
            await conn.execute(INSERT, *_columns(batch))
            _track_emails(batch, emails)
            imported += len(batch)
            if progress is not None:
                progress(imported, START)
        report = await check_log(conn)
        if not report.ok:
            raise ChainBroken(report)
        held = [(account, email, lead) for lead, (account, email) in emails.items() if email]
        if held:
            await conn.execute(RESERVE_EMAILS, *(list(column) for column in zip(*held, strict=True)))
    return imported


def _batches(lines: Iterable[bytes], size: int) -> Iterator[list[ExportedEvent]]:
    batch: list[ExportedEvent] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            batch.append(_decoder.decode(line))
        except msgspec.DecodeError as exc:
            raise ValueError(f"line {number}: not an exported event: {exc}") from None
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _columns(batch: list[ExportedEvent]) -> list[list[object]]:
    """The batch as the column arrays of INSERT, in its parameter order."""
    fields = ("event_id", "account_id", "stream_id", "stream_type", "version", "type")
    columns: list[list[object]] = [[getattr(e, f) for e in batch] for f in fields]
    columns.append([bytes(e.data).decode() for e in batch])
    columns.append([bytes(e.metadata).decode() for e in batch])
    columns.append([e.occurred_at for e in batch])
    columns.append([_unhex(e.prev_hash) for e in batch])
    columns.append([_unhex(e.hash) for e in batch])
    return columns


def _track_emails(batch: list[ExportedEvent], emails: dict[UUID, tuple[UUID, str | None]]) -> None:
    """Follow each lead's email as the write lane reserves it (`email_changes`, the one place that says so)."""
    for line in batch:
        if line.stream_type != "lead" or line.type not in ("LeadCreated", "LeadUpdated"):
            continue
        release, reserve = email_changes([load_event(line.type, msgspec.json.decode(line.data))])
        if release is not None or reserve is not None:
            emails[line.stream_id] = (line.account_id, reserve)


def _hex(value: bytes | None) -> str | None:
    return None if value is None else value.hex()


def _unhex(value: str | None) -> bytes | None:
    return None if value is None else bytes.fromhex(value)
