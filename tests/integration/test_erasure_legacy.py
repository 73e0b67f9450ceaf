"""Erasing a lead written before encryption at rest (issue 13): its plaintext personal values are in
immutable events, so erasure is refused (409 erasure_unavailable) and writes nothing; the way out the
refusal names (`leadstore export`, `leadstore import --encrypt` into a new database) then lets it erase."""

from __future__ import annotations

import io
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import UUID

import pytest
from uuid_utils.compat import uuid7

from leadstore.bootstrap import Container, bootstrap
from leadstore.domain.events import LEAD_STREAM, LeadCreated, event_data, event_type
from leadstore.http.testing import add_user, serve
from leadstore.settings import Settings
from leadstore.store import events as store
from leadstore.store.accounts import NewAccount, create_account
from tests.integration.helpers import NewDatabase, assert_problem, client, run_cli

RAW_ROWS = "SELECT data::text || metadata::text AS row FROM events WHERE stream_id = $1"
KEYED_ROWS = "SELECT count(*) FROM lead_keys WHERE lead_id = $1"
# a release before encryption recorded the request's address and user agent in plaintext too
OLD_META = {"actor": {"user_id": None}, "request": {"id": "old", "ip": "198.51.100.77", "user_agent": "old-agent/1"}}


@pytest.fixture
async def own(fresh_database: NewDatabase) -> AsyncIterator[Container]:
    settings = Settings(database_url=await fresh_database(), nats_url="")
    container = await bootstrap(settings, run_migrations=True)
    yield container
    await container.close()


async def legacy_lead(container: Container, account: NewAccount, person: dict[str, str]) -> UUID:
    """A lead as a release before encryption wrote it: plaintext values, no mark, no data key."""
    lead_id = uuid7()
    created = LeadCreated(
        account_id=account.account_id,
        created_by=account.user_id,
        status="new",
        first_name=person["first_name"],
        last_name=person["last_name"],
        email=person["email"],
    )
    new_event = store.NewEvent(type=event_type(created), data=event_data(created), metadata=OLD_META)
    async with container.pool.acquire() as conn:
        await store.append(
            conn,
            account_id=account.account_id,
            stream_id=lead_id,
            stream_type=LEAD_STREAM,
            expected_version=0,
            events=[new_event],
            occurred_at=datetime.now(UTC),
        )
    return lead_id


async def test_a_lead_with_plaintext_from_before_encryption_is_not_erased_until_the_log_is_copied_encrypted(
    own: Container,
    fresh_database: NewDatabase,
    capsysbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with own.pool.acquire() as conn:
        account = await create_account(conn, "legacy", "admin@example.com")
    tag = uuid7().hex[-10:]
    person = {"first_name": f"Olga{tag}", "last_name": f"Oldlog{tag}", "email": f"olga.{tag}@example.com"}
    lead_id = await legacy_lead(own, account, person)

    async with serve(own) as api, client(api, account.api_key) as http:
        refused = await http.post(f"/v1/leads/{lead_id}/erase", json={"reason": "request #9"})
        keyed = await http.post(
            f"/v1/leads/{lead_id}/erase", json={"reason": "request #9"}, headers={"Idempotency-Key": f"e-{tag}"}
        )
        still = await http.get(f"/v1/leads/{lead_id}")
    problem = assert_problem(refused, 409, "erasure_unavailable")
    assert "leadstore export" in problem["detail"] and "leadstore import --encrypt" in problem["detail"]
    assert_problem(keyed, 409, "erasure_unavailable")
    assert still.json()["first_name"] == person["first_name"] and still.json()["erased"] is False
    async with own.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM events WHERE stream_id = $1", lead_id) == 1  # nothing
        assert await conn.fetchval(KEYED_ROWS, lead_id) == 0  # no key made for it either
        assert await conn.fetchval("SELECT count(*) FROM idempotency_keys WHERE key = $1", f"e-{tag}") == 0

    # the way out: a fresh, encrypted copy of the log, where the lead can be erased
    assert await run_cli(own.settings, "export") == 0
    exported = capsysbinary.readouterr().out
    copy = Settings(database_url=await fresh_database(), nats_url="")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(exported)))
    assert await run_cli(copy, "import", "--encrypt") == 0
    capsysbinary.readouterr()
    copied = await bootstrap(copy, run_migrations=True)
    try:
        # `import` copies the log; the account's row, users and keys are the operator's to set up again
        async with copied.pool.acquire() as conn:
            await conn.execute("INSERT INTO accounts (id, name) VALUES ($1, 'legacy')", account.account_id)
        _, key = await add_user(copied, account.account_id, "admin")
        async with serve(copied) as api, client(api, key) as http:
            erased = await http.post(f"/v1/leads/{lead_id}/erase", json={"reason": "request #9"})
        assert erased.status_code == 200, erased.text
        assert erased.json()["erased"] is True and erased.json()["first_name"] is None
        async with copied.pool.acquire() as conn:
            raw = await conn.fetch(
                "SELECT data::text || metadata::text AS row FROM events WHERE stream_id = $1", lead_id
            )
            assert await conn.fetchval(KEYED_ROWS, lead_id) == 0  # its data key is gone
        assert [r["row"] for r in raw if any(v in r["row"] for v in (*person.values(), "old-agent/1"))] == []
    finally:
        await copied.close()
