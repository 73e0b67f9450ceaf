"""A command's whole write in one statement (migration 050): its events, the email reservation, the
rotation pointer and the idempotency record, after checks that refuse stale rules, a revoked key and a
rotation turn that moved. Everything a lead's write stores besides events is decided here, in one place."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from leadstore.domain.errors import DuplicateEmail, VersionConflict
from leadstore.domain.events import LeadCreated, LeadEvent, LeadUpdated, event_data, event_type
from leadstore.domain.rules import Turn
from leadstore.store import encryption
from leadstore.store.config import team_lock_keys
from leadstore.store.db import Conn
from leadstore.store.encryption import DataKey
from leadstore.store.erasure import (
    address_held_for,
    erase_lead_rows,
    erases,
    refuse_plaintext,
    release_held_address,
)
from leadstore.store.events import Checkpoint, NewEvent, RecordedEvent, stream_lock_key
from leadstore.store.idempotency import KeyTaken, StoredResponse

WRITE_COMMAND = """
SELECT position, transaction_id, prev_hash, hash FROM write_command(
    $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23,
    $24, $25, $26)"""
ROTATION_POINTER = "SELECT rotation_pointer($1, $2)"
LOCK_ROTATION = "SELECT lock_rotation($1, $2, $3, $4)"


class StaleRules(Exception):
    """The account's configuration moved on since the rules the command was decided on."""


class KeyRevoked(Exception):
    """The acting API key was revoked, or its user deactivated, since it was authenticated."""


class TurnMoved(Exception):
    """Another write took the rotation turn this command was decided with."""


class CommandWrite(msgspec.Struct, kw_only=True):
    """Everything one command writes; `events` may be empty when only an idempotency record is due."""

    account_id: UUID
    stream_id: UUID
    stream_type: str
    expected_version: int
    events: list[LeadEvent]
    metadata: dict[str, Any]
    occurred_at: datetime
    rules_version: int | None = None
    api_key_id: UUID | None = None
    turn: Turn | None = None
    idempotency_key: str | None = None
    response: StoredResponse | None = None
    before: Checkpoint | None = None
    event_ids: list[UUID] | None = None  # ids the command chose for its events (a merge names its LeadMerged)


def email_changes(events: list[LeadEvent]) -> tuple[str | None, str | None]:
    """The email a lead's new events free and the one they reserve (unique per account, any case)."""
    release = reserve = None
    for event in events:
        match event:
            case LeadCreated(email=str(email)):
                reserve = email
            case LeadUpdated(changes={"email": change}):
                release = release or change.from_
                reserve = change.to
            case _:
                pass
    return release, reserve


def rotation_lock_keys(account_id: UUID, team_id: UUID | None) -> tuple[int, int]:
    """The advisory-lock keys of a rotation: its team's (the lock team changes take too), or for the
    account's default rotation the account's (the lock `put_rotation` takes)."""
    return team_lock_keys(team_id or account_id)


async def rotation_pointer(conn: Conn, account_id: UUID, team_id: UUID | None) -> int:
    """A rotation's pointer as committed now (a team's, or the account's default rotation's)."""
    pointer: int | None = await conn.fetchval(ROTATION_POINTER, account_id, team_id)
    return pointer or 0


async def lock_rotation(conn: Conn, account_id: UUID, team_id: UUID | None) -> int:
    """Take the rotation's lock until the transaction ends (it writes nothing) and read its pointer."""
    pointer: int | None = await conn.fetchval(
        LOCK_ROTATION, account_id, team_id, *rotation_lock_keys(account_id, team_id)
    )
    return pointer or 0


async def write(
    conn: Conn, w: CommandWrite, *, key: DataKey | None = None, encrypt: bool = True
) -> list[RecordedEvent]:
    """Write the command in one statement; nothing of it is written when it raises.

    VersionConflict, DuplicateEmail, StaleRules, KeyRevoked, TurnMoved or KeyTaken tell why. A lead's personal
    values are sealed with its data key (issue 13): a new lead's is made here and stored with its events; an
    existing lead's is `key` (what reading its stream found) or looked up (`encryption.key_for_write`; DataKeyGone
    for an erased lead). KekMissing without a KEK: nothing is written in plaintext. `encrypt=False` exists only
    to measure what encryption costs.
    """
    new = [NewEvent(type=event_type(e), data=event_data(e), metadata=w.metadata) for e in w.events]
    if w.event_ids is not None:  # merges (issue 14): the ids the command chose
        new = [msgspec.structs.replace(e, event_id=i) for e, i in zip(new, w.event_ids, strict=True)]
    stored = [{"id": e.event_id, "type": e.type, "data": e.data} for e in new]
    if encrypt and new:
        key = await encryption.key_for_write(conn, w.stream_id, key, new_stream=w.expected_version == 0)
        for row, event in zip(stored, new, strict=True):
            row["data"], row["metadata"] = encryption.seal_event(key, event.event_id, event.data, event.metadata)
    release, reserve = email_changes(w.events)
    try:
        arguments = _arguments(w, stored, None if encrypt and new else w.metadata, release, reserve, key)
        if erases(w.events):
            # everything else the erasure removes goes in the event's own transaction, after the event
            async with conn.transaction():
                await refuse_plaintext(conn, w.stream_id)
                held = await address_held_for(conn, w.stream_id)  # a merged lead's, held by its survivor
                rows = await conn.fetch(WRITE_COMMAND, *arguments)
                await erase_lead_rows(conn, w.account_id, w.stream_id)
                await release_held_address(conn, w.account_id, held)
        else:
            rows = await conn.fetch(WRITE_COMMAND, *arguments)
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == "events_stream_version":
            raise VersionConflict(w.stream_id, w.expected_version, w.expected_version + 1) from exc
        if exc.constraint_name == "lead_emails_pkey":
            raise DuplicateEmail(reserve or "") from exc
        raise
    except asyncpg.PostgresError as exc:
        if (refusal := _refusal(exc, w)) is None:
            raise  # not one of write_command's refusals (a deadlock, say): the caller decides
        raise refusal from exc
    return [
        RecordedEvent(
            position=row["position"],
            event_id=event.event_id,
            account_id=w.account_id,
            stream_id=w.stream_id,
            stream_type=w.stream_type,
            version=w.expected_version + n,
            type=event.type,
            data=event.data,
            metadata=w.metadata,
            occurred_at=w.occurred_at,
            transaction_id=row["transaction_id"],
            prev_hash=row["prev_hash"],
            hash=row["hash"],
        )
        for n, (event, row) in enumerate(zip(new, rows, strict=True), start=1)
    ]


def _arguments(
    w: CommandWrite,
    stored: list[dict[str, Any]],
    metadata: dict[str, Any] | None,
    release: str | None,
    reserve: str | None,
    key: DataKey | None,
) -> tuple[Any, ...]:
    """write_command's parameters, in its order."""
    turn, response = w.turn, w.response
    locks = rotation_lock_keys(w.account_id, turn.team_id) if turn else (None, None)
    return (
        w.account_id,
        w.stream_id,
        w.stream_type,
        w.expected_version,
        stream_lock_key(w.stream_id) if w.expected_version else None,  # nobody else knows a new stream
        stored,
        metadata,
        w.occurred_at,
        w.rules_version,
        w.api_key_id,
        release,
        reserve,
        turn.team_id if turn else None,
        turn is not None,
        *locks,
        turn.pointer if turn else None,
        turn.next_pointer if turn else None,
        w.idempotency_key if response else None,
        response.request_hash if response else None,
        response.status if response else None,
        response.headers if response else None,
        response.body if response else None,
        w.before.token() if w.before else None,
        key.wrapped if key is not None and key.new else None,
        key.kek_id if key is not None and key.new else None,
    )


def _refusal(exc: asyncpg.PostgresError, w: CommandWrite) -> Exception | None:
    match exc.sqlstate:
        case "LS001":
            return StaleRules()
        case "LS002":
            return KeyRevoked()
        case "LS003":
            return TurnMoved()
        case "LS004":
            return KeyTaken(w.idempotency_key or "")
        case "LS005":
            return VersionConflict(w.stream_id, w.expected_version, w.expected_version - 1)
        case _:
            return None
