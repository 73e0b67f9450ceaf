"""What the write lane needs from storage, as a protocol, and its PostgreSQL implementation.

A session is one connection's worth of work: lock-free (each statement its own transaction, DESIGN.md
decision 2 way b) or locked (one transaction that takes the stream's and the rotation's advisory locks
as it reads them, way a). `store.memory.InMemoryLeadStore` keeps the same contract in a process's memory
for fast tests; `tests/integration/test_lead_store_contract.py` holds both to it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Protocol
from uuid import UUID

import asyncpg

from leadstore.domain.rules import Rules
from leadstore.store import command_writes
from leadstore.store import events as store
from leadstore.store.command_writes import CommandWrite
from leadstore.store.db import Conn
from leadstore.store.encryption import DataKey
from leadstore.store.notifier import Notifier
from leadstore.store.rules import config_version, load_rules


class LeadSession(Protocol):
    async def load_rules(self, account_id: UUID) -> Rules:
        """The account's current rules."""
        ...

    async def rules_version(self, account_id: UUID) -> int:
        """The account's configuration version as committed now."""
        ...

    async def read_stream(self, lead_id: UUID) -> list[store.RecordedEvent]:
        """The lead's events in version order; in a locked session, under the stream's lock."""
        ...

    async def rotation_pointer(self, account_id: UUID, team_id: UUID | None) -> int:
        """A rotation's pointer (the account's default one when `team_id` is None); in a locked session,
        under the rotation's lock."""
        ...

    async def write(self, w: CommandWrite) -> list[store.RecordedEvent]:
        """Write a command atomically, or raise what refused it (nothing written)."""
        ...


class LeadStore(Protocol):
    def session(self, *, locked: bool, hold_rules: bool = False) -> contextlib.AbstractAsyncContextManager[LeadSession]:
        """A session; a locked one commits when the block ends without an error. A locked one that holds the
        rules keeps the account's configuration from changing from its `load_rules` until it ends."""
        ...

    def committed(self) -> None:
        """A write committed: wake the log's readers."""
        ...

    async def close(self) -> None: ...


# Administrative changes queue on the account row FOR NO KEY UPDATE (migration 055), which waits for this.
HOLD_RULES = "SELECT 1 FROM accounts WHERE id = $1 FOR SHARE"


class PostgresSession:
    def __init__(self, conn: Conn, *, locked: bool, hold_rules: bool = False, encrypt: bool = True) -> None:
        self.conn = conn
        self.locked = locked
        self.hold_rules = hold_rules and locked
        self.encrypt = encrypt
        self.keys: dict[UUID, DataKey] = {}  # the data keys reading streams found, to seal the next events

    async def load_rules(self, account_id: UUID) -> Rules:
        if self.hold_rules:
            await self.conn.execute(HOLD_RULES, account_id)
        return await load_rules(self.conn, account_id)

    async def rules_version(self, account_id: UUID) -> int:
        return await config_version(self.conn, account_id)

    async def read_stream(self, lead_id: UUID) -> list[store.RecordedEvent]:
        if self.locked:
            return await store.lock_and_read_stream(self.conn, lead_id, self.keys)
        return await store.read_stream(self.conn, lead_id, keys=self.keys)

    async def rotation_pointer(self, account_id: UUID, team_id: UUID | None) -> int:
        read = command_writes.lock_rotation if self.locked else command_writes.rotation_pointer
        return await read(self.conn, account_id, team_id)

    async def write(self, w: CommandWrite) -> list[store.RecordedEvent]:
        return await command_writes.write(self.conn, w, key=self.keys.get(w.stream_id), encrypt=self.encrypt)


class PostgresLeadStore:
    """Sessions over a pool's connections; readers woken by the notifier after commits. `encrypt=False` writes
    personal values in plaintext: only benchmarks build it so, to measure what encryption costs."""

    def __init__(self, pool: asyncpg.Pool, *, encrypt: bool = True) -> None:
        self.pool = pool
        self.notifier = Notifier(pool)
        self.encrypt = encrypt

    @contextlib.asynccontextmanager
    async def session(self, *, locked: bool, hold_rules: bool = False) -> AsyncIterator[LeadSession]:
        async with self.pool.acquire() as conn:
            if not locked:
                yield PostgresSession(conn, locked=False, encrypt=self.encrypt)
                return
            async with conn.transaction():
                yield PostgresSession(conn, locked=True, hold_rules=hold_rules, encrypt=self.encrypt)

    def committed(self) -> None:
        self.notifier.committed()

    async def close(self) -> None:
        await self.notifier.close()
