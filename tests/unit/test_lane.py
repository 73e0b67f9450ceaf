"""The write lane over the in-memory store: retries, stale rules, rotation turns and idempotency, no SQL."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from uuid_utils.compat import uuid7

from leadstore.domain.commands import Actor, AssignLead, CreateLead, UpdateLead
from leadstore.domain.errors import DuplicateEmail, TeamRequired, VersionConflict
from leadstore.domain.rules import DefaultRotation, Rules, StatusRule, TeamRule
from leadstore.handler import Idempotency, LeadCommandHandler
from leadstore.store.memory import InMemoryLeadStore

STATUSES = [StatusRule("new", "open"), StatusRule("won", "won"), StatusRule("lost", "lost")]
META: dict[str, Any] = {"actor": {"user_id": None}, "request": {"id": "lane"}}


class Lane:
    """A handler over a fresh in-memory store with one account, acting as its admin."""

    def __init__(self, **rules: Any) -> None:
        self.store, self.account_id = InMemoryLeadStore(), uuid7()
        self.admin = Actor(user_id=uuid7(), role="admin", api_key_id=uuid7())
        users = frozenset({self.admin.user_id, *rules.pop("users", ())})
        self.store.configure(self.account_id, Rules(statuses=STATUSES, known_users=users, **rules))
        self.handler = LeadCommandHandler(self.store)

    async def create(self, **fields: Any) -> UUID:
        cmd = CreateLead(
            lead_id=uuid7(), account_id=self.account_id, actor=self.admin, now=datetime.now(UTC), fields=fields
        )
        return (await self.handler.execute(cmd, account_id=self.account_id, metadata=META)).lead.id

    async def patch(self, lead_id: UUID, **changes: Any) -> Any:
        cmd = UpdateLead(lead_id=lead_id, actor=self.admin, now=datetime.now(UTC), changes=changes)
        return await self.handler.execute(cmd, account_id=self.account_id, metadata=META)


async def test_fifty_concurrent_patches_of_one_lead_leave_contiguous_versions_and_lose_nothing() -> None:
    lane = Lane()
    lead = await lane.create(first_name="Ada")
    await asyncio.gather(*(lane.patch(lead, notes=f"writer {i}") for i in range(50)))
    stream = lane.store.streams[lead]
    notes = [event.data["changes"]["notes"] for event in stream[1:]]

    assert [event.version for event in stream] == list(range(1, 52))
    assert [note["from"] for note in notes] == [None] + [note["to"] for note in notes[:-1]]
    assert lane.handler.retries <= 50  # each writer loses its lock-free try at most once


async def test_fifty_concurrent_creates_with_one_email_leave_one_lead() -> None:
    lane = Lane()
    results = await asyncio.gather(*(lane.create(email="Same@Example.com") for _ in range(50)), return_exceptions=True)

    assert sum(isinstance(result, UUID) for result in results) == 1
    assert all(isinstance(result, DuplicateEmail) for result in results if not isinstance(result, UUID))


async def test_a_command_decided_on_rules_that_changed_meanwhile_is_decided_again() -> None:
    lane = Lane()
    lead = await lane.create(first_name="Ada")  # the handler has cached the rules
    lane.store.configure(lane.account_id, Rules(statuses=[StatusRule("fresh", "open"), *STATUSES]))
    patched = await lane.patch(lead, status="fresh")  # unknown to the cached rules: the refusal is checked

    assert patched.lead.status == "fresh"
    assert lane.handler.retries == 1


async def test_a_write_on_stale_rules_is_refused_by_the_store_and_decided_again_on_fresh_ones() -> None:
    lane = Lane()
    await lane.create(first_name="Ada")  # the handler has cached the rules: no teams
    with_teams = Rules(statuses=STATUSES, known_users=frozenset({lane.admin.user_id}), teams=[TeamRule(uuid7())])
    lane.store.configure(lane.account_id, with_teams)  # another process adds a team: the team rule applies
    with pytest.raises(TeamRequired):
        await lane.create(first_name="Bob")  # decided fine on the cached rules, refused on the fresh ones

    assert len(lane.store.streams) == 1 and lane.handler.retries == 1


async def test_turns_of_a_rotation_are_fair_under_concurrent_creates() -> None:
    members = (uuid7(), uuid7(), uuid7())
    lane = Lane(users=members, default_rotation=DefaultRotation(True, members))
    leads = await asyncio.gather(*(lane.create(first_name=f"R{i}") for i in range(30)))
    assigned = Counter(lane.store.streams[lead][-1].data["to"] for lead in leads)

    assert assigned == {str(member): 10 for member in members}


async def test_assigning_by_rotation_hands_the_lead_on() -> None:
    members = (uuid7(), uuid7())
    lane = Lane(users=members, default_rotation=DefaultRotation(True, members))
    lead = await lane.create(first_name="Ada")
    holder = lane.store.streams[lead][-1].data["to"]
    cmd = AssignLead(lead_id=lead, actor=lane.admin, now=datetime.now(UTC), rotation=True)
    outcome = await lane.handler.execute(cmd, account_id=lane.account_id, metadata=META)

    assert str(outcome.lead.assigned_to) != holder


async def test_if_match_on_another_version_is_a_conflict_and_never_retried() -> None:
    lane = Lane()
    lead = await lane.create(first_name="Ada")
    cmd = UpdateLead(lead_id=lead, actor=lane.admin, now=datetime.now(UTC), changes={"notes": "x"})
    with pytest.raises(VersionConflict):
        await lane.handler.execute(cmd, account_id=lane.account_id, metadata=META, expected_version=7)

    assert lane.handler.retries == 0 and len(lane.store.streams[lead]) == 1


async def test_an_idempotent_write_records_its_response_with_the_events() -> None:
    lane = Lane()
    lead = await lane.create(first_name="Ada")
    keyed = Idempotency("key-1", b"hash", 200, {})
    cmd = UpdateLead(lead_id=lead, actor=lane.admin, now=datetime.now(UTC), changes={"notes": "x"})
    outcome = await lane.handler.execute(cmd, account_id=lane.account_id, metadata=META, idempotency=keyed)
    stored = lane.store.responses[(lane.account_id, "key-1")]

    assert outcome.response is not None and stored.body == outcome.response.body
    assert stored.headers["leadstore-position"] == outcome.checkpoint.token() and stored.headers["etag"] == '"2"'
