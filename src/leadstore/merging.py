"""The merge lane (issue 14): commands that write several leads' streams in one transaction.

    lock and read every stream (sorted) -> fold -> decide -> events of each stream -> reservations

DESIGN.md decision 2, way (a), for several streams at once: the transaction takes the advisory lock of every
stream involved before it writes anything, in one fixed order (`store.merges.lock_order`) so that two merges
sharing a lead queue instead of deadlocking, reading each stream once its lock is granted; its first writes
are the event inserts. A lead command on one of these leads meanwhile waits for the locks, then
finds the stream moved on and is decided again on the merged lead (409 `lead_merged`), or it committed
first and the merge sees its event. The survivor's events are written last, with the idempotency record.

Encryption at rest (issue 13) covers the lane as it covers every command: the streams are read through
`events.lock_and_read_stream` and `read_stream`, which open sealed values, and each stream's events are
written by `command_writes.write` sealed with that stream's own lead's data key (LeadMerged's and
LeadUnmerged's `changes` with the survivor's). An erased lead takes part in no merge (409 `lead_erased`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from uuid import UUID

import asyncpg
import msgspec

from leadstore.documents import lead_document
from leadstore.domain.commands import MergeLeads, UnmergeLead
from leadstore.domain.errors import VersionConflict
from leadstore.domain.events import LEAD_STREAM, LeadEvent, LeadMerged, load_event
from leadstore.domain.merge import decide_merge, decide_unmerge, merge_record
from leadstore.domain.state import EventMeta, Lead, evolve
from leadstore.handler import Idempotency, Outcome
from leadstore.store import command_writes, merges
from leadstore.store import events as store
from leadstore.store.command_writes import CommandWrite
from leadstore.store.encryption import DataKey
from leadstore.store.idempotency import StoredResponse
from leadstore.store.rules import load_rules

if TYPE_CHECKING:
    from leadstore.metrics import Metrics
    from leadstore.store.lead_store import LeadStore

MAX_ATTEMPTS = 6
MAX_MERGE_DEPTH = 20  # leads merged into leads merged into ...: how deep an unmerge looks for their addresses
_encoder = msgspec.json.Encoder()
MergeCommand = MergeLeads | UnmergeLead


class MergeHandler:
    """Runs merges and unmerges over a pool; `lead_store` wakes the log's readers after a commit."""

    def __init__(self, pool: asyncpg.Pool, lead_store: LeadStore | None = None, metrics: Metrics | None = None):
        self.pool = pool
        self.lead_store = lead_store
        self.metrics = metrics

    async def execute(
        self,
        cmd: MergeCommand,
        *,
        account_id: UUID,
        metadata: dict[str, Any],
        visible: Callable[[Lead], bool] = lambda lead: True,
        expected_version: int | None = None,
        idempotency: Idempotency | None = None,
    ) -> Outcome:
        """Run a merge or unmerge; the outcome is the survivor's. A deadlock (none is expected: the locks are
        ordered) or a serialization failure is retried, a bounded number of times."""
        run = _Run(cmd, account_id, metadata, visible, expected_version, idempotency)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                outcome = await self._once(run)
            except (asyncpg.DeadlockDetectedError, asyncpg.SerializationError):
                if attempt == MAX_ATTEMPTS:
                    raise
                continue
            except Exception as exc:
                self._count(cmd, getattr(exc, "code", "error"))
                raise
            if self.lead_store is not None:
                self.lead_store.committed()
            self._count(cmd, "ok", run.appended)
            return outcome
        raise AssertionError("every attempt returns or raises")

    async def _once(self, run: _Run) -> Outcome:
        cmd, run.appended = run.cmd, 0
        async with self.pool.acquire() as conn:
            involved = {cmd.lead_id, *(await _named_leads(conn, cmd))}
            async with conn.transaction():
                keys: dict[UUID, DataKey] = {}  # each stream's data key: its new events are sealed with it
                streams = await merges.lock_and_read_streams(conn, involved, keys)
                leads = {lead_id: _visible(run, lead_id, streams.get(lead_id, [])) for lead_id in involved}
                survivor = leads[cmd.lead_id]
                if survivor is not None and run.expected_version not in (None, survivor.version):
                    raise VersionConflict(cmd.lead_id, run.expected_version, survivor.version)
                rules = await load_rules(conn, run.account_id)
                if isinstance(cmd, MergeLeads):
                    sources = {lead_id: leads.get(lead_id) for lead_id in cmd.sources}
                    decided = decide_merge(cmd, survivor, sources, rules)
                else:
                    record = merge_record(_typed(streams.get(cmd.lead_id, [])), cmd.merge_event_id)
                    merged = {lead_id: leads.get(lead_id) for lead_id in (record.event.merged if record else [])}
                    decided = decide_unmerge(cmd, survivor, record, merged, rules)
                assert survivor is not None, "the deciders refuse a missing survivor"
                return await self._write(conn, run, streams, leads, decided, keys)

    async def _write(
        self,
        conn: Any,
        run: _Run,
        streams: dict[UUID, list[store.RecordedEvent]],
        leads: dict[UUID, Lead | None],
        decided: dict[UUID, list[LeadEvent]],
        keys: dict[UUID, DataKey],
    ) -> Outcome:
        """Every stream's events, the survivor's last with the idempotency record; then the reservations."""
        cmd = run.cmd
        after: dict[UUID, Lead] = {}
        survivor_recorded: list[store.RecordedEvent] = []
        response: StoredResponse | None = None
        for lead_id in [*merges.lock_order(set(decided) - {cmd.lead_id}), cmd.lead_id]:
            lead, events = leads[lead_id], decided[lead_id]
            assert lead is not None
            after[lead_id] = _evolved(lead, events, cmd)
            is_survivor = lead_id == cmd.lead_id
            if is_survivor:
                response = _response(run.idempotency, after[lead_id])
            recorded = await command_writes.write(
                conn,
                CommandWrite(
                    account_id=run.account_id,
                    stream_id=lead_id,
                    stream_type=LEAD_STREAM,
                    expected_version=lead.version,
                    events=events,
                    metadata=run.metadata,
                    occurred_at=cmd.now,
                    api_key_id=cmd.actor.api_key_id,
                    idempotency_key=run.idempotency.key if run.idempotency and is_survivor else None,
                    response=response if is_survivor else None,
                    before=streams[lead_id][-1].checkpoint,
                    event_ids=_event_ids(cmd, events, is_survivor),
                ),
                key=keys.get(lead_id),  # personal values sealed with this stream's own lead's key (issue 13)
            )
            run.appended += len(recorded)
            if is_survivor:
                survivor_recorded = recorded
        others = [lead_id for lead_id in decided if lead_id != cmd.lead_id]
        if isinstance(cmd, MergeLeads):
            await merges.move_emails_to_survivor(conn, run.account_id, cmd.lead_id, others)
        else:
            held = {}
            for lead_id in others:
                for email in await _addresses_held(conn, after[lead_id], streams[lead_id]):
                    held[email.lower()] = lead_id
            await merges.give_emails_back(conn, run.account_id, cmd.lead_id, held)
        before = streams[cmd.lead_id][-1].checkpoint
        return Outcome(lead=after[cmd.lead_id], recorded=survivor_recorded, before=before, response=response)

    def _count(self, cmd: MergeCommand, outcome: str, appended: int = 0) -> None:
        if self.metrics is not None:
            self.metrics.observe_command(type(cmd).__name__, outcome, appended)


class _Run(msgspec.Struct):
    cmd: MergeCommand
    account_id: UUID
    metadata: dict[str, Any]
    visible: Callable[[Lead], bool]
    expected_version: int | None
    idempotency: Idempotency | None
    appended: int = 0  # events written to every stream (the outcome holds the survivor's)


async def _named_leads(conn: Any, cmd: MergeCommand) -> list[UUID]:
    """The other leads the command involves: a merge names them; an unmerge's are those its merge event
    names, read before the locks are taken (an event never changes, so the read can not go stale)."""
    if isinstance(cmd, MergeLeads):
        return list(cmd.sources)
    history = await store.read_stream(conn, cmd.lead_id)
    record = merge_record(_typed(history), cmd.merge_event_id)
    return [] if record is None else list(record.event.merged)


async def _addresses_held(conn: Any, lead: Lead, history: list[store.RecordedEvent], depth: int = 0) -> list[str]:
    """The addresses a lead held before it was merged: its own, and those of the leads merged into it (and
    into them), whose reservations it held and the merge moved on. Those leads are closed to writes while
    the lead is merged (an unmerge into a merged lead is refused), so their streams can be read unlocked."""
    found = [lead.email] if lead.email else []
    if depth >= MAX_MERGE_DEPTH:
        return found
    events = _typed(history)
    for event_id, event in events:
        record = merge_record(events, event_id) if isinstance(event, LeadMerged) else None
        if record is not None and not record.undone:
            for merged_id in record.event.merged:
                inner = await store.read_stream(conn, merged_id)
                if (folded := store.fold_recorded(inner)) is not None and folded.merged_into == lead.id:
                    found += await _addresses_held(conn, folded, inner, depth + 1)
    return found


def _typed(history: list[store.RecordedEvent]) -> list[tuple[UUID, LeadEvent]]:
    """A stream's events as (event id, domain event): what `merge_record` looks through. The one place this
    lane reads event data itself (states come from `store.fold_recorded`)."""
    return [(event.event_id, load_event(event.type, event.data)) for event in history]


def _visible(run: _Run, lead_id: UUID, history: list[store.RecordedEvent]) -> Lead | None:
    """The lead when it is the account's and the actor may see it; None (404 to the client) otherwise."""
    lead = store.fold_recorded(history)
    if lead is None or lead.account_id != run.account_id or not run.visible(lead):
        return None
    return lead


def _evolved(lead: Lead, events: list[LeadEvent], cmd: MergeCommand) -> Lead:
    for number, event in enumerate(events, start=lead.version + 1):
        lead = evolve(lead, event, EventMeta(lead.id, number, cmd.now))
    return lead


def _event_ids(cmd: MergeCommand, events: list[LeadEvent], is_survivor: bool) -> list[UUID] | None:
    """A merge's LeadMerged gets the id the command chose (each LeadMergedInto names it); others get fresh ids."""
    if isinstance(cmd, MergeLeads) and is_survivor:
        assert len(events) == 1, "a merge writes one LeadMerged on the survivor"
        return [cmd.merge_event_id]
    return None


def _response(idempotency: Idempotency | None, lead: Lead) -> StoredResponse | None:
    if idempotency is None:
        return None
    headers = idempotency.headers | {"etag": f'"{lead.version}"'}
    return StoredResponse(idempotency.request_hash, idempotency.status, headers, _encoder.encode(lead_document(lead)))
