"""Encryption at rest (issue 13): raw event rows hold no personal value of a lead, every reader gets them back
while the lead's data key exists, and none does once it is gone."""

from __future__ import annotations

import asyncio
import base64
import io
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgspec
import pytest
from uuid_utils.compat import uuid7

from leadstore.bootstrap import Container, bootstrap
from leadstore.documents import lead_document
from leadstore.domain.events import (
    LEAD_STREAM,
    Change,
    LeadCreated,
    LeadEvent,
    LeadUpdated,
    event_data,
    event_type,
)
from leadstore.settings import Settings
from leadstore.store import db, encryption
from leadstore.store import events as store
from leadstore.store.accounts import NewAccount, create_account
from leadstore.store.encryption import (
    MARK,
    TOKEN,
    KeyRing,
    destroy_data_key,
    generate_kek,
    parse_kek,
    stream_has_plaintext,
)
from leadstore.store.events import fold_recorded
from tests.integration.helpers import NewDatabase, client, create, create_cmd, run_cli, settle, update_cmd

PERSON: dict[str, Any] = {
    "first_name": "Zelda",
    "last_name": "Quixotica",
    "email": "zelda.quixotica@example.org",
    "phone": "+15552345678",
    "title": "Chief Wrangler",
    "notes": "met at the Quixotica booth",
    "mailing_address": {"street": "1 Quixotica Way", "city": "Springfield", "country": "US"},
}
USER_AGENT = "QuixoticaBrowser/9.1"
NEW_EMAIL = "zelda.renamed@example.org"
NEW_PHONE = "+15557654321"
# What must never be found in a raw row (the phone without its plus, as jsonb could hold it any way).
SECRETS = ("Zelda", "Quixotica", "zelda.quixotica", "5552345678", "Wrangler", "zelda.renamed", "5557654321", USER_AGENT)
RAW_EVENTS = "SELECT type, data::text AS data, metadata::text AS metadata FROM events WHERE stream_id = $1"
DISABLE_GUARD = "ALTER TABLE events DISABLE TRIGGER USER"
ENABLE_GUARD = "ALTER TABLE events ENABLE TRIGGER USER"


@pytest.fixture
async def own(fresh_database: NewDatabase) -> AsyncIterator[Container]:
    """A container over a database of this test's own (the tests below tamper with the log or drop keys)."""
    container = await bootstrap(Settings(database_url=await fresh_database(), nats_url=""), run_migrations=True)
    yield container
    await container.close()


@pytest.fixture
async def own_account(own: Container) -> NewAccount:
    async with own.pool.acquire() as conn:
        return await create_account(conn, "crypto", "admin@example.com")


async def person(api: str, account: NewAccount, tag: str = "") -> dict[str, Any]:
    """A lead created with every kind of personal value, then its email and phone changed (the emails end
    with `tag`, so one account may hold several)."""
    async with client(api, account.api_key, **{"User-Agent": USER_AGENT}) as http:
        lead = await create(http, **(PERSON | {"email": PERSON["email"] + tag}))
        changes = {"email": NEW_EMAIL + tag, "phone": NEW_PHONE}
        patched = await http.patch(f"/v1/leads/{lead['id']}", json=changes)
        assert patched.status_code == 200, patched.text
        body: dict[str, Any] = patched.json()
    return body


async def raw_rows(container: Container, lead_id: str | UUID) -> list[str]:
    async with container.pool.acquire() as conn:
        rows = await conn.fetch(RAW_EVENTS, UUID(str(lead_id)))
    return [row["data"] + row["metadata"] for row in rows]


async def reads(api: str, account: NewAccount, lead_id: str) -> dict[str, Any]:
    """What the API's readers answer for the lead: itself, as of now, its events, the account's feed."""
    async with client(api, account.api_key) as http:
        lead = (await http.get(f"/v1/leads/{lead_id}")).json()
        as_of = (await http.get(f"/v1/leads/{lead_id}", params={"as_of": "2999-01-01T00:00:00Z"})).json()
        events = (await http.get(f"/v1/leads/{lead_id}/events")).json()["data"]
        feed = [e for e in (await http.get("/v1/events")).json()["data"] if e["lead_id"] == lead_id]
    return {"lead": lead, "as_of": as_of, "events": events, "feed": feed}


async def test_raw_rows_hold_no_personal_value_and_every_reader_gets_them_back(
    own: Container, own_account: NewAccount, capsys: pytest.CaptureFixture[str]
) -> None:
    from leadstore.http.testing import serve

    async with serve(own) as api:
        lead = await person(api, own_account)
        seen = await reads(api, own_account, lead["id"])

    rows = await raw_rows(own, lead["id"])
    assert len(rows) == 2 and all(TOKEN in row and f'"{MARK}": "v1"' in row for row in rows)
    for secret in SECRETS:
        assert not any(secret in row for row in rows), secret
    for document in (seen["lead"], seen["as_of"]):
        assert document["email"] == NEW_EMAIL and document["phone"] == NEW_PHONE
        assert document["first_name"] == "Zelda" and document["full_name"] == "Zelda Quixotica"
        assert document["mailing_address"]["street"] == "1 Quixotica Way"
    for events in (seen["events"], seen["feed"]):
        created, updated = events
        assert created["data"]["email"] == PERSON["email"] and created["data"]["title"] == "Chief Wrangler"
        assert created["request"]["user_agent"] == USER_AGENT and created["request"]["ip"] == "127.0.0.1"
        assert created["request"]["headers"]["user-agent"] == USER_AGENT
        assert updated["data"]["changes"]["email"] == {"from": PERSON["email"], "to": NEW_EMAIL}
        assert updated["data"]["changes"]["phone"] == {"from": PERSON["phone"], "to": NEW_PHONE}

    await settle(own.runner("lead_list"))
    async with own.pool.acquire() as conn:
        listed = await conn.fetchval("SELECT email_lower FROM lead_list WHERE id = $1", UUID(lead["id"]))
    assert listed == NEW_EMAIL  # read models hold plaintext (DESIGN.md decision 10)

    assert await run_cli(own.settings, "audit", lead["id"], "--json") == 0
    audit = capsys.readouterr().out
    assert NEW_EMAIL in audit and USER_AGENT in audit


async def test_without_the_data_key_personal_values_read_as_null_and_the_rest_stays(
    own: Container, own_account: NewAccount, capsys: pytest.CaptureFixture[str]
) -> None:
    from leadstore.http.testing import serve

    async with serve(own) as api:
        lead = await person(api, own_account)
        async with own.pool.acquire() as conn:
            assert await destroy_data_key(conn, UUID(lead["id"])) is True
            assert await destroy_data_key(conn, UUID(lead["id"])) is False
        seen = await reads(api, own_account, lead["id"])

    for document in (seen["lead"], seen["as_of"]):
        assert document["email"] is None and document["phone"] is None and document["first_name"] is None
        assert document["mailing_address"] is None and document["version"] == 2
        assert document["status"] == lead["status"] and document["created_by"] == lead["created_by"]
    for events in (seen["events"], seen["feed"]):
        created, updated = events
        assert created["data"]["email"] is None and created["data"]["status"] == lead["status"]
        assert created["request"]["user_agent"] is None and created["request"]["ip"] is None
        assert created["request"]["method"] == "POST"
        assert updated["data"]["changes"]["email"] == {"from": None, "to": None}
    assert not any(secret in msgspec.json.encode(seen).decode() for secret in SECRETS)

    assert await run_cli(own.settings, "audit", lead["id"], "--json") == 0
    assert not any(secret in capsys.readouterr().out for secret in SECRETS)
    assert await run_cli(own.settings, "export") == 0
    exported = capsys.readouterr().out
    assert lead["id"] in exported and '"lead_key"' not in exported  # no key travels for it
    assert not any(secret in exported for secret in SECRETS)
    assert await run_cli(own.settings, "replay", "--projection", "lead_list") == 0
    async with own.pool.acquire() as conn:
        row = await conn.fetchrow("SELECT email_lower, phone, doc::text FROM lead_list WHERE id = $1", UUID(lead["id"]))
    assert row is not None and row["email_lower"] is None and row["phone"] is None
    assert not any(secret in row["doc"] for secret in SECRETS)  # a rebuilt read model holds none either


async def test_a_flipped_byte_of_a_ciphertext_is_reported_by_verify(
    own: Container, own_account: NewAccount, capsys: pytest.CaptureFixture[str]
) -> None:
    from leadstore.http.testing import serve

    async with serve(own) as api:
        lead = await person(api, own_account)
    await settle(own.runner("lead_list"))
    async with own.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT event_id, data->>'email' AS email FROM events WHERE stream_id = $1 AND version = 1",
            UUID(lead["id"]),
        )
    assert row is not None
    event_id, sealed = row["event_id"], row["email"]
    raw = bytearray(base64.b64decode(sealed[len(TOKEN) :]))
    raw[20] ^= 0x01
    forged = TOKEN + base64.b64encode(bytes(raw)).decode()
    async with own.pool.acquire() as conn:
        await conn.execute(DISABLE_GUARD)
        try:
            await conn.execute(
                "UPDATE events SET data = jsonb_set(data, '{email}', to_jsonb($2::text)) WHERE event_id = $1",
                event_id,
                forged,
            )
        finally:
            await conn.execute(ENABLE_GUARD)

    assert await run_cli(own.settings, "verify", "--log-only") == 1
    out = capsys.readouterr().out
    assert f"event {event_id}" in out and "does not match its hash" in out


async def test_many_concurrent_creates_and_updates_all_decrypt(
    api: str, container: Container, account: NewAccount
) -> None:
    async def writer(n: int) -> tuple[str, str]:
        async with client(api, account.api_key) as http:
            lead = await create(http, email=f"writer{n}@crypto.example", last_name=f"Writer{n}")
            email = f"writer{n}.changed@crypto.example"
            response = await http.patch(f"/v1/leads/{lead['id']}", json={"email": email})
            assert response.status_code == 200, response.text
            return lead["id"], email

    written = await asyncio.gather(*(writer(n) for n in range(40)))

    async with client(api, account.api_key) as http:
        for n, (lead_id, email) in enumerate(written):
            lead = (await http.get(f"/v1/leads/{lead_id}")).json()
            assert lead["email"] == email and lead["last_name"] == f"Writer{n}" and lead["version"] == 2
    async with container.pool.acquire() as conn:
        keys = await conn.fetchval(
            "SELECT count(*) FROM lead_keys WHERE lead_id = ANY($1::uuid[])", [UUID(i) for i, _ in written]
        )
        plain = [await stream_has_plaintext(conn, UUID(i)) for i, _ in written]
    assert keys == 40 and not any(plain)


async def test_without_a_kek_the_service_refuses_to_start_and_writes_nothing(
    own: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEADSTORE_KEK", raising=False)
    process = await asyncio.create_subprocess_exec(
        *_leadstore(),
        "serve",
        "--no-workers",
        env={**_env(), "LEADSTORE_DATABASE_URL": own.settings.database_url, "LEADSTORE_PORT": "0"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode != 0
    assert "LEADSTORE_KEK is not set" in err.decode() and len(err.decode().strip().splitlines()) == 1

    previous = encryption.install(None)
    try:
        with pytest.raises(encryption.KekMissing, match="LEADSTORE_KEK"):
            await bootstrap(Settings(database_url=own.settings.database_url, nats_url=""))
    finally:
        encryption.install(previous)


def _leadstore() -> list[str]:
    import sys

    return [sys.executable, "-m", "leadstore.cli"]


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("LEADSTORE_")}


async def test_verify_reports_erased_leads_as_erased_and_a_value_altered_under_a_recomputed_hash(
    own: Container, own_account: NewAccount, capsys: pytest.CaptureFixture[str]
) -> None:
    from leadstore.http.testing import serve

    async with serve(own) as api:
        erased, altered = await person(api, own_account), await person(api, own_account, ".uk")
    await settle(own.runner("lead_list"))
    async with own.pool.acquire() as conn:
        await destroy_data_key(conn, UUID(erased["id"]))
    assert await run_cli(own.settings, "verify", "--log-only") == 0
    out = capsys.readouterr().out
    assert (
        "2 leads sealed, 1 of them erased, ok" in out
        and f"erased (sealed values unreadable, by design): {erased['id']}" in out
    )

    async with own.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT event_id, metadata->'request'->>'ip' AS ip FROM events WHERE stream_id = $1 AND version = 2",
            UUID(altered["id"]),
        )
        assert row is not None
        event_id, sealed = row["event_id"], row["ip"]
        raw = bytearray(base64.b64decode(sealed[len(TOKEN) :]))
        raw[-1] ^= 0x80
        forged = TOKEN + base64.b64encode(bytes(raw)).decode()
        await conn.execute(DISABLE_GUARD)
        try:  # the value and a hash recomputed over it: the chain alone can not tell
            await conn.execute(
                """UPDATE events SET metadata = jsonb_set(metadata, '{request,ip}', to_jsonb($2::text)),
                       hash = event_hash(prev_hash, event_id, account_id, stream_id, stream_type, version, type,
                                         data, jsonb_set(metadata, '{request,ip}', to_jsonb($2::text)), occurred_at)
                   WHERE event_id = $1""",
                event_id,
                forged,
            )
        finally:
            await conn.execute(ENABLE_GUARD)

    assert await run_cli(own.settings, "verify", "--log-only") == 1
    out = capsys.readouterr().out
    assert f"event {event_id} (stream {altered['id']}): its sealed value metadata/request/ip does not open" in out


LEGACY_META: dict[str, Any] = {
    "actor": {"user_id": None},
    "request": {"id": "old", "ip": "198.51.100.23", "user_agent": USER_AGENT, "headers": {"user-agent": USER_AGENT}},
}


async def legacy_lead(container: Container, account: NewAccount) -> UUID:
    """A lead as a release before encryption wrote it: plaintext personal values, no mark, no data key."""
    lead_id = uuid7()
    created = LeadCreated(
        account_id=account.account_id, created_by=account.user_id, status="new", **(PERSON | {"mailing_address": None})
    )
    updated = LeadUpdated(changes={"email": Change(PERSON["email"], NEW_EMAIL)})
    events: list[LeadEvent] = [created, updated]
    async with container.pool.acquire() as conn:
        for version, event in enumerate(events):
            await store.append(
                conn,
                account_id=account.account_id,
                stream_id=lead_id,
                stream_type=LEAD_STREAM,
                expected_version=version,
                events=[store.NewEvent(type=event_type(event), data=event_data(event), metadata=LEGACY_META)],
                occurred_at=datetime.now(UTC),
            )
    return lead_id


async def document(conn: db.Conn, lead_id: UUID) -> dict[str, Any]:
    lead = fold_recorded(await store.read_stream(conn, lead_id))
    assert lead is not None
    return lead_document(lead)


async def test_plaintext_from_before_is_listed_by_verify_and_import_encrypt_seals_it(
    own: Container,
    own_account: NewAccount,
    fresh_database: NewDatabase,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old = await legacy_lead(own, own_account)
    sealed = (
        await own.handler.execute(
            create_cmd(own_account, email="new@crypto.example"), account_id=own_account.account_id, metadata=LEGACY_META
        )
    ).lead.id
    async with own.pool.acquire() as conn:
        assert await stream_has_plaintext(conn, old) and not await stream_has_plaintext(conn, sealed)
    assert await run_cli(own.settings, "verify", "--log-only") == 0
    out = capsys.readouterr().out
    assert "1 leads hold plaintext personal data from before encryption" in out and str(old) in out
    assert str(sealed) not in out

    assert await run_cli(own.settings, "export") == 0
    exported = capsys.readouterr().out
    assert any(secret in exported for secret in SECRETS)  # the old events, as they were
    target = Settings(database_url=await fresh_database(), nats_url="")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(exported.encode())))
    assert await run_cli(target, "import", "--encrypt") == 0
    err = capsys.readouterr().err
    assert "encrypted the personal values of 2 events" in err and "recomputed the hash chain" in err

    assert await run_cli(target, "verify") == 0
    out = capsys.readouterr().out
    assert "verify: all holds" in out and "plaintext" not in out
    target_conn = await db.connect(target.database_url)
    try:
        raw = [
            row["data"] + row["metadata"]
            for row in await target_conn.fetch("SELECT data::text, metadata::text FROM events")
        ]
        assert not any(secret in row for row in raw for secret in SECRETS)
        documents = {lead: await document(target_conn, lead) for lead in (old, sealed)}
        assert not await stream_has_plaintext(target_conn, old)
        reserved = {row["email_lower"] for row in await target_conn.fetch("SELECT email_lower FROM lead_emails")}
    finally:
        await target_conn.close()
    assert documents[old]["email"] == NEW_EMAIL and documents[old]["first_name"] == "Zelda"
    assert documents[sealed]["email"] == "new@crypto.example"
    assert reserved == {NEW_EMAIL, "new@crypto.example"}


async def test_rotate_kek_under_concurrent_creates_loses_nothing(
    own: Container, own_account: NewAccount, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = encryption.keyring(), parse_kek(generate_kek(), "new")
    before = [await _create(own, own_account, n) for n in range(60)]
    # the switch-over's step 1: new keys under the new KEK, the old rows open with the previous one
    previous = encryption.install(KeyRing(new, (_raw_kek(),)))
    try:
        stop = asyncio.Event()
        during: list[tuple[UUID, str]] = []

        async def writer(w: int) -> None:
            n = 0
            while not stop.is_set() or n < 5:
                during.append(await _create(own, own_account, 1000 * (w + 1) + n))
                n += 1

        writers = [asyncio.create_task(writer(w)) for w in range(4)]
        assert await run_cli(own.settings, "rotate-kek", "--batch-size", "7") == 0
        stop.set()
        await asyncio.gather(*writers)
        assert await run_cli(own.settings, "rotate-kek") == 0  # idempotent: nothing left to do
        out = capsys.readouterr()
        assert "rewrapped 60 data keys" in out.out and "rewrapped 0 data keys" in out.out
        assert "rotate-kek: 14 of 60 data keys rewrapped" in out.err

        encryption.install(KeyRing(new))  # step 3: the old KEK retired
        async with own.pool.acquire() as conn:
            kek_ids = {row["kek_id"] for row in await conn.fetch("SELECT kek_id FROM lead_keys")}
            keys = await conn.fetchval("SELECT count(*) FROM lead_keys")
            for lead_id, email in before + during:
                lead = fold_recorded(await store.read_stream(conn, lead_id))
                assert lead is not None and lead.email == email
        assert kek_ids == {encryption.kek_id(new)} and keys == len(before) + len(during) and len(during) >= 20
    finally:
        encryption.install(previous)
    assert old is previous


async def _create(container: Container, account: NewAccount, n: int) -> tuple[UUID, str]:
    email = f"rotating{n}@crypto.example"
    outcome = await container.handler.execute(
        create_cmd(account, email=email), account_id=account.account_id, metadata=LEGACY_META
    )
    return outcome.lead.id, email


def _raw_kek() -> bytes:
    import os

    return parse_kek(os.environ["LEADSTORE_KEK"], "LEADSTORE_KEK")


async def test_a_lead_whose_key_was_destroyed_is_never_given_a_new_one(own: Container, own_account: NewAccount) -> None:
    lead_id, _ = await _create(own, own_account, 1)
    async with own.pool.acquire() as conn:
        await destroy_data_key(conn, lead_id)

    with pytest.raises(encryption.DataKeyGone):
        await own.handler.execute(
            update_cmd(own_account, lead_id, email="back@crypto.example"),
            account_id=own_account.account_id,
            metadata=LEGACY_META,
        )

    async with own.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM events WHERE stream_id = $1", lead_id) == 1
        assert await conn.fetchval("SELECT count(*) FROM lead_keys WHERE lead_id = $1", lead_id) == 0
