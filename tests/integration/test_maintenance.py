"""Housekeeping run by workers."""

from __future__ import annotations

import asyncio
import uuid

from leadstore.bootstrap import Container
from leadstore.store.accounts import NewAccount
from leadstore.store.idempotency import purge_idempotency_keys
from leadstore.store.rate_limits import purge_full_buckets

INSERT = """
INSERT INTO idempotency_keys (account_id, key, request_hash, status, headers, body, created_at)
VALUES ($1, $2, '\\x00', 201, '{}', '\\x00', now() - $3::text::interval)"""
KEYS = "SELECT key FROM idempotency_keys WHERE account_id = $1 ORDER BY key"
BUCKET = """
INSERT INTO rate_limit_buckets (bucket, tokens, refilled_at, full_at)
VALUES ($1, 0, now(), now() + $2::text::interval)"""
BUCKETS = "SELECT bucket FROM rate_limit_buckets WHERE bucket = ANY($1::text[]) ORDER BY bucket"


async def test_workers_purge_idempotency_records_older_than_a_day(container: Container, account: NewAccount) -> None:
    old, fresh = f"old-{uuid.uuid4()}", f"fresh-{uuid.uuid4()}"
    async with container.pool.acquire() as conn:
        await conn.execute(INSERT, account.account_id, old, "25 hours")
        await conn.execute(INSERT, account.account_id, fresh, "23 hours")
    stop = asyncio.Event()
    task = asyncio.create_task(purge_idempotency_keys(container.pool, stop, every=0.05))
    try:
        for _ in range(100):
            async with container.pool.acquire() as conn:
                keys = [r["key"] for r in await conn.fetch(KEYS, account.account_id)]
            if old not in keys:
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await task
    assert keys == [fresh]


async def test_workers_purge_rate_limit_buckets_that_have_refilled(container: Container) -> None:
    full, refilling = f"test:full-{uuid.uuid4()}", f"test:refilling-{uuid.uuid4()}"
    async with container.pool.acquire() as conn:
        await conn.execute(BUCKET, full, "-1 second")
        await conn.execute(BUCKET, refilling, "1 hour")
    stop = asyncio.Event()
    task = asyncio.create_task(purge_full_buckets(container.pool, stop, every=0.05))
    try:
        for _ in range(100):
            async with container.pool.acquire() as conn:
                buckets = [r["bucket"] for r in await conn.fetch(BUCKETS, [full, refilling])]
            if full not in buckets:
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await task
    assert buckets == [refilling]
