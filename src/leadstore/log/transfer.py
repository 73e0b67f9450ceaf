"""Export the log as NDJSON (one event a line, with its hash) and import it into an empty database.

`data` and `metadata` travel as the exact text PostgreSQL gives for the stored jsonb, so the importing
database hashes the same canonical content and reproduces the chain bit for bit. Personal values travel as
stored, sealed (issue 13); the first line of each sealed lead in an export also carries the lead's data key,
wrapped as stored (`lead_key`): the importing side needs the same KEK (or it as LEADSTORE_KEK_PREVIOUS). An erased
lead has no key, so an export holds nothing of it that can be read.

`import --encrypt` is the way out for logs written before encryption: after the source chain verified, it
seals the plaintext personal values of such events with their leads' data keys (made as needed) and
recomputes the hash chain, which then differs from the source's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import IO, Any
from uuid import UUID

import msgspec

from leadstore.domain.events import load_event
from leadstore.log.integrity import LogReport, check_log
from leadstore.projection.rebuild import Progress
from leadstore.store import encryption
from leadstore.store.command_writes import email_changes
from leadstore.store.db import Conn
from leadstore.store.encryption import MARK, DataKey
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
EXPORT_KEYS = """
SELECT account_id, lead_id, wrapped_key, kek_id, created_at FROM lead_keys WHERE lead_id = ANY($1::uuid[])"""
INSERT_KEYS = """
INSERT INTO lead_keys (account_id, lead_id, wrapped_key, kek_id, created_at)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bytea[], $4::text[], $5::timestamptz[])
ON CONFLICT (lead_id) DO NOTHING"""
# The lead events an import --encrypt looks at: those not marked sealed.
UNSEALED = """
SELECT event_id, account_id, stream_id, data, metadata FROM events
WHERE stream_type = 'lead' AND NOT (metadata ? 'enc') ORDER BY position"""
SEAL = """
UPDATE events e SET data = t.data, metadata = t.metadata
FROM unnest($1::uuid[], $2::jsonb[], $3::jsonb[]) AS t(event_id, data, metadata) WHERE e.event_id = t.event_id"""
# Migration 020's chain, recomputed over what is stored now (the trigger is lifted in the import's transaction).
RECHAIN = """
WITH RECURSIVE chain AS (
    SELECT position, stream_id, version, NULL::bytea AS prev_hash,
           event_hash(NULL, event_id, account_id, stream_id, stream_type, version, type, data, metadata,
                      occurred_at) AS hash
    FROM events WHERE version = 1
    UNION ALL
    SELECT e.position, e.stream_id, e.version, c.hash,
           event_hash(c.hash, e.event_id, e.account_id, e.stream_id, e.stream_type, e.version, e.type, e.data,
                      e.metadata, e.occurred_at)
    FROM chain c JOIN events e ON e.stream_id = c.stream_id AND e.version = c.version + 1
)
UPDATE events e SET prev_hash = chain.prev_hash, hash = chain.hash FROM chain WHERE e.position = chain.position"""
LIFT_GUARD = "ALTER TABLE events DISABLE TRIGGER events_no_update_delete"
RESTORE_GUARD = "ALTER TABLE events ENABLE TRIGGER events_no_update_delete"
RESERVE_EMAILS = """
INSERT INTO lead_emails (account_id, email_lower, lead_id)
SELECT account_id, lower(email), lead_id
FROM unnest($1::uuid[], $2::text[], $3::uuid[]) AS t(account_id, email, lead_id)"""


class ExportedKey(msgspec.Struct, kw_only=True):
    """A lead's data key as stored: wrapped by the KEK `kek_id` names (never in the clear)."""

    account_id: UUID
    lead_id: UUID
    wrapped_key: str  # hex
    kek_id: str
    created_at: datetime


class ExportedEvent(msgspec.Struct, kw_only=True, omit_defaults=True):
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
    lead_key: ExportedKey | None = None  # on a sealed lead's first line in the export: its wrapped data key


class Imported(msgspec.Struct):
    """What an import did: events imported, and with --encrypt, events sealed and leads given a data key."""

    events: int
    sealed: int = 0
    new_keys: int = 0


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
    keyed: set[UUID] = set()
    while rows := await conn.fetch(EXPORT, after.transaction_id, after.position, batch_size, account_id):
        keys = await _keys_to_export(conn, rows, keyed)
        for row in rows:
            line = ExportedEvent(
                **{k: row[k] for k in ("event_id", "account_id", "stream_id", "stream_type", "version", "type")},
                occurred_at=row["occurred_at"],
                data=msgspec.Raw(row["data"].encode()),
                metadata=msgspec.Raw(row["metadata"].encode()),
                prev_hash=_hex(row["prev_hash"]),
                hash=_hex(row["hash"]),
                position=Checkpoint(row["transaction_id"], row["position"]).token(),
                lead_key=keys.pop(row["stream_id"], None),
            )
            out.write(_encoder.encode(line) + b"\n")
        written += len(rows)
        after = Checkpoint(rows[-1]["transaction_id"], rows[-1]["position"])
        if progress is not None:
            progress(written, after)
    return written


async def _keys_to_export(conn: Conn, rows: list[Any], keyed: set[UUID]) -> dict[UUID, ExportedKey]:
    """The wrapped data keys of the batch's sealed leads not exported yet (an erased lead has none)."""
    wanted = {row["stream_id"] for row in rows if row["stream_type"] == "lead" and f'"{MARK}"' in row["metadata"]}
    wanted -= keyed
    keyed |= wanted
    if not wanted:
        return {}
    return {
        key["lead_id"]: ExportedKey(**{**dict(key), "wrapped_key": key["wrapped_key"].hex()})
        for key in await conn.fetch(EXPORT_KEYS, list(wanted))
    }


async def import_events(
    conn: Conn,
    lines: Iterable[bytes],
    *,
    batch_size: int = 5000,
    progress: Progress | None = None,
    encrypt: bool = False,
) -> Imported:
    """Import an export into a database with no events, in one transaction, verifying the whole chain first.

    NotEmpty if the database has events; ChainBroken (and nothing imported) if the chain does not verify.
    Email reservations (lead_emails) and the leads' data keys are written for the imported leads. With
    `encrypt`, plaintext personal values (events from before encryption) are then sealed and the chain
    recomputed (and verified again).
    """
    async with conn.transaction():
        await conn.execute(LOCK_EVENTS)
        if await conn.fetchval(ANY_EVENT):
            raise NotEmpty("the database already has events: import only into an empty one")
        emails: dict[UUID, tuple[UUID, str | None]] = {}
        keys: dict[UUID, DataKey] = {}
        imported = 0
        for batch, key_lines in _batches(lines, batch_size):
            if key_lines:
                await _import_keys(conn, key_lines, keys)
            await conn.execute(INSERT, *_columns(batch))
            _track_emails(batch, emails, keys)
            imported += len(batch)
            if progress is not None:
                progress(imported, START)
        report = await check_log(conn)
        if not report.ok:
            raise ChainBroken(report)
        result = Imported(imported)
        if encrypt:
            result.sealed, result.new_keys = await _seal_plaintext(conn, keys, batch_size)
        held = [(account, email, lead) for lead, (account, email) in emails.items() if email]
        if held:
            await conn.execute(RESERVE_EMAILS, *(list(column) for column in zip(*held, strict=True)))
    return result


async def _import_keys(conn: Conn, lines: list[ExportedKey], keys: dict[UUID, DataKey]) -> None:
    ring = encryption.keyring()
    for line in lines:  # each opens with this KEK (or the previous one): KekMissing names the one missing
        keys[line.lead_id] = ring.stored_key(line.lead_id, bytes.fromhex(line.wrapped_key), line.kek_id)
    columns = [
        [k.account_id for k in lines],
        [k.lead_id for k in lines],
        [bytes.fromhex(k.wrapped_key) for k in lines],
        [k.kek_id for k in lines],
        [k.created_at for k in lines],
    ]
    await conn.execute(INSERT_KEYS, *columns)


async def _seal_plaintext(conn: Conn, keys: dict[UUID, DataKey], batch_size: int) -> tuple[int, int]:
    """Seal every plaintext personal value in the imported log with its lead's data key, store the keys made
    for it, and recompute the chain; (events sealed, keys made). ChainBroken if it then fails to verify."""
    ring = encryption.keyring()
    updates: list[tuple[UUID, dict[str, Any], dict[str, Any]]] = []
    made: list[tuple[UUID, DataKey]] = []
    for row in await conn.fetch(UNSEALED):
        if not encryption.has_plaintext(row["data"], row["metadata"]):
            continue
        key = keys.get(row["stream_id"])
        if key is None:
            key = keys[row["stream_id"]] = ring.new_key(row["stream_id"])
            made.append((row["account_id"], key))
        updates.append((row["event_id"], *encryption.seal_event(key, row["event_id"], row["data"], row["metadata"])))
    if not updates:
        return 0, 0
    if made:
        columns = [[a for a, _ in made], [k.lead_id for _, k in made], [k.wrapped for _, k in made]]
        await conn.execute(INSERT_KEYS, *columns, [ring.current_id] * len(made), [datetime.now(UTC)] * len(made))
    await conn.execute(LIFT_GUARD)
    for start in range(0, len(updates), batch_size):
        chunk = updates[start : start + batch_size]
        await conn.execute(SEAL, *(list(column) for column in zip(*chunk, strict=True)))
    await conn.execute(RECHAIN)
    await conn.execute(RESTORE_GUARD)
    report = await check_log(conn)
    if not report.ok:
        raise ChainBroken(report)
    return len(updates), len(made)


def _batches(lines: Iterable[bytes], size: int) -> Iterator[tuple[list[ExportedEvent], list[ExportedKey]]]:
    """The export's events `size` at a time, each batch with the data keys its lines carry."""
    batch: list[ExportedEvent] = []
    key_lines: list[ExportedKey] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            event = _decoder.decode(line)
        except msgspec.DecodeError as exc:
            raise ValueError(f"line {number}: not an exported event: {exc}") from None
        batch.append(event)
        if event.lead_key is not None:
            key_lines.append(event.lead_key)
        if len(batch) == size:
            yield batch, key_lines
            batch, key_lines = [], []
    if batch:
        yield batch, key_lines


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


def _track_emails(
    batch: list[ExportedEvent], emails: dict[UUID, tuple[UUID, str | None]], keys: dict[UUID, DataKey]
) -> None:
    """Follow each lead's email as the write lane reserves it (`email_changes`, the one place that says so);
    a sealed one opened with the lead's key (an erased lead's is gone, and so is its reservation)."""
    for line in batch:
        if line.stream_type != "lead" or line.type not in ("LeadCreated", "LeadUpdated"):
            continue
        data = msgspec.json.decode(line.data)
        metadata = msgspec.json.decode(line.metadata)
        if metadata.get(MARK):
            key = keys.get(line.stream_id)
            data, _ = encryption.open_event_parts(None if key is None else key.aead, line.event_id, data, {})
        release, reserve = email_changes([load_event(line.type, data)])
        if release is not None or reserve is not None:
            emails[line.stream_id] = (line.account_id, reserve)


def _hex(value: bytes | None) -> str | None:
    return None if value is None else value.hex()


def _unhex(value: str | None) -> bytes | None:
    return None if value is None else bytes.fromhex(value)
