"""`leadstore serve --processes 2` as an operator runs it: one port answered by two API processes, a dead one
replaced, SIGTERM stopping them all within LEADSTORE_SHUTDOWN_SECONDS however slowly clients send, and no
API process outliving its supervisor."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from leadstore.embedded import free_port, wait_for_port
from leadstore.store import db
from leadstore.store.accounts import create_account

SHUTDOWN_SECONDS = 2
STOP_GRACE_SECONDS = 5  # leadstore.cli.processes: the children's own clean-up past the shutdown bound


class Served:
    """A `leadstore serve --processes 2` subprocess and its port."""

    def __init__(self, proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.proc, self.port, self.log = proc, port, log

    def children(self) -> set[int]:
        """The API processes: this process's children, read from /proc."""
        found = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rpartition(")")[2].split()
            except OSError:  # it ended while we looked
                continue
            if int(fields[1]) == self.proc.pid:
                found.add(int(stat.parent.name))
        return found

    def wait_for_children(self, count: int, within: float = 60) -> set[int]:
        deadline = time.monotonic() + within
        while len(children := self.children()) != count:
            assert time.monotonic() < deadline, f"{len(children)} API processes, not {count}: {self.output()}"
            time.sleep(0.05)
        return children

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def served(own_database: str, tmp_path: Path) -> Iterator[Served]:
    exe = shutil.which("leadstore", path=str(Path(sys.executable).parent))
    assert exe is not None
    port, log = free_port(), tmp_path / "serve.log"
    env = os.environ | {
        "LEADSTORE_DATABASE_URL": own_database,
        "LEADSTORE_NATS_URL": "",
        "LEADSTORE_HOST": "127.0.0.1",
        "LEADSTORE_PORT": str(port),
        "LEADSTORE_SHUTDOWN_SECONDS": str(SHUTDOWN_SECONDS),
        "LEADSTORE_REQUEST_READ_SECONDS": "120",  # the shutdown's bound, not the read's, ends the slow clients
        "LEADSTORE_ACCESS_LOG": "false",
    }
    with log.open("wb") as out:
        proc = subprocess.Popen([exe, "serve", "--processes", "2"], env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Served(proc, port, log)
    try:
        wait_for_port(port, 60, proc)
        server.wait_for_children(2)
        yield server
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def owner(served: Served, connection: socket.socket, among: set[int]) -> int | None:
    """Which API process holds the server end of `connection` (its socket inode, in /proc/net/tcp)."""
    client_port = connection.getsockname()[1]
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = (int(address.rpartition(":")[2], 16) for address in fields[1:3])
        if (local, remote) == (served.port, client_port):
            inode = fields[9]
    for pid in among:
        for fd in Path(f"/proc/{pid}/fd").glob("*"):
            with_link = os.readlink(fd) if fd.is_symlink() else ""
            if with_link == f"socket:[{inode}]":
                return pid
    return None


def all_gone(pids: set[int]) -> bool:
    return not any(Path(f"/proc/{pid}").exists() for pid in pids)


def health(connection: socket.socket) -> bytes:
    connection.sendall(b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n")
    return connection.recv(65536)


def answering(served: Served, within: float = 60) -> set[int | None]:
    """The API processes seen answering /health on the port, once every one of them has (or `within` ran out):
    connections wait in the supervisor's listening socket until a child accepts them."""
    children, answered_by = served.children(), set[int | None]()
    deadline = time.monotonic() + within
    while answered_by != children and time.monotonic() < deadline:
        with socket.create_connection(("127.0.0.1", served.port), timeout=30) as connection:
            assert health(connection).startswith(b"HTTP/1.1 200 ")
            answered_by.add(owner(served, connection, children))
    return answered_by


async def test_two_processes_answer_on_one_port_and_sigterm_stops_both_within_the_bound_despite_slow_clients(
    served: Served, own_database: str
) -> None:
    children = served.children()
    assert await asyncio.to_thread(answering, served) == children, served.output()
    conn = await db.connect(own_database)
    try:
        account = await create_account(conn, "shutdown test", "admin@example.com")
    finally:
        await conn.close()
    head = (
        f"POST /v1/leads HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {account.api_key}\r\n"
        "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"
    ).encode()

    async def trickle() -> bytes:
        """Send the body a byte every 0.1 s, for ever; what the server answers before it hangs up."""
        reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
        writer.write(head)
        answer = b""
        try:
            while not reader.at_eof():
                writer.write(b" ")
                await writer.drain()
                with contextlib.suppress(TimeoutError):
                    answer += await asyncio.wait_for(reader.read(65536), 0.1)
        except ConnectionError:
            pass  # the server closed with bytes of ours unread: a reset
        finally:
            writer.close()
        return answer

    clients = [asyncio.create_task(trickle()) for _ in range(2)]
    await asyncio.sleep(1)  # both requests are in their handlers, reading the body
    started = time.monotonic()
    served.proc.send_signal(signal.SIGTERM)
    code = await asyncio.to_thread(served.proc.wait, 60)
    stopped_in = time.monotonic() - started
    answers = await asyncio.wait_for(asyncio.gather(*clients), 10)
    assert code == 0, served.output()
    assert SHUTDOWN_SECONDS <= stopped_in < SHUTDOWN_SECONDS + STOP_GRACE_SECONDS, served.output()
    for answer in answers:  # cut off by the shutdown: told to retry, not a 500
        assert answer.startswith(b"HTTP/1.1 503 "), answer
        assert b"retry-after: 1\r\n" in answer.lower() and b'"code":"unavailable"' in answer
    assert "Traceback" not in served.output(), served.output()
    assert not served.children() and all_gone(children)


def test_a_dead_api_process_is_replaced_and_none_outlives_the_supervisor(served: Served) -> None:
    dead = min(served.children())
    os.kill(dead, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while dead in (replaced := served.children()) or len(replaced) != 2:
        assert time.monotonic() < deadline, served.output()
        time.sleep(0.05)
    assert "exited with code -9; restarting it" in served.output()

    served.proc.kill()  # SIGKILL: no chance to stop its children
    served.proc.wait()
    deadline = time.monotonic() + 30
    while not all_gone(replaced):
        assert time.monotonic() < deadline, "API processes outlived their supervisor"
        time.sleep(0.05)


def health_requests_counted(scrape: str) -> float:
    """The total of leadstore_http_requests_total over the /health series of a scrape."""
    return sum(
        float(line.rpartition(" ")[2])
        for line in scrape.splitlines()
        if line.startswith("leadstore_http_requests_total{") and 'route="/health"' in line
    )


def scrape(port: int) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(b"GET /metrics HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer.decode()


async def test_one_scrape_counts_the_requests_every_api_process_answered(served: Served) -> None:
    children = served.children()
    counted_before = health_requests_counted(await asyncio.to_thread(scrape, served.port))
    answered_by: list[int | None] = []
    for _ in range(200):  # fresh connections, until both processes have answered several
        with socket.create_connection(("127.0.0.1", served.port), timeout=30) as connection:
            assert health(connection).startswith(b"HTTP/1.1 200 ")
            answered_by.append(owner(served, connection, children))
        if len(answered_by) >= 20 and all(answered_by.count(pid) >= 3 for pid in children):
            break
    assert set(answered_by) == children, served.output()

    counted = health_requests_counted(await asyncio.to_thread(scrape, served.port))
    assert counted - counted_before == len(answered_by)  # whichever process answered the scrape saw both
