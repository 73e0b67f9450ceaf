"""The event store and command handler against real PostgreSQL: concurrency, uniqueness, append-only."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from leadstore.bootstrap import Container
from leadstore.domain.errors import DuplicateEmail, VersionConflict
from leadstore.store import events as store
from leadstore.store.accounts import NewAccount
from leadstore.store.migrate import migrate
from tests.integration.helpers import META, NewDatabase, create_cmd, now, update_cmd


async def test_fifty_concurrent_writers_on_one_lead_leave_contiguous_versions(
    container: Container, account: NewAccount
) -> None:
    created = await container.handler.execute(create_cmd(account), account_id=account.account_id, metadata=META)
    lead_id = created.lead.id
    retries_before = container.handler.retries

    async def write(i: int) -> None:
        await container.handler.execute(
            update_cmd(account, lead_id, notes=f"writer {i}"), account_id=account.account_id, metadata=META
        )

    await asyncio.gather(*(write(i) for i in range(50)))

    async with container.pool.acquire() as conn:
        history = await store.read_stream(conn, lead_id)
    assert [e.version for e in history] == list(range(1, 52))
    updates = [e.data["changes"]["notes"] for e in history[1:]]
    assert sorted(u["to"] for u in updates) == sorted(f"writer {i}" for i in range(50))
    # each change starts from the previous one's result: nothing was lost in between
    assert [u["from"] for u in updates] == [None] + [u["to"] for u in updates[:-1]]
    assert [e.transaction_id for e in history] == sorted(e.transaction_id for e in history)
    # a writer's lock-free try may lose to another; it then queues on the stream lock, where it cannot lose
    assert container.handler.retries - retries_before <= 50


async def test_fifty_concurrent_creates_with_one_email_leave_exactly_one_lead(
    container: Container, account: NewAccount
) -> None:
    spellings = ["dup@example.com", "DUP@example.com", "Dup@Example.COM", "dup@EXAMPLE.com", "dUp@example.com"]
    commands = [create_cmd(account, email=spellings[i % 5]) for i in range(50)]

    results = await asyncio.gather(
        *(container.handler.execute(c, account_id=account.account_id, metadata=META) for c in commands),
        return_exceptions=True,
    )

    winners = [r for r in results if not isinstance(r, BaseException)]
    assert len(winners) == 1
    assert all(isinstance(r, DuplicateEmail) for r in results if isinstance(r, BaseException))
    async with container.pool.acquire() as conn:
        stored = await conn.fetchval(
            "SELECT count(*) FROM events WHERE account_id = $1 AND type = 'LeadCreated'", account.account_id
        )
        reserved = await conn.fetchval("SELECT count(*) FROM lead_emails WHERE account_id = $1", account.account_id)
    assert stored == 1
    assert reserved == 1


async def test_append_with_a_stale_expected_version_is_refused(container: Container, account: NewAccount) -> None:
    created = await container.handler.execute(create_cmd(account), account_id=account.account_id, metadata=META)

    with pytest.raises(VersionConflict):
        await container.handler.execute(
            update_cmd(account, created.lead.id, notes="late"),
            account_id=account.account_id,
            metadata=META,
            expected_version=0,
        )


async def test_events_refuse_update_delete_and_truncate(container: Container, account: NewAccount) -> None:
    await container.handler.execute(create_cmd(account), account_id=account.account_id, metadata=META)
    async with container.pool.acquire() as conn:
        for statement in (
            "UPDATE events SET type = 'X' WHERE account_id = $1",
            "DELETE FROM events WHERE account_id = $1",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                await conn.execute(statement, account.account_id)
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await conn.execute("TRUNCATE events")
        count = "SELECT count(*) FROM events WHERE account_id = $1 AND stream_type = 'lead'"
        assert await conn.fetchval(count, account.account_id) == 1


async def test_migrations_run_from_several_processes_at_once_apply_each_file_once(
    fresh_database: NewDatabase,
) -> None:
    url = await fresh_database()
    conns = [await asyncpg.connect(url) for _ in range(4)]
    try:
        results = await asyncio.gather(*(migrate(c) for c in conns))
        applied = [name for names in results for name in names]
        assert len(applied) == len(set(applied)) > 0
        assert await conns[0].fetchval("SELECT count(*) FROM schema_migrations") == len(applied)
        assert await migrate(conns[0]) == []
    finally:
        for conn in conns:
            await conn.close()


async def test_a_lock_free_write_queues_behind_a_locked_command_and_follows_its_commit(
    container: Container, account: NewAccount
) -> None:
    """DESIGN.md decision 2 with both ways at once: a lock-free write (way b) of a lead whose stream lock a
    command holds (way a, its event inserted, not committed) waits for that commit, then loses its version
    to it and is decided again in the locked lane, on top of it: nothing lost, transaction ids in order."""
    created = await container.handler.execute(create_cmd(account), account_id=account.account_id, metadata=META)
    lead_id = created.lead.id
    held = store.NewEvent(type="LeadUpdated", data={"changes": {"notes": {"from": None, "to": "held"}}})
    async with container.pool.acquire() as holder, container.pool.acquire() as observer:
        await holder.execute("BEGIN")
        await store.lock_stream(holder, lead_id)
        await store.append(
            holder,
            account_id=account.account_id,
            stream_id=lead_id,
            stream_type="lead",
            expected_version=1,
            events=[held],
            occurred_at=now(),
        )
        later = asyncio.create_task(
            container.handler.execute(
                update_cmd(account, lead_id, notes="after"), account_id=account.account_id, metadata=META
            )
        )
        deadline = asyncio.get_running_loop().time() + 20
        while not await observer.fetchval("SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = 'advisory'"):
            assert asyncio.get_running_loop().time() < deadline, "the lock-free write never queued on the lock"
            await asyncio.sleep(0.01)
        assert not later.done()
        await holder.execute("COMMIT")
        outcome = await later
        history = await store.read_stream(observer, lead_id)

    assert outcome.lead.version == 3 and outcome.lead.notes == "after"
    assert [e.version for e in history] == [1, 2, 3]
    assert history[2].data["changes"]["notes"] == {"from": "held", "to": "after"}
    assert [e.transaction_id for e in history] == sorted(e.transaction_id for e in history)
