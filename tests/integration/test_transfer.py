"""`leadstore export` and `import`: the same leads and the same hash chain in another database."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import AsyncIterator
from uuid import UUID

import pytest

from leadstore.bootstrap import Container, bootstrap
from leadstore.documents import lead_document
from leadstore.settings import Settings
from leadstore.store import db
from leadstore.store.accounts import NewAccount, create_account
from leadstore.store.events import fold_recorded, read_stream
from tests.integration.helpers import NewDatabase, create_cmd, run_cli, settle, update_cmd

# metadata as the HTTP layer writes it, with numbers jsonb normalises (1.50 is stored as 1.50, 1e3 as 1000)
META = {"actor": {"user_id": None, "email": "a@example.com"}, "request": {"id": "r", "ip": "203.0.113.9"}, "w": 1.5}
EVENTS = "SELECT event_id, stream_id, version, type, data, metadata, occurred_at, prev_hash, hash FROM events"


@pytest.fixture
async def source(fresh_database: NewDatabase) -> AsyncIterator[Container]:
    url = await fresh_database()
    container = await bootstrap(Settings(database_url=url, nats_url=""), run_migrations=True)
    yield container
    await container.close()


@pytest.fixture
async def target(fresh_database: NewDatabase) -> Settings:
    """Settings naming another empty database (not even migrated: import does that)."""
    return Settings(database_url=await fresh_database(), nats_url="")


async def leads_of(container: Container) -> tuple[NewAccount, list[UUID]]:
    """Two accounts' leads; an email moves from one lead to another, so reservations depend on order."""
    async with container.pool.acquire() as conn:
        account = await create_account(conn, "source", "admin@example.com")
        other = await create_account(conn, "other", "admin@example.com")
    ids = []
    for owner, email in ((account, "ann@example.com"), (account, "bob@example.com"), (other, "ann@example.com")):
        outcome = await container.handler.execute(
            create_cmd(owner, email=email, company="Acme"), account_id=owner.account_id, metadata=META
        )
        ids.append(outcome.lead.id)
    for cmd in (
        update_cmd(account, ids[0], email="ann.new@example.com", score=12),
        update_cmd(account, ids[1], email="ann@example.com", first_name="Bob"),
    ):
        await container.handler.execute(cmd, account_id=account.account_id, metadata=META)
    await settle(container.runner("lead_list"))
    return account, ids


async def export(container: Container, capsysbinary: pytest.CaptureFixture[bytes], *options: str) -> bytes:
    assert await run_cli(container.settings, "export", *options) == 0
    captured = capsysbinary.readouterr()
    lines = captured.out.count(b"\n")
    assert f"export: {lines:,} events in ".encode() in captured.err  # the closing progress line
    return captured.out


async def import_(settings: Settings, data: bytes, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    return await run_cli(settings, "import")


async def rows(url: str, sql: str) -> list[dict[str, object]]:
    conn = await db.connect(url)
    try:
        return [dict(r) for r in await conn.fetch(sql)]
    finally:
        await conn.close()


async def documents(url: str, ids: list[UUID]) -> list[dict[str, object] | None]:
    """Each lead as its stream reads (what GET /v1/leads/{id} returns)."""
    conn = await db.connect(url)
    try:
        leads = [fold_recorded(await read_stream(conn, lead_id)) for lead_id in ids]
    finally:
        await conn.close()
    return [None if lead is None else lead_document(lead) for lead in leads]


async def test_export_then_import_reproduces_the_leads_and_the_chain(
    source: Container,
    target: Settings,
    capsysbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, ids = await leads_of(source)
    exported = await export(source, capsysbinary)

    assert await import_(target, exported, monkeypatch) == 0
    imported = len(exported.splitlines())
    assert f"import: {imported:,} events in ".encode() in capsysbinary.readouterr().err

    assert await run_cli(target, "verify") == 0
    assert b"verify: all holds" in capsysbinary.readouterr().out
    old, new = source.settings.database_url, target.database_url
    assert await documents(new, ids) == await documents(old, ids)
    for query in (
        f"{EVENTS} ORDER BY event_id",  # the same events with the same hashes
        "SELECT account_id, email_lower, lead_id FROM lead_emails ORDER BY 1, 2",
        "SELECT id, version, doc::text FROM lead_list ORDER BY id",
    ):
        assert await rows(new, query) == await rows(old, query)


async def test_import_refuses_a_database_that_has_events(
    source: Container,
    capsysbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await leads_of(source)
    exported = await export(source, capsysbinary)

    assert await import_(source.settings, exported, monkeypatch) == 1

    assert b"already has events" in capsysbinary.readouterr().err


async def test_import_refuses_an_export_whose_chain_does_not_verify(
    source: Container,
    target: Settings,
    capsysbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await leads_of(source)
    lines = (await export(source, capsysbinary)).splitlines()
    at = next(n for n, line in enumerate(lines) if json.loads(line)["type"] == "LeadUpdated")
    forged = json.loads(lines[at])
    forged["data"]["changes"]["score"]["to"] = 99
    lines[at] = json.dumps(forged).encode()

    assert await import_(target, b"\n".join(lines), monkeypatch) == 1

    err = capsysbinary.readouterr().err.decode()
    assert f"event {forged['event_id']}" in err and "does not match its hash" in err
    assert await rows(target.database_url, "SELECT * FROM events") == []


async def test_export_of_one_account_since_a_position(
    source: Container, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    account, ids = await leads_of(source)
    only = ("--account", str(account.account_id))
    exported = [json.loads(line) for line in (await export(source, capsysbinary, *only)).splitlines()]
    whole = [e for e in exported if e["stream_type"] == "lead"]  # after the account's own opening events

    since = ("--since", whole[1]["position"])
    later = [json.loads(line) for line in (await export(source, capsysbinary, *only, *since)).splitlines()]

    assert {e["account_id"] for e in exported} == {str(account.account_id)} and len(whole) == 4
    assert [e["type"] for e in exported if e["stream_type"] == "account"] == [
        "AccountCreated",
        "UserCreated",
        "ApiKeyIssued",
    ]
    assert [e["event_id"] for e in later] == [e["event_id"] for e in whole[2:]]
    assert whole[0]["stream_id"] == whole[2]["stream_id"] == str(ids[0])
    assert whole[2]["prev_hash"] == whole[0]["hash"] and whole[2]["version"] == 2
