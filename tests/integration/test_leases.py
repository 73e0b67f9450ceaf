"""Leases fence their leaders: a stale token saves nothing, a takeover waits for a save in flight, and a
standby takes over a lapsed lease, ending the old leader's session."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import asyncpg
import pytest
from uuid_utils.compat import uuid7

from leadstore.bootstrap import Container
from leadstore.leadership import Lease, LeaseLost
from leadstore.projection.runner import ProjectionRunner
from leadstore.store import checkpoints, db, leases
from leadstore.store.accounts import NewAccount
from leadstore.store.events import Checkpoint
from tests.integration.helpers import META, RecordingProjection, create_cmd, until

LAPSE = "UPDATE leases SET expires_at = clock_timestamp() - interval '1 second' WHERE name = $1"


def new_name() -> str:
    return f"test_lease_{uuid7().hex[-10:]}"


async def test_a_stale_token_cannot_save_its_checkpoint(container: Container) -> None:
    name = new_name()
    async with container.pool.acquire() as conn:
        await checkpoints.ensure(conn, name)
        first = await leases.take(conn, name, "a", 0.5, conn.get_server_pid())
        assert first is not None
        assert await leases.take(conn, name, "b", 0.5, conn.get_server_pid()) is None  # not lapsed yet
        await asyncio.sleep(0.6)
        second = await leases.take(conn, name, "b", 10, conn.get_server_pid())
        assert second == first + 1

        assert not await checkpoints.save_fenced(conn, name, Checkpoint(100, 7), "a", first)
        assert await checkpoints.read(conn, name) == Checkpoint(0, 0)
        assert await checkpoints.save_fenced(conn, name, Checkpoint(100, 8), "b", second)
        assert not await checkpoints.save_fenced(conn, name, Checkpoint(100, 9), "b", first)  # the token counts
        assert not await checkpoints.save_fenced(conn, name, Checkpoint(100, 9), "a", second)  # and the holder
        assert await checkpoints.read(conn, name) == Checkpoint(100, 8)
        assert not await leases.renew(conn, name, "a", first, 10)
        await leases.release(conn, name, "a", first)
        holding = await leases.look(conn, name)
        assert holding is not None and (holding.holder, holding.token) == ("b", second) and holding.remaining > 5


async def test_a_forward_save_never_moves_the_checkpoint_back(container: Container) -> None:
    name = new_name()
    async with container.pool.acquire() as conn:
        await checkpoints.ensure(conn, name)
        token = await leases.take(conn, name, "a", 10, conn.get_server_pid())
        assert token is not None
        assert await checkpoints.save_fenced(conn, name, Checkpoint(100, 8), "a", token, forward=True)
        assert await checkpoints.save_fenced(conn, name, Checkpoint(100, 5), "a", token, forward=True)  # held
        assert await checkpoints.read(conn, name) == Checkpoint(100, 8)  # but not moved back


async def test_a_takeover_waits_for_a_save_in_flight_and_then_sees_it(container: Container) -> None:
    name = new_name()
    async with container.pool.acquire() as leader, container.pool.acquire() as standby:
        await checkpoints.ensure(leader, name)
        token = await leases.take(leader, name, "a", 0.2, leader.get_server_pid())
        assert token is not None
        await standby.execute("SET lock_timeout = '200ms'")
        try:
            async with leader.transaction():
                assert await checkpoints.save_fenced(leader, name, Checkpoint(100, 8), "a", token)
                await asyncio.sleep(0.3)  # the lease lapses while the save is not yet committed
                with pytest.raises(asyncpg.LockNotAvailableError):
                    await leases.take(standby, name, "b", 10, standby.get_server_pid())
            assert await leases.take(standby, name, "b", 10, standby.get_server_pid()) == token + 1
            assert await checkpoints.read(standby, name) == Checkpoint(100, 8)
        finally:
            await standby.execute("RESET lock_timeout")


@contextlib.asynccontextmanager
async def leading(lease: Lease, working: asyncpg.Connection) -> AsyncIterator[asyncio.Event]:
    """Hold `lease` (standing by first) in the background for the block; the event ends the term."""
    stop, elected = asyncio.Event(), asyncio.Event()

    async def term() -> None:
        async with lease.term(stop, working) as won:
            if won:
                elected.set()
                await stop.wait()

    task = asyncio.create_task(term())
    try:
        await asyncio.wait_for(elected.wait(), 20)
        yield stop
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


async def test_a_leader_that_lost_its_lease_writes_no_row_and_no_checkpoint(
    container: Container, database_url: str, account: NewAccount
) -> None:
    projection = RecordingProjection()
    old = ProjectionRunner(container.pool, database_url, projection)
    new = ProjectionRunner(container.pool, database_url, projection)
    await old.setup()
    lost: list[bool] = []
    old.lease = Lease(database_url, projection.name, 30, on_lost=lambda: lost.append(True))
    old_working, new_working = await db.connect(database_url), await db.connect(database_url)
    try:
        async with leading(old.lease, old_working):
            await container.handler.execute(create_cmd(account), account_id=account.account_id, metadata=META)
            async with container.pool.acquire() as conn:
                await conn.execute(LAPSE, projection.name)  # as if the leader froze for longer than its lease
                before = await checkpoints.read(conn, projection.name)
            async with leading(new.lease, new_working):
                assert old.lease.held  # by its own clock: it has not noticed yet
                with pytest.raises(LeaseLost):
                    await old.run_batch(lease=old.lease)  # a pooled connection: only the fence stops it
                assert not old.lease.held and lost == [True]
                async with container.pool.acquire() as conn:
                    assert await checkpoints.read(conn, projection.name) == before
                    assert await conn.fetchval(f'SELECT count(*) FROM "{projection.name}"') == 0
                assert await new.run_batch(new_working, new.lease) > 0
    finally:
        await old_working.close()
        await new_working.close()


async def test_a_standby_takes_over_a_lapsed_lease_and_ends_the_old_leaders_session(
    container: Container, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="leadstore.leadership")
    name = new_name()
    old, new = Lease(database_url, name, 30), Lease(database_url, name, 1)
    old_working, new_working = await db.connect(database_url), await db.connect(database_url)
    try:
        async with leading(old, old_working):
            first = old.token
            await old_working.execute("BEGIN; SELECT pg_current_xact_id()")  # a frozen batch keeps its transaction
            async with container.pool.acquire() as conn:
                await conn.execute(LAPSE, name)
            async with leading(new, new_working):
                assert first is not None and new.token == first + 1
                await until(old_working.is_closed, 10)
                holding = await leases.look(new_working, name)
                assert holding is not None and holding.holder == new.holder and holding.remaining > 0
        messages = [r.getMessage() for r in caplog.records]
        assert any(f"taken over by {new.holder}" in m and old.holder in m for m in messages), messages
        assert any("ended the working session" in m for m in messages), messages
    finally:
        await old_working.close()
        await new_working.close()


async def test_a_leader_renews_its_lease_and_a_released_one_is_taken_at_the_next_look(database_url: str) -> None:
    name = new_name()
    first, second = Lease(database_url, name, 0.9), Lease(database_url, name, 0.9)
    first_working, second_working = await db.connect(database_url), await db.connect(database_url)
    waiting: asyncio.Task[None] | None = None
    try:
        async with leading(first, first_working) as stop_first:
            waiting = asyncio.create_task(_lead_once(second, second_working))
            await asyncio.sleep(2.0)  # more than two leases: renewed all along, so the standby waits
            assert first.held and not waiting.done()
            stop_first.set()
        loop = asyncio.get_running_loop()
        released = loop.time()
        await asyncio.wait_for(waiting, 5)
        assert loop.time() - released < second.renew_every + 0.5
    finally:
        if waiting is not None:
            waiting.cancel()
            await asyncio.gather(waiting, return_exceptions=True)
        await first_working.close()
        await second_working.close()


async def _lead_once(lease: Lease, working: asyncpg.Connection) -> None:
    async with lease.term(asyncio.Event(), working) as won:
        assert won
