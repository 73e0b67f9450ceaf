"""A NATS outage never touches writes; the publisher logs it once, backs off, and catches up with nothing lost."""

from __future__ import annotations

import asyncio
import logging

import pytest

from leadstore.bootstrap import bootstrap
from leadstore.embedded_nats import EmbeddedNats
from leadstore.publishing import EventSubscription, PublishingSettings
from leadstore.settings import Settings
from leadstore.store.accounts import create_account
from tests.integration.helpers import META, create_cmd, signing_public_key, stored_count, until, update_cmd

FAST = PublishingSettings(
    publish_ack_timeout_seconds=2,
    publish_poll_seconds=0.5,
    publish_backoff_initial_seconds=0.1,
    publish_backoff_max_seconds=1,
)
LEADS = 60  # each written as LeadCreated then LeadUpdated
KILL_AFTER = 20


async def test_killing_nats_mid_stream_loses_no_event_and_fails_no_write(
    own_database: str, restartable_nats: EmbeddedNats, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="leadstore.publishing")
    server = restartable_nats
    node = await bootstrap(Settings(database_url=own_database, nats_url=server.url), publishing=FAST)
    try:
        async with node.pool.acquire() as conn:
            account = await create_account(conn, "outage test", "admin@example.com")
        assert node.publisher is not None
        node.start_workers()
        written = 0
        halfway = asyncio.Event()

        async def writer() -> None:
            nonlocal written
            for _ in range(LEADS):
                outcome = await node.handler.execute(create_cmd(account), account_id=account.account_id, metadata=META)
                update = update_cmd(account, outcome.lead.id, company="Acme")
                await node.handler.execute(update, account_id=account.account_id, metadata=META)
                written += 1
                if written == KILL_AFTER:
                    halfway.set()
                await asyncio.sleep(0.02)

        async with EventSubscription(
            server.reader_url, public_key=await signing_public_key(node), account_id=account.account_id, fetch_timeout=1
        ) as subscription:
            collecting = asyncio.create_task(subscription.take(2 * LEADS, within=60))
            writing = asyncio.create_task(writer())
            await asyncio.wait_for(halfway.wait(), 60)
            assert server.proc is not None
            server.proc.kill()  # SIGKILL: no goodbye to clients
            server.proc.wait()
            await writing
            assert written == LEADS  # every write went on, and ended, while NATS was down
            publisher = node.publisher
            await until(lambda: publisher.status()["outage"] == "nats" and bool(publisher.status()["lag"]), 20)
            down = publisher.status()
            await until(lambda: publisher.nats.failures >= 3, 20)  # failed again and again, to be logged once
            port = server.port
            await asyncio.to_thread(server.start)
            assert server.port == port, "NATS came back on another port: the clients would never find it"
            events = await collecting

        assert down["outage"] == "nats" and down["lag"] and down["last_error"]
        async with node.pool.acquire() as conn:
            expected = {
                r["event_id"] for r in await conn.fetch("SELECT event_id FROM events WHERE stream_type = 'lead'")
            }
        assert len(events) == len(expected) == 2 * LEADS
        assert {e.id for e in events} == expected
        versions = {e.lead_id: [x.version for x in events if x.lead_id == e.lead_id] for e in events}
        assert all(v == [1, 2] for v in versions.values())
        assert await stored_count(server.url, account.account_id) == 2 * LEADS  # retries were deduplicated
        messages = [r.getMessage() for r in caplog.records if r.name.startswith("leadstore.publishing")]
        assert sum("NATS unavailable" in m for m in messages) == 1, messages
        assert sum("NATS available again" in m for m in messages) == 1, messages
        assert node.publisher.status()["outage"] is None
    finally:
        await node.close()
