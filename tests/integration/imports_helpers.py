"""Uploads and waits shared by the import tests (integration tests never import one another)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec

from leadstore.bootstrap import Container
from leadstore.imports.worker import ImportWorker

CSV = {"Content-Type": "text/csv"}
NDJSON = {"Content-Type": "application/x-ndjson"}


async def upload(
    http: httpx.AsyncClient, body: bytes | str, headers: dict[str, str] = CSV, **params: str
) -> httpx.Response:
    data = body.encode() if isinstance(body, str) else body
    return await http.post("/v1/imports", content=data, headers=headers, params=params)


async def queued(http: httpx.AsyncClient, body: bytes | str, headers: dict[str, str] = CSV, **params: str) -> str:
    """Upload a file that must be accepted; its import id."""
    response = await upload(http, body, headers, **params)
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"/v1/imports/{response.json()['id']}"
    assert response.json()["state"] == "queued"
    import_id: str = response.json()["id"]
    return import_id


async def finished(http: httpx.AsyncClient, import_id: str, within: float = 120) -> dict[str, Any]:
    """The import once it is done or failed."""
    async with asyncio.timeout(within):
        while True:
            body: dict[str, Any] = (await http.get(f"/v1/imports/{import_id}")).json()
            if body["state"] in ("done", "failed"):
                return body
            await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def import_worker(container: Container, **settings: Any) -> AsyncIterator[ImportWorker]:
    """The container's import worker running in this event loop until the block ends."""
    tuned = msgspec.structs.replace(container.settings, import_poll_seconds=0.1, lease_seconds=2.0, **settings)
    worker = ImportWorker(container.pool, container.handler, tuned)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        yield worker
    finally:
        stop.set()
        await task


async def lead_by_email(container: Container, http: httpx.AsyncClient, account_id: Any, email: str) -> dict[str, Any]:
    """The lead holding `email` in the account (read from its stream: no projection runs in these tests)."""
    async with container.pool.acquire() as conn:
        lead_id = await conn.fetchval(
            "SELECT lead_id FROM lead_emails WHERE account_id = $1 AND email_lower = lower($2)", account_id, email
        )
    assert lead_id is not None, f"no lead holds {email}"
    body: dict[str, Any] = (await http.get(f"/v1/leads/{lead_id}")).json()
    return body
