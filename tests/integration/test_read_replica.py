"""A PostgreSQL read replica: a real hot standby of a primary of this module's own (pg_basebackup -R) serves
lists, the feed and as_of reads, and a write's Leadstore-Position reads it back through the standby."""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import asyncpg
import httpx
import pytest
from uuid_utils.compat import uuid7

from leadstore.bootstrap import Container, bootstrap
from leadstore.documents import timestamp
from leadstore.embedded import EmbeddedPostgres, free_port
from leadstore.http.testing import projecting, serve
from leadstore.settings import Settings
from leadstore.store import checkpoints, db
from leadstore.store.accounts import NewAccount, create_account
from leadstore.store.encryption import KEYS
from leadstore.store.events import READ_STREAM, Checkpoint
from tests.integration.helpers import (
    LAST_COMMITTED,
    append_test_event,
    assert_problem,
    client,
    create,
    create_listed,
    now,
)

WAIT = 3.0  # min_position_wait_seconds: long enough for a standby to catch up, short for the lagging case
REPLAYED = "SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn"
WRITTEN = "SELECT pg_current_wal_insert_lsn()::text"
# Whether a backend of the standby has run `query` since a moment (pg_stat_activity keeps each one's last).
# A stream read's last statement: the read, or the query of its leads' data keys that follows it (issue 13).
SERVED_SINCE = "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE query = ANY($1::text[]) AND state_change >= $2)"


class Replicated(NamedTuple):
    container: Container  # its read_pool is the standby's
    api: str


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[EmbeddedPostgres, EmbeddedPostgres]]:
    """A primary of this module's own and a streaming hot standby of it, each on a free port."""
    # not pytest's tmp_path: it prunes old runs' folders, which may be another pytest's servers in use
    with tempfile.TemporaryDirectory(prefix="leadstore-replica-") as folder:
        primary = EmbeddedPostgres(Path(folder) / "primary", fast=True)
        primary.start()
        try:
            standby = primary.replicate(Path(folder) / "standby")
            try:
                yield primary, standby
            finally:
                standby.stop()
        finally:
            primary.stop()


@pytest.fixture(scope="module")
async def replicated(servers: tuple[EmbeddedPostgres, EmbeddedPostgres]) -> AsyncIterator[Replicated]:
    """The API over the primary, reading through the standby, with the lead list projecting (on the primary)."""
    primary, standby = servers
    settings = Settings(
        database_url=primary.url,
        read_database_url=standby.url,
        rate_limit_per_second=0,
        auth_failures_per_minute=0,
        min_position_wait_seconds=WAIT,
    )
    container = await bootstrap(settings, run_migrations=True)
    try:
        async with projecting(container), serve(container) as api:
            yield Replicated(container, api)
    finally:
        await container.close()


@pytest.fixture
async def standby(replicated: Replicated) -> AsyncIterator[asyncpg.Connection]:
    """A connection to the standby, caught up with the primary; replay is resumed when the test ends."""
    conn = await db.connect(replicated.container.settings.read_database_url)
    try:
        await caught_up(replicated.container, conn)
        yield conn
    finally:
        await conn.execute("SELECT pg_wal_replay_resume()")
        await conn.close()


@pytest.fixture
async def owner(replicated: Replicated) -> NewAccount:
    async with replicated.container.pool.acquire() as conn:
        return await create_account(conn, f"replica {uuid.uuid4().hex[:8]}", "admin@example.com")


async def caught_up(container: Container, standby: asyncpg.Connection, within: float = 10) -> None:
    """Return once the standby has replayed everything the primary has written so far."""
    async with container.pool.acquire() as conn:
        written = await conn.fetchval(WRITTEN)
    deadline = time.monotonic() + within
    while not await standby.fetchval(REPLAYED, written):
        assert time.monotonic() < deadline, f"the standby never replayed {written}"
        await asyncio.sleep(0.01)


async def pause_replay(standby: asyncpg.Connection) -> None:
    """Stop the standby replaying the primary's WAL (it still receives it): from now on it lags."""
    await standby.execute("SELECT pg_wal_replay_pause()")
    deadline = time.monotonic() + 10
    while await standby.fetchval("SELECT pg_get_wal_replay_pause_state()") != "paused":
        assert time.monotonic() < deadline, "the standby never paused its replay"
        await asyncio.sleep(0.01)


async def listed_on_primary(container: Container, position: Checkpoint | str, within: float = 10) -> None:
    """Return once the primary's lead list has applied the write at `position`."""
    token = Checkpoint.parse(position) if isinstance(position, str) else position
    deadline = time.monotonic() + within
    while True:
        async with container.pool.acquire() as conn:
            if await checkpoints.read(conn, "lead_list") >= token:
                return
        assert time.monotonic() < deadline, f"the lead list never reached {token.token()}"
        await asyncio.sleep(0.01)


def ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["data"]]


async def test_a_write_is_read_back_through_a_lagging_replica_with_its_position(
    replicated: Replicated, standby: asyncpg.Connection, owner: NewAccount
) -> None:
    async with client(replicated.api, owner.api_key) as http:
        await pause_replay(standby)
        lead = await create_listed(http, first_name="Rita")
        await listed_on_primary(replicated.container, lead["_position"])
        behind = await http.get("/v1/leads")  # the primary's list has it; the paused standby's not yet
        waiting = asyncio.create_task(http.get("/v1/leads", params={"min_position": lead["_position"]}))
        await asyncio.sleep(0.5)
        still_waiting = not waiting.done()
        await standby.execute("SELECT pg_wal_replay_resume()")
        answered = await waiting
    assert lead["id"] not in ids(behind)
    assert still_waiting, "min_position answered before the standby had replayed the write"
    assert ids(answered) == [lead["id"]]


async def test_a_position_the_replica_has_not_replayed_is_waited_for_and_one_beyond_the_log_refused(
    replicated: Replicated, standby: asyncpg.Connection, owner: NewAccount
) -> None:
    async with client(replicated.api, owner.api_key) as http:
        await pause_replay(standby)
        lead = await create_listed(http)
        await listed_on_primary(replicated.container, lead["_position"])
        lagging = await http.get("/v1/leads", params={"min_position": lead["_position"]})
        written = Checkpoint.parse(lead["_position"])
        beyond = Checkpoint(written.transaction_id + 1_000, written.position + 1_000).token()
        started = time.monotonic()
        refused = await http.get("/v1/leads", params={"min_position": beyond})
        refused_after = time.monotonic() - started
    assert_problem(lagging, 503, "projection_lagging")  # not beyond_head: the primary has the write
    assert_problem(refused, 422, "validation_failed", "min_position")
    assert refused.json()["errors"][0]["code"] == "beyond_head"
    assert refused_after < WAIT / 2, "a position beyond the log must be refused at once, not waited for"


async def test_the_feed_on_the_replica_never_skips_a_late_commit(
    replicated: Replicated, standby: asyncpg.Connection, owner: NewAccount
) -> None:
    """A transaction that took its id before a later one committed, and has written nothing yet, is known to
    the standby only by inference: it still holds the later commit back, so the late event is not skipped."""
    container = replicated.container
    late = await db.connect(container.settings.database_url)
    try:
        async with client(replicated.api, owner.api_key) as http:
            await caught_up(container, standby)  # the account's opening events
            start = (await feed(http, None))["next_cursor"]
            await late.execute("BEGIN")
            await late.fetchval("SELECT pg_current_xact_id()")  # an id, and no WAL record naming it yet
            lead = await create(http, first_name="Early")  # commits first, with a larger transaction id
            await caught_up(container, standby)
            first = await feed(http, start)
            await append_test_event(late, owner, uuid7(), 1)
            await pause_replay(standby)
            await late.execute("COMMIT")
            held = await feed(http, first["next_cursor"])  # the primary has both now; the paused standby neither
            await standby.execute("SELECT pg_wal_replay_resume()")
            await caught_up(container, standby)
            rest = await feed(http, held["next_cursor"])
    finally:
        await late.close()
    assert first["data"] == [] and held["data"] == []
    assert [(e["type"], e["lead_id"]) for e in rest["data"]][1:] == [("LeadCreated", lead["id"])]
    assert rest["data"][0]["type"] == "TestHappened"


async def feed(http: httpx.AsyncClient, after: str | None) -> dict[str, Any]:
    response = await http.get("/v1/events", params={"limit": 1000} | ({"after": after} if after else {}))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_as_of_reads_use_the_replica_only_for_a_lead_it_holds_as_the_primary_does(
    replicated: Replicated, standby: asyncpg.Connection, owner: NewAccount
) -> None:
    async with client(replicated.api, owner.api_key) as http:
        changed, unchanged = await create(http, first_name="Ann"), await create(http, first_name="Cy")
        await caught_up(replicated.container, standby)
        await pause_replay(standby)
        patched = await http.patch(f"/v1/leads/{changed['id']}", json={"first_name": "Bea"})
        as_of = {"as_of": timestamp(now())}
        asked = await standby.fetchval("SELECT clock_timestamp()")
        kept = await http.get(f"/v1/leads/{unchanged['id']}", params=as_of)
        served_by_replica = await standby.fetchval(SERVED_SINCE, [READ_STREAM, KEYS], asked)
        moved = await http.get(f"/v1/leads/{changed['id']}", params=as_of)
    assert patched.status_code == 200, patched.text
    assert kept.json()["first_name"] == "Cy" and served_by_replica
    assert moved.json()["first_name"] == "Bea"  # from the primary: the paused standby still has Ann


async def test_ready_reports_the_replica(replicated: Replicated, standby: asyncpg.Connection) -> None:
    async with replicated.container.pool.acquire() as conn:
        last = await conn.fetchrow(LAST_COMMITTED)
    assert last is not None
    await listed_on_primary(replicated.container, Checkpoint(last["transaction_id"], last["position"]))
    await caught_up(replicated.container, standby)
    async with httpx.AsyncClient(base_url=replicated.api) as http:
        ready = (await http.get("/ready")).json()
    assert ready["read_replica"]["in_recovery"] is True
    assert ready["read_replica"]["list_checkpoint"] == ready["projections"]["lead_list"]["checkpoint"]


async def test_a_replica_that_is_down_fails_only_the_reads_it_serves(database_url: str, container: Container) -> None:
    nowhere = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"  # nothing listens there
    settings = Settings(database_url=database_url, read_database_url=nowhere, rate_limit_per_second=0)
    degraded = await bootstrap(settings, projections=[])  # starts: the standby is connected on first use
    try:
        async with container.pool.acquire() as conn:
            owner = await create_account(conn, f"replica {uuid.uuid4().hex[:8]}", "admin@example.com")
        async with serve(degraded) as api, client(api, owner.api_key) as http:
            written = await http.post("/v1/leads", json={"first_name": "Ann"})
            listed = await http.get("/v1/leads")
            ready = await http.get("/ready")
    finally:
        await degraded.close()
    assert written.status_code == 201, written.text
    assert_problem(listed, 503, "unavailable")
    assert ready.status_code == 200 and ready.json()["read_replica"]["reachable"] is False


async def test_without_a_read_url_every_read_goes_to_the_primary(container: Container) -> None:
    assert container.read_pool is container.pool
