"""The subscriber side: the EventSubscription API (acks, durables, dedupe, lost consumers) and `leadstore tail`."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator

import msgspec
import nats
import pytest

from leadstore.bootstrap import Container, bootstrap
from leadstore.publishing import STREAM, EventSubscription, PublishingSettings
from leadstore.settings import Settings
from leadstore.store.accounts import NewAccount, create_account
from tests.integration.helpers import write_lead

FAST = PublishingSettings(publish_ack_timeout_seconds=2, publish_poll_seconds=0.5)


@pytest.fixture
async def live(own_database: str, nats_url: str) -> AsyncIterator[Container]:
    """A container on a database of its own with its workers (publisher included) running."""
    built = await bootstrap(Settings(database_url=own_database, nats_url=nats_url), publishing=FAST)
    built.start_workers()
    yield built
    await built.close()


@pytest.fixture
async def tenant(live: Container) -> NewAccount:
    async with live.pool.acquire() as conn:
        return await create_account(conn, "subscriber test", "admin@example.com")


async def tail(nats_url: str, *args: str) -> list[str]:
    """Run `leadstore tail ARGS` to completion and return its output lines."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "leadstore.cli",
        "tail",
        *args,
        env=os.environ | {"LEADSTORE_NATS_URL": nats_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()
    return out.decode().splitlines()


async def test_tail_prints_one_readable_line_per_event(
    live: Container, tenant: NewAccount, nats_reader_url: str
) -> None:
    lead = await write_lead(live, tenant, 1)
    lines = await tail(nats_reader_url, "--account", str(tenant.account_id), "--from-start", "--count", "2")
    assert len(lines) == 2
    assert "LeadCreated" in lines[0] and f"lead {lead} v1" in lines[0] and "Sarah" in lines[0]
    assert "LeadUpdated" in lines[1] and f"lead {lead} v2" in lines[1] and 'company: null -> "Co 0"' in lines[1]


async def test_tail_json_prints_the_envelopes_of_one_type(
    live: Container, tenant: NewAccount, nats_reader_url: str
) -> None:
    leads = [await write_lead(live, tenant, 1) for _ in range(2)]
    args = ["--account", str(tenant.account_id), "--type", "LeadUpdated", "--from-start", "--json", "--count", "2"]
    envelopes = [json.loads(line) for line in await tail(nats_reader_url, *args)]
    assert [(e["type"], e["lead_id"], e["version"]) for e in envelopes] == [
        ("LeadUpdated", str(lead), 2) for lead in leads
    ]
    assert set(envelopes[0]) >= {"id", "account_id", "position", "occurred_at", "data", "actor", "request"}


async def test_a_durable_subscription_resumes_where_it_stopped(
    live: Container, tenant: NewAccount, nats_reader_url: str
) -> None:
    durable = f"test-{uuid.uuid4().hex[:8]}"
    first = await write_lead(live, tenant, 1)
    async with EventSubscription(
        nats_reader_url, account_id=tenant.account_id, durable=durable, from_start=True
    ) as sub:
        assert [e.lead_id for e in await sub.take(2, within=10)] == [first, first]
    second = await write_lead(live, tenant, 0)
    async with EventSubscription(
        nats_reader_url, account_id=tenant.account_id, durable=durable, from_start=True
    ) as sub:
        assert [(e.lead_id, e.version) for e in await sub.take(1, within=10)] == [(second, 1)]  # from_start ignored
    nc = await nats.connect(nats_reader_url)
    try:
        consumer = await nc.jetstream().consumer_info(STREAM, durable)
    finally:
        await nc.close()
    assert consumer.num_pending == 0  # nothing left to deliver
    assert consumer.delivered.consumer_seq == 3  # and the three events were each delivered once


async def test_an_unacked_event_comes_again_and_a_copy_of_an_acked_one_is_skipped(
    live: Container, tenant: NewAccount, nats_url: str, nats_reader_url: str
) -> None:
    lead = await write_lead(live, tenant, 0)
    async with EventSubscription(nats_reader_url, account_id=tenant.account_id, from_start=True) as subscription:
        delivery = await anext(subscription)
        await delivery.nak()
        again = await anext(subscription)
        assert again.event.id == delivery.event.id and again.redelivered
        await again.ack()
        nc = await nats.connect(nats_url)  # a copy that escaped the duplicate window: another message id
        try:
            body = msgspec.json.encode(again.event)
            await nc.jetstream().publish(again.msg.subject, body, headers={"Nats-Msg-Id": f"copy-{uuid.uuid4()}"})
        finally:
            await nc.close()
        await write_lead(live, tenant, 0)
        following = await anext(subscription)
        assert following.event.lead_id != lead and subscription.duplicates == 1


async def test_a_lost_consumer_is_recreated_from_the_next_event(
    live: Container, tenant: NewAccount, nats_reader_url: str
) -> None:
    await write_lead(live, tenant, 0)
    async with EventSubscription(
        nats_reader_url, account_id=tenant.account_id, from_start=True, fetch_timeout=0.5
    ) as subscription:
        [created] = await subscription.take(1, within=10)
        nc = await nats.connect(nats_reader_url)
        try:
            js = nc.jetstream()
            for consumer in await js.consumers_info(STREAM):
                if consumer.config.filter_subject == subscription.subject:
                    await js.delete_consumer(STREAM, consumer.name)
        finally:
            await nc.close()
        lead = await write_lead(live, tenant, 1)
        events = await subscription.take(2, within=10)
    assert [(e.lead_id, e.version) for e in events] == [(lead, 1), (lead, 2)]
    assert created.lead_id != lead
