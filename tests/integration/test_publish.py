"""The publisher: every committed event reaches JetStream once, in per-lead version order, never past a gap."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from uuid import UUID

import nats
import pytest
from uuid_utils.compat import uuid7

from leadstore.bootstrap import Container, bootstrap
from leadstore.publishing import STREAM, EventSubscription, Publisher, PublishingSettings
from leadstore.publishing.delivery import decoder
from leadstore.publishing.stream import ensure_stream
from leadstore.settings import Settings
from leadstore.store import config, db
from leadstore.store import events as store
from leadstore.store.account_log import by_command_line
from leadstore.store.accounts import NewAccount, create_account
from tests.integration.helpers import (
    ACCOUNT_OPENING,
    FAST_PUBLISHING,
    META,
    append_open,
    append_test_event,
    assert_version_order,
    signing_public_key,
    stored_count,
    until,
    until_waiting_on_a_lock,
    update_cmd,
    write_lead,
)


@pytest.fixture
async def node(own_database: str, nats_url: str) -> AsyncIterator[Container]:
    """A container on a database of its own, publishing to the session's NATS."""
    settings = Settings(database_url=own_database, nats_url=nats_url, pool_max_size=30)
    built = await bootstrap(settings, publishing=FAST_PUBLISHING)
    yield built
    await built.close()


@pytest.fixture
async def tenant(node: Container) -> NewAccount:
    async with node.pool.acquire() as conn:
        return await create_account(conn, "publish test", "admin@example.com")


@contextlib.asynccontextmanager
async def running(publisher: Publisher) -> AsyncIterator[asyncio.Event]:
    """Run a publisher in the background for the block; the event stops it."""
    stop = asyncio.Event()
    task = asyncio.create_task(publisher.run(stop))
    try:
        yield stop
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


async def logged_ids(container: Container, account: NewAccount) -> list[UUID]:
    async with container.pool.acquire() as conn:
        lead_events = "SELECT event_id FROM events WHERE account_id = $1 AND stream_type = 'lead'"
        rows = await conn.fetch(lead_events, account.account_id)
    return [r["event_id"] for r in rows]


async def test_every_event_is_published_once_in_version_order_with_20_concurrent_writers(
    node: Container, tenant: NewAccount, nats_url: str, nats_reader_url: str
) -> None:
    shared = [await write_lead(node, tenant, 0) for _ in range(4)]  # leads every writer updates

    async def writer(index: int) -> None:
        for round_ in range(5):
            await write_lead(node, tenant, 2)
            lead = shared[(index + round_) % len(shared)]
            command = update_cmd(tenant, lead, title=f"w{index} r{round_}")
            await node.handler.execute(command, account_id=tenant.account_id, metadata=META)

    assert node.publisher is not None
    async with EventSubscription(
        nats_reader_url, public_key=await signing_public_key(node), account_id=tenant.account_id, fetch_timeout=1
    ) as subscription:
        node.start_workers()
        await asyncio.gather(*(writer(i) for i in range(20)))
        expected = await logged_ids(node, tenant)
        events = await subscription.take(len(expected), within=30)

    assert len(expected) == 4 + 20 * 5 * 4
    assert sorted(e.id for e in events) == sorted(expected)
    assert_version_order(events)
    assert await stored_count(nats_url, tenant.account_id) == len(expected)  # the stream itself has no copy
    publisher = node.publisher
    await until(lambda: publisher.status()["published"] >= len(expected), 10)  # acked, then checkpointed
    status = publisher.status()
    assert status["active"] and status["connected"] and status["outage"] is None


class LogReads:
    """The publisher's reads of the log, watched: how many began, and what each returned, in order."""

    def __init__(self) -> None:
        self.began = 0
        self.returned: list[list[store.RecordedEvent]] = []

    async def read_log(
        self, conn: db.Conn, after: store.Checkpoint, limit: int, account_id: UUID | None = None
    ) -> list[store.RecordedEvent]:
        self.began += 1
        events = await store.read_log(conn, after, limit, account_id)
        self.returned.append(events)
        return events

    async def next_after(self, began: int, within: float = 10) -> list[store.RecordedEvent]:
        """What the first read to begin after `began` reads returned (one publisher reads one at a time)."""
        await until(lambda: len(self.returned) > began, within)
        return self.returned[began]


@pytest.fixture
def log_reads(monkeypatch: pytest.MonkeyPatch) -> LogReads:
    reads = LogReads()
    monkeypatch.setattr("leadstore.publishing.publisher.read_log", reads.read_log)
    return reads


@pytest.mark.parametrize("commit_order", [(2, 0, 1), (1, 2, 0)])
async def test_no_event_is_published_past_a_transaction_still_open(
    node: Container,
    tenant: NewAccount,
    own_database: str,
    nats_url: str,
    nats_reader_url: str,
    log_reads: LogReads,
    commit_order: tuple[int, ...],
) -> None:
    assert node.publisher is not None
    streams = [uuid7(), uuid7(), uuid7()]
    conns = [await db.connect(own_database) for _ in streams]
    try:
        async with (
            EventSubscription(
                nats_reader_url,
                public_key=await signing_public_key(node),
                account_id=tenant.account_id,
                fetch_timeout=0.5,
            ) as subscription,
            running(node.publisher),
        ):
            publisher = node.publisher
            await until(lambda: publisher.published >= ACCOUNT_OPENING, 10)  # elected, and past the account's opening
            for conn, stream in zip(conns, streams, strict=True):
                await append_open(conn, tenant, stream, 1)
            later = await write_lead(node, tenant, 1)  # commits while the three are open
            committed: set[int] = set()
            published: list[UUID | None] = []
            for index in commit_order:
                await conns[index].execute("COMMIT")
                began = log_reads.began
                committed.add(index)
                prefix = list(itertools.takewhile(lambda i: i in committed, range(3)))
                due = [streams[i] for i in prefix if streams[i] not in published]
                due_later = 2 if len(prefix) == 3 else 0
                if due or due_later:
                    arrived = await subscription.take(len(due) + due_later, within=10)
                    published += [e.lead_id for e in arrived]
                    assert [e.lead_id for e in arrived] == due + [later] * due_later
                else:  # the publisher looked after the commit and found nothing it may send; the stream agrees
                    assert await log_reads.next_after(began) == []
                    assert await stored_count(nats_url, tenant.account_id) == len(published)
    finally:
        for conn in conns:
            await conn.close()


async def test_a_lead_written_by_two_queued_transactions_is_published_in_version_order(
    node: Container, tenant: NewAccount, own_database: str, nats_reader_url: str
) -> None:
    assert node.publisher is not None
    lead = uuid7()
    first, second = await db.connect(own_database), await db.connect(own_database)
    try:
        async with (
            EventSubscription(
                nats_reader_url,
                public_key=await signing_public_key(node),
                account_id=tenant.account_id,
                fetch_timeout=0.5,
            ) as subscription,
            running(node.publisher),
        ):
            await append_open(first, tenant, lead, 1)
            await second.execute("BEGIN")
            queued = asyncio.ensure_future(
                second.execute("SELECT pg_advisory_xact_lock($1)", store.stream_lock_key(lead))
            )
            await until_waiting_on_a_lock(first, second)
            assert not queued.done()
            await first.execute("COMMIT")
            await queued
            await append_test_event(second, tenant, lead, 2)
            await second.execute("COMMIT")
            events = await subscription.take(2, within=10)
        assert [(e.lead_id, e.version, e.type) for e in events] == [
            (lead, 1, "TestHappened"),
            (lead, 2, "TestHappened"),
        ]
    finally:
        await first.close()
        await second.close()


async def test_the_envelope_subject_and_message_id_follow_the_contract(
    node: Container, tenant: NewAccount, nats_url: str, nats_reader_url: str
) -> None:
    assert node.publisher is not None
    lead = await write_lead(node, tenant, 1)
    service, reader = await nats.connect(nats_url), await nats.connect(nats_reader_url)
    try:
        await ensure_stream(service.jetstream(), PublishingSettings())  # this test may be the first on a new server
        sub = await reader.jetstream().pull_subscribe(f"leads.{tenant.account_id}.LeadUpdated", stream=STREAM)
        async with running(node.publisher):
            [msg] = await sub.fetch(1, timeout=10)
        info = await service.jetstream().stream_info(STREAM)
    finally:
        await service.close()
        await reader.close()
    body = decoder.decode(msg.data)
    assert msg.subject == f"leads.{tenant.account_id}.LeadUpdated"
    assert msg.headers is not None and msg.headers["Nats-Msg-Id"] == str(body.id)
    assert (body.lead_id, body.version, body.type) == (lead, 2, "LeadUpdated")
    assert body.data == {"changes": {"company": {"from": None, "to": "Co 0"}}}
    assert info.config.duplicate_window == FAST_PUBLISHING.nats_duplicate_window_seconds
    assert (info.config.retention, info.config.storage, info.config.max_age) == ("limits", "file", 0)


async def test_administrative_events_are_published_under_admin_subjects(
    node: Container, tenant: NewAccount, nats_reader_url: str
) -> None:
    assert node.publisher is not None
    key = await signing_public_key(node)
    async with node.pool.acquire() as conn:
        by_test = by_command_line(tenant.account_id, "test")
        await config.create_status(conn, by_test, "nurture", "Nurture", "open", None)
    async with (
        EventSubscription(
            nats_reader_url, public_key=key, account_id=tenant.account_id, event_type="StatusCreated"
        ) as admin,
        EventSubscription(nats_reader_url, public_key=key, account_id=tenant.account_id, fetch_timeout=0.5) as leads,
        running(node.publisher),
    ):
        delivery = await asyncio.wait_for(admin.__anext__(), 10)
        await delivery.ack()
        assert await leads.take(1, within=1) == []  # an account's lead subjects carry lead events only
    assert delivery.msg.subject == f"leads.{tenant.account_id}.admin.StatusCreated"
    assert (delivery.event.lead_id, delivery.event.type) == (None, "StatusCreated")
    assert delivery.event.data == {"key": "nurture", "label": "Nurture", "kind": "open", "position": 5, "color": None}
