"""The write lane: every lead command runs here, top to bottom.

    rules (cached) -> load the lead -> take a rotation turn if the command wants one -> decide -> write

A command is tried first without locks (DESIGN.md decision 2, way b): the lead is read as committed, and
its events, email reservation, rotation pointer and idempotency record are written by one statement that
also refuses stale rules, a revoked key and a rotation turn that moved. A create of a fresh lead reads
nothing, so it is one round trip (two with a rotation turn). When another writer got in first (a version
conflict, a turn that moved), the command runs again in the locked lane (way a): one transaction that
takes the stream's advisory lock, then the rotation's, before it reads. Stale rules are reloaded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from uuid import UUID

import asyncpg
import msgspec

from leadstore.documents import lead_document
from leadstore.domain.commands import Command, CreateLead
from leadstore.domain.errors import LeadNotFound, LeadstoreError, VersionConflict
from leadstore.domain.events import LEAD_STREAM, LeadEvent
from leadstore.domain.lead import decide
from leadstore.domain.rotation import pick_turn, rotation_for
from leadstore.domain.rules import Context, Rules, Turn
from leadstore.domain.state import EventMeta, Lead, evolve
from leadstore.store import events as store
from leadstore.store.command_writes import CommandWrite, KeyRevoked, StaleRules, TurnMoved
from leadstore.store.encryption import DataKeyGone
from leadstore.store.idempotency import StoredResponse
from leadstore.store.lead_store import LeadSession, LeadStore
from leadstore.store.rules import RulesCache

if TYPE_CHECKING:
    from leadstore.metrics import Metrics

MAX_ATTEMPTS = 6
# outcomes of the lane's own refusals, which carry no error code (every LeadstoreError does)
LANE_OUTCOMES: dict[type[Exception], str] = {
    StaleRules: "stale_rules",
    TurnMoved: "turn_moved",
    KeyRevoked: "key_revoked",
}
_encoder = msgspec.json.Encoder()


class Idempotency(msgspec.Struct, frozen=True):
    """An Idempotency-Key to record with the command's write, and the response it will replay: `status`
    and the `headers` known before the write (the ETag, the body and the position are added by the lane).
    A `body` given here is recorded instead of the lead's document (an import row keeps only its lead's id)."""

    key: str
    request_hash: bytes
    status: int
    headers: dict[str, str]
    body: bytes | None = None


class Outcome(msgspec.Struct, kw_only=True):
    """What a command did: the lead after it, the events it appended (none for a no-op), and the response
    recorded under its idempotency key, if it had one."""

    lead: Lead
    recorded: list[store.RecordedEvent]
    before: store.Checkpoint | None = None  # the lead's latest event before the command, when it existed
    response: StoredResponse | None = None

    @property
    def checkpoint(self) -> store.Checkpoint:
        """The lead's latest event now: the last one appended, or for a no-op the one it already had."""
        last = self.recorded[-1].checkpoint if self.recorded else self.before
        assert last is not None, "a lead without events"
        return last


class LeadCommandHandler:
    def __init__(self, store: LeadStore, rules: RulesCache | None = None, metrics: Metrics | None = None) -> None:
        self.store = store
        self.rules = rules or RulesCache()
        self.metrics = metrics
        self.retries = 0  # commands run again: another writer first, stale rules, a deadlock

    async def execute(
        self,
        cmd: Command,
        *,
        account_id: UUID,
        metadata: dict[str, Any],
        visible: Callable[[Lead], bool] = lambda lead: True,
        expected_version: int | None = None,
        idempotency: Idempotency | None = None,
    ) -> Outcome:
        """Run a command. Another writer first is retried (bounded) in the locked lane, unless the client
        named the version it expected (If-Match)."""
        run = _Run(cmd, account_id, metadata, visible, expected_version, idempotency)
        try:
            outcome = await self._attempts(run)
        except Exception as exc:
            self._count(run.cmd, outcome_of(exc))
            raise
        self._count(run.cmd, "ok" if outcome.recorded else "unchanged", len(outcome.recorded))
        return outcome

    async def _attempts(self, run: _Run) -> Outcome:
        expected_version = run.expected_version
        locked = hold = False
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                async with self.store.session(locked=locked or hold, hold_rules=hold) as session:
                    outcome = await self._once(session, run)
                if outcome.recorded:
                    self.store.committed()
                return outcome
            except (StaleRules, _Redecide) as exc:
                if attempt == MAX_ATTEMPTS:
                    raise StaleRules() from exc  # the configuration kept changing: 503, retry later
                if isinstance(exc, StaleRules):
                    run.rules, run.stale = None, True
                    # the configuration changed under the command twice: hold it still for the next try, so
                    # that a burst of administrative changes can not starve lead writes
                    hold = hold or attempt >= 2
            except (TurnMoved, VersionConflict):
                if expected_version is not None or attempt == MAX_ATTEMPTS:
                    raise
                locked = True
            except DataKeyGone:
                # Erasure (issue 13): the lock-free lane read the lead's events before an erasure committed and
                # its data key after. Under the stream's lock the lane reads both on one side of it; a key gone
                # there, with no erasure in the stream, is a fault to report.
                if locked:
                    raise
                locked = True
            except (asyncpg.DeadlockDetectedError, asyncpg.SerializationError):
                # Two commands on different leads can still meet on a shared row (two leads swapping email
                # addresses wait on each other's reservation); PostgreSQL rolls one back whole.
                if attempt == MAX_ATTEMPTS:
                    raise
            self.retries += 1
        raise AssertionError("every attempt returns or raises")

    async def close(self) -> None:
        await self.store.close()

    def _count(self, cmd: Command, outcome: str, appended: int = 0) -> None:
        if self.metrics is not None:
            self.metrics.observe_command(type(cmd).__name__, outcome, appended)

    async def _once(self, session: LeadSession, run: _Run) -> Outcome:
        cmd = run.cmd
        if run.rules is None:
            run.rules = await (self.rules.reload if run.stale else self.rules.get)(session, run.account_id)
        rules = run.rules
        lead, before = await _load(session, run)
        turn = await _turn(session, cmd, lead, rules, run.account_id)
        try:
            new_events = decide(cmd, lead, Context(rules, turn))
        except LeadstoreError:
            # a refusal on cached rules stands only if they are current (a user or field added a moment ago)
            if (fresher := await self.rules.fresher(session, run.account_id, rules)) is None:
                raise
            run.rules = fresher
            raise _Redecide() from None
        version = lead.version if lead else 0
        after = _evolved(lead, new_events, cmd.lead_id, version, cmd)
        if after is None:
            raise LeadNotFound(cmd.lead_id)
        response = _response(run.idempotency, after)
        if not new_events and response is None:
            return Outcome(lead=after, recorded=[], before=before)
        write = CommandWrite(
            account_id=run.account_id,
            stream_id=cmd.lead_id,
            stream_type=LEAD_STREAM,
            expected_version=version,
            events=new_events,
            metadata=run.metadata,
            occurred_at=cmd.now,
            rules_version=rules.version,
            api_key_id=cmd.actor.api_key_id,
            turn=turn if _takes(turn, new_events) else None,
            idempotency_key=run.idempotency.key if run.idempotency else None,
            response=response,
            before=before,
        )
        recorded = await session.write(write)
        return Outcome(lead=after, recorded=recorded, before=before, response=response)


def outcome_of(error: Exception) -> str:
    """The `outcome` label of a command that raised: its error code, the lane's refusal, or `error`."""
    if isinstance(error, LeadstoreError):
        return error.code
    return LANE_OUTCOMES.get(type(error), "error")


class _Redecide(Exception):
    """The command was refused on rules that turned out to be old: decide again on the current ones."""


class _Run:
    """One command's journey through the lane, across its attempts."""

    def __init__(
        self,
        cmd: Command,
        account_id: UUID,
        metadata: dict[str, Any],
        visible: Callable[[Lead], bool],
        expected_version: int | None,
        idempotency: Idempotency | None,
    ) -> None:
        self.cmd = cmd
        self.account_id = account_id
        self.metadata = metadata
        self.visible = visible
        self.expected_version = expected_version
        self.idempotency = idempotency
        self.rules: Rules | None = None
        self.stale = False  # the rules in the cache are known to be old


async def _load(session: LeadSession, run: _Run) -> tuple[Lead | None, store.Checkpoint | None]:
    """The lead (None for a create: its id is fresh) and its latest position; LeadNotFound when it is
    another account's or hidden from the actor; VersionConflict when If-Match named another version."""
    if isinstance(run.cmd, CreateLead):
        return None, None
    lead_id = run.cmd.lead_id
    history = await session.read_stream(lead_id)
    lead = store.fold_recorded(history)
    if lead is None or lead.account_id != run.account_id or not run.visible(lead):
        raise LeadNotFound(lead_id)
    if run.expected_version is not None and run.expected_version != lead.version:
        raise VersionConflict(lead_id, run.expected_version, lead.version)
    return lead, history[-1].checkpoint


async def _turn(session: LeadSession, cmd: Command, lead: Lead | None, rules: Rules, account_id: UUID) -> Turn | None:
    """The rotation turn the command wants, at the rotation's pointer: read as committed, or under the
    rotation's lock in the locked lane."""
    rotation = rotation_for(cmd, lead, rules)
    if rotation is None:
        return None
    pointer = await session.rotation_pointer(account_id, rotation.team_id)
    return pick_turn(rotation, pointer, lead.assigned_to if lead else None)


def _takes(turn: Turn | None, events: list[LeadEvent]) -> bool:
    """Whether the decided events spent the turn (a refusal or a no-op leaves the pointer alone)."""
    return turn is not None and any(getattr(event, "by_rotation", False) for event in events)


def _evolved(lead: Lead | None, events: list[LeadEvent], lead_id: UUID, version: int, cmd: Command) -> Lead | None:
    for number, event in enumerate(events, start=version + 1):
        lead = evolve(lead, event, EventMeta(lead_id, number, cmd.now))
    return lead


def _response(idempotency: Idempotency | None, lead: Lead) -> StoredResponse | None:
    if idempotency is None:
        return None
    headers = idempotency.headers | {"etag": f'"{lead.version}"'}
    body = idempotency.body if idempotency.body is not None else _encoder.encode(lead_document(lead))
    return StoredResponse(idempotency.request_hash, idempotency.status, headers, body)
