"""The account stream: each administrative change appends its event in the transaction that makes it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgspec
from uuid_utils.compat import uuid7

from leadstore.domain.account_events import AccountEvent, account_event_data
from leadstore.store.db import Conn

# migration 055: queue on the account row, link to the stream's last hash, insert, wake the readers
APPEND = "SELECT position, transaction_id, version FROM append_account_event($1, $2, $3, $4, $5, $6)"
# What every administrative change takes first, so that what it reads before writing stays true.
LOCK_ACCOUNT = "SELECT 1 FROM accounts WHERE id = $1 FOR NO KEY UPDATE"


class AdminChange(msgspec.Struct, frozen=True):
    """Who changes an account's administration and from where: what its events record as metadata."""

    account_id: UUID
    metadata: dict[str, Any]


def by_command_line(account_id: UUID, command: str) -> AdminChange:
    """A change made with the `leadstore` command line: no user or key acted, the operator did."""
    actor = {"user_id": None, "email": None, "api_key_id": None}
    return AdminChange(account_id, {"actor": actor, "request": {"method": "CLI", "path": command}})


async def lock_account(conn: Conn, account_id: UUID) -> None:
    """Queue behind the account's other administrative changes (inside a transaction)."""
    await conn.execute(LOCK_ACCOUNT, account_id)


async def record(conn: Conn, change: AdminChange, event: AccountEvent) -> None:
    """Append `event` to the account's stream, in the caller's transaction."""
    kind = type(event).__name__
    occurred = datetime.now(UTC)
    await conn.execute(APPEND, change.account_id, uuid7(), kind, account_event_data(event), change.metadata, occurred)
