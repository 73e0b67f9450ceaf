"""Token buckets in PostgreSQL (migration 060), shared by every API process of a deployment."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg
import msgspec

from leadstore.store.db import DATABASE_ERRORS

log = logging.getLogger(__name__)

TAKE = "SELECT granted, wait_seconds FROM take_tokens($1, $2, $3, $4)"
GIVE_BACK = "SELECT give_back_tokens($1, $2, $3, $4)"
# A bucket past its `full_at` equals a missing one, so deleting it changes no limit.
PURGE_FULL = "DELETE FROM rate_limit_buckets WHERE full_at < now()"
PURGE_EVERY_SECONDS = 300.0


class Budget(msgspec.Struct, frozen=True):
    """A bucket's refill rate (tokens a second) and size (its burst); either 0 means no limit."""

    per_second: float
    burst: int

    @property
    def limited(self) -> bool:
        return self.per_second > 0 and self.burst > 0


class Grant(msgspec.Struct, frozen=True):
    """What a take got: whole tokens (possibly none) and the seconds until the bucket holds one again."""

    tokens: int
    wait_seconds: float


class PostgresBuckets:
    """The deployment's buckets, one row each, taken from with one statement."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def take(self, bucket: str, budget: Budget, want: int) -> Grant:
        """Up to `want` whole tokens of `bucket` (created full on its first take)."""
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(TAKE, bucket, budget.per_second, float(budget.burst), want)
        assert row is not None
        return Grant(row["granted"], row["wait_seconds"])

    async def give_back(self, bucket: str, budget: Budget, tokens: int) -> None:
        """Return tokens taken and not spent."""
        async with self.pool.acquire() as conn:
            await conn.execute(GIVE_BACK, bucket, budget.per_second, float(budget.burst), tokens)


async def purge_full_buckets(pool: asyncpg.Pool, stop: asyncio.Event, every: float = PURGE_EVERY_SECONDS) -> None:
    """Delete buckets that have refilled completely, every `every` seconds until `stop` (safe from many processes)."""
    while not stop.is_set():
        try:
            async with pool.acquire() as conn:
                await conn.execute(PURGE_FULL)
        except DATABASE_ERRORS as exc:
            log.warning("purging full rate-limit buckets failed, will retry: %s", exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)
