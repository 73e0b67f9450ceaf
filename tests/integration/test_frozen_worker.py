"""A frozen worker (SIGSTOP) keeps its database sessions: a standby takes over its leases once they lapse, and
when it wakes (SIGCONT) it writes nothing more. Nothing is lost, duplicated or reordered meanwhile."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest

from leadstore.bootstrap import Container, bootstrap
from leadstore.projection.verify import verify_projection
from leadstore.publishing import EventSubscription
from leadstore.settings import Settings
from leadstore.store.accounts import NewAccount, create_account
from leadstore.store.checkpoints import reader_lag
from projections import get_projection
from tests.integration.helpers import assert_version_order, signing_public_key, stored_count, until, write_lead
from tests.integration.workers import WorkerProcess

LEASE = 1.5
WRITERS = 6
READERS = ("lead_list", "publisher:nats")
# Every committed write to a checkpoint or a lead_list row, with the session (application_name) that made it.
AUDIT = """
CREATE TABLE write_audit (seq bigserial, tbl text, name text, lead_version int, app text,
                          at timestamptz DEFAULT clock_timestamp());
CREATE FUNCTION audit_checkpoint() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO write_audit (tbl, name, app) VALUES ('checkpoints', NEW.name, current_setting('application_name'));
    RETURN NEW;
END $$;
CREATE FUNCTION audit_lead_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO write_audit (tbl, name, lead_version, app)
    VALUES ('lead_list', NEW.id::text, NEW.version, current_setting('application_name'));
    RETURN NEW;
END $$;
CREATE TRIGGER audit_checkpoints AFTER UPDATE ON checkpoints FOR EACH ROW EXECUTE FUNCTION audit_checkpoint();
CREATE TRIGGER audit_lead_list AFTER INSERT OR UPDATE ON lead_list FOR EACH ROW EXECUTE FUNCTION audit_lead_row()"""
TAKEN_OVER = "SELECT name, acquired_at FROM leases WHERE name = ANY($1::text[])"
WRITES_BY = "SELECT count(*) FROM write_audit WHERE app = $1 AND at > $2"


def as_app(url: str, name: str) -> str:
    """The database URL with an application_name, so each session's writes say whose they are."""
    return f"{url}{'&' if '?' in url else '?'}application_name={name}"


@pytest.fixture
async def writer_node(own_database: str) -> AsyncIterator[Container]:
    built = await bootstrap(Settings(database_url=own_database, nats_url="", pool_max_size=WRITERS + 4))
    async with built.pool.acquire() as conn:
        await conn.execute(AUDIT)
    yield built
    await built.close()


@pytest.fixture
async def tenant(writer_node: Container) -> NewAccount:
    async with writer_node.pool.acquire() as conn:
        return await create_account(conn, "frozen worker test", "admin@example.com")


async def sessions_of(node: Container, app: str) -> int:
    async with node.pool.acquire() as conn:
        count: int = await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", app)
    return count


async def caught_up(node: Container) -> bool:
    async with node.pool.acquire() as conn:
        return all([(await reader_lag(conn, name))["lag_events"] == 0 for name in READERS])


async def test_a_frozen_worker_is_taken_over_within_its_lease_and_writes_nothing_after_it_wakes(
    writer_node: Container, tenant: NewAccount, own_database: str, nats_url: str, nats_reader_url: str
) -> None:
    loop = asyncio.get_running_loop()
    settings = {"lease_seconds": str(LEASE), "projection_poll_seconds": "0.5", "publish_ack_timeout_seconds": "2"}
    frozen = await WorkerProcess.start(as_app(own_database, "frozen"), nats_url, **settings)
    standby: WorkerProcess | None = None
    writing = asyncio.Event()
    written: list[Any] = []

    async def writer() -> None:
        while writing.is_set():
            written.append(await write_lead(writer_node, tenant, 1))
            await asyncio.sleep(0.01)

    try:
        await until(lambda: frozen.projecting and frozen.publishing, 30)
        standby = await WorkerProcess.start(as_app(own_database, "standby"), nats_url, **settings)
        async with EventSubscription(
            nats_reader_url, public_key=await signing_public_key(writer_node), account_id=tenant.account_id
        ) as subscription:
            for _ in range(30):  # its pool, its working and its lease connections
                if await sessions_of(writer_node, "standby") >= 4:
                    break
                await asyncio.sleep(0.2)
            writing.set()
            writers = [asyncio.create_task(writer()) for _ in range(WRITERS)]
            await asyncio.sleep(1.0)
            frozen.send(signal.SIGSTOP)
            stopped = loop.time()
            await until(lambda: standby is not None and standby.projecting and standby.publishing, 3 * LEASE + 10)
            takeover = loop.time() - stopped
            await asyncio.sleep(1.0)
            async with writer_node.pool.acquire() as conn:
                woken: datetime = await conn.fetchval("SELECT clock_timestamp()")
            frozen.send(signal.SIGCONT)
            await asyncio.sleep(LEASE)  # awake, and tempted to write what it read before it froze
            writing.clear()
            await asyncio.gather(*writers)
            await until_async(lambda: caught_up(writer_node), 30)
            async with writer_node.pool.acquire() as conn:
                logged = await conn.fetch(
                    "SELECT event_id FROM events WHERE account_id = $1 AND stream_type = 'lead'", tenant.account_id
                )
            expected = {r["event_id"] for r in logged}
            events = await subscription.take(len(expected), within=30)

        async with writer_node.pool.acquire() as conn:
            taken = {r["name"]: r["acquired_at"] for r in await conn.fetch(TAKEN_OVER, list(READERS))}
            late = [await conn.fetchval(WRITES_BY, "frozen", at) for at in taken.values()]
            after_waking = await conn.fetchval(WRITES_BY, "frozen", woken)
            rows = await conn.fetch("SELECT name, lead_version FROM write_audit WHERE tbl = 'lead_list' ORDER BY seq")
        differences = (await verify_projection(writer_node.pool, get_projection("lead_list")))[1]
        stored = await stored_count(nats_url, tenant.account_id)
        alive = frozen.proc.returncode is None  # it lives on, standing by
    finally:
        writing.clear()
        for worker in (frozen, standby):
            if worker is not None:
                await worker.stop()

    print(f"takeover {takeover:.2f}s after SIGSTOP (lease {LEASE}s); {len(written)} leads written")
    assert takeover < LEASE + 2.5, f"the standby took {takeover:.2f}s to take over a {LEASE}s lease"
    assert all(stood_down(frozen, name) for name in READERS), "".join(frozen.lines)
    assert alive
    assert late == [0, 0] and after_waking == 0  # its sessions ended, its saves fenced: it wrote nothing
    versions: dict[str, list[int]] = {}
    for row in rows:  # each lead's row written with ever higher versions: nothing applied twice or out of order
        versions.setdefault(row["name"], []).append(row["lead_version"])
    assert all(seen == sorted(set(seen)) for seen in versions.values())
    assert differences == []
    lead_events = [e for e in events if e.lead_id is not None]
    assert {e.id for e in events} == expected and len(events) == len(expected)
    assert_version_order(lead_events)
    assert stored == len(lead_events) == 2 * len(written)  # no copy stored beyond JetStream's dedupe


def stood_down(worker: WorkerProcess, name: str) -> bool:
    """Whether the worker said it stood down as `name`'s leader (its lease lapsed while it was frozen)."""
    return any(f"{name} stood down (lease {name}" in line for line in worker.lines)


async def until_async(condition: Any, within: float) -> None:
    """Poll an async `condition` until it holds."""
    async with asyncio.timeout(within):
        while not await condition():  # noqa: ASYNC110
            await asyncio.sleep(0.1)
