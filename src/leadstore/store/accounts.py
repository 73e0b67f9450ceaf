"""Accounts, users and API keys: creation with the default pipeline, and key look-up for authentication."""

from __future__ import annotations

import hashlib
import secrets
import time
from uuid import UUID

import asyncpg
import msgspec
from uuid_utils.compat import uuid7

from leadstore.domain.account_events import AccountCreated, ApiKeyIssued, DefaultSource, DefaultStatus, UserCreated
from leadstore.domain.commands import Actor
from leadstore.store.account_log import by_command_line, record
from leadstore.store.db import Conn

DEFAULT_STATUSES = [
    ("new", "New", "open"),
    ("contacted", "Contacted", "open"),
    ("qualified", "Qualified", "open"),
    ("converted", "Converted", "won"),
    ("lost", "Lost", "lost"),
]
DEFAULT_SOURCES = [
    ("website", "Website"),
    ("referral", "Referral"),
    ("trade_show", "Trade show"),
    ("cold_call", "Cold call"),
    ("social_media", "Social media"),
    ("partner", "Partner"),
    ("other", "Other"),
]
KEY_PREFIX = "lsk_"

INSERT_ACCOUNT = "INSERT INTO accounts (id, name) VALUES ($1, $2)"
INSERT_USER = "INSERT INTO users (id, account_id, email, name, role) VALUES ($1, $2, $3, $4, $5)"
INSERT_KEY = """
INSERT INTO api_keys (id, account_id, user_id, key_hash, prefix, name) VALUES ($1, $2, $3, $4, $5, $6)"""
INSERT_STATUS = "INSERT INTO statuses (account_id, key, label, kind, position) VALUES ($1, $2, $3, $4, $5)"
INSERT_SOURCE = "INSERT INTO sources (account_id, key, label) VALUES ($1, $2, $3)"
FIND_KEY = """
SELECT k.id AS api_key_id, k.account_id, u.id AS user_id, u.role, u.email,
       k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute' AS stale
FROM api_keys k JOIN users u ON u.id = k.user_id AND u.active
WHERE k.key_hash = $1 AND k.revoked_at IS NULL"""
# At most one write per key a minute, so that reads stay (nearly) write-free.
TOUCH_KEY = """
UPDATE api_keys SET last_used_at = now()
WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')"""


class NewAccount(msgspec.Struct, frozen=True):
    account_id: UUID
    user_id: UUID
    api_key: str


class Principal(msgspec.Struct, frozen=True):
    """Who a request acts as: the key's user in the key's account."""

    account_id: UUID
    actor: Actor


def hash_key(api_key: str) -> bytes:
    """Keys are high-entropy random strings, so a plain SHA-256 is the right hash (no salt, no stretching)."""
    return hashlib.sha256(api_key.encode()).digest()


async def create_api_key(conn: Conn, account_id: UUID, user_id: UUID, name: str | None) -> tuple[UUID, str]:
    """Make a key for a user: its id, and the key itself, returned once (only its hash is kept)."""
    api_key, key_id = KEY_PREFIX + secrets.token_urlsafe(32), uuid7()
    await conn.execute(INSERT_KEY, key_id, account_id, user_id, hash_key(api_key), api_key[:12], name)
    return key_id, api_key


async def create_account(conn: Conn, name: str, admin_email: str, command: str = "accounts create") -> NewAccount:
    """An account with the default statuses and sources, and its first admin user with a key; the account's
    stream begins with these as events, made by `command` of the command line."""
    account_id, user_id = uuid7(), uuid7()
    statuses = [DefaultStatus(key, label, kind, n) for n, (key, label, kind) in enumerate(DEFAULT_STATUSES)]
    sources = [DefaultSource(key, label) for key, label in DEFAULT_SOURCES]
    change = by_command_line(account_id, f"leadstore {command}")
    async with conn.transaction():
        await conn.execute(INSERT_ACCOUNT, account_id, name)
        await conn.execute(INSERT_USER, user_id, account_id, admin_email, None, "admin")
        await conn.executemany(INSERT_STATUS, [(account_id, s.key, s.label, s.kind, s.position) for s in statuses])
        await conn.executemany(INSERT_SOURCE, [(account_id, s.key, s.label) for s in sources])
        key_id, api_key = await create_api_key(conn, account_id, user_id, "first admin key")
        await record(conn, change, AccountCreated(name=name, statuses=statuses, sources=sources))
        await record(conn, change, UserCreated(user_id=user_id, email=admin_email, name=None, role="admin"))
        await record(conn, change, ApiKeyIssued(api_key_id=key_id, user_id=user_id, name="first admin key"))
    return NewAccount(account_id, user_id, api_key)


async def authenticate(conn: Conn, api_key: str) -> Principal | None:
    """The principal of an active, unrevoked key (noting, to the minute, when it was last used); else None."""
    row = await conn.fetchrow(FIND_KEY, hash_key(api_key))
    if row is None:
        return None
    if row["stale"]:
        await conn.execute(TOUCH_KEY, row["api_key_id"])
    actor = Actor(user_id=row["user_id"], role=row["role"], api_key_id=row["api_key_id"], email=row["email"])
    return Principal(account_id=row["account_id"], actor=actor)


class PrincipalCache:
    """The principals of recently used keys, each for at most `ttl` seconds: what reads authenticate with.

    Writes do not rely on it: their statement checks the key again (migration 050), so a key revoked in
    any process is refused by every write once the revocation has committed. Unknown keys are not kept.
    """

    def __init__(self, ttl: float = 1.0, max_keys: int = 10_000) -> None:
        self.ttl = ttl
        self.max_keys = max_keys
        self._seen: dict[bytes, tuple[Principal, float]] = {}

    def cached(self, api_key: str) -> Principal | None:
        """The key's principal when it was looked up less than `ttl` seconds ago; else None."""
        seen = self._seen.get(hash_key(api_key))
        return seen[0] if seen is not None and seen[1] > time.monotonic() else None

    async def principal(self, pool: asyncpg.Pool, api_key: str) -> Principal | None:
        """The key's principal, from the cache or looked up (None for an unknown, revoked or orphaned key)."""
        if (kept := self.cached(api_key)) is not None:
            return kept
        digest = hash_key(api_key)
        async with pool.acquire() as conn:
            principal = await authenticate(conn, api_key)
        self._seen.pop(digest, None)
        if principal is not None:
            if len(self._seen) >= self.max_keys:
                self._seen.pop(next(iter(self._seen)))
            self._seen[digest] = (principal, time.monotonic() + self.ttl)
        return principal

    def forget(self) -> None:
        """Drop every kept principal (after a revocation or deactivation in this process)."""
        self._seen.clear()
