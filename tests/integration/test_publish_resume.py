"""After a NATS outage the publisher resumes within a second or two of NATS coming back, the second time too:
the client's reconnection wakes it, and its backoff starts afresh after progress."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from leadstore.bootstrap import bootstrap
from leadstore.embedded_nats import EmbeddedNats
from leadstore.publishing import Publisher, PublishingSettings
from leadstore.settings import Settings
from leadstore.store.accounts import create_account
from leadstore.store.events import Checkpoint
from tests.integration.helpers import ACCOUNT_OPENING, META, create_cmd, stored_count, until

# the default backoff (0.2 s doubling to 30 s): what a deployment runs with
SETTINGS = PublishingSettings(publish_ack_timeout_seconds=2, publish_poll_seconds=0.5)
OUTAGE = 6.0  # long enough for a backoff that is not woken to grow past several seconds
RESUMED_WITHIN = 2.0


def reached(publisher: Publisher, mark: Checkpoint) -> Callable[[], bool]:
    """Whether JetStream has acknowledged everything up to `mark`."""
    return lambda: publisher.checkpoint is not None and publisher.checkpoint >= mark


async def test_the_publisher_resumes_within_seconds_of_nats_coming_back_after_each_of_two_outages(
    own_database: str, restartable_nats: EmbeddedNats
) -> None:
    server = restartable_nats
    node = await bootstrap(Settings(database_url=own_database, nats_url=server.url), publishing=SETTINGS)
    loop = asyncio.get_running_loop()
    try:
        async with node.pool.acquire() as conn:
            account = await create_account(conn, "resume test", "admin@example.com")
        publisher = node.publisher
        assert publisher is not None
        node.start_workers()
        await until(lambda: publisher.published >= ACCOUNT_OPENING, 20)

        async def write() -> Checkpoint:
            outcome = await node.handler.execute(create_cmd(account), account_id=account.account_id, metadata=META)
            return outcome.recorded[-1].checkpoint

        resumed: list[float] = []
        for _ in range(2):
            for _ in range(20):  # progress before the outage
                await write()
            assert server.proc is not None
            server.proc.kill()  # SIGKILL: no goodbye to clients
            server.proc.wait()
            ends = loop.time() + OUTAGE
            while loop.time() < ends:  # writes go on; the publisher fails and backs off
                await write()
                await asyncio.sleep(0.2)
            await asyncio.to_thread(server.start)
            back = loop.time()
            first = await write()
            await until(reached(publisher, first), 30)
            resumed.append(loop.time() - back)
        async with node.pool.acquire() as conn:
            logged = await conn.fetchval(
                "SELECT count(*) FROM events WHERE account_id = $1 AND stream_type = 'lead'", account.account_id
            )
        await until(lambda: publisher.lag == 0, 10)
        stored = await stored_count(server.url, account.account_id)
    finally:
        await node.close()
    print(f"published again {', '.join(f'{s:.2f}s' for s in resumed)} after NATS came back")
    assert all(seconds < RESUMED_WITHIN for seconds in resumed), resumed
    assert stored == logged  # nothing lost, copies dropped


async def test_a_publisher_started_while_nats_is_down_publishes_within_seconds_of_it_coming_up(
    own_database: str, restartable_nats: EmbeddedNats
) -> None:
    server = restartable_nats
    assert server.proc is not None
    server.proc.kill()
    server.proc.wait()
    node = await bootstrap(Settings(database_url=own_database, nats_url=server.url), publishing=SETTINGS)
    loop = asyncio.get_running_loop()
    try:
        async with node.pool.acquire() as conn:
            account = await create_account(conn, "resume test", "admin@example.com")
        publisher = node.publisher
        assert publisher is not None
        node.start_workers()
        await until(lambda: publisher.nats.failures >= 3, 20)
        await asyncio.sleep(OUTAGE - 2)
        await asyncio.to_thread(server.start)
        back = loop.time()
        outcome = await node.handler.execute(create_cmd(account), account_id=account.account_id, metadata=META)
        await until(reached(publisher, outcome.recorded[-1].checkpoint), 30)
        resumed = loop.time() - back
    finally:
        await node.close()
    print(f"published {resumed:.2f}s after NATS came up")
    assert resumed < RESUMED_WITHIN
