"""Issue 12 figures: events/s one webhook endpoint is delivered from a backlog, next to the NATS publisher's
rate over the same backlog in the same run; and commit-to-webhook delay under a steady write rate.

python -m bench.webhook_bench [--events 20000] [--rate 200] [--seconds 20] [--warmup 3]

The receiver is a minimal HTTP/1.1 server in the same process that answers 200 at once; deliveries are signed,
address-checked and recorded as in production, with the default concurrency (8 in flight per endpoint). The
backlog is `events` rows of half as many leads (LeadCreated, LeadUpdated), delivered by an endpoint whose reader
starts at the beginning of the log. The delay runs from PostgreSQL's commit timestamp of a write to the moment
the receiver has the delivery, under `rate` creates a second through the command handler; writers, deliverer
and receiver share one process (one event loop), as in `leadstore dev`.
"""

from __future__ import annotations

import asyncio
import base64
import time
from datetime import UTC, datetime
from uuid import UUID

from uuid_utils.compat import uuid7

from bench.common import backlog_and_delay_arguments, delay_summary, fill_log, machine
from bench.publish_bench import COMMITTED_AT, METADATA, publish_backlog, servers
from leadstore.bootstrap import Container
from leadstore.domain.commands import Actor, CreateLead
from leadstore.settings import Settings
from leadstore.store.accounts import NewAccount
from leadstore.webhooks.deliverer import EndpointDeliverer
from leadstore.webhooks.secrets import SecretBox, new_secret
from leadstore.webhooks.shared import DeliveryContext
from tests.webhook_receiver import Receiver

KEY = bytes(range(32))
ADD = "INSERT INTO webhooks (id, account_id, url, event_types, secret) VALUES ($1, $2, $3, '{*}', $4)"
FROM_THE_START = "INSERT INTO checkpoints (name) VALUES ($1)"
ACCOUNT_EVENTS = "SELECT count(*) FROM events WHERE account_id = $1"


async def endpoint(container: Container, account: NewAccount, url: str, *, from_start: bool) -> EndpointDeliverer:
    """A webhook of the account to `url` and its deliverer (not yet running)."""
    webhook_id, box = UUID(str(uuid7())), SecretBox(KEY)
    async with container.pool.acquire() as conn:
        await conn.execute(ADD, webhook_id, account.account_id, url, box.seal(webhook_id, new_secret()))
        if from_start:
            await conn.execute(FROM_THE_START, f"webhook:{webhook_id}")
    settings = Settings(
        database_url=container.settings.database_url,
        secrets_key=base64.b64encode(KEY).decode(),
        webhooks_allow_private=True,
    )
    return EndpointDeliverer(container.pool, settings.database_url, webhook_id, DeliveryContext(settings, box))


async def deliver_backlog(container: Container, account: NewAccount) -> tuple[int, float]:
    """(events, events/s) for a new endpoint's deliverer to have the whole backlog delivered."""
    async with Receiver() as receiver, container.pool.acquire() as conn:
        total: int = await conn.fetchval(ACCOUNT_EVENTS, account.account_id)
        deliverer = await endpoint(container, account, receiver.url, from_start=True)
        started = time.perf_counter()
        task = asyncio.create_task(deliverer.run())
        while deliverer.sent < total:  # noqa: ASYNC110 - a counter to poll, there is no event to wait on
            await asyncio.sleep(0.005)
        elapsed = time.perf_counter() - started
        deliverer.stop.set()
        await task
    return total, total / elapsed


async def delivery_delays(
    container: Container, account: NewAccount, rate: float, seconds: float, warmup: float
) -> list[float]:
    """Seconds from each write's commit to the receiver having its delivery (the first `warmup` s not counted)."""
    counted: set[str] = set()
    expected, counted_from = int(rate * (warmup + seconds)), int(rate * warmup)
    actor = Actor(user_id=account.user_id, role="admin")
    async with Receiver() as receiver:
        deliverer = await endpoint(container, account, receiver.url, from_start=False)
        task = asyncio.create_task(deliverer.run())
        while not deliverer.active:  # noqa: ASYNC110 - a flag to poll
            await asyncio.sleep(0.01)

        async def write(n: int) -> None:
            fields = {"first_name": "Steady", "last_name": f"Lead {n}"}
            command = CreateLead(
                lead_id=uuid7(), account_id=account.account_id, actor=actor, now=datetime.now(UTC), fields=fields
            )
            outcome = await container.handler.execute(command, account_id=account.account_id, metadata=METADATA)
            if n >= counted_from:
                counted.add(str(outcome.recorded[0].event_id))

        writes, started = [], time.perf_counter()
        for n in range(expected):  # open loop: a write every 1/rate seconds, however long each takes
            writes.append(asyncio.create_task(write(n)))
            await asyncio.sleep(max(0.0, started + (n + 1) / rate - time.perf_counter()))
        await asyncio.gather(*writes)
        arrived: dict[str, float] = {}
        async with asyncio.timeout(60):
            while not counted <= arrived.keys():
                await asyncio.sleep(0.05)
                arrived = {}
                for request in receiver.received:
                    arrived.setdefault(request.headers["webhook-id"], request.at)
        deliverer.stop.set()
        await task
    async with container.pool.acquire() as conn:
        committed = {str(r["event_id"]): r["at"] for r in await conn.fetch(COMMITTED_AT, account.account_id)}
    return sorted(arrived[event_id] - committed[event_id] for event_id in counted)


async def main() -> None:
    args = backlog_and_delay_arguments(__doc__, events=20_000)
    print(f"machine: {machine()}")
    async with servers() as (container, account, nats_url):
        await fill_log(container, account, args.events, updates=1)
        delivered, webhook_rate = await deliver_backlog(container, account)
        published = await publish_backlog(container, nats_url, args.events)
        print(f"webhook deliveries from a backlog of {delivered:,} events: {webhook_rate:,.0f} events/s")
        print(f"NATS publisher over the same backlog: {published:,.0f} events/s")
    async with servers() as (container, account, _):
        delays = await delivery_delays(container, account, args.rate, args.seconds, args.warmup)
        print(f"commit to webhook, {args.rate:,.0f} writes/s for {args.seconds:.0f}s ({len(delays):,} events):")
        print(f"  {delay_summary(delays)}")


if __name__ == "__main__":
    asyncio.run(main())
