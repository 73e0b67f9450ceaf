"""Shared fixtures: embedded PostgreSQL/NATS once per session, or LEADSTORE_TEST_* servers when given."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import asyncpg
import pytest

from leadstore.bootstrap import Container, bootstrap
from leadstore.embedded import EmbeddedPostgres
from leadstore.embedded_nats import EmbeddedNats
from leadstore.settings import Settings
from leadstore.store import encryption
from leadstore.store.accounts import NewAccount, create_account
from leadstore.store.encryption import KeyRing, generate_kek, parse_kek
from leadstore.webhooks.secrets import SecretBox

TEST_KEK = generate_kek()  # a throwaway key-encryption key for this test session (issue 13)


def pytest_configure(config: pytest.Config) -> None:
    """Every process of the session encrypts with TEST_KEK: this one (containers built from any Settings use
    the installed ring) and the `leadstore` commands tests run (they read LEADSTORE_KEK)."""
    os.environ.setdefault("LEADSTORE_KEK", TEST_KEK)
    encryption.install(KeyRing(parse_kek(os.environ["LEADSTORE_KEK"], "LEADSTORE_KEK")))


@pytest.fixture(scope="session")
def server_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="leadstore-test-") as folder:
        yield Path(folder)


@pytest.fixture(scope="session")
def postgres_server_url(server_dir: Path) -> Iterator[str]:
    """A PostgreSQL server: LEADSTORE_TEST_DATABASE_URL's, or an embedded one for this session."""
    external = os.environ.get("LEADSTORE_TEST_DATABASE_URL")
    if external:
        yield external
        return
    server = EmbeddedPostgres(server_dir, fast=True)
    try:
        yield server.start()
    finally:
        server.stop()


class NatsUsers(NamedTuple):
    """How the service and a subscriber connect to the session's NATS server."""

    service: str
    reader: str


@pytest.fixture(scope="session")
def nats_server(server_dir: Path) -> Iterator[NatsUsers]:
    """A NATS JetStream server: LEADSTORE_TEST_NATS_URL's (one user for everything), or an embedded one for
    this session, locked down as a deployment is (the service publishes, subscribers only read)."""
    external = os.environ.get("LEADSTORE_TEST_NATS_URL")
    if external:
        yield NatsUsers(external, external)
        return
    server = EmbeddedNats(server_dir)
    try:
        yield NatsUsers(server.start(), server.reader_url)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def nats_url(nats_server: NatsUsers) -> str:
    """The service's URL: it publishes events and manages the LEADS stream."""
    return nats_server.service


@pytest.fixture(scope="session")
def nats_reader_url(nats_server: NatsUsers) -> str:
    """A subscriber's URL: it consumes the stream and may publish nothing."""
    return nats_server.reader


@pytest.fixture(scope="session")
async def fresh_database(postgres_server_url: str) -> AsyncIterator[Callable[[], Awaitable[str]]]:
    """Create new, empty databases on the server: call it for each one's URL.

    When the session ends, every database it created is dropped, so runs against an existing server
    (LEADSTORE_TEST_DATABASE_URL) leave nothing behind.
    """
    names: list[str] = []
    base, _, _ = postgres_server_url.rpartition("/")

    async def create() -> str:
        name = f"leadstore_test_{uuid.uuid4().hex[:12]}"
        names.append(name)
        conn = await asyncpg.connect(postgres_server_url)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return f"{base}/{name}"

    yield create
    for name in names:
        conn = await asyncpg.connect(postgres_server_url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


@pytest.fixture(scope="session")
async def database_url(fresh_database: Callable[[], Awaitable[str]]) -> str:
    """This test run's own database (shared by the session; tests use random ids)."""
    return await fresh_database()


@pytest.fixture(scope="session")
async def container(database_url: str) -> AsyncIterator[Container]:
    """The composition root over the test database, migrated, with no background workers. The request limits
    are off: every test calls from 127.0.0.1, often with one key; the limits' tests build containers of their own."""
    settings = Settings(
        database_url=database_url,
        nats_url="",
        pool_max_size=60,
        rate_limit_per_second=0,
        auth_failures_per_minute=0,
        secrets_key=SecretBox.generate_key(),  # a throwaway key of this session's
        webhooks_allow_private=True,  # webhook tests deliver to receivers on 127.0.0.1
    )
    built = await bootstrap(settings, run_migrations=True)
    yield built
    await built.close()


@pytest.fixture
async def account(container: Container) -> AsyncIterator[NewAccount]:
    """A new account of its own for each test. Its webhooks are deleted afterwards: the tests share one
    database, and a later test's webhook worker would otherwise deliver to this test's endpoints too."""
    async with container.pool.acquire() as conn:
        new = await create_account(conn, f"test {uuid.uuid4().hex[:8]}", "admin@example.com")
    yield new
    async with container.pool.acquire() as conn:
        await conn.execute(
            "UPDATE webhooks SET deleted_at = now(), active = false WHERE account_id = $1 AND deleted_at IS NULL",
            new.account_id,
        )


# Publishing (issue 4): a NATS server a test may kill and restart, and a database of a test's own.


@pytest.fixture
def restartable_nats(tmp_path: Path) -> Iterator[EmbeddedNats]:
    """A NATS JetStream server of this test's own: `.proc.kill()` then `.start()` restarts it on the same port."""
    server = EmbeddedNats(tmp_path / "nats-server")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def own_database(fresh_database: Callable[[], Awaitable[str]]) -> str:
    """A fresh, migrated database for one test, so its log (and its publisher's checkpoint) starts empty."""
    from leadstore.store import db
    from leadstore.store.migrate import migrate

    url = await fresh_database()
    conn = await db.connect(url)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    return url
