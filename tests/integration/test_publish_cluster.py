"""The LEADS stream on a three-node NATS cluster, three replicas: killing the node that leads it under load
loses, duplicates and reorders nothing, and the publisher carries on through another node."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import pytest
import yaml

from leadstore.bootstrap import Container, bootstrap
from leadstore.embedded_cluster import ClusterNode, EmbeddedNatsCluster, free_ports
from leadstore.embedded_nats import nats_server_exe
from leadstore.publishing import STREAM, EventSubscription, NatsConnection, PublishingSettings
from leadstore.publishing.stream import ensure_stream
from leadstore.settings import Settings
from leadstore.store.accounts import NewAccount, create_account
from tests.integration.helpers import assert_version_order, signing_public_key, stored_count, until, write_lead
from tests.publish_progress import Progress

REPLICATED = PublishingSettings(nats_stream_replicas=3)  # otherwise the production settings
WRITERS = 8
BEFORE_THE_KILL = 150  # events published before the leader dies
AFTER_RESUMING = 2.0  # seconds of writes once publishing has resumed
RESUME_WITHIN = 2.5  # seconds from the new leader's election (which takes 4-9 s after SIGKILL) to publishing
LEAD_EVENTS = "SELECT event_id FROM events WHERE stream_type = 'lead'"


@pytest.fixture
def nats_cluster(tmp_path: Path) -> Iterator[EmbeddedNatsCluster]:
    cluster = EmbeddedNatsCluster(tmp_path / "nats-cluster", size=3)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


async def subscription_on(node: ClusterNode, reader_url: str, **options: Any) -> EventSubscription:
    """An open subscription whose consumer runs on `node`: the server places an ephemeral consumer on one node
    of the stream's at random, so open them until one lands there."""
    for _ in range(40):
        subscription = EventSubscription(reader_url, **options)
        await subscription.open()
        info = await subscription.consumer_info()
        if info.cluster is not None and info.cluster.leader == node.name:
            return subscription
        await subscription.close()
    raise AssertionError(f"no consumer was placed on {node.name}")


async def write_until(node: Container, account: NewAccount, stop: asyncio.Event) -> int:
    """Leads (each created, then updated twice) written by one writer until `stop`; how many."""
    leads = 0
    while not stop.is_set():
        await write_lead(node, account, 2)
        leads += 1
    return leads


async def test_killing_the_node_that_leads_the_stream_loses_duplicates_and_reorders_nothing(
    own_database: str, nats_cluster: EmbeddedNatsCluster
) -> None:
    node = await bootstrap(
        Settings(database_url=own_database, nats_url=nats_cluster.url), projections=[], publishing=REPLICATED
    )
    try:
        async with node.pool.acquire() as conn:
            account = await create_account(conn, "cluster test", "admin@example.com")
        assert node.publisher is not None
        publisher = node.publisher
        node.start_workers()
        await until(lambda: publisher.published > 0, 20)  # the stream exists, the account's opening is out
        leader = await nats_cluster.stream_leader(STREAM)
        subscription = await subscription_on(
            leader,
            nats_cluster.reader_url,
            public_key=await signing_public_key(node),
            account_id=account.account_id,
            fetch_timeout=1,
        )
        try:
            progress, stop = Progress(publisher), asyncio.Event()
            writers = [asyncio.create_task(write_until(node, account, stop)) for _ in range(WRITERS)]
            await until(lambda: publisher.published >= BEFORE_THE_KILL, 30)
            assert await nats_cluster.stream_leader(STREAM) is leader
            leader.kill()
            new_leader = await nats_cluster.next_leader(STREAM, leader)
            elected_at = time.monotonic()
            await until(lambda: progress.resumed_after(elected_at), 30)  # publishing goes on through it
            await asyncio.sleep(AFTER_RESUMING)
            stop.set()
            written = sum(await asyncio.gather(*writers))
            events = await subscription.take(3 * written, within=60)
            await progress.stop()
        finally:
            await subscription.close()

        assert new_leader.running and await nats_cluster.stream_leader(STREAM) is new_leader
        async with node.pool.acquire() as conn:
            expected = [r["event_id"] for r in await conn.fetch(LEAD_EVENTS)]
        assert len(expected) == 3 * written
        assert len(events) == len(expected) and {e.id for e in events} == set(expected)  # each once, none missing
        assert_version_order(events)
        assert await stored_count(nats_cluster.url, account.account_id) == len(expected)  # no copy in the stream
        pause, after_election = progress.longest_gap(), progress.first_move_after(elected_at) - elected_at
        print(f"\n{len(expected)} events; publishing paused {pause:.1f}s, resumed {after_election:.1f}s after election")
        assert after_election < RESUME_WITHIN
    finally:
        await node.close()


# compose.yaml's cluster profile, run here: its nats-server arguments on local ports, its worker's settings.

ROOT = Path(__file__).resolve().parents[2]


def local_arguments(command: list[str], store: Path, ports: dict[str, tuple[int, int, int]], node: str) -> list[str]:
    """A compose node's nats-server arguments with the repository's nats-server.conf, a store in `store` and
    127.0.0.1 ports (client, route, monitoring) in place of the containers' names and fixed ports."""
    client, route, monitor = ports[node]
    local = {
        "/etc/nats/leadstore.conf": str(ROOT / "nats-server.conf"),
        "/data": str(store),
        "8222": str(monitor),
        "nats://0.0.0.0:6222": f"nats://127.0.0.1:{route}",
    }
    arguments = [local.get(argument, argument) for argument in command]
    at = arguments.index("--routes") + 1
    routes = [urlsplit(route_url).hostname or "" for route_url in arguments[at].split(",")]
    arguments[at] = ",".join(f"nats://127.0.0.1:{ports[peer][1]}" for peer in routes)
    return [nats_server_exe(), *arguments, "-a", "127.0.0.1", "-p", str(client)]


class ComposeCluster(NamedTuple):
    """The cluster profile's services, and where its nodes listen here."""

    services: dict[str, Any]
    ports: dict[str, tuple[int, int, int]]  # client, route, monitoring
    passwords: dict[str, str]

    def environment(self, service: str, password: str) -> dict[str, str]:
        """A service's environment with the nodes' local ports and this test's password of `password`."""
        env: dict[str, str] = self.services[service]["environment"]
        urls = [urlsplit(url).hostname or "" for url in env["LEADSTORE_NATS_URL"].split(",")]
        local_urls = ",".join(f"nats://127.0.0.1:{self.ports[host][0]}" for host in urls)
        return env | {"LEADSTORE_NATS_URL": local_urls, "LEADSTORE_NATS_PASSWORD": self.passwords[password]}


@pytest.fixture
def compose_cluster(tmp_path: Path) -> Iterator[ComposeCluster]:
    """The nats-1..3 services of compose.yaml's cluster profile, running here with their own arguments."""
    services: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    nodes = [name for name in services if name.startswith("nats-") and "cluster" in services[name]["profiles"]]
    assert nodes == ["nats-1", "nats-2", "nats-3"]
    free = free_ports(3 * len(nodes))
    ports = {node: (free.pop(), free.pop(), free.pop()) for node in nodes}
    # nats-server parses a `$VARIABLE`'s value as a configuration value: one that starts like a number or a date
    # is not a string any more, so a password given this way must start with a letter
    passwords = {"NATS_PASSWORD": f"p{secrets.token_hex(16)}", "NATS_SUBSCRIBER_PASSWORD": f"p{secrets.token_hex(16)}"}
    procs = [
        subprocess.Popen(
            local_arguments(services[node]["command"], tmp_path / node, ports, node),
            env=os.environ | passwords,
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / f"{node}.log").open("ab"),
        )
        for node in nodes
    ]
    try:
        watched = [ClusterNode(node, tmp_path / node, ports[node]) for node in nodes]
        deadline = time.monotonic() + 30
        while not all(node.ready(len(watched)) for node in watched):
            assert time.monotonic() < deadline, f"the compose cluster never got ready: logs in {tmp_path}"
            time.sleep(0.1)
        yield ComposeCluster(services, ports, passwords)
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


async def test_the_compose_cluster_profile_forms_a_cluster_that_keeps_leads_on_three_nodes(
    compose_cluster: ComposeCluster,
) -> None:
    worker_env = compose_cluster.environment("worker-cluster", "NATS_PASSWORD")
    worker = NatsConnection.from_settings(Settings.from_env(worker_env))
    nc = await worker.connect(connect_timeout=2, allow_reconnect=False)
    try:
        info = await ensure_stream(nc.jetstream(timeout=5), PublishingSettings.from_env(worker_env))
    finally:
        await nc.close()
    assert info.config.num_replicas == 3 and info.cluster is not None and info.cluster.leader is not None
    holders = {info.cluster.leader} | {str(peer.name) for peer in info.cluster.replicas or []}
    assert holders == set(compose_cluster.ports)  # every node keeps a copy
    tail_env = compose_cluster.environment("tail-cluster", "NATS_SUBSCRIBER_PASSWORD")
    reader = await NatsConnection.from_settings(Settings.from_env(tail_env)).connect(allow_reconnect=False)
    try:
        assert (await reader.jetstream(timeout=5).stream_info(STREAM)).config.num_replicas == 3
    finally:
        await reader.close()
