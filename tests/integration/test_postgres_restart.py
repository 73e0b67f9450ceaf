"""PostgreSQL stopped (fast, or immediately as in a crash) and started again under load: every request that
fails is 503 `unavailable` with Retry-After (never a 500, nothing logged as an error), every create answered
201 is in the log afterwards, and the API recovers by itself once the server is back."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from uuid_utils.compat import uuid7

from leadstore.bootstrap import bootstrap
from leadstore.embedded import EmbeddedPostgres
from leadstore.http.testing import serve
from leadstore.settings import Settings
from leadstore.store.accounts import create_account

CLIENTS = 8
RESTARTS = 2


@pytest.fixture
def restartable_postgres(tmp_path: Path) -> Iterator[EmbeddedPostgres]:
    """A PostgreSQL server of this test's own, with durable commits (the test servers' fast settings turn
    synchronous_commit off, which a crash would rightly lose): `stop(mode)` then `start()` restarts it."""
    server = EmbeddedPostgres(tmp_path / "postgres")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize("mode", ["fast", "immediate"])
async def test_a_shutdown_under_load_is_answered_503_with_retry_after_loses_no_write_and_the_api_recovers(
    restartable_postgres: EmbeddedPostgres, caplog: pytest.LogCaptureFixture, mode: str
) -> None:
    server = restartable_postgres
    settings = Settings(database_url=server.url, rate_limit_per_second=0, auth_failures_per_minute=0)
    container = await bootstrap(settings, run_migrations=True)
    answers: list[httpx.Response] = []
    try:
        async with container.pool.acquire() as conn:
            account = await create_account(conn, "restart test", "admin@example.com")
        headers = {"Authorization": f"Bearer {account.api_key}"}
        async with serve(container) as api, httpx.AsyncClient(base_url=api, headers=headers, timeout=30) as http:
            stop = asyncio.Event()

            async def client() -> None:
                while not stop.is_set():
                    body = {"first_name": "Ada", "email": f"{uuid7().hex}@example.com", "source": "website"}
                    answers.append(await http.post("/v1/leads", json=body))
                    answers.append(await http.get("/v1/leads", params={"limit": 5}))

            clients = [asyncio.create_task(client()) for _ in range(CLIENTS)]
            try:
                for _ in range(RESTARTS):
                    await asyncio.sleep(0.5)
                    await asyncio.to_thread(server.stop, mode)
                    await asyncio.sleep(0.3)
                    await asyncio.to_thread(server.start)
                await asyncio.sleep(0.5)
                served = len(answers)
                async with asyncio.timeout(15):  # recovered: requests succeed again after the last restart
                    while not [a for a in answers[served:] if a.status_code == 201]:  # noqa: ASYNC110
                        await asyncio.sleep(0.05)
            finally:
                stop.set()
                await asyncio.gather(*clients)
        created = [answer.json()["id"] for answer in answers if answer.status_code == 201]
        async with container.pool.acquire() as conn:
            logged = {str(row["stream_id"]) for row in await conn.fetch("SELECT stream_id FROM events")}
    finally:
        await container.close()
    gc.collect()  # a background task that died of the restart says so when it is collected
    assert not [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
    failed = [answer for answer in answers if answer.status_code not in (200, 201)]
    assert failed, "the restarts failed no request: the test did not exercise them"
    assert {answer.status_code for answer in failed} == {503}, [(a.status_code, a.text) for a in failed]
    assert {answer.json()["code"] for answer in failed} == {"unavailable"}
    assert all(answer.headers.get("Retry-After", "").isdigit() for answer in failed)
    assert created and set(created) <= logged  # every create the API confirmed survived the restarts
    assert answers[-1].status_code in (200, 201)
