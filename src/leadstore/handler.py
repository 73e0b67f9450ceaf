"""The lead command handler: lock the stream, load, fold, decide, append, in one short transaction."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from leadstore.domain.commands import Actor, AssignLead, Command, CreateLead, Rules
from leadstore.domain.errors import DuplicateEmail, FieldError, LeadNotFound, ValidationFailed, VersionConflict
from leadstore.domain.events import LeadCreated, LeadEvent, LeadUpdated, event_data, event_type, load_event
from leadstore.domain.lead import EventMeta, Lead, decide, evolve
from leadstore.store import events as store
from leadstore.store.config import active_users, advance_rotation, next_rotation_turn
from leadstore.store.db import Conn
from leadstore.store.rules import load_rules

STREAM_TYPE = "lead"
MAX_ATTEMPTS = 5

RESERVE_EMAIL = """
INSERT INTO lead_emails (account_id, email_lower, lead_id) VALUES ($1, lower($2), $3)
ON CONFLICT DO NOTHING RETURNING lead_id"""
RELEASE_EMAIL = "DELETE FROM lead_emails WHERE account_id = $1 AND email_lower = lower($2) AND lead_id = $3"

AfterAppend = Callable[[Conn, "Outcome"], Awaitable[None]]
# The account's rules, loaded at most once per transaction however many parts of it ask.
RulesSource = Callable[[], Awaitable[Rules]]


class ByRotation(msgspec.Struct, frozen=True, kw_only=True):
    """Assign the lead to the next member of its team's rotation. Not a domain command: the handler picks
    the member (under the team's rotation lock), appends the AssignLead's event, then advances the pointer."""

    lead_id: UUID
    actor: Actor
    now: datetime
    rules: Rules


# What execute_many runs: the commands to apply, given the locked, current lead, the connection (for reads
# inside the same transaction) and the account's rules.
Plan = Callable[[Conn, Lead, RulesSource], Awaitable[Sequence[Command | ByRotation]]]


class Outcome(msgspec.Struct, kw_only=True):
    """What a command did: the lead after it and the events it appended (none for a no-op)."""

    lead: Lead
    recorded: list[store.RecordedEvent]
    before: store.Checkpoint | None = None  # the lead's latest event before the command, when it existed

    @property
    def position(self) -> store.Checkpoint:
        """The lead's latest event now: the last one appended, or for a no-op the one it already had."""
        last = self.recorded[-1].checkpoint if self.recorded else self.before
        assert last is not None, "a lead without events"
        return last


def fold_recorded(recorded: list[store.RecordedEvent]) -> Lead | None:
    """The lead as its stored events make it."""
    lead: Lead | None = None
    for event in recorded:
        lead = evolve(
            lead, load_event(event.type, event.data), EventMeta(event.stream_id, event.version, event.occurred_at)
        )
    return lead


def referenced_users(cmd: Command | ByRotation) -> list[UUID]:
    """The user ids a command names, which the rules must say are active users of the account."""
    match cmd:
        case CreateLead():
            raw = cmd.fields.get("assigned_to")
            with contextlib.suppress(ValueError, TypeError, AttributeError):
                return [UUID(raw)] if raw else []
            return []
        case AssignLead() if cmd.assigned_to is not None:
            return [cmd.assigned_to]
        case _:
            return []


class LeadCommandHandler:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.retries = 0  # version conflicts retried: the stream lock should keep this at zero

    async def _retrying(self, attempt: Callable[[], Awaitable[Outcome]], expected_version: int | None) -> Outcome:
        """Run `attempt`, again after a version conflict (bounded); never when the client named a version."""
        for number in range(1, MAX_ATTEMPTS + 1):
            try:
                return await attempt()
            except VersionConflict:
                if expected_version is not None or number == MAX_ATTEMPTS:
                    raise
                self.retries += 1
            except (asyncpg.DeadlockDetectedError, asyncpg.SerializationError):
                # Two commands on different leads can still meet on a shared row: two leads swapping email
                # addresses wait on each other's reservation. PostgreSQL rolls one back whole; run it again.
                if number == MAX_ATTEMPTS:
                    raise
                self.retries += 1
        raise AssertionError("unreachable")

    async def execute(
        self,
        cmd: Command,
        *,
        account_id: UUID,
        metadata: dict[str, Any],
        visible: Callable[[Lead], bool] = lambda lead: True,
        expected_version: int | None = None,
        after_append: AfterAppend | None = None,
    ) -> Outcome:
        """Run a command; a version conflict is retried (bounded) unless the client sent If-Match."""
        return await self._retrying(
            lambda: self._execute_once(cmd, account_id, metadata, visible, expected_version, after_append),
            expected_version,
        )

    async def _execute_once(
        self,
        cmd: Command,
        account_id: UUID,
        metadata: dict[str, Any],
        visible: Callable[[Lead], bool],
        expected_version: int | None,
        after_append: AfterAppend | None,
    ) -> Outcome:
        async with self.pool.acquire() as conn, conn.transaction():
            lead, before = await _locked(conn, cmd.lead_id, account_id, visible, expected_version)
            version = lead.version if lead else 0
            if hasattr(cmd, "rules"):
                rules = await load_rules(conn, account_id, referenced_users(cmd))
                cmd = msgspec.structs.replace(cmd, rules=rules)
            new_events = decide(cmd, lead)
            recorded = await self._append(conn, account_id, cmd, version, new_events, metadata)
            lead = _evolve_all(lead, new_events, recorded)
            if isinstance(cmd, CreateLead) and lead is not None and lead.assigned_to is None:
                by_rotation = ByRotation(lead_id=lead.id, actor=cmd.actor, now=cmd.now, rules=cmd.rules)
                if turn := await self._rotate(conn, by_rotation, lead, metadata):
                    lead = _evolve_all(lead, *turn)
                    recorded += turn[1]
            if lead is None:
                raise LeadNotFound(cmd.lead_id)
            outcome = Outcome(lead=lead, recorded=recorded, before=before)
            if after_append is not None:
                await after_append(conn, outcome)
            return outcome

    # --- several commands on one existing lead, atomically (PATCH, rotation): added for the HTTP API ---

    async def execute_many(
        self,
        lead_id: UUID,
        plan: Plan,
        *,
        account_id: UUID,
        metadata: dict[str, Any],
        visible: Callable[[Lead], bool] = lambda lead: True,
        expected_version: int | None = None,
        after_append: AfterAppend | None = None,
    ) -> Outcome:
        """Run the commands `plan` makes for the locked lead in one transaction: all their events or none.

        The validation errors of every command are reported together; a version conflict is retried
        (bounded) unless the client sent If-Match.
        """

        async def once() -> Outcome:
            async with self.pool.acquire() as conn, conn.transaction():
                lead, before = await _locked(conn, lead_id, account_id, visible, expected_version)
                if lead is None:
                    raise LeadNotFound(lead_id)
                rules = _rules_once(conn, account_id)
                commands = await _with_rules(conn, account_id, await plan(conn, lead, rules), rules)
                outcome = await self._run_plan(conn, account_id, lead, commands, metadata)
                outcome.before = before
                if after_append is not None:
                    await after_append(conn, outcome)
                return outcome

        return await self._retrying(once, expected_version)

    async def _run_plan(
        self,
        conn: Conn,
        account_id: UUID,
        lead: Lead,
        commands: Sequence[Command | ByRotation],
        metadata: dict[str, Any],
    ) -> Outcome:
        recorded: list[store.RecordedEvent] = []
        problems: list[FieldError] = []
        for cmd in commands:
            if isinstance(cmd, ByRotation):
                if not problems:
                    turn = await self._rotate(conn, cmd, lead, metadata)
                    if turn is None:
                        message = "the lead's team does not rotate, or has no active members"
                        raise ValidationFailed([FieldError("rotation", "no_rotation", message)])
                    lead = _evolve_all(lead, *turn) or lead
                    recorded += turn[1]
                continue
            try:
                new_events = decide(cmd, lead)
            except ValidationFailed as exc:
                problems += exc.errors  # keep deciding, so every bad field of the request is listed
                continue
            if not problems:
                appended = await self._append(conn, account_id, cmd, lead.version, new_events, metadata)
                lead = _evolve_all(lead, new_events, appended) or lead
                recorded += appended
        if problems:
            raise ValidationFailed(problems)
        return Outcome(lead=lead, recorded=recorded)

    async def _append(
        self,
        conn: Conn,
        account_id: UUID,
        cmd: Command,
        version: int,
        new_events: list[LeadEvent],
        metadata: dict[str, Any],
    ) -> list[store.RecordedEvent]:
        if not new_events:
            return []
        recorded = await store.append(
            conn,
            account_id=account_id,
            stream_id=cmd.lead_id,
            stream_type=STREAM_TYPE,
            expected_version=version,
            occurred_at=cmd.now,
            events=[store.NewEvent(type=event_type(e), data=event_data(e), metadata=metadata) for e in new_events],
        )
        for event in new_events:  # reservations come after the event insert (DESIGN.md decision 2)
            await _reserve_emails(conn, account_id, cmd.lead_id, event)
        return recorded

    async def _rotate(
        self, conn: Conn, turn: ByRotation, lead: Lead, metadata: dict[str, Any]
    ) -> tuple[list[LeadEvent], list[store.RecordedEvent]] | None:
        """Assign the lead to the next active member of its team's rotation: the event insert first, then the
        rotation pointer (DESIGN.md decision 2). The events (none when the lead was already theirs) and their
        records; None when the team does not rotate or has no active member."""
        chosen = await next_rotation_turn(conn, lead.account_id, lead.team_id, lead.assigned_to)
        if chosen is None:
            return None
        assign = AssignLead(
            lead_id=lead.id,
            actor=turn.actor,
            now=turn.now,
            assigned_to=chosen.member,
            by_rotation=True,
            rules=Rules(statuses=turn.rules.statuses, known_users=frozenset({chosen.member})),
        )
        events = decide(assign, lead)
        recorded = await self._append(conn, lead.account_id, assign, lead.version, events, metadata)
        await advance_rotation(conn, chosen)
        return events, recorded


async def _locked(
    conn: Conn, lead_id: UUID, account_id: UUID, visible: Callable[[Lead], bool], expected: int | None
) -> tuple[Lead | None, store.Checkpoint | None]:
    """Lock and fold the stream (None for a new one) and its latest position; LeadNotFound when the lead is
    another account's or hidden from the actor; VersionConflict when If-Match named another version."""
    history = await store.lock_and_read_stream(conn, lead_id)
    lead = fold_recorded(history)
    if lead is not None and (lead.account_id != account_id or not visible(lead)):
        raise LeadNotFound(lead_id)
    version = lead.version if lead else 0
    if expected is not None and expected != version:
        raise VersionConflict(lead_id, expected, version)
    return lead, history[-1].checkpoint if history else None


def _rules_once(conn: Conn, account_id: UUID) -> RulesSource:
    loaded: list[Rules] = []

    async def rules() -> Rules:
        if not loaded:
            loaded.append(await load_rules(conn, account_id))
        return loaded[0]

    return rules


async def _with_rules(
    conn: Conn, account_id: UUID, commands: Sequence[Command | ByRotation], rules: RulesSource
) -> list[Command | ByRotation]:
    """The commands with the account's rules, and which of the users they name are its active users."""
    if not any(hasattr(cmd, "rules") for cmd in commands):
        return list(commands)
    loaded = await rules()
    if users := {user for cmd in commands for user in referenced_users(cmd)}:
        loaded = msgspec.structs.replace(
            loaded, known_users=frozenset(await active_users(conn, account_id, list(users)))
        )
    return [msgspec.structs.replace(cmd, rules=loaded) if hasattr(cmd, "rules") else cmd for cmd in commands]


def _evolve_all(lead: Lead | None, new_events: list[LeadEvent], recorded: list[store.RecordedEvent]) -> Lead | None:
    for event, stored in zip(new_events, recorded, strict=True):
        lead = evolve(lead, event, EventMeta(stored.stream_id, stored.version, stored.occurred_at))
    return lead


async def _reserve_emails(conn: Conn, account_id: UUID, lead_id: UUID, event: LeadEvent) -> None:
    match event:
        case LeadCreated(email=str(email)):
            await _reserve(conn, account_id, lead_id, email)
        case LeadUpdated(changes={"email": change}):
            if change.from_:
                await conn.execute(RELEASE_EMAIL, account_id, change.from_, lead_id)
            if change.to:
                await _reserve(conn, account_id, lead_id, change.to)
        case _:
            pass


async def _reserve(conn: Conn, account_id: UUID, lead_id: UUID, email: str) -> None:
    if await conn.fetchval(RESERVE_EMAIL, account_id, email, lead_id) is None:
        raise DuplicateEmail(email)
