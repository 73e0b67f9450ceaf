"""Builders, waits and checks shared by integration tests (which never import one another)."""

from __future__ import annotations

import asyncio
import random
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
from uuid_utils.compat import uuid7

from leadstore.bootstrap import Container
from leadstore.cli.main import _parser
from leadstore.domain.commands import Actor, CreateLead, UpdateLead
from leadstore.projection.runner import ProjectionRunner
from leadstore.publishing import STREAM, NatsConnection, PublishedEvent, PublishingSettings
from leadstore.settings import Settings
from leadstore.store import events as store
from leadstore.store.accounts import NewAccount
from leadstore.store.checkpoints import read as read_checkpoint
from leadstore.store.db import Conn

LAST_COMMITTED = "SELECT transaction_id, position FROM events ORDER BY transaction_id DESC, position DESC LIMIT 1"
WAITING_ON_A_LOCK = "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = $1 AND NOT granted)"

NewDatabase = Callable[[], Awaitable[str]]  # the `fresh_database` fixture: each call, another empty database's URL


def admin(account: NewAccount) -> Actor:
    return Actor(user_id=account.user_id, role="admin")


def now() -> datetime:
    return datetime.now(UTC)


def create_cmd(
    account: NewAccount, lead_id: UUID | None = None, *, at: datetime | None = None, **fields: Any
) -> CreateLead:
    """CreateLead by the account's admin, at `at` (default: now)."""
    fields.setdefault("first_name", "Sarah")
    return CreateLead(
        lead_id=lead_id or uuid7(),
        account_id=account.account_id,
        actor=admin(account),
        now=at or now(),
        fields=fields,
    )


def update_cmd(account: NewAccount, lead_id: UUID, *, at: datetime | None = None, **changes: Any) -> UpdateLead:
    """UpdateLead by the account's admin, at `at` (default: now)."""
    return UpdateLead(lead_id=lead_id, actor=admin(account), now=at or now(), changes=changes)


META: dict[str, Any] = {"actor": {"user_id": None}, "request": {"id": "test"}}
# What opening an account writes to its own stream: AccountCreated, UserCreated, ApiKeyIssued.
ACCOUNT_OPENING = 3


async def append_test_event(conn: Conn, account: NewAccount, stream_id: UUID, version: int) -> int:
    """Append one `TestHappened` event at `version` of a stream, in the caller's transaction; its position."""
    recorded = await store.append(
        conn,
        account_id=account.account_id,
        stream_id=stream_id,
        stream_type="test",
        expected_version=version - 1,
        events=[store.NewEvent(type="TestHappened", data={"n": version})],
        occurred_at=now(),
    )
    return recorded[0].position


async def append_open(conn: Conn, account: NewAccount, stream_id: UUID, version: int) -> int:
    """Begin a transaction, lock the stream, append one event and leave the transaction open; its position."""
    await conn.execute("BEGIN")
    await store.lock_stream(conn, stream_id)
    return await append_test_event(conn, account, stream_id, version)


async def until(condition: Callable[[], bool], within: float) -> None:
    """Poll `condition` (a status snapshot: there is no event to wait on) until it holds; TimeoutError if not."""
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.05)


async def until_waiting_on_a_lock(observer: Conn, waiter: Conn, within: float = 20) -> None:
    """Return once `waiter`'s backend is queued for a lock, as `observer` sees in pg_locks (a live view)."""
    deadline = time.monotonic() + within
    while not await observer.fetchval(WAITING_ON_A_LOCK, waiter.get_server_pid()):
        assert time.monotonic() < deadline, "the second transaction never queued for the lock"
        await asyncio.sleep(0.01)


async def settle(runner: ProjectionRunner, within: float = 20) -> None:
    """Catch `runner` up with every event committed so far. One `catch_up()` may stop short: the log shows
    an event once every older transaction has ended, and another database's transaction on the same server
    (an autovacuum ANALYZE, say) can hold it back for a moment."""
    async with runner.pool.acquire() as conn:
        row = await conn.fetchrow(LAST_COMMITTED)
    last = store.Checkpoint(row["transaction_id"], row["position"]) if row else store.START
    deadline = time.monotonic() + within
    while True:
        await runner.catch_up()
        async with runner.pool.acquire() as conn:
            if await read_checkpoint(conn, runner.name) >= last:
                return
        assert time.monotonic() < deadline, f"{runner.name} never reached {last.token()}"
        await asyncio.sleep(0.02)


async def write_lead(container: Container, account: NewAccount, updates: int) -> UUID:
    """A lead created, then updated `updates` times (its company), through the handler."""
    outcome = await container.handler.execute(create_cmd(account), account_id=account.account_id, metadata=META)
    for n in range(updates):
        command = update_cmd(account, outcome.lead.id, company=f"Co {n}")
        await container.handler.execute(command, account_id=account.account_id, metadata=META)
    return outcome.lead.id


# Publishing: settings that retry quickly, and what reached the stream.

FAST_PUBLISHING = PublishingSettings(
    publish_ack_timeout_seconds=2,
    publish_poll_seconds=0.5,
    publish_backoff_max_seconds=1,
)


async def stored_count(nats_url: str, account_id: UUID) -> int:
    """Lead-event messages the stream holds for an account, copies included."""
    nc = await NatsConnection(url=nats_url).connect()  # one server, or a cluster's list
    try:
        info = await nc.jetstream().stream_info(STREAM, subjects_filter=f"leads.{account_id}.*")  # lead events
    finally:
        await nc.close()
    return sum((info.state.subjects or {}).values())


async def signing_public_key(container: Container) -> bytes:
    """The public key of what the container's publisher signs with (its database's key unless configured)."""
    async with container.pool.acquire() as conn:
        return (await container.keys.signer(conn)).public_key


def assert_version_order(events: list[PublishedEvent]) -> None:
    """Each lead's versions arrive as 1, 2, 3, ... with none missing and none repeated."""
    versions: dict[UUID, list[int]] = defaultdict(list)
    for event in events:
        versions[event.lead_id or event.account_id].append(event.version)
    for lead, seen in versions.items():
        assert seen == list(range(1, len(seen) + 1)), f"lead {lead} arrived as versions {seen}"


# HTTP: a client, a created lead, a problem document.


def client(api: str, key: str, **headers: str) -> httpx.AsyncClient:
    """An HTTP client of the API acting with `key`."""
    return httpx.AsyncClient(base_url=api, headers={"Authorization": f"Bearer {key}", **headers}, timeout=20)


async def create(http: httpx.AsyncClient, params: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """POST a lead (first name Ann unless given) and return it; it must be created."""
    body: dict[str, Any] = (await _created(http, params, fields)).json()
    return body


async def create_listed(http: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    """As `create`, with the write's position as `_position`, for a list read that must include it."""
    response = await _created(http, None, fields)
    body: dict[str, Any] = response.json()
    return body | {"_position": response.headers["leadstore-position"]}


async def _created(http: httpx.AsyncClient, params: dict[str, Any] | None, fields: dict[str, Any]) -> httpx.Response:
    response = await http.post("/v1/leads", json={"first_name": "Ann", **fields}, params=params)
    assert response.status_code == 201, response.text
    return response


def assert_problem(response: httpx.Response, status: int, code: str, *fields: str) -> dict[str, Any]:
    """The response is a problem document (API.md) with this status and code, naming at least `fields`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert problem["code"] == code and problem["status"] == status
    assert problem["request_id"] == response.headers["x-request-id"]
    assert {"type", "title", "detail", "errors"} <= problem.keys()
    assert set(fields) <= {error["field"] for error in problem["errors"]}
    return problem


async def events_of(container: Container, account: NewAccount) -> int:
    """How many events the account has in the log."""
    async with container.pool.acquire() as conn:
        count: int = await conn.fetchval("SELECT count(*) FROM events WHERE account_id = $1", account.account_id)
    return count


async def walk_while_writing(
    api: str,
    key: str,
    filters: dict[str, Any],
    existing: list[dict[str, Any]],
    create_more: Callable[[httpx.AsyncClient, random.Random], Awaitable[object]],
    after: str,
) -> tuple[list[str], int]:
    """Walk GET /v1/leads with `filters` (and `sort`) five at a time, from `min_position=after`, while three
    writers keep calling `create_more` and changing the `existing` leads' score and notes (the sort values),
    at least once between two pages: the ids the walk saw, in order, and how many changes the writers made."""
    stop, changed = asyncio.Event(), 0
    moved = asyncio.Event()  # set by each change a writer makes, and when a writer stops

    async def writer(seed: int) -> None:
        nonlocal changed
        rng = random.Random(seed)
        try:
            async with client(api, key) as http:
                for _ in range(40):  # bounded: an ascending created_at walk also visits what they create
                    if stop.is_set():
                        break
                    await create_more(http, rng)
                    body = {"notes": str(rng.random()), "score": rng.randint(0, 100)}
                    response = await http.patch(f"/v1/leads/{rng.choice(existing)['id']}", json=body)
                    changed += response.status_code == 200
                    moved.set()
        finally:
            moved.set()

    writers = [asyncio.create_task(writer(seed)) for seed in range(3)]
    seen: list[str] = []
    async with client(api, key) as http:
        params: dict[str, Any] = filters | {"limit": 5, "min_position": after}
        while True:
            page = (await http.get("/v1/leads", params=params)).json()
            seen += [lead["id"] for lead in page["data"]]
            if not page["has_more"]:
                break
            params = filters | {"limit": 5, "cursor": page["next_cursor"]}
            moved.clear()  # the writers move things between two pages, as long as they run
            if not all(w.done() for w in writers):
                await asyncio.wait_for(moved.wait(), 20)
    stop.set()
    await asyncio.gather(*writers)
    return seen, changed


async def run_cli(settings: Settings, *argv: str) -> int:
    """Run a `leadstore` command line in this event loop (its output goes to capsys); its exit code."""
    args = _parser().parse_args(list(argv))
    code: int = await args.handler(args, settings)
    return code


class RecordingProjection:
    """A read model of one row per event it is given (stream, version, position) and no key of its own: an
    event applied twice shows as a second row, one never applied as a missing one."""

    def __init__(self, name: str | None = None, version: int = 1) -> None:
        self.name = name or f"test_recording_{uuid7().hex[-10:]}"
        self.version = version

    def create_statements(self, table: str) -> list[str]:
        return [
            f'CREATE TABLE "{table}" (stream_id uuid, version int, position bigint, seq bigserial)',
            f'CREATE INDEX "{table}_stream" ON "{table}" (stream_id, version)',
        ]

    def row_key(self) -> str:
        return "stream_id, version"

    async def apply(self, conn: Conn, table: str, events: Sequence[store.RecordedEvent]) -> None:
        rows = [(e.stream_id, e.version, e.position) for e in events]
        await conn.executemany(f'INSERT INTO "{table}" (stream_id, version, position) VALUES ($1, $2, $3)', rows)
