"""NATS locked down: the service publishes events only, subscribers only read, nobody else gets in; TLS verified.

Each check runs against the embedded server (`leadstore dev` and the tests) and against compose.yaml's
nats-server.conf, on servers of this module's own, whatever LEADSTORE_TEST_NATS_URL says.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import nats
import nats.errors
import pytest
from nats.aio.client import Client as NatsClient

from leadstore.embedded import free_port, wait_for_port
from leadstore.embedded_nats import EmbeddedNats, nats_server_exe
from leadstore.publishing import STREAM, NatsConnection, PublishingSettings
from leadstore.publishing.permissions import SUBSCRIBER_USER, authorization
from leadstore.publishing.stream import ensure_stream
from tests.certificates import write_certificates

ROOT = Path(__file__).resolve().parents[2]


class LockedServer(NamedTuple):
    service: str
    reader: str
    anonymous: str


def run_server(folder: Path, config: Path, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], int]:
    """nats-server with JetStream and `config`, on a free loopback port."""
    port = free_port()
    command = [nats_server_exe(), "-c", str(config), "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(folder)]
    log = (folder / "nats.log").open("ab")
    proc = subprocess.Popen(command, stdout=log, stderr=log, env=os.environ | (env or {}))
    wait_for_port(port, 30, proc)
    return proc, port


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="module", params=["embedded", "compose"])
def locked(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LockedServer]:
    folder = tmp_path_factory.mktemp(f"nats-{request.param}")
    if request.param == "embedded":
        server = EmbeddedNats(folder)
        server.start()
        yield LockedServer(server.url, server.reader_url, f"nats://127.0.0.1:{server.port}")
        server.stop()
        return
    passwords = {"NATS_PASSWORD": uuid.uuid4().hex, "NATS_SUBSCRIBER_PASSWORD": uuid.uuid4().hex}
    proc, port = run_server(folder, ROOT / "nats-server.conf", passwords)
    address = f"127.0.0.1:{port}"
    yield LockedServer(
        f"nats://leadstore:{passwords['NATS_PASSWORD']}@{address}",
        f"nats://subscriber:{passwords['NATS_SUBSCRIBER_PASSWORD']}@{address}",
        f"nats://{address}",
    )
    stop(proc)


class Client(NamedTuple):
    nc: NatsClient
    errors: list[Exception]

    async def assert_refused(self, subject: str) -> None:
        """Publish to `subject`: the server must answer with a permissions violation for it."""
        await self.nc.publish(subject, b"{}")
        await self.nc.flush()
        wanted = f'permissions violation for publish to "{subject.lower()}"'
        for _ in range(250):
            if any(wanted in str(error).lower() for error in self.errors):
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"publishing to {subject} was not refused (errors: {self.errors})")


async def connect(url: str) -> Client:
    errors: list[Exception] = []

    async def collect(error: Exception) -> None:
        errors.append(error)

    return Client(await nats.connect(url, error_cb=collect, allow_reconnect=False), errors)


async def test_the_service_publishes_events_and_manages_only_the_leads_stream(locked: LockedServer) -> None:
    service = await connect(locked.service)
    try:
        js = service.nc.jetstream(timeout=5)
        await ensure_stream(js, PublishingSettings())
        ack = await js.publish(f"leads.{uuid.uuid4()}.LeadCreated", b"{}")
        assert ack.stream == STREAM
        for subject in ("crm.leads.created", "$JS.API.STREAM.DELETE.LEADS", "$JS.API.STREAM.PURGE.LEADS"):
            await service.assert_refused(subject)
        await service.assert_refused(f"$JS.API.CONSUMER.CREATE.{STREAM}")  # reading is the subscribers' part
        assert (await js.stream_info(STREAM)).state.messages >= 1
    finally:
        await service.nc.close()


async def test_a_subscriber_consumes_and_acks_but_publishes_nothing(locked: LockedServer) -> None:
    account = uuid.uuid4()
    service, reader = await connect(locked.service), await connect(locked.reader)
    try:
        await ensure_stream(service.nc.jetstream(), PublishingSettings())
        await service.nc.jetstream().publish(f"leads.{account}.LeadCreated", b'{"n": 1}')
        js = reader.nc.jetstream(timeout=5)
        for durable in (None, f"test-{account.hex[:8]}"):
            sub = await js.pull_subscribe(f"leads.{account}.*", durable=durable, stream=STREAM)
            [msg] = await sub.fetch(1, timeout=5)
            await msg.ack_sync()
            assert msg.data == b'{"n": 1}'
            await js.delete_consumer(STREAM, (await sub.consumer_info()).name)
        for subject in (f"leads.{account}.LeadConverted", "crm.leads.created", f"$JS.API.STREAM.CREATE.{STREAM}"):
            await reader.assert_refused(subject)
    finally:
        await service.nc.close()
        await reader.nc.close()


async def test_an_anonymous_or_wrongly_authenticated_connection_is_refused(locked: LockedServer) -> None:
    wrong_password = locked.reader.replace("subscriber:", "subscriber:x", 1)
    for url in (locked.anonymous, wrong_password):
        with pytest.raises(nats.errors.Error, match="Authorization Violation"):
            await (await connect(url)).nc.close()


async def test_a_tls_url_verifies_the_server_against_the_ca_file(tmp_path: Path) -> None:
    ca, cert, key = write_certificates(tmp_path, "127.0.0.1")
    password = uuid.uuid4().hex
    config = tmp_path / "nats.conf"
    tls = f'tls: {{cert_file: "{cert}", key_file: "{key}"}}\n'
    config.write_text(authorization({"leadstore": uuid.uuid4().hex, SUBSCRIBER_USER: password}) + tls)
    proc, port = run_server(tmp_path, config)
    trusted = NatsConnection(url=f"tls://127.0.0.1:{port}", user=SUBSCRIBER_USER, password=password, ca_file=str(ca))
    try:
        nc = await trusted.connect(allow_reconnect=False)
        assert nc.is_connected
        await nc.close()
        untrusted = NatsConnection(url=trusted.url, user=SUBSCRIBER_USER, password=password)
        with pytest.raises(ssl.SSLCertVerificationError):
            await untrusted.connect(allow_reconnect=False, error_cb=_quiet)
    finally:
        stop(proc)


async def _quiet(error: Exception) -> None:
    pass
