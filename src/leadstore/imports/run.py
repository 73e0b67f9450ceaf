"""One import's run, by the holder of its lease `import:<id>` (DESIGN.md decision 11).

The rows are read from the stored upload in file order and written in chunks, several rows of a chunk at
once; after each chunk its counts, its errors and the new row cursor are saved in one fenced statement. A
successor (the leader was killed, froze, or lost the database) starts at the saved cursor: rows past it
that the old leader wrote are found by their idempotency keys and counted as they turned out, never
written again.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from leadstore.domain.commands import Actor
from leadstore.handler import LeadCommandHandler
from leadstore.imports.columns import Column
from leadstore.imports.parsing import ParsedRow, csv_rows, decode, ndjson_rows
from leadstore.imports.rows import ImportJob, RowResult, RowWriter, done_rows
from leadstore.leadership import DATABASE_ERRORS, Lease, LeaseLost, close_quietly
from leadstore.store import db
from leadstore.store import imports as store
from leadstore.store.command_writes import KeyRevoked, StaleRules, TurnMoved
from leadstore.store.notifier import wait_or_stop
from leadstore.store.rules import load_rules

log = logging.getLogger(__name__)
ROW_TRIES = 3  # a row the lane kept refusing for moving rules or rotations is tried again, then failed
KEY_REVOKED = "the importing API key was revoked, or its user deactivated: the rest of the file was not imported"


class ImportRun:
    """Runs one import where this process holds its lease; stands by while another process runs it."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        dsn: str,
        handler: LeadCommandHandler,
        import_id: UUID,
        *,
        lease_seconds: float,
        chunk_rows: int,
        concurrency: int,
        poll_seconds: float = 1.0,
    ) -> None:
        self.pool, self.dsn, self.handler, self.import_id = pool, dsn, handler, import_id
        self.name = f"import:{import_id}"
        self.lease = Lease(dsn, self.name, lease_seconds)
        self.chunk_rows, self.concurrency, self.poll_seconds = chunk_rows, concurrency, poll_seconds
        self.stop = asyncio.Event()  # set when the import has ended, or the process stops

    async def run(self) -> None:
        """Stand by until elected, then run the import to its end; outlives lost leases and database outages."""
        while not self.stop.is_set():
            try:
                await self._serve()
            except LeaseLost as exc:
                log.warning("%s stood down (%s); standing by", self.name, exc)
            except DATABASE_ERRORS as exc:
                log.warning("%s lost its database connection (%s); reconnecting", self.name, exc)
            except Exception:
                log.exception("%s failed; restarting", self.name)
            await wait_or_stop(self.stop, self.poll_seconds)

    async def _serve(self) -> None:
        conn = await db.connect(self.dsn)  # the session a successor ends
        try:
            async with self.lease.term(self.stop, conn, standing_by=self._ended_elsewhere) as elected:
                if elected:
                    await self._lead(conn)
        finally:
            await close_quietly(conn)

    async def _ended_elsewhere(self) -> None:
        async with self.pool.acquire() as conn:
            if await store.state(conn, self.import_id) not in ("queued", "running"):
                self.stop.set()

    def _fence(self) -> store.Fence:
        self.lease.check()
        assert self.lease.token is not None
        return store.Fence(self.name, self.lease.holder, self.lease.token)

    async def _lead(self, conn: asyncpg.Connection) -> None:
        loaded = await store.load(conn, self.import_id)
        if loaded is None or loaded["state"] not in ("queued", "running") or loaded["body"] is None:
            self.stop.set()
            return
        if not await store.start(conn, self.import_id, self._fence()):
            raise LeaseLost(f"lease {self.name} was taken over before the run began")
        job, cursor = _job(loaded), loaded["cursor"]
        log.info("%s running from row %d of %d", self.name, cursor, loaded["rows"])
        writer = RowWriter(self.handler, self.pool, job)
        custom_keys = [rule.key for rule in (await load_rules(conn, job.account_id)).custom_fields]
        rows = itertools.islice(_rows(loaded, custom_keys), cursor, None)
        try:
            while chunk := list(itertools.islice(rows, self.chunk_rows)):
                if self.stop.is_set():
                    return
                counts, errors = await self._chunk(writer, job, chunk)
                if not await store.advance(
                    conn, self.import_id, self._fence(), cursor + len(chunk), cursor, counts, errors
                ):
                    raise LeaseLost(f"lease {self.name}: the progress of rows {cursor}.. was not saved")
                cursor += len(chunk)
        except KeyRevoked:
            await store.finish(conn, self.import_id, self._fence(), "failed", KEY_REVOKED)
            self.stop.set()
            return
        await store.finish(conn, self.import_id, self._fence(), "done")
        log.info("%s done", self.name)
        self.stop.set()

    async def _chunk(
        self, writer: RowWriter, job: ImportJob, chunk: list[ParsedRow]
    ) -> tuple[store.Counts, list[store.RowError]]:
        """Write a chunk's rows, `concurrency` at a time; their counts and errors in row order."""
        async with self.pool.acquire() as conn:
            done = await done_rows(conn, job, [row.number for row in chunk])
            custom_fields = (await load_rules(conn, job.account_id)).custom_fields
        gate = asyncio.Semaphore(self.concurrency)

        async def one(row: ParsedRow) -> RowResult:
            if row.number in done:
                return RowResult(done[row.number])
            async with gate:
                for attempt in range(1, ROW_TRIES + 1):
                    try:
                        return await writer.write(row, custom_fields)
                    except (StaleRules, TurnMoved):
                        if attempt == ROW_TRIES:
                            message = "the account's configuration or rotation kept changing; import the row again"
                            return RowResult("failed", [store.RowError(row.number, None, "unavailable", message)])
                raise AssertionError("every attempt returns")

        results = await asyncio.gather(*(one(row) for row in chunk))
        counts = store.Counts(done=len(results))
        errors: list[store.RowError] = []
        for result in results:
            setattr(counts, result.outcome, getattr(counts, result.outcome) + 1)
            errors += result.errors
        return counts, errors


def _job(loaded: dict[str, Any]) -> ImportJob:
    actor = Actor(
        user_id=loaded["user_id"], role=loaded["role"], api_key_id=loaded["api_key_id"], email=loaded["email"]
    )
    return ImportJob(
        id=loaded["id"],
        account_id=loaded["account_id"],
        actor=actor,
        on_duplicate=loaded["on_duplicate"],
        skip_team_requirement=loaded["skip_team_requirement"],
        metadata=loaded["metadata"],
        typed=loaded["format"] == "ndjson",
    )


def _rows(loaded: dict[str, Any], custom_keys: list[str]) -> Iterator[ParsedRow]:
    """The upload's rows in file order, read as they were counted at upload."""
    text = decode(loaded["body"], loaded["charset"])
    columns = msgspec.convert(loaded["columns"], list[Column])
    if loaded["format"] == "ndjson":
        mapping = {c.name: c.field for c in columns}
        return ndjson_rows(text, mapping, custom_keys)
    return csv_rows(text, columns)
