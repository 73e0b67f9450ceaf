"""An account's people as admins change them: users (create, deactivate) and API keys (issue, revoke).

Every statement is scoped by account id; every change that changes something appends its event to the
account's stream in its own transaction, after queueing on the account row (see `store.config`).
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from uuid_utils.compat import uuid7

from leadstore.domain import account_events as ev
from leadstore.domain.errors import InvalidTransition
from leadstore.store.account_log import AdminChange, lock_account, record
from leadstore.store.accounts import create_api_key
from leadstore.store.config import Row, fetch_row, fetch_rows
from leadstore.store.db import Conn

USER_COLUMNS = "id, email, name, role, active, created_at"
LIST_USERS = f"SELECT {USER_COLUMNS} FROM users WHERE account_id = $1 ORDER BY created_at, id"
FIND_USERS = "SELECT id FROM users WHERE account_id = $1 AND id = ANY($2::uuid[]) AND active"
INSERT_USER = f"""
INSERT INTO users (id, account_id, email, name, role) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT DO NOTHING RETURNING {USER_COLUMNS}"""
GET_USER = f"SELECT {USER_COLUMNS} FROM users WHERE account_id = $1 AND id = $2"
DEACTIVATE_USER = f"UPDATE users SET active = false WHERE account_id = $1 AND id = $2 RETURNING {USER_COLUMNS}"

KEY_COLUMNS = "id, user_id, name, prefix, created_at, revoked_at, last_used_at"
LIST_KEYS = f"SELECT {KEY_COLUMNS} FROM api_keys WHERE account_id = $1 ORDER BY created_at, id"
GET_KEY = f"SELECT {KEY_COLUMNS} FROM api_keys WHERE account_id = $1 AND id = $2"
REVOKE_KEY = f"""
UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE account_id = $1 AND id = $2
RETURNING {KEY_COLUMNS}"""
# The account's live admin keys: a key that works and belongs to an active admin. Revocations queue on the
# account row (lock_account), as deactivations do, so two of them can never both take away "the other" last
# admin key.
LIVE_ADMIN_KEYS = """
SELECT k.id, k.user_id FROM api_keys k JOIN users u ON u.id = k.user_id AND u.active AND u.role = 'admin'
WHERE k.account_id = $1 AND k.revoked_at IS NULL"""


async def list_users(conn: Conn, account_id: UUID) -> list[Row]:
    return await fetch_rows(conn, LIST_USERS, account_id)


async def active_users(conn: Conn, account_id: UUID, user_ids: Sequence[UUID]) -> set[UUID]:
    """Which of `user_ids` are active users of the account."""
    return {row["id"] for row in await conn.fetch(FIND_USERS, account_id, list(user_ids))}


async def create_user(conn: Conn, change: AdminChange, email: str, name: str | None, role: str) -> Row | None:
    async with conn.transaction():
        await lock_account(conn, change.account_id)
        row = await fetch_row(conn, INSERT_USER, uuid7(), change.account_id, email, name, role)
        if row is not None:
            await record(conn, change, ev.UserCreated(user_id=row["id"], email=email, name=name, role=role))
        return row


async def deactivate_user(conn: Conn, change: AdminChange, user_id: UUID) -> Row | None:
    """Deactivate a user; InvalidTransition when every live admin key of the account is theirs (judged here,
    under the account's lock: the route's "not yourself" rests on a principal read before it)."""
    async with conn.transaction():
        await lock_account(conn, change.account_id)
        live = await conn.fetch(LIVE_ADMIN_KEYS, change.account_id)
        if live and all(row["user_id"] == user_id for row in live):
            raise InvalidTransition("this user holds the account's last working admin keys: issue another first")
        before = await fetch_row(conn, GET_USER, change.account_id, user_id)
        row = await fetch_row(conn, DEACTIVATE_USER, change.account_id, user_id)
        if before is not None and before["active"]:
            await record(conn, change, ev.UserDeactivated(user_id))
        return row


async def list_api_keys(conn: Conn, account_id: UUID) -> list[Row]:
    return await fetch_rows(conn, LIST_KEYS, account_id)


async def issue_api_key(conn: Conn, change: AdminChange, user_id: UUID, name: str | None) -> tuple[Row, str]:
    """A new key for a user of the account: its row, and the key itself (returned this once only)."""
    async with conn.transaction():
        await lock_account(conn, change.account_id)
        key_id, key = await create_api_key(conn, change.account_id, user_id, name)
        row = await fetch_row(conn, GET_KEY, change.account_id, key_id)
        assert row is not None
        await record(conn, change, ev.ApiKeyIssued(api_key_id=key_id, user_id=user_id, name=name))
    return row, key


async def revoke_api_key(conn: Conn, change: AdminChange, key_id: UUID) -> Row | None:
    """Revoke a key (None when the account has no such key); InvalidTransition when it is the account's last
    live admin key, which would lock every admin out."""
    async with conn.transaction():
        await lock_account(conn, change.account_id)
        live = {row["id"] for row in await conn.fetch(LIVE_ADMIN_KEYS, change.account_id)}
        if live == {key_id}:
            raise InvalidTransition("this is the account's last working admin key: issue another one first")
        before = await fetch_row(conn, GET_KEY, change.account_id, key_id)
        row = await fetch_row(conn, REVOKE_KEY, change.account_id, key_id)
        if before is not None and before["revoked_at"] is None:
            await record(conn, change, ev.ApiKeyRevoked(key_id))
        return row
