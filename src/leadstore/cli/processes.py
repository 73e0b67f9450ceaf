"""`leadstore serve --processes N`: N API processes accepting on one listening socket, and their supervisor.

The supervisor binds the port once and hands that socket to each child (`leadstore serve --listen-fd`): the
port stays bound while children come and go, and no other program can bind it beside us, as SO_REUSEPORT
would let any process of the same user do. The workers (projections, publisher) run in the supervisor:
once per `serve` however many API processes, and never in an API process's event loop, where they would
slow that process's requests. Children read a pipe the supervisor holds open, so they stop if it dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable

from leadstore.bootstrap import bootstrap
from leadstore.metrics_multiprocess import prepare_multiprocess, process_exited
from leadstore.publishing import PublishingSettings
from leadstore.settings import Settings

log = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 5  # past LEADSTORE_SHUTDOWN_SECONDS: the children's own clean-up (lifespan, pool)
RESTART_PAUSE_MAX = 30.0  # between restarts of a child that keeps exiting: 1 s, then twice as long each time
HEALTHY_SECONDS = 30.0  # a child that lived this long is restarted after 1 s again


def default_processes() -> int:
    """One per core this process may run on (its CPU affinity, where the platform says)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def process_count(asked: int | None, setting: int) -> int:
    """How many API processes `serve` runs: --processes, else LEADSTORE_PROCESSES, else one per core (0 in
    either also means one per core)."""
    count = asked if asked is not None else setting
    if count < 0:
        raise SystemExit(f"leadstore: the number of processes must be 1 or more (0: one per core), not {count}")
    return count or default_processes()


def before_processes_start() -> str:
    """Set what every process of `serve` must share, in the supervisor, before any child or metric exists:
    prometheus-client's multiprocess mode, in a fresh directory (PROMETHEUS_MULTIPROC_DIR, inherited by the
    children, so that a scrape of any API process reports them all). Returns the directory."""
    from prometheus_client import values

    directory = prepare_multiprocess(tempfile.mkdtemp(prefix="leadstore-metrics-"))
    # the command line imported prometheus_client before the variable existed: count this process in files too
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
    return str(directory)


def listening_socket(host: str, port: int) -> socket.socket:
    """The API's socket, bound and listening, for the children to accept on."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise SystemExit(f"leadstore: cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(2048)  # uvicorn's backlog
    return sock


async def supervise(settings: Settings, count: int, *, workers: bool, migrate: bool) -> int:
    """Serve the API from `count` processes on one port, with the workers here unless `workers` is false."""
    metrics_dir = before_processes_start()
    container = await bootstrap(settings, run_migrations=migrate, publishing=PublishingSettings.from_env())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        with listening_socket(settings.host, settings.port) as sock:
            if workers:
                container.start_workers()
            supervisor = Supervisor(sock, count, shutdown_seconds=settings.shutdown_seconds, metrics_dir=metrics_dir)
            return await supervisor.run(stop)
    finally:
        await container.close()  # after the API processes: the workers take in their last writes first
        shutil.rmtree(metrics_dir, ignore_errors=True)


class Supervisor:
    """Keeps `count` API processes serving `sock` (restarting one that exits) until `stop`, then stops them all:
    SIGTERM, and SIGKILL for any still there LEADSTORE_SHUTDOWN_SECONDS (and a grace) later."""

    def __init__(self, sock: socket.socket, count: int, *, shutdown_seconds: float, metrics_dir: str = "") -> None:
        self.sock = sock
        self.count = count
        self.shutdown_seconds = shutdown_seconds
        self.metrics_dir = metrics_dir  # where a child that died uncleanly is marked dead (its gauges leave the sums)
        self._alive_read, self._alive_write = os.pipe()  # EOF for the children when this process is gone

    async def run(self, stop: asyncio.Event) -> int:
        """Supervise until `stop` is set; 0 once every child has stopped."""
        try:
            await asyncio.gather(*(self._keep(stop) for _ in range(self.count)))
        finally:
            os.close(self._alive_read)
            os.close(self._alive_write)
        return 0

    async def _keep(self, stop: asyncio.Event) -> None:
        """One slot: a child serving until `stop`, restarted (with a growing pause) each time it exits."""
        pause = 1.0
        while True:
            started = time.monotonic()
            child = await self._start()
            exited, stopping = asyncio.ensure_future(child.wait()), asyncio.ensure_future(stop.wait())
            await asyncio.wait([exited, stopping], return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if stop.is_set():
                await self._stop(child)
                return
            if self.metrics_dir:
                process_exited(self.metrics_dir, child.pid)
            if time.monotonic() - started > HEALTHY_SECONDS:
                pause = 1.0
            log.error("API process %d exited with code %s; restarting it in %.0f s", child.pid, exited.result(), pause)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), pause)
            if stop.is_set():
                return
            pause = min(pause * 2, RESTART_PAUSE_MAX)

    async def _start(self) -> asyncio.subprocess.Process:
        listen, alive = self.sock.fileno(), self._alive_read
        command = [sys.executable, "-m", "leadstore.cli", "serve", "--no-workers", "--processes", "1"]
        command += ["--listen-fd", str(listen), "--parent-fd", str(alive)]
        return await asyncio.create_subprocess_exec(*command, pass_fds=(listen, alive))

    async def _stop(self, child: asyncio.subprocess.Process) -> None:
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(child.wait(), self.shutdown_seconds + STOP_GRACE_SECONDS)
        except TimeoutError:
            log.error("API process %d did not stop in time: killed", child.pid)
            with contextlib.suppress(ProcessLookupError):
                child.kill()
            await child.wait()


def on_parent_exit(fd: int, callback: Callable[[], None]) -> None:
    """Call `callback()` once the supervisor's end of the pipe `fd` closes (it exited, however it died)."""
    loop = asyncio.get_running_loop()

    def gone() -> None:
        loop.remove_reader(fd)
        callback()

    loop.add_reader(fd, gone)
