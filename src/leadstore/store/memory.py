"""The write lane's store kept in a process's memory: the LeadStore contract without PostgreSQL, for fast
tests of the lane (`tests/integration/test_lead_store_contract.py` holds it to the same contract as the
PostgreSQL store). Not for production: nothing survives the process.

A write is atomic because it does not await between its checks and its changes. A locked session holds
the stream's and the rotation's locks from the moment it reads them until it ends, and a lock-free write
queues behind a held stream lock, as the PostgreSQL store's write_command does.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from uuid import UUID

import msgspec
from uuid_utils.compat import uuid7

from leadstore.domain.errors import DuplicateEmail, VersionConflict
from leadstore.domain.events import event_data, event_type
from leadstore.domain.rules import Rules
from leadstore.store.command_writes import CommandWrite, KeyRevoked, StaleRules, TurnMoved, email_changes
from leadstore.store.erasure import erases
from leadstore.store.events import RecordedEvent
from leadstore.store.idempotency import KeyTaken, StoredResponse
from leadstore.store.lead_store import LeadSession

Rotation = tuple[UUID, UUID | None]  # (account, team or None for the account's default rotation)


class InMemoryLeadStore:
    def __init__(self) -> None:
        self.streams: dict[UUID, list[RecordedEvent]] = {}
        self.rules: dict[UUID, Rules] = {}
        self.pointers: dict[Rotation, int] = {}
        self.emails: dict[tuple[UUID, str], UUID] = {}
        self.responses: dict[tuple[UUID, str], StoredResponse] = {}
        self.revoked: set[UUID] = set()
        self.wakeups = 0
        self._positions = itertools.count(1)
        self._transactions = itertools.count(1000)
        self._locks: dict[object, asyncio.Lock] = {}

    def configure(self, account_id: UUID, rules: Rules) -> Rules:
        """Set an account's rules, as an admin's change would: the configuration version moves on."""
        previous = self.rules.get(account_id)
        version = previous.version + 1 if previous else 1
        self.rules[account_id] = msgspec.structs.replace(rules, version=version)
        return self.rules[account_id]

    def revoke(self, api_key_id: UUID) -> None:
        self.revoked.add(api_key_id)

    def lock(self, key: object) -> asyncio.Lock:
        return self._locks.setdefault(key, asyncio.Lock())

    @contextlib.asynccontextmanager
    async def session(self, *, locked: bool, hold_rules: bool = False) -> AsyncIterator[LeadSession]:
        # rules change here only between sessions' statements, never under a decision: nothing to hold
        session = MemorySession(self, locked=locked)
        try:
            yield session
        finally:
            session.release()

    def committed(self) -> None:
        self.wakeups += 1

    async def close(self) -> None:
        return None

    def apply(self, w: CommandWrite) -> list[RecordedEvent]:
        """Check, then change: no await in between, so a write is all or nothing."""
        rules = self.rules.get(w.account_id)
        if w.api_key_id is not None and w.api_key_id in self.revoked:
            raise KeyRevoked()
        if w.rules_version is not None and (rules is None or rules.version != w.rules_version):
            raise StaleRules()
        if w.turn is not None and self.pointers.get((w.account_id, w.turn.team_id), 0) != w.turn.pointer:
            raise TurnMoved()
        stream = self.streams.get(w.stream_id, [])
        if w.events and len(stream) != w.expected_version:
            raise VersionConflict(w.stream_id, w.expected_version, len(stream))
        release, reserve = email_changes(w.events)
        taken = self.emails.get((w.account_id, reserve.lower())) if reserve else None
        if reserve is not None and taken is not None and taken != w.stream_id:
            raise DuplicateEmail(reserve)
        idempotency = (w.account_id, w.idempotency_key) if w.idempotency_key else None
        if idempotency is not None and idempotency in self.responses:
            raise KeyTaken(w.idempotency_key or "")
        transaction_id = next(self._transactions)
        recorded = [
            RecordedEvent(
                position=next(self._positions),
                event_id=uuid7(),
                account_id=w.account_id,
                stream_id=w.stream_id,
                stream_type=w.stream_type,
                version=w.expected_version + n,
                type=event_type(event),
                data=event_data(event),
                metadata=w.metadata,
                occurred_at=w.occurred_at,
                transaction_id=transaction_id,
            )
            for n, event in enumerate(w.events, start=1)
        ]
        self.streams[w.stream_id] = stream + recorded
        if release is not None:
            self.emails.pop((w.account_id, release.lower()), None)
        if reserve is not None:
            self.emails[(w.account_id, reserve.lower())] = w.stream_id
        if erases(w.events):  # an erased lead's address is free (its idempotency responses: PostgreSQL only)
            self.emails = {key: lead for key, lead in self.emails.items() if lead != w.stream_id}
        if w.turn is not None:
            self.pointers[(w.account_id, w.turn.team_id)] = w.turn.next_pointer
        if idempotency is not None and w.response is not None:
            last = recorded[-1].checkpoint if recorded else w.before
            headers = w.response.headers | ({"leadstore-position": last.token()} if last else {})
            self.responses[idempotency] = msgspec.structs.replace(w.response, headers=headers)
        return recorded


class MemorySession:
    def __init__(self, store: InMemoryLeadStore, *, locked: bool) -> None:
        self.store = store
        self.locked = locked
        self._held: list[asyncio.Lock] = []

    async def load_rules(self, account_id: UUID) -> Rules:
        rules = self.store.rules.get(account_id)
        if rules is None:
            raise LookupError(f"no rules for account {account_id}: configure them first")
        return rules

    async def rules_version(self, account_id: UUID) -> int:
        rules = self.store.rules.get(account_id)
        return rules.version if rules else 0

    async def read_stream(self, lead_id: UUID) -> list[RecordedEvent]:
        if self.locked:
            await self._hold(lead_id)
        return list(self.store.streams.get(lead_id, []))

    async def rotation_pointer(self, account_id: UUID, team_id: UUID | None) -> int:
        if self.locked:
            await self._hold((account_id, team_id))
        return self.store.pointers.get((account_id, team_id), 0)

    async def write(self, w: CommandWrite) -> list[RecordedEvent]:
        """Apply the write, queueing first behind any session that holds its stream's or rotation's lock."""
        keys: list[object] = [w.stream_id] if w.expected_version else []  # nobody else knows a new stream
        keys += [(w.account_id, w.turn.team_id)] if w.turn else []
        async with contextlib.AsyncExitStack() as waiting:
            for lock in (self.store.lock(key) for key in keys):
                if lock not in self._held:
                    await waiting.enter_async_context(lock)
            return self.store.apply(w)

    async def _hold(self, key: object) -> None:
        lock = self.store.lock(key)
        if lock not in self._held:
            await lock.acquire()
            self._held.append(lock)

    def release(self) -> None:
        while self._held:
            self._held.pop().release()
