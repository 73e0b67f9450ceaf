"""`leadstore replay`: rebuild into fresh tables and swap atomically while writers and readers run."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from leadstore.bootstrap import Container, bootstrap
from leadstore.embedded import EmbeddedPostgres
from leadstore.projection.runner import ProjectionRunner
from leadstore.projection.swap import replay
from leadstore.projection.verify import verify_projection
from leadstore.settings import Settings
from leadstore.store.accounts import NewAccount, create_account
from leadstore.store.db import Conn
from leadstore.store.events import RecordedEvent
from projections import get_projection
from tests.integration.helpers import (
    ACCOUNT_OPENING,
    META,
    NewDatabase,
    RecordingProjection,
    create_cmd,
    now,
    run_cli,
    settle,
    until,
    update_cmd,
)

LEAD_LIST_TOTALS = "SELECT count(*), coalesce(sum(version), 0) FROM lead_list WHERE account_id = $1"


@pytest.fixture
async def own(fresh_database: NewDatabase) -> AsyncIterator[Container]:
    """A container over a database of this test's own: replay swaps its live tables."""
    url = await fresh_database()
    container = await bootstrap(
        Settings(database_url=url, nats_url="", projection_poll_seconds=0.05), run_migrations=True
    )
    yield container
    await container.close()


@pytest.fixture
async def own_account(own: Container) -> NewAccount:
    async with own.pool.acquire() as conn:
        return await create_account(conn, "replay", "admin@example.com")


async def write_leads(container: Container, account: NewAccount, count: int, at: datetime | None = None) -> list[Any]:
    """`count` leads, each created and then updated once (at `at`, or now)."""
    outcomes = []
    for i in range(count):
        create = create_cmd(account, at=at)
        outcome = await container.handler.execute(create, account_id=account.account_id, metadata=META)
        cmd = update_cmd(account, outcome.lead.id, score=i % 100 + 1, at=at)
        outcomes.append(await container.handler.execute(cmd, account_id=account.account_id, metadata=META))
    return outcomes


async def keep_writing(container: Container, account: NewAccount, stop: asyncio.Event, written: list[Any]) -> None:
    """Write leads one by one until `stop`, adding each outcome to `written`."""
    while not stop.is_set():
        written += await write_leads(container, account, 1)


async def keep_reading(
    container: Container, account: NewAccount, stop: asyncio.Event, answers: list[tuple[int, int]]
) -> None:
    """Query the lead list over and over until `stop`, adding (leads, sum of versions) to `answers` each time."""
    while not stop.is_set():
        async with container.pool.acquire() as conn:
            row = await conn.fetchrow(LEAD_LIST_TOTALS, account.account_id)
        assert row is not None
        answers.append((row[0], row[1]))
        await asyncio.sleep(0.005)


@contextlib.asynccontextmanager
async def running(runners: list[ProjectionRunner]) -> AsyncIterator[None]:
    stop = asyncio.Event()
    tasks = [asyncio.create_task(r.run(stop)) for r in runners]
    try:
        yield
    finally:
        stop.set()
        await asyncio.gather(*tasks)


async def test_replay_swaps_in_fresh_tables_while_writers_and_readers_run(
    own: Container, own_account: NewAccount
) -> None:
    recording = RecordingProjection()
    runners = [own.runner("lead_list"), ProjectionRunner(own.pool, own.settings.database_url, recording)]
    await write_leads(own, own_account, 150)
    stop = asyncio.Event()
    written: list[Any] = []
    answers: list[tuple[int, int]] = []
    answered_during: list[int] = []  # by the reader, during each replay
    async with running(runners):
        writers = [asyncio.create_task(keep_writing(own, own_account, stop, written)) for _ in range(3)]
        reader = asyncio.create_task(keep_reading(own, own_account, stop, answers))
        await until(lambda: len(written) >= 3 and len(answers) >= 3, 20)
        for projection in (get_projection("lead_list"), recording):
            before = len(answers)
            await replay(own.pool, projection, batch_size=40)  # many batches, writes landing in between
            answered_during.append(len(answers) - before)
        swapped = len(written)
        await until(lambda: len(written) >= swapped + 3, 20)  # writes on the swapped-in tables too
        stop.set()
        await asyncio.gather(*writers, reader)
    for runner in runners:
        await runner.catch_up()

    async with own.pool.acquire() as conn:
        events = await conn.fetchval("SELECT count(*) FROM events")
        applied = await conn.fetchrow(f'SELECT count(*), count(DISTINCT (stream_id, version)) FROM "{recording.name}"')
        tables = await conn.fetch("SELECT tablename FROM pg_tables WHERE tablename LIKE '%\\_rebuild\\_%'")
    assert events == 2 * (150 + len(written)) + ACCOUNT_OPENING
    assert applied is not None and applied[0] == applied[1] == events  # none lost, none applied twice
    assert await verify_projection(own.pool, get_projection("lead_list")) == (150 + len(written), [])
    assert min(answered_during) >= 2, answered_during  # a reader blocked by a replay answers once, at its end
    assert answers == sorted(answers)  # never served an older table
    assert tables == []


async def test_an_interrupted_replay_can_be_run_again(
    own: Container, own_account: NewAccount, capsys: pytest.CaptureFixture[str]
) -> None:
    await write_leads(own, own_account, 30)
    await settle(own.runner("lead_list"))
    started = asyncio.Event()
    task = asyncio.create_task(
        replay(own.pool, get_projection("lead_list"), batch_size=5, progress=lambda *_: started.set())
    )
    await asyncio.wait_for(started.wait(), 60)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with own.pool.acquire() as conn:
        left = await conn.fetchval("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'lead\\_list\\_rebuild\\_%'")

    assert await run_cli(own.settings, "replay", "--projection", "lead_list") == 0

    async with own.pool.acquire() as conn:
        tables = [r[0] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE tablename LIKE 'lead\\_list%'")]
    assert left == 1 and tables == ["lead_list"]
    assert f"lead_list: {60 + ACCOUNT_OPENING} events in" in capsys.readouterr().err
    assert await run_cli(own.settings, "verify") == 0


async def test_replay_until_builds_the_read_model_as_of_then_beside_the_live_one(
    own: Container, own_account: NewAccount, capsys: pytest.CaptureFixture[str]
) -> None:
    before = await write_leads(own, own_account, 5, at=now() - timedelta(seconds=1))
    then = before[-1].recorded[-1]
    await write_leads(own, own_account, 3)  # a second later (a time bound has millisecond precision)
    await settle(own.runner("lead_list"))

    for bound in (then.checkpoint.token(), then.occurred_at.isoformat()):
        assert await run_cli(own.settings, "replay", "--until", bound) == 0
        table = capsys.readouterr().out.strip()
        assert table.startswith("lead_list_asof_")
        async with own.pool.acquire() as conn:
            as_of = {r["id"] for r in await conn.fetch(f'SELECT id FROM "{table}"')}
            live = await conn.fetchval("SELECT count(*) FROM lead_list")
        assert as_of == {o.lead.id for o in before} and live == 8


async def test_replay_reset_checkpoints_repairs_a_database_restored_from_a_dump(
    own: Container, own_account: NewAccount, capsys: pytest.CaptureFixture[str]
) -> None:
    await write_leads(own, own_account, 10)
    await settle(own.runner("lead_list"))
    async with own.pool.acquire() as conn:
        middle = await conn.fetchrow("SELECT transaction_id, position FROM events ORDER BY position OFFSET 9 LIMIT 1")
        assert middle is not None
        await conn.execute(
            "INSERT INTO checkpoints (name, transaction_id, position) VALUES ('reader', $1, $2)", *middle
        )
        unread = {r[0] for r in await conn.fetch("SELECT position FROM events WHERE position > $1", middle[1])}
        # what a restore into a new cluster leaves: stored transaction ids far beyond the cluster's own
        await conn.execute("ALTER TABLE events DISABLE TRIGGER USER")
        await conn.execute("UPDATE events SET transaction_id = (transaction_id::text::bigint + 10000000)::text::xid8")
        await conn.execute("ALTER TABLE events ENABLE TRIGGER USER")
        await conn.execute(
            "UPDATE checkpoints SET transaction_id = (transaction_id::text::bigint + 10000000)::text::xid8"
        )
    assert await run_cli(own.settings, "verify") == 1
    out = capsys.readouterr().out
    assert "run `leadstore replay --reset-checkpoints`" in out and "read models: not compared" in out

    assert await run_cli(own.settings, "replay", "--reset-checkpoints") == 0

    assert await run_cli(own.settings, "verify") == 0
    new = await write_leads(own, own_account, 1)
    await settle(own.runner("lead_list"))
    async with own.pool.acquire() as conn:
        assert await conn.fetchval("SELECT version FROM lead_list WHERE id = $1", new[0].lead.id) == 2
        reader = await conn.fetchrow("SELECT transaction_id, position FROM checkpoints WHERE name = 'reader'")
        assert reader is not None
        after = {
            r[0]
            for r in await conn.fetch(
                "SELECT position FROM events WHERE (transaction_id, position) > ($1::xid8, $2)", *reader
            )
        }
    assert unread < after  # the reader resumes where it was (or earlier), and sees the new events


async def test_a_read_model_built_by_an_older_schema_is_flagged_until_replayed(container: Container) -> None:
    first = RecordingProjection()
    await ProjectionRunner(container.pool, container.settings.database_url, first).setup()
    changed = RecordingProjection(first.name, version=2)  # the same read model after a schema change

    stale = ProjectionRunner(container.pool, container.settings.database_url, changed)
    await stale.setup()
    await replay(container.pool, changed)
    fresh = ProjectionRunner(container.pool, container.settings.database_url, changed)
    await fresh.setup()

    assert not stale.schema_current
    assert fresh.schema_current


class TypedRecordingProjection(RecordingProjection):
    """The recording read model after a schema change that adds a column: the old table cannot take its rows."""

    def create_statements(self, table: str) -> list[str]:
        return [f'CREATE TABLE "{table}" (stream_id uuid, version int, type text NOT NULL, seq bigserial)']

    async def apply(self, conn: Conn, table: str, events: Sequence[RecordedEvent]) -> None:
        rows = [(e.stream_id, e.version, e.type) for e in events]
        await conn.executemany(f'INSERT INTO "{table}" (stream_id, version, type) VALUES ($1, $2, $3)', rows)


async def test_the_elected_runner_rebuilds_a_read_model_built_by_an_older_schema(
    own: Container, own_account: NewAccount
) -> None:
    first = RecordingProjection()
    old = ProjectionRunner(own.pool, own.settings.database_url, first)
    await old.setup()
    await write_leads(own, own_account, 5)
    await settle(old)
    runner = ProjectionRunner(own.pool, own.settings.database_url, TypedRecordingProjection(first.name, version=2))
    stop = asyncio.Event()
    running = asyncio.create_task(runner.run(stop))
    try:
        for _ in range(600):  # 30 s
            if runner.active and runner.schema_current:
                break
            await asyncio.sleep(0.05)
        await write_leads(own, own_account, 3)  # followed on the rebuilt table
        async with own.pool.acquire() as conn:
            events = await conn.fetchval("SELECT count(*) FROM events")
        for _ in range(600):
            if (await verify_projection(own.pool, runner.projection))[0] >= events:
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await running
    rows, differences = await verify_projection(own.pool, runner.projection)
    async with own.pool.acquire() as conn:
        typed = await conn.fetchval(f'SELECT count(*) FROM "{first.name}" WHERE type IS NOT NULL')
    assert differences == [] and typed == rows == events


BURN_TRANSACTION_IDS = """
CREATE OR REPLACE PROCEDURE burn_transaction_ids(n integer) LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1..n LOOP
        PERFORM pg_current_xact_id();
        COMMIT;
    END LOOP;
END $$"""


async def test_a_dump_restored_into_a_new_cluster_reads_on_after_pg_resetwal_with_the_log_untouched(
    own: Container, own_account: NewAccount, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The restore for a server you run: pg_dump, pg_restore into a new cluster, whose transaction ids start
    below the log's; `verify` names the epoch; after `pg_resetwal --epoch` the log reads on, unchanged."""
    async with own.pool.acquire() as conn:  # the source has run more transactions than a new cluster will
        await conn.execute(BURN_TRANSACTION_IDS)
        await conn.execute("CALL burn_transaction_ids(20000)")
    await write_leads(own, own_account, 10)
    await settle(own.runner("lead_list"))
    async with own.pool.acquire() as conn:
        log = [dict(row) for row in await conn.fetch("SELECT * FROM events ORDER BY position")]
    target = EmbeddedPostgres(tmp_path / "restored", fast=True)
    target.start()
    try:
        dump = str(target.data_dir / "leadstore.dump")
        await asyncio.to_thread(
            target.run_tool, "pg_dump", "--format=custom", "--file", dump, own.settings.database_url
        )
        await asyncio.to_thread(target.run_tool, "pg_restore", "--no-owner", "--dbname", target.url, dump)
        async with restored_container(target.url) as restored:
            assert await run_cli(restored.settings, "verify") == 1
        found = re.search(r"pg_resetwal --epoch=(\d+)", capsys.readouterr().out)
        assert found is not None
        target.stop()
        await asyncio.to_thread(target.run_tool, "pg_resetwal", f"--epoch={found[1]}", str(target.pgdata))
        target.start()
        async with restored_container(target.url) as restored:
            assert await run_cli(restored.settings, "verify") == 0
            new = await write_leads(restored, own_account, 1)
            await settle(restored.runner("lead_list"))
            async with restored.pool.acquire() as conn:
                after = [dict(row) for row in await conn.fetch("SELECT * FROM events ORDER BY position")]
                listed = await conn.fetchval("SELECT version FROM lead_list WHERE id = $1", new[0].lead.id)
    finally:
        target.stop()

    assert after[: len(log)] == log  # not one stored value changed
    assert [e["stream_id"] for e in after[len(log) :]] == [new[0].lead.id] * 2 and listed == 2
    assert min(e["transaction_id"] for e in after[len(log) :]) > max(e["transaction_id"] for e in log)


@contextlib.asynccontextmanager
async def restored_container(url: str) -> AsyncIterator[Container]:
    container = await bootstrap(Settings(database_url=url, nats_url=""), run_migrations=True)
    try:
        yield container
    finally:
        await container.close()


class SetUpCountingRunner(ProjectionRunner):
    """A runner that counts its `setup` calls: it sets up once to stand for election and once more when elected."""

    setups = 0

    async def setup(self) -> None:
        await super().setup()
        self.setups += 1


LAPSED = "SELECT expires_at <= clock_timestamp() FROM leases WHERE name = $1"


async def test_a_runner_never_writes_to_a_read_model_a_newer_schema_built(
    own: Container, own_account: NewAccount
) -> None:
    newer = TypedRecordingProjection(version=3)
    await replay(own.pool, newer)  # built by a newer release
    await write_leads(own, own_account, 2)
    older = SetUpCountingRunner(own.pool, own.settings.database_url, RecordingProjection(newer.name, version=2))
    stop = asyncio.Event()
    running = asyncio.create_task(older.run(stop))
    observer = await asyncpg.connect(own.settings.database_url)
    try:
        await until(lambda: older.setups >= 2, 20)  # it was elected: its chance to apply
        for _ in range(400):  # and its term ended: the lease is released again (a runner that applies keeps it)
            if await observer.fetchval(LAPSED, newer.name):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the runner kept the lease of a read model a newer schema built")
    finally:
        stop.set()
        await running
        await observer.close()
    async with own.pool.acquire() as conn:
        kept = await conn.fetchval("SELECT schema_version FROM checkpoints WHERE name = $1", newer.name)
        rows = await conn.fetchval(f'SELECT count(*) FROM "{newer.name}"')
    assert not older.active and older.applied == 0 and not older.schema_current
    assert kept == 3 and rows == ACCOUNT_OPENING  # what the newer release built, before the leads


WAITING_TO_RENAME = """
SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
WHERE c.relname = 'lead_list' AND l.mode = 'AccessExclusiveLock' AND NOT l.granted"""


async def test_a_swap_chosen_as_a_deadlock_victim_is_tried_again(own: Container, own_account: NewAccount) -> None:
    """A session holding the live table and then waiting for the checkpoint the swap holds (seen in a bench,
    replaying while a worker ran): when PostgreSQL ends the swap as the deadlock's victim, the swap runs
    again once that session is done, instead of failing the replay. Which side is the victim depends on
    whose deadlock check runs first, so the interleaving is tried until the swap was the victim."""
    await write_leads(own, own_account, 20)
    swap_was_victim = False
    for _ in range(5):
        other = await asyncpg.connect(own.settings.database_url)
        try:
            await other.execute("SET deadlock_timeout = '3s'")  # the swap's check (1 s) runs first
            tx = other.transaction()
            await tx.start()
            await other.execute("LOCK TABLE lead_list IN ACCESS SHARE MODE")
            replaying = asyncio.create_task(replay(own.pool, get_projection("lead_list"), batch_size=10))
            async with own.pool.acquire() as conn:
                for _ in range(2000):  # up to 20 s
                    if await conn.fetchval(WAITING_TO_RENAME):
                        break
                    await asyncio.sleep(0.01)
                else:
                    raise AssertionError("the swap never waited for the live table")
            # the swap holds the checkpoint row and waits for the table: wait for the row in turn
            try:
                await other.execute("SELECT 1 FROM checkpoints WHERE name = 'lead_list' FOR UPDATE")
            except asyncpg.DeadlockDetectedError:
                await tx.rollback()  # this session was the victim: the swap goes on; try again
            else:
                swap_was_victim = True  # the row is ours while the swap waited: it was rolled back
                await tx.commit()
            await asyncio.wait_for(replaying, 30)  # the swap (run again if it was the victim) finished
        finally:
            await other.close()
        if swap_was_victim:
            break
    assert swap_was_victim
    assert await verify_projection(own.pool, get_projection("lead_list")) == (20, [])
