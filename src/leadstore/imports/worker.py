"""The import worker: finds the imports still to run (every `import_poll_seconds`, and at once when an upload
notifies) and runs each in an ImportRun, which leads it or stands by while another process does."""

from __future__ import annotations

import asyncio
import logging
from uuid import UUID

import asyncpg

from leadstore.handler import LeadCommandHandler
from leadstore.imports.run import ImportRun
from leadstore.leadership import look_on_notice
from leadstore.settings import Settings
from leadstore.store import imports as store

log = logging.getLogger(__name__)
NOTIFY_CHANNEL = "leadstore_imports"


class ImportWorker:
    """Runs (or stands by for) at most `import_runs` imports at a time in this process, oldest first."""

    def __init__(self, pool: asyncpg.Pool, handler: LeadCommandHandler, settings: Settings) -> None:
        self.pool, self.handler, self.settings = pool, handler, settings
        self.runs: dict[UUID, tuple[ImportRun, asyncio.Task[None]]] = {}
        self._wake = asyncio.Event()

    def wake(self, *_: object) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        try:
            await look_on_notice(
                stop,
                self.settings.database_url,
                NOTIFY_CHANNEL,
                self._wake,
                self._look,
                name="import worker",
                poll_seconds=self.settings.import_poll_seconds,
            )
        finally:
            await self._stop_all()

    async def _look(self) -> None:
        self._reap()
        room = self.settings.import_runs - len(self.runs)
        if room > 0:
            async with self.pool.acquire() as conn:
                found = await store.pending(conn, self.settings.import_runs * 4)
            for import_id in [i for i in found if i not in self.runs][:room]:
                self._start(import_id)

    def _start(self, import_id: UUID) -> None:
        settings = self.settings
        run = ImportRun(
            self.pool,
            settings.database_url,
            self.handler,
            import_id,
            lease_seconds=settings.lease_seconds,
            chunk_rows=settings.import_chunk_rows,
            concurrency=settings.import_concurrency,
            poll_seconds=settings.import_poll_seconds,
        )
        task = asyncio.create_task(self._run(run), name=run.name)
        self.runs[import_id] = (run, task)

    async def _run(self, run: ImportRun) -> None:
        await run.run()
        self.wake()  # room for the next import

    def _reap(self) -> None:
        for import_id, (_, task) in list(self.runs.items()):
            if task.done():
                del self.runs[import_id]

    async def _stop_all(self) -> None:
        for run, _ in self.runs.values():
            run.stop.set()
        tasks = [task for _, task in self.runs.values()]
        if tasks:
            _, busy = await asyncio.wait(tasks, timeout=5)
            for task in busy:
                task.cancel()  # rows in flight are written once anyway: each carries its idempotency key
            await asyncio.gather(*tasks, return_exceptions=True)
        self.runs.clear()

    def status(self) -> list[dict[str, object]]:
        return [{"name": run.name, "active": run.lease.held} for run, _ in self.runs.values()]
