"""Housekeeping that any worker process may do: dropping idempotency records past their 24 hours."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg

from leadstore.store.idempotency import purge_expired

log = logging.getLogger(__name__)

PURGE_EVERY_SECONDS = 900.0


async def purge_idempotency_keys(pool: asyncpg.Pool, stop: asyncio.Event, every: float = PURGE_EVERY_SECONDS) -> None:
    """Delete expired idempotency records every `every` seconds until `stop` (a DELETE: safe from many processes)."""
    while not stop.is_set():
        try:
            async with pool.acquire() as conn:
                purged = await purge_expired(conn)
            if purged:
                log.info("purged %d expired idempotency records", purged)
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("purging idempotency records failed, will retry: %s", exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)
