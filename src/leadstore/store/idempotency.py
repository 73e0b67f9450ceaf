"""Idempotency keys: the response a keyed request produced, recorded in its command's transaction, kept 24 h
(any worker process purges the expired ones)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from uuid import UUID

import asyncpg
import msgspec

from leadstore.store.db import DATABASE_ERRORS, Conn

log = logging.getLogger(__name__)

FIND = """
SELECT request_hash, status, headers, body FROM idempotency_keys
WHERE account_id = $1 AND key = $2 AND created_at > now() - interval '24 hours'"""
# An expired record is taken over; a live one (even one committed a moment ago by a concurrent request,
# which this insert waits for) is left alone and no row comes back.
RECORD = """
INSERT INTO idempotency_keys (account_id, key, request_hash, status, headers, body)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (account_id, key) DO UPDATE
SET request_hash = EXCLUDED.request_hash, status = EXCLUDED.status, headers = EXCLUDED.headers,
    body = EXCLUDED.body, created_at = now()
WHERE idempotency_keys.created_at <= now() - interval '24 hours'
RETURNING 1"""
PURGE = "DELETE FROM idempotency_keys WHERE created_at <= now() - interval '24 hours'"


class StoredResponse(msgspec.Struct, frozen=True):
    """What a keyed request answered: replayed as is to the same key with the same request."""

    request_hash: bytes
    status: int
    headers: dict[str, str]
    body: bytes


class KeyTaken(Exception):
    """A concurrent request with the same key recorded its response first: this one must not write."""


def request_hash(actor: str, method: str, path: str, query: str, body: bytes) -> bytes:
    """What "the same request" means: the same user sending the same method, path, query string and body
    bytes. Keys are the account's; the same key from another user is a conflict, never a replay."""
    digest = hashlib.sha256()
    for part in (actor.encode(), method.encode(), path.encode(), query.encode()):
        digest.update(len(part).to_bytes(8, "big") + part)
    digest.update(body)
    return digest.digest()


async def find(conn: Conn, account_id: UUID, key: str) -> StoredResponse | None:
    """The live (under 24 h) record of a key, if any."""
    row = await conn.fetchrow(FIND, account_id, key)
    return None if row is None else StoredResponse(bytes(row[0]), row[1], dict(row[2]), bytes(row[3]))


async def record(conn: Conn, account_id: UUID, key: str, response: StoredResponse) -> None:
    """Record a response inside the command's transaction; KeyTaken when a live record exists."""
    args = (response.request_hash, response.status, response.headers, response.body)
    if await conn.fetchval(RECORD, account_id, key, *args) is None:
        raise KeyTaken(key)


async def purge_expired(conn: Conn) -> int:
    """Delete records past 24 hours; the number deleted."""
    status = await conn.execute(PURGE)
    return int(status.split()[-1])


PURGE_EVERY_SECONDS = 900.0


async def purge_idempotency_keys(pool: asyncpg.Pool, stop: asyncio.Event, every: float = PURGE_EVERY_SECONDS) -> None:
    """Delete expired idempotency records every `every` seconds until `stop` (a DELETE: safe from many processes)."""
    while not stop.is_set():
        try:
            async with pool.acquire() as conn:
                purged = await purge_expired(conn)
            if purged:
                log.info("purged %d expired idempotency records", purged)
        except DATABASE_ERRORS as exc:
            log.warning("purging idempotency records failed, will retry: %s", exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)
