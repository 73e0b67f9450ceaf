"""`leadstore worker` processes for the tests that kill or freeze one (integration tests never import one another)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys


class WorkerProcess:
    """`leadstore worker` in a child process, its log lines collected."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, database_url: str, nats_url: str, **settings: str) -> WorkerProcess:
        """Start one; `settings` are more LEADSTORE_* variables, by lower-case name (lease_seconds="2")."""
        env = os.environ | {
            "LEADSTORE_DATABASE_URL": database_url,
            "LEADSTORE_NATS_URL": nats_url,
            "LEADSTORE_LOG_LEVEL": "INFO",
            "LEADSTORE_LEASE_SECONDS": "2",
            "LEADSTORE_PUBLISH_POLL_SECONDS": "0.5",
        }
        env |= {f"LEADSTORE_{name.upper()}": value for name, value in settings.items()}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "leadstore.cli", "worker", env=env, stderr=asyncio.subprocess.PIPE
        )
        return cls(proc)

    async def _read(self) -> None:
        assert self.proc.stderr is not None
        async for line in self.proc.stderr:
            self.lines.append(line.decode(errors="replace"))

    def logged(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    @property
    def publishing(self) -> bool:
        return self.logged("publisher publisher:nats active")

    @property
    def projecting(self) -> bool:
        return self.logged("projection lead_list active")

    def send(self, sig: int) -> None:
        if self.proc.returncode is None:
            self.proc.send_signal(sig)

    async def stop(self, sig: int = signal.SIGTERM) -> None:
        self.send(signal.SIGCONT)  # a stopped process would never see the signal
        self.send(sig)
        await asyncio.wait_for(self.proc.wait(), 15)
        await self._reader
