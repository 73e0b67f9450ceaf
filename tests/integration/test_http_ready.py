"""GET /ready: 200 when the process can serve, else 503 naming why; within its time limit whatever the database
does; the oldest open transaction on the server (any database) reported."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from leadstore.bootstrap import Container, bootstrap
from leadstore.http.testing import serve
from leadstore.settings import Settings
from tests.integration.helpers import NewDatabase

LIMIT = 0.5  # the time limit of this module's API (ready_timeout_seconds)


@pytest.fixture(scope="module")
async def own(fresh_database: NewDatabase) -> AsyncIterator[Container]:
    """A container on a database of this module's own, which its tests break and mend."""
    settings = Settings(database_url=await fresh_database(), ready_timeout_seconds=LIMIT)
    built = await bootstrap(settings, run_migrations=True)
    yield built
    await built.close()


@pytest.fixture(scope="module")
async def own_api(own: Container) -> AsyncIterator[str]:
    async with serve(own) as url:
        yield url


async def readiness(api: str) -> tuple[int, dict[str, Any]]:
    async with httpx.AsyncClient(base_url=api) as http:
        response = await http.get("/ready")
    body: dict[str, Any] = response.json()
    return response.status_code, body


def codes(body: dict[str, Any]) -> list[str]:
    return [reason["code"] for reason in body["reasons"]]


async def test_a_ready_process_reports_its_readers_and_the_servers_oldest_transaction(
    own_api: str, postgres_server_url: str
) -> None:
    other = await asyncpg.connect(postgres_server_url)  # another database of the same server
    try:
        await other.execute("BEGIN")
        await other.fetchval("SELECT pg_current_xact_id()")  # a transaction id: readers now wait for it
        await asyncio.sleep(0.3)
        status, body = await readiness(own_api)
        database = await other.fetchval("SELECT current_database()")
    finally:
        await other.close()

    assert status == 200 and body["status"] == "ready" and body["reasons"] == []
    assert body["database"]["reachable"] is True and body["database"]["migrations_pending"] == []
    oldest = body["database"]["oldest_transaction"]
    assert oldest["pid"] == other.get_server_pid() and oldest["database"] == database
    assert oldest["seconds"] >= 0.3 and oldest["state"] == "idle in transaction" and "query" not in oldest
    lead_list = body["projections"]["lead_list"]
    assert lead_list["schema_current"] is True and isinstance(lead_list["lag_events"], int)


async def test_not_ready_while_a_migration_is_not_applied(own: Container, own_api: str) -> None:
    async with own.pool.acquire() as conn:
        row = await conn.fetchrow(
            "DELETE FROM schema_migrations WHERE name = (SELECT max(name) FROM schema_migrations) RETURNING *"
        )
        assert row is not None
        try:
            status, body = await readiness(own_api)
        finally:
            await conn.execute("INSERT INTO schema_migrations VALUES ($1, $2, $3)", *row.values())
    mended, _ = await readiness(own_api)

    assert status == 503 and body["status"] == "not_ready" and codes(body) == ["migrations_not_current"]
    assert row["name"] in body["reasons"][0]["detail"] and body["database"]["migrations_pending"] == [row["name"]]
    assert mended == 200


async def test_not_ready_while_a_read_model_was_built_by_another_schema_version(own: Container, own_api: str) -> None:
    newer = own.runner("lead_list").projection.version + 1
    async with own.pool.acquire() as conn:
        built_by = await conn.fetchval("SELECT schema_version FROM checkpoints WHERE name = 'lead_list'")
        await conn.execute("UPDATE checkpoints SET schema_version = $1 WHERE name = 'lead_list'", newer)
        try:
            status, body = await readiness(own_api)
        finally:
            await conn.execute("UPDATE checkpoints SET schema_version = $1 WHERE name = 'lead_list'", built_by)

    assert status == 503 and codes(body) == ["projection_schema_not_current"]
    assert f"lead_list was built by schema version {newer}" in body["reasons"][0]["detail"]
    assert body["projections"]["lead_list"]["schema_current"] is False


async def test_ready_answers_within_its_time_limit_when_the_database_does_not(own: Container, own_api: str) -> None:
    blocker = await asyncpg.connect(own.settings.database_url)
    try:
        await blocker.execute("BEGIN; LOCK TABLE checkpoints IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        status, body = await readiness(own_api)
        took = time.monotonic() - started
    finally:
        await blocker.close()
    mended, _ = await readiness(own_api)

    assert status == 503 and codes(body) == ["database_timeout"] and body["database"]["reachable"] is False
    assert LIMIT <= took < LIMIT + 1.5
    assert mended == 200


async def test_not_ready_while_the_database_is_unreachable(
    own: Container, own_api: str, postgres_server_url: str
) -> None:
    name = own.settings.database_url.rpartition("/")[2]
    admin = await asyncpg.connect(postgres_server_url)
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name)
        status, body = await readiness(own_api)
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        mended, _ = await readiness(own_api)
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()

    assert status == 503 and codes(body) == ["database_unreachable"] and body["database"]["reachable"] is False
    assert mended == 200
