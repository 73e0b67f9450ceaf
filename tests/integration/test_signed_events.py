"""Signed envelopes: each published event carries its chain hash and an Ed25519 signature of its exact body,
and the public key is served by GET /v1/signing-key and printed by `leadstore signing-key`."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import nats
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from leadstore.bootstrap import Container, bootstrap
from leadstore.http.testing import serve
from leadstore.publishing import STREAM, PublishingSettings
from leadstore.publishing.keys import SigningKeys
from leadstore.publishing.signature import Signer, b64, new_seed
from leadstore.publishing.stream import ensure_stream
from leadstore.settings import Settings
from leadstore.store import db
from leadstore.store.accounts import NewAccount, create_account
from leadstore.store.migrate import migrate
from tests.integration.helpers import FAST_PUBLISHING, run_cli, write_lead


@pytest.fixture
async def node(own_database: str, nats_url: str) -> AsyncIterator[Container]:
    """A container on a database of its own, its publisher running."""
    built = await bootstrap(Settings(database_url=own_database, nats_url=nats_url), publishing=FAST_PUBLISHING)
    built.start_workers()
    yield built
    await built.close()


async def served_key(container: Container) -> dict[str, str]:
    async with serve(container) as url, httpx.AsyncClient(base_url=url) as http:
        response = await http.get("/v1/signing-key")  # no API key
    assert response.status_code == 200, response.text
    document: dict[str, str] = response.json()
    return document


async def test_published_events_carry_their_chain_hash_and_a_signature_of_the_body(
    node: Container, nats_url: str, nats_reader_url: str
) -> None:
    async with node.pool.acquire() as conn:
        account: NewAccount = await create_account(conn, "signed", "admin@example.com")
    lead = await write_lead(node, account, 1)
    service = await nats.connect(nats_url)
    try:
        await ensure_stream(service.jetstream(), PublishingSettings())  # the first test on a new server
    finally:
        await service.close()
    nc = await nats.connect(nats_reader_url)
    try:
        sub = await nc.jetstream().pull_subscribe(f"leads.{account.account_id}.*", stream=STREAM)
        messages = await sub.fetch(2, timeout=10)
    finally:
        await nc.close()
    async with node.pool.acquire() as conn:
        hashes = await conn.fetch("SELECT event_id, hash FROM events WHERE stream_id = $1", lead)
    document = await served_key(node)
    public_key = Ed25519PublicKey.from_public_bytes(base64.b64decode(document["public_key"]))
    assert document["algorithm"] == "ed25519"
    for msg in messages:
        assert msg.headers is not None
        algorithm, _, signature = msg.headers["Leadstore-Signature"].partition("=")
        assert algorithm == "ed25519"
        public_key.verify(base64.b64decode(signature), msg.data)  # raises InvalidSignature when it is not
        event_id = json.loads(msg.data)["id"]
        assert msg.headers["Leadstore-Hash"] == {str(r["event_id"]): r["hash"].hex() for r in hashes}[event_id]


async def test_the_public_key_is_served_without_an_api_key_and_printed_by_the_cli(
    container: Container, capsys: pytest.CaptureFixture[str]
) -> None:
    document = await served_key(container)
    assert await run_cli(container.settings, "signing-key") == 0
    assert capsys.readouterr().out.strip() == document["public_key"]
    assert await run_cli(container.settings, "signing-key", "--json") == 0
    assert json.loads(capsys.readouterr().out) == document
    with pytest.raises(SystemExit) as help_asked:
        await run_cli(container.settings, "signing-key", "--help")
    assert help_asked.value.code == 0 and "GET /v1/signing-key" in capsys.readouterr().out


async def test_a_configured_key_is_the_one_served_and_printed(
    container: Container, capsys: pytest.CaptureFixture[str]
) -> None:
    seed = new_seed()
    settings = Settings(database_url=container.settings.database_url, nats_url="", signing_key=b64(seed))
    configured = await bootstrap(settings)
    try:
        expected = b64(Signer(seed).public_key)
        assert (await served_key(configured))["public_key"] == expected
        assert await run_cli(settings, "signing-key") == 0
        assert capsys.readouterr().out.strip() == expected
        assert expected != (await served_key(container))["public_key"]  # the deployment's key stays apart
    finally:
        await configured.close()


async def test_racing_processes_of_a_deployment_make_one_key_and_all_use_it(
    fresh_database: Callable[[], Awaitable[str]],
) -> None:
    url = await fresh_database()
    conns = [await db.connect(url) for _ in range(6)]
    try:
        await migrate(conns[0])
        signers = await asyncio.gather(*(SigningKeys().signer(conn) for conn in conns))
        assert len({signer.public_key for signer in signers}) == 1
        assert await conns[0].fetchval("SELECT count(*) FROM signing_key") == 1
    finally:
        for conn in conns:
            await conn.close()
