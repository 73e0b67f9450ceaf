"""`leadstore dev` as a user runs it: embedded servers on free ports, a demo account, clean stop, kept data."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import asyncpg
import nats
import nats.errors
import pytest

from leadstore.publishing.signature import Signer, b64, decode_key


def _start(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    exe = shutil.which("leadstore", path=str(Path(sys.executable).parent))
    assert exe is not None
    env = {name: value for name, value in os.environ.items() if name != "LEADSTORE_KEK"}  # dev makes its own
    return subprocess.Popen(
        [exe, "dev", "--data-dir", str(data_dir), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )


def _wait_ready(proc: subprocess.Popen[bytes], dev_json: Path) -> dict[str, str]:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert proc.poll() is None, (proc.stdout.read() if proc.stdout else b"").decode()
        if dev_json.exists():
            info: dict[str, str] = json.loads(dev_json.read_text())
            try:
                with urllib.request.urlopen(f"{info['url']}/health", timeout=2) as response:
                    if response.status == 200:
                        return info
            except OSError:
                pass
        time.sleep(0.3)
    raise TimeoutError("leadstore dev did not become ready")


def _stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=60)


def _postgres_running(data_dir: Path) -> bool:
    """Whether any process was started for this data directory (read from /proc: no pgrep needed)."""
    wanted = f"{data_dir}/pgdata".encode()
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if wanted in cmdline.read_bytes():
                return True
        except OSError:  # the process ended while we looked
            continue
    return False


def test_dev_serves_on_free_ports_stops_cleanly_and_keeps_its_data(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with socket.socket() as taken:  # the asked-for port is busy: dev must pick another
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy_port = taken.getsockname()[1]
        proc = _start(data_dir, busy_port)
        try:
            info = _wait_ready(proc, data_dir / "dev.json")
            refusals = asyncio.run(_nats_refusals(info["nats_url"], info["account_id"]))
            with urllib.request.urlopen(f"{info['url']}/v1/signing-key", timeout=5) as response:
                served = json.load(response)
            hook = _create_webhook(info, "http://127.0.0.1:9/hook")  # dev allows receivers on this machine
        finally:
            code = _stop(proc)
    assert code == 0
    assert urlparse(info["url"]).port not in (busy_port, None)
    assert urlparse(info["database_url"]).port not in (5432, None)
    assert urlparse(info["nats_url"]).port not in (4222, None)
    assert info["api_key"].startswith("lsk_") and info["account_id"]
    assert refusals == ["anonymous connection", f"leads.{info['account_id']}.leadconverted"]
    key_file = data_dir / "signing.key"  # made by dev, readable by its owner only, signs what is published
    assert key_file.stat().st_mode & 0o777 == 0o600
    public_key = b64(Signer(decode_key(key_file.read_bytes(), "signing.key")).public_key)
    assert served == {"algorithm": "ed25519", "public_key": public_key} and info["signing_public_key"] == public_key
    assert not _postgres_running(data_dir)
    assert hook["secret"].startswith("whsec_")
    assert (data_dir / "secrets.key").stat().st_mode & 0o777 == 0o600  # seals webhook secrets, kept across runs
    kek = (data_dir / "kek.key").read_bytes()  # wraps every lead's data key, kept across runs
    assert (data_dir / "kek.key").stat().st_mode & 0o777 == 0o600 and len(base64.b64decode(kek)) == 32

    proc = _start(data_dir, busy_port)
    try:
        again = _wait_ready(proc, data_dir / "dev.json")
        accounts = asyncio.run(_count_accounts(again["database_url"], again["account_id"]))
    finally:
        _stop(proc)
    assert (again["account_id"], again["api_key"]) == (info["account_id"], info["api_key"])
    assert (again["nats_url"], again["signing_public_key"]) == (info["nats_url"], public_key)
    assert accounts == 1 and (data_dir / "kek.key").read_bytes() == kek


def _create_webhook(info: dict[str, str], url: str) -> dict[str, str]:
    body = json.dumps({"url": url, "event_types": ["*"]}).encode()
    headers = {"Authorization": f"Bearer {info['api_key']}", "Content-Type": "application/json"}
    request = urllib.request.Request(f"{info['url']}/v1/webhooks", data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        created: dict[str, str] = json.load(response)
    return created


async def _nats_refusals(reader_url: str, account_id: str) -> list[str]:
    """What NATS refuses: a connection without credentials, and dev.json's user (a subscriber) publishing."""
    refused: list[str] = []
    anonymous = urlparse(reader_url)._replace(netloc=f"127.0.0.1:{urlparse(reader_url).port}").geturl()
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await nats.connect(anonymous, allow_reconnect=False, error_cb=_ignore)
    refused.append("anonymous connection")
    violations: asyncio.Queue[Exception] = asyncio.Queue()
    nc = await nats.connect(reader_url, allow_reconnect=False, error_cb=violations.put)
    try:
        await nc.publish(f"leads.{account_id}.LeadConverted", b"{}")
        violation = await asyncio.wait_for(violations.get(), 10)
    finally:
        await nc.close()
    refused.append(str(violation).rpartition(" to ")[2].strip('"'))
    return refused


async def _ignore(error: Exception) -> None:
    pass


async def _count_accounts(url: str, account_id: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM accounts WHERE id = $1::uuid", account_id))
    finally:
        await conn.close()
