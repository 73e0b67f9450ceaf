"""The subscriber side: the EventSubscription API (acks, durables, dedupe, lost consumers, forgeries refused) and
`leadstore tail`."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import uuid
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import nats
import pytest
from uuid_utils.compat import uuid7

from leadstore.bootstrap import Container, bootstrap
from leadstore.publishing import STREAM, EventSubscription, PublishingSettings
from leadstore.publishing.signature import SIGNATURE_HEADER, Signer, b64, new_seed
from leadstore.settings import Settings
from leadstore.store.accounts import NewAccount, create_account
from tests.integration.helpers import run_cli, signing_public_key, write_lead

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


async def run_tail(nats_url: str, *args: str, **env: str) -> tuple[list[str], str]:
    """Run `leadstore tail ARGS` to completion (with LEADSTORE_* `env`): its output lines and its log."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "leadstore.cli",
        "tail",
        *args,
        env=os.environ | {"LEADSTORE_NATS_URL": nats_url} | {f"LEADSTORE_{k.upper()}": v for k, v in env.items()},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()
    return out.decode().splitlines(), err.decode()


async def tail(live: Container, nats_url: str, *args: str) -> list[str]:
    """`leadstore tail ARGS`'s output lines; it finds the key to verify with in the deployment's database."""
    lines, _ = await run_tail(nats_url, *args, database_url=live.settings.database_url)
    return lines


async def test_tail_prints_one_readable_line_per_event(
    live: Container, tenant: NewAccount, nats_reader_url: str
) -> None:
    lead = await write_lead(live, tenant, 1)
    lines = await tail(live, nats_reader_url, "--account", str(tenant.account_id), "--from-start", "--count", "2")
    assert len(lines) == 2
    assert "LeadCreated" in lines[0] and f"lead {lead} v1" in lines[0] and "Sarah" in lines[0]
    assert "LeadUpdated" in lines[1] and f"lead {lead} v2" in lines[1] and 'company: null -> "Co 0"' in lines[1]


async def test_tail_json_prints_the_envelopes_of_one_type(
    live: Container, tenant: NewAccount, nats_reader_url: str
) -> None:
    leads = [await write_lead(live, tenant, 1) for _ in range(2)]
    args = ["--account", str(tenant.account_id), "--type", "LeadUpdated", "--from-start", "--json", "--count", "2"]
    envelopes = [json.loads(line) for line in await tail(live, nats_reader_url, *args)]
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
        nats_reader_url,
        public_key=await signing_public_key(live),
        account_id=tenant.account_id,
        durable=durable,
        from_start=True,
    ) as sub:
        assert [e.lead_id for e in await sub.take(2, within=10)] == [first, first]
    second = await write_lead(live, tenant, 0)
    async with EventSubscription(
        nats_reader_url,
        public_key=await signing_public_key(live),
        account_id=tenant.account_id,
        durable=durable,
        from_start=True,
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
    async with EventSubscription(
        nats_reader_url, public_key=await signing_public_key(live), account_id=tenant.account_id, from_start=True
    ) as subscription:
        delivery = await anext(subscription)
        await delivery.nak()
        again = await anext(subscription)
        assert again.event.id == delivery.event.id and again.redelivered
        await again.ack()
        nc = await nats.connect(nats_url)  # a copy that escaped the duplicate window: another message id
        try:
            headers = dict(again.msg.headers or {}) | {"Nats-Msg-Id": f"copy-{uuid.uuid4()}"}
            await nc.jetstream().publish(again.msg.subject, again.msg.data, headers=headers)
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
        nats_reader_url,
        public_key=await signing_public_key(live),
        account_id=tenant.account_id,
        from_start=True,
        fetch_timeout=0.5,
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


def forged_conversion(account: NewAccount, lead: UUID) -> bytes:
    """A well-formed LeadConverted envelope that leadstore never wrote."""
    at = "2026-11-21T10:30:00.123Z"
    envelope: dict[str, Any] = {"id": str(uuid7()), "type": "LeadConverted", "lead_id": str(lead)}
    envelope |= {"account_id": str(account.account_id), "version": 3, "position": "1.1", "occurred_at": at}
    envelope |= {"data": {"customer_id": "cus_forged", "converted_at": at}, "actor": {}, "request": {}}
    return json.dumps(envelope).encode()


async def test_forged_events_are_dropped_and_counted_by_the_subscriber_and_tail(
    live: Container, tenant: NewAccount, nats_url: str, nats_reader_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    key = await signing_public_key(live)
    async with live.pool.acquire() as conn:
        other = await create_account(conn, "another tenant", "admin@example.com")
    await write_lead(live, other, 0)
    async with EventSubscription(nats_reader_url, public_key=key, account_id=other.account_id, from_start=True) as sub:
        theirs = await anext(sub)  # signed by leadstore, but for another account
    lead = await write_lead(live, tenant, 1)
    forged = forged_conversion(tenant, lead)
    forgeries = [
        (forged, {}),
        (forged, {SIGNATURE_HEADER: f"ed25519={b64(os.urandom(64))}"}),
        (forged, Signer(new_seed()).headers(forged, None)),
        (theirs.msg.data, dict(theirs.msg.headers or {})),
    ]
    nc = await nats.connect(nats_url)  # valid credentials: this user may publish to leads.>
    try:
        for body, headers in forgeries:
            subject = f"leads.{tenant.account_id}.LeadConverted"
            await nc.jetstream().publish(subject, body, headers={**headers, "Nats-Msg-Id": str(uuid7())})
    finally:
        await nc.close()
    later = await write_lead(live, tenant, 0)
    real = sorted([(lead, 1), (lead, 2), (later, 1)])  # leads' events interleave in any order, each lead's in order

    caplog.set_level(logging.WARNING, logger="leadstore.publishing")
    async with EventSubscription(nats_reader_url, public_key=key, account_id=tenant.account_id, from_start=True) as sub:
        events = await sub.take(3, within=10)
    assert sorted((e.lead_id, e.version) for e in events) == real
    assert sub.rejected == 4 and caplog.text.count("dropped message") == 4 and "cus_forged" not in caplog.text

    args = ["--account", str(tenant.account_id), "--from-start", "--json", "--count", "3", "--public-key", b64(key)]
    lines, log = await run_tail(nats_reader_url, *args)
    assert sorted((UUID(e["lead_id"]), e["version"]) for e in map(json.loads, lines)) == real
    assert log.count("dropped message") == 4 and "cus_forged" not in log


async def test_tail_will_not_follow_what_it_can_not_verify(nats_reader_url: str) -> None:
    with pytest.raises(SystemExit, match="--public-key"):
        await run_cli(Settings(nats_url=nats_reader_url), "tail", "--count", "1")
    with pytest.raises(SystemExit, match="32 bytes"):
        await run_cli(Settings(nats_url=nats_reader_url), "tail", "--public-key", "bm90IGEga2V5")
