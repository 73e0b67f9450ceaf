"""Tamper evidence: the hash chain written by append, and `leadstore verify` naming what was changed or removed."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import pytest
from uuid_utils.compat import uuid7

from leadstore.bootstrap import Container, bootstrap
from leadstore.domain.errors import VersionConflict
from leadstore.log.integrity import check_log
from leadstore.settings import Settings
from leadstore.store import db
from leadstore.store import events as store
from leadstore.store.accounts import NewAccount, create_account
from leadstore.store.migrate import migrate, migrations_dir
from tests.integration.helpers import ACCOUNT_OPENING, META, NewDatabase, create_cmd, run_cli, settle, update_cmd

DISABLE_GUARD = "ALTER TABLE events DISABLE TRIGGER USER"
ENABLE_GUARD = "ALTER TABLE events ENABLE TRIGGER USER"


@pytest.fixture
async def own(fresh_database: NewDatabase) -> AsyncIterator[Container]:
    """A container over a database of this test's own, so tampering with its log touches no other test."""
    settings = Settings(database_url=await fresh_database(), nats_url="")
    container = await bootstrap(settings, run_migrations=True)
    yield container
    await container.close()


async def history(container: Container, account: NewAccount, leads: int = 3) -> list[UUID]:
    """Leads with three events each (created, two updates), caught up in the lead list."""
    ids = []
    for i in range(leads):
        outcome = await container.handler.execute(create_cmd(account), account_id=account.account_id, metadata=META)
        for change in (f"Co {i}", f"Co {i} Ltd"):
            cmd = update_cmd(account, outcome.lead.id, company=change)
            await container.handler.execute(cmd, account_id=account.account_id, metadata=META)
        ids.append(outcome.lead.id)
    await settle(container.runner("lead_list"))
    return ids


async def tamper(container: Container, sql: str, *args: object) -> None:
    """What a superuser can do behind the application's back: lift the trigger, change the log, restore it."""
    async with container.pool.acquire() as conn:
        await conn.execute(DISABLE_GUARD)
        try:
            await conn.execute(sql, *args)
        finally:
            await conn.execute(ENABLE_GUARD)


async def event_of(container: Container, stream_id: UUID, version: int) -> UUID:
    async with container.pool.acquire() as conn:
        event_id: UUID = await conn.fetchval(
            "SELECT event_id FROM events WHERE stream_id = $1 AND version = $2", stream_id, version
        )
    return event_id


@pytest.fixture
async def own_account(own: Container) -> NewAccount:
    async with own.pool.acquire() as conn:
        return await create_account(conn, "verify", "admin@example.com")


async def test_append_chains_each_event_to_the_previous_one_of_its_stream(
    container: Container, account: NewAccount
) -> None:
    created = await container.handler.execute(create_cmd(account), account_id=account.account_id, metadata=META)
    cmd = update_cmd(account, created.lead.id, company="Acme")
    updated = await container.handler.execute(cmd, account_id=account.account_id, metadata=META)
    async with container.pool.acquire() as conn:
        stored = await store.read_stream(conn, created.lead.id)
    first, second = stored
    assert first.prev_hash is None and first.hash is not None and len(first.hash) == 32
    assert second.prev_hash == first.hash and second.hash not in (None, first.hash)
    assert [created.recorded[0].hash, updated.recorded[0].hash] == [first.hash, second.hash]


async def test_append_past_the_streams_version_is_a_conflict_not_a_gap(
    container: Container, account: NewAccount
) -> None:
    async with container.pool.acquire() as conn, conn.transaction():
        with pytest.raises(VersionConflict) as raised:
            await store.append(
                conn,
                account_id=account.account_id,
                stream_id=uuid7(),
                stream_type="test",
                expected_version=3,
                events=[store.NewEvent(type="TestHappened", data={})],
                occurred_at=datetime.now(UTC),
            )
    assert raised.value.actual == 0


async def test_verify_passes_on_a_healthy_database(
    own: Container, own_account: NewAccount, capsys: pytest.CaptureFixture[str]
) -> None:
    await history(own, own_account)

    assert await run_cli(own.settings, "verify") == 0

    out = capsys.readouterr().out
    assert (
        f"log: {9 + ACCOUNT_OPENING} events, ok" in out
        and "lead_list: 3 rows, ok" in out
        and "verify: all holds" in out
    )


async def test_verify_names_the_event_whose_data_was_updated(
    own: Container, own_account: NewAccount, capsys: pytest.CaptureFixture[str]
) -> None:
    leads = await history(own, own_account)
    changed = await event_of(own, leads[1], 2)
    data = '{"changes": {"company": {"from": null, "to": "Forged"}}}'
    await tamper(own, "UPDATE events SET data = $2::jsonb WHERE event_id = $1", changed, data)

    assert await run_cli(own.settings, "verify") == 1

    out = capsys.readouterr().out
    assert f"event {changed} (stream {leads[1]} version 2" in out
    assert "does not match its hash" in out
    assert "verify: FAILED" in out


async def test_verify_names_the_event_that_was_deleted(
    own: Container, own_account: NewAccount, capsys: pytest.CaptureFixture[str]
) -> None:
    leads = await history(own, own_account)
    removed, after = await event_of(own, leads[0], 2), await event_of(own, leads[0], 3)
    await tamper(own, "DELETE FROM events WHERE event_id = $1", removed)

    assert await run_cli(own.settings, "verify") == 1

    out = capsys.readouterr().out
    assert f"event {after} (stream {leads[0]} version 3" in out
    assert "version 2 of its stream is missing" in out


async def test_verify_catches_an_event_rewritten_with_a_recomputed_hash(
    own: Container, own_account: NewAccount, capsys: pytest.CaptureFixture[str]
) -> None:
    leads = await history(own, own_account)
    changed, after = await event_of(own, leads[2], 2), await event_of(own, leads[2], 3)
    forged = """
    UPDATE events SET metadata = '{"actor": {"user_id": null}}',
        hash = event_hash(prev_hash, event_id, account_id, stream_id, stream_type, version, type, data,
                          '{"actor": {"user_id": null}}', occurred_at)
    WHERE event_id = $1"""
    await tamper(own, forged, changed)

    assert await run_cli(own.settings, "verify", "--log-only") == 1

    out = capsys.readouterr().out
    assert f"event {after} (stream {leads[2]} version 3" in out and "prev_hash does not match version 2" in out


async def test_verify_reports_a_read_model_row_that_differs_from_a_replay(
    own: Container, own_account: NewAccount, capsys: pytest.CaptureFixture[str]
) -> None:
    leads = await history(own, own_account)
    async with own.pool.acquire() as conn:
        await conn.execute("UPDATE lead_list SET score = 77 WHERE id = $1", leads[0])

    assert await run_cli(own.settings, "verify") == 1

    out = capsys.readouterr().out
    assert f"log: {9 + ACCOUNT_OPENING} events, ok" in out
    assert f"lead_list row {leads[0]}: score: live 77, replay 0" in out


async def test_the_migration_chains_events_written_before_it(
    fresh_database: NewDatabase, account: NewAccount, tmp_path: Path
) -> None:
    before = tmp_path / "before"
    before.mkdir()
    for path in sorted(migrations_dir().glob("*.sql")):
        if path.name < "020":
            shutil.copy(path, before / path.name)
    conn = await db.connect(await fresh_database())
    try:
        await migrate(conn, before)
        stream = uuid7()
        for version in (1, 2, 3):
            await conn.execute(
                "INSERT INTO events (event_id, account_id, stream_id, stream_type, version, type, data, occurred_at)"
                " VALUES ($1, $2, $3, 'test', $4, 'TestHappened', $5, now())",
                uuid7(),
                account.account_id,
                stream,
                version,
                {"n": version},
            )
        await migrate(conn)
        rows = await conn.fetch("SELECT prev_hash, hash FROM events ORDER BY version")
        report = await check_log(conn)
    finally:
        await conn.close()
    assert report.ok and report.events == 3
    assert rows[0]["prev_hash"] is None and rows[1]["prev_hash"] == rows[0]["hash"]
    assert rows[2]["prev_hash"] == rows[1]["hash"]
