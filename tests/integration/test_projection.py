"""The projection engine: commit-order reads that never skip a late commit, exactly-once, replay."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import uuid
from collections.abc import AsyncIterator
from uuid import UUID

import pytest
from uuid_utils.compat import uuid7

from leadstore.bootstrap import Container
from leadstore.leadership import Lease
from leadstore.projection.rebuild import rebuild_into
from leadstore.projection.runner import ProjectionRunner
from leadstore.store import db
from leadstore.store import events as store
from leadstore.store.accounts import NewAccount
from leadstore.store.checkpoints import reader_lag
from projections import get_projection
from tests.integration.helpers import (
    META,
    RecordingProjection,
    append_open,
    append_test_event,
    create_cmd,
    settle,
    until,
    until_waiting_on_a_lock,
    update_cmd,
)


async def _applied(conn: db.Conn, table: str) -> list[tuple[UUID, int, int]]:
    rows = await conn.fetch(f'SELECT stream_id, version, position FROM "{table}" ORDER BY seq')
    return [(r["stream_id"], r["version"], r["position"]) for r in rows]


@pytest.mark.parametrize("commit_order", list(itertools.permutations(range(3))))
async def test_projection_never_skips_an_event_committed_out_of_position_order(
    container: Container, database_url: str, account: NewAccount, commit_order: tuple[int, ...]
) -> None:
    projection = RecordingProjection()
    runner = ProjectionRunner(container.pool, database_url, projection)
    await runner.setup()
    await runner.catch_up()  # start past everything earlier tests wrote
    # three writers take positions in order 0, 1, 2 and stay open; they then commit in `commit_order`
    streams = [(uuid7(), 1), (uuid7(), 1), (uuid7(), 1)]
    conns = [await db.connect(database_url) for _ in streams]
    try:
        positions = [await append_open(c, account, s, v) for c, (s, v) in zip(conns, streams, strict=True)]
        assert positions == sorted(positions)
        committed: set[int] = set()
        for index in commit_order:
            await conns[index].execute("COMMIT")
            committed.add(index)
            await runner.catch_up()
            async with container.pool.acquire() as conn:
                applied = [a for a in await _applied(conn, projection.name) if a[2] in positions]
            # only a prefix (in position order) of the committed writes may be visible: never one past a gap
            prefix = list(itertools.takewhile(lambda i: i in committed, range(3)))
            assert [a[2] for a in applied] == [positions[i] for i in prefix]
        second = await container.handler.execute(create_cmd(account), account_id=account.account_id, metadata=META)
        await runner.catch_up()
        async with container.pool.acquire() as conn:
            applied = await _applied(conn, projection.name)
        assert sorted(a[2] for a in applied) == sorted({a[2] for a in applied})  # nothing applied twice
        assert {positions[0], positions[1], positions[2], second.recorded[0].position} <= {a[2] for a in applied}
    finally:
        for writer in conns:
            await writer.close()


async def test_a_late_commit_on_one_lead_keeps_version_order(
    container: Container, database_url: str, account: NewAccount
) -> None:
    projection = RecordingProjection()
    runner = ProjectionRunner(container.pool, database_url, projection)
    await runner.setup()
    await runner.catch_up()
    lead = uuid7()
    first, second = await db.connect(database_url), await db.connect(database_url)
    try:
        p1 = await append_open(first, account, lead, 1)
        await second.execute("BEGIN")
        waiting = second.execute("SELECT pg_advisory_xact_lock($1)", store.stream_lock_key(lead))
        lock_task = asyncio.ensure_future(waiting)
        await until_waiting_on_a_lock(first, second)
        assert not lock_task.done()  # the second writer queues behind the first on the stream lock
        await first.execute("COMMIT")
        await lock_task
        p2 = await append_test_event(second, account, lead, 2)
        await second.execute("COMMIT")
        await runner.catch_up()
        async with container.pool.acquire() as conn:
            applied = [a for a in await _applied(conn, projection.name) if a[0] == lead]
        assert [(a[1], a[2]) for a in applied] == [(1, p1), (2, p2)]
    finally:
        await first.close()
        await second.close()


async def test_replay_from_zero_rebuilds_exactly_the_live_lead_list(container: Container, account: NewAccount) -> None:
    for i in range(20):
        outcome = await container.handler.execute(
            create_cmd(account, email=f"r{i}@example.com", score=i), account_id=account.account_id, metadata=META
        )
        if i % 3 == 0:
            await container.handler.execute(
                update_cmd(account, outcome.lead.id, company=f"Co {i}"), account_id=account.account_id, metadata=META
            )
    live = container.runner("lead_list")
    await settle(live)
    table = f"lead_list_replay_{uuid.uuid4().hex[:8]}"

    await rebuild_into(container.pool, get_projection("lead_list"), table)

    query = 'SELECT id, account_id, status, score, version, search, doc::text AS doc FROM "{}" ORDER BY id'
    async with container.pool.acquire() as conn:
        rebuilt = [dict(r) for r in await conn.fetch(query.format(table))]
        current = [dict(r) for r in await conn.fetch(query.format("lead_list"))]
        await conn.execute(f'DROP TABLE "{table}"')
    assert len([r for r in current if r["account_id"] == account.account_id]) == 20
    assert rebuilt == current


async def test_lag_counts_the_events_a_projection_has_not_applied(container: Container, account: NewAccount) -> None:
    runner = container.runner("lead_list")
    await runner.catch_up()
    for _ in range(3):
        await container.handler.execute(create_cmd(account), account_id=account.account_id, metadata=META)

    async with container.pool.acquire() as conn:
        before = await reader_lag(conn, "lead_list")
        await runner.catch_up()
        after = await reader_lag(conn, "lead_list")

    assert before["lag_events"] == 3 and before["lag_seconds"] >= 0
    assert after == {"checkpoint": after["checkpoint"], "lag_events": 0, "lag_seconds": 0.0}
    assert after["checkpoint"] != before["checkpoint"]


async def test_a_runner_that_loses_its_connection_reconnects_and_carries_on(
    container: Container, database_url: str, account: NewAccount
) -> None:
    projection = RecordingProjection()
    runner = ProjectionRunner(container.pool, database_url, projection, poll_seconds=0.05)
    async with _running(runner):
        async with container.pool.acquire() as conn:
            holder = await conn.fetchval(HOLDER, projection.name)
            assert await conn.fetchval("SELECT pg_terminate_backend($1)", holder)
        await until(lambda: not runner.active, 10)
        written = await container.handler.execute(create_cmd(account), account_id=account.account_id, metadata=META)

        assert await _applies(runner, written.recorded[0].position, within=10)
        assert runner.active


HOLDER = "SELECT backend_pid FROM leases WHERE name = $1"  # the leader's working session


@contextlib.asynccontextmanager
async def _running(runner: ProjectionRunner) -> AsyncIterator[None]:
    """The runner running (and active) until the block ends."""
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        await until(lambda: runner.active, 10)
        yield
    finally:
        stop.set()
        await task


async def _applies(runner: ProjectionRunner, position: int, within: float) -> bool:
    """Whether the runner's recording projection applies the event at `position` within `within` seconds."""
    for _ in range(int(within / 0.05)):
        async with runner.pool.acquire() as conn:
            if position in {a[2] for a in await _applied(conn, runner.name)}:
                return True
        await asyncio.sleep(0.05)
    return False


class CaughtUpRunner(ProjectionRunner):
    """A runner that says when a catch-up has ended: from then until it is woken, it waits."""

    @functools.cached_property
    def caught_up(self) -> asyncio.Event:
        return asyncio.Event()

    async def catch_up(self, conn: db.Conn | None = None, lease: Lease | None = None) -> int:
        applied = await super().catch_up(conn, lease)
        self.caught_up.set()  # whoever waits on it runs once the runner awaits again: in its wait
        return applied


async def test_a_write_wakes_a_waiting_runner_long_before_its_poll(
    container: Container, database_url: str, account: NewAccount
) -> None:
    """The lane's notifier sends a NOTIFY after each commit (one at a time): a runner that would poll only
    every 60 seconds applies a new write within seconds."""
    projection = RecordingProjection()
    runner = CaughtUpRunner(container.pool, database_url, projection, poll_seconds=60)
    async with _running(runner):
        await asyncio.wait_for(runner.caught_up.wait(), 20)  # so it waits for a notification or the poll
        written = await container.handler.execute(create_cmd(account), account_id=account.account_id, metadata=META)

        assert await _applies(runner, written.recorded[0].position, within=5)  # against a 60 s poll
