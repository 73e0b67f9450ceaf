"""The whole service at once: HTTP writers racing, the projector and the publisher running, then every
promise checked together: the log is intact, the read model equals a replay, the list shows every lead
as its stream says, and a subscriber received each event exactly once, in per-lead version order."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from leadstore.bootstrap import Container, bootstrap
from leadstore.http.testing import serve
from leadstore.log.integrity import check_log
from leadstore.projection.verify import verify_projection
from leadstore.publishing import EventSubscription, PublishingSettings
from leadstore.settings import Settings
from leadstore.store.accounts import NewAccount, create_account
from leadstore.store.events import Checkpoint
from projections import get_projection
from tests.integration.helpers import signing_public_key

CLIENTS, ROUNDS = 8, 12
FAST = PublishingSettings(publish_ack_timeout_seconds=2, publish_poll_seconds=0.2)


@pytest.fixture
async def system(own_database: str, nats_url: str) -> AsyncIterator[Container]:
    """A container with its workers (projector and publisher) running, as `leadstore serve` runs."""
    built = await bootstrap(Settings(database_url=own_database, nats_url=nats_url), publishing=FAST)
    built.start_workers()
    yield built
    await built.close()


async def _client_session(http: httpx.AsyncClient, seed: int) -> tuple[list[str], list[Checkpoint]]:
    """One client: creates leads and races others on them with patches, status changes and conversions.
    Returns the leads it created and the `Leadstore-Position` of each write that was accepted."""
    rng = random.Random(seed)
    created: list[str] = []
    written: list[Checkpoint] = []
    for n in range(ROUNDS):
        action = rng.choice(["create", "create", "patch", "status", "convert", "archive"])
        if action == "create" or not created:
            response = await http.post("/v1/leads", json={"first_name": f"C{seed}", "last_name": f"L{n}"})
            created.append(response.json()["id"])
        else:
            response = await _act(http, rng, action, f"/v1/leads/{rng.choice(created)}", f"{seed}-{n}")
            assert response.status_code in (200, 409), response.text  # 409: a closed or converted lead refuses
        if response.status_code in (200, 201):
            written.append(Checkpoint.parse(response.headers["Leadstore-Position"]))
    return created, written


async def _act(http: httpx.AsyncClient, rng: random.Random, action: str, target: str, label: str) -> httpx.Response:
    if action == "patch":
        return await http.patch(target, json={"notes": label, "score": rng.randint(0, 100)})
    if action == "status":
        return await http.patch(target, json={"status": rng.choice(["contacted", "qualified", "lost"])})
    return await http.post(f"{target}/{action}", json={})  # convert or archive


async def _feed(http: httpx.AsyncClient, last: Checkpoint) -> list[dict[str, Any]]:
    """The account's feed up to and including the write at `last`. The feed shows an event only once every
    transaction that began before it has ended (commit order), so a write acknowledged a moment ago can be
    held back by another transaction still open, the projector's own for one: read on until it shows."""
    feed: list[dict[str, Any]] = []
    for _ in range(200):
        params = {"limit": 1000} | ({"after": feed[-1]["position"]} if feed else {})
        feed += (await http.get("/v1/events", params=params)).json()["data"]
        if feed and Checkpoint.parse(feed[-1]["position"]) >= last:
            return feed
        await asyncio.sleep(0.05)
    raise AssertionError(f"the feed never reached {last.token()}")


async def _listed(http: httpx.AsyncClient, position: str) -> dict[str, Any]:
    leads: dict[str, Any] = {}
    for archived in ("false", "true"):
        params: dict[str, Any] = {"limit": 200, "archived": archived, "min_position": position}
        while True:
            page = (await http.get("/v1/leads", params=params)).json()
            leads.update({lead["id"]: lead for lead in page["data"]})
            if not page["has_more"]:
                break
            params = {"limit": 200, "archived": archived, "cursor": page["next_cursor"]}
    return leads


async def test_racing_clients_leave_a_consistent_log_read_model_and_feed(
    system: Container, nats_reader_url: str
) -> None:
    async with system.pool.acquire() as conn:
        tenant: NewAccount = await create_account(conn, "system test", "admin@example.com")
    headers = {"Authorization": f"Bearer {tenant.api_key}"}
    async with serve(system) as url, httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
        sessions = await asyncio.gather(*(_client_session(http, seed) for seed in range(CLIENTS)))
        feed = await _feed(http, max(position for _, written in sessions for position in written))
        listed = await _listed(http, feed[-1]["position"])
        assert (await http.get("/v1/events", params={"after": feed[-1]["position"]})).json()["data"] == []

    assert len(feed) > CLIENTS * ROUNDS // 2
    leads = {lead for created, _ in sessions for lead in created}
    streams: dict[str, list[int]] = defaultdict(list)
    for event in feed:
        if event["lead_id"] is not None:  # the account's administrative events have none
            streams[event["lead_id"]].append(event["version"])
    assert set(streams) == leads == set(listed)
    assert all(versions == list(range(1, len(versions) + 1)) for versions in streams.values())
    assert {lead: listed[lead]["version"] for lead in leads} == {lead: len(streams[lead]) for lead in leads}

    async with system.pool.acquire() as conn:
        log = await check_log(conn)
    rows, differences = await verify_projection(system.pool, get_projection("lead_list"))
    assert log.ok and log.events == len(feed)
    assert differences == [] and rows == len(leads)

    lead_feed = [e for e in feed if e["lead_id"] is not None]  # what a subscription to the account's leads sees
    async with EventSubscription(
        nats_reader_url, public_key=await signing_public_key(system), account_id=tenant.account_id, from_start=True
    ) as subscription:
        received = await subscription.take(len(lead_feed), within=20)
    assert sorted(str(e.id) for e in received) == sorted(e["id"] for e in lead_feed)  # each exactly once
    order: dict[str, list[int]] = defaultdict(list)
    for published in received:
        order[str(published.lead_id)].append(published.version)
    assert order == streams  # per-lead version order on the stream
