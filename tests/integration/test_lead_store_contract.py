"""The LeadStore contract: the PostgreSQL store and the in-memory one pass the same tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from uuid_utils.compat import uuid7

from leadstore.bootstrap import Container
from leadstore.domain.errors import DuplicateEmail, VersionConflict
from leadstore.domain.events import LEAD_STREAM, Change, LeadCreated, LeadEvent, LeadUpdated
from leadstore.domain.rules import DefaultRotation, Rules, StatusRule, Turn
from leadstore.store import config, people
from leadstore.store.account_log import by_command_line
from leadstore.store.accounts import NewAccount
from leadstore.store.command_writes import CommandWrite, KeyRevoked, StaleRules, TurnMoved
from leadstore.store.idempotency import KeyTaken, StoredResponse
from leadstore.store.lead_store import LeadStore
from leadstore.store.memory import InMemoryLeadStore
from leadstore.store.rules import RulesCache

META: dict[str, Any] = {"actor": {"user_id": None}, "request": {"id": "contract"}}


@dataclass
class Harness:
    """A store with one account in it, and what a test needs to change behind the store's back."""

    store: LeadStore
    account_id: UUID
    user_id: UUID
    api_key_id: UUID
    revoke_key: Callable[[], Awaitable[None]]
    change_configuration: Callable[[], Awaitable[None]]
    rotate_to: Callable[[UUID], Awaitable[None]]


@pytest.fixture(params=["postgres", "memory"])
async def harness(request: pytest.FixtureRequest, container: Container, account: NewAccount) -> AsyncIterator[Harness]:
    if request.param == "postgres":
        by_test = by_command_line(account.account_id, "test")
        async with container.pool.acquire() as conn:  # a second key: the account's last one cannot be revoked
            issued, _ = await people.issue_api_key(conn, by_test, account.user_id, "contract")
        key_id: UUID = issued["id"]

        async def revoke() -> None:
            async with container.pool.acquire() as conn:
                await people.revoke_api_key(conn, by_test, key_id)

        async def change() -> None:
            async with container.pool.acquire() as conn:
                await config.create_source(conn, by_test, f"s{uuid7().hex[:8]}", "New", None)

        async def rotate(member: UUID) -> None:
            async with container.pool.acquire() as conn:
                await config.put_rotation(conn, by_test, True, [member])

        yield Harness(container.handler.store, account.account_id, account.user_id, key_id, revoke, change, rotate)
        return
    store, account_id, user_id, key_id = InMemoryLeadStore(), uuid7(), uuid7(), uuid7()
    rules = Rules(statuses=[StatusRule("new", "open")], known_users=frozenset({user_id}))
    store.configure(account_id, rules)

    async def revoke_in_memory() -> None:
        store.revoke(key_id)

    async def change_in_memory() -> None:
        store.configure(account_id, store.rules[account_id])

    async def rotate_in_memory(member: UUID) -> None:
        store.configure(account_id, Rules(statuses=rules.statuses, default_rotation=DefaultRotation(True, (member,))))

    yield Harness(store, account_id, user_id, key_id, revoke_in_memory, change_in_memory, rotate_in_memory)


def created(h: Harness, **fields: Any) -> LeadCreated:
    return LeadCreated(account_id=h.account_id, created_by=h.user_id, status="new", **fields)


def a_write(h: Harness, lead_id: UUID, expected: int, *events: LeadEvent, **extra: Any) -> CommandWrite:
    return CommandWrite(
        account_id=h.account_id,
        stream_id=lead_id,
        stream_type=LEAD_STREAM,
        expected_version=expected,
        events=list(events),
        metadata=META,
        occurred_at=datetime.now(UTC),
        **extra,
    )


async def write(h: Harness, w: CommandWrite, *, locked: bool = False) -> list[Any]:
    async with h.store.session(locked=locked) as session:
        return await session.write(w)


async def stream_of(h: Harness, lead_id: UUID) -> list[Any]:
    async with h.store.session(locked=False) as session:
        return await session.read_stream(lead_id)


async def test_a_write_is_read_back_in_version_order(harness: Harness) -> None:
    lead = uuid7()
    notes = LeadUpdated({"notes": Change(None, "hello")})
    recorded = await write(harness, a_write(harness, lead, 0, created(harness, first_name="Ada"), notes))
    stream = await stream_of(harness, lead)

    assert [e.version for e in recorded] == [e.version for e in stream] == [1, 2]
    assert [e.type for e in stream] == ["LeadCreated", "LeadUpdated"]
    assert stream[0].position < stream[1].position and stream[0].transaction_id == stream[1].transaction_id


async def test_a_write_at_a_version_the_stream_has_passed_is_a_conflict(harness: Harness) -> None:
    lead = uuid7()
    await write(harness, a_write(harness, lead, 0, created(harness, first_name="Ada")))
    with pytest.raises(VersionConflict):
        await write(harness, a_write(harness, lead, 0, created(harness, first_name="Bob")))
    await write(harness, a_write(harness, lead, 1, LeadUpdated({"notes": Change(None, "x")})))

    assert [e.version for e in await stream_of(harness, lead)] == [1, 2]


async def test_an_email_is_held_by_one_lead_of_the_account_in_any_case(harness: Harness) -> None:
    first, second = uuid7(), uuid7()
    await write(harness, a_write(harness, first, 0, created(harness, email="sam@example.com")))
    with pytest.raises(DuplicateEmail):
        await write(harness, a_write(harness, second, 0, created(harness, email="SAM@Example.com")))
    moved = LeadUpdated({"email": Change("sam@example.com", "sam2@example.com")})
    await write(harness, a_write(harness, first, 1, moved))
    await write(harness, a_write(harness, second, 0, created(harness, email="SAM@Example.com")))

    assert len(await stream_of(harness, second)) == 1


async def test_rules_older_than_the_accounts_configuration_write_nothing(harness: Harness) -> None:
    lead, rules_cache = uuid7(), RulesCache()
    async with harness.store.session(locked=False) as session:
        rules = await rules_cache.get(session, harness.account_id)
    await harness.change_configuration()
    with pytest.raises(StaleRules):
        await write(harness, a_write(harness, lead, 0, created(harness, first_name="A"), rules_version=rules.version))
    async with harness.store.session(locked=False) as session:
        fresher = await rules_cache.fresher(session, harness.account_id, rules)

    assert await stream_of(harness, lead) == []
    assert fresher is not None and fresher.version != rules.version


async def test_a_revoked_key_writes_nothing(harness: Harness) -> None:
    lead = uuid7()
    await harness.revoke_key()
    with pytest.raises(KeyRevoked):
        await write(harness, a_write(harness, lead, 0, created(harness, first_name="A"), api_key_id=harness.api_key_id))

    assert await stream_of(harness, lead) == []


async def test_a_rotation_turn_is_taken_once(harness: Harness) -> None:
    await harness.rotate_to(harness.user_id)
    async with harness.store.session(locked=False) as session:
        pointer = await session.rotation_pointer(harness.account_id, None)
    turn = Turn(None, harness.user_id, pointer=pointer, next_pointer=pointer + 1)
    first, second = uuid7(), uuid7()
    await write(harness, a_write(harness, first, 0, created(harness, first_name="A"), turn=turn))
    with pytest.raises(TurnMoved):
        await write(harness, a_write(harness, second, 0, created(harness, first_name="B"), turn=turn))
    async with harness.store.session(locked=False) as session:
        moved = await session.rotation_pointer(harness.account_id, None)

    assert moved == pointer + 1 and await stream_of(harness, second) == []


async def test_an_idempotency_key_is_recorded_with_one_write_only(harness: Harness) -> None:
    response = StoredResponse(b"fingerprint", 201, {"etag": '"1"'}, b"{}")
    key = f"key-{uuid7().hex}"
    first, second = uuid7(), uuid7()
    await write(
        harness, a_write(harness, first, 0, created(harness, first_name="A"), idempotency_key=key, response=response)
    )
    with pytest.raises(KeyTaken):
        await write(
            harness,
            a_write(harness, second, 0, created(harness, first_name="B"), idempotency_key=key, response=response),
        )

    assert await stream_of(harness, second) == []


async def test_a_lock_free_write_queues_behind_a_locked_session_and_then_conflicts(harness: Harness) -> None:
    """The locked session reads (taking the stream's lock), a lock-free write of the same version starts,
    the locked session writes and ends: the lock-free write must have waited, so it is the one that lost."""
    lead = uuid7()
    await write(harness, a_write(harness, lead, 0, created(harness, first_name="A")))
    async with harness.store.session(locked=True) as session:
        await session.read_stream(lead)
        racer = asyncio.create_task(
            write(harness, a_write(harness, lead, 1, LeadUpdated({"notes": Change(None, "r")})))
        )
        await asyncio.sleep(0.05)  # the racer's chance to get in first, which it must not take
        await session.write(a_write(harness, lead, 1, LeadUpdated({"notes": Change(None, "locked")})))
    with pytest.raises(VersionConflict):
        await racer

    assert [e.data["changes"]["notes"]["to"] for e in (await stream_of(harness, lead))[1:]] == ["locked"]
