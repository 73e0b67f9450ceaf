"""An account's configuration as admins change it: statuses, sources, teams, custom fields, users, API keys.

Every statement is scoped by account id, so one account can neither read nor change another's rows.
Functions return rows as dicts (None when there is no such row, or on a duplicate key for inserts).
Every change that changes something appends its event to the account's stream in its own transaction,
after queueing on the account row, so the `from` of each change is what the change replaced.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from uuid_utils.compat import uuid7

from leadstore.domain import account_events as ev
from leadstore.domain.errors import InvalidTransition
from leadstore.store.account_log import AdminChange, lock_account, record
from leadstore.store.accounts import create_api_key
from leadstore.store.db import Conn

Row = dict[str, Any]

STATUS_COLUMNS = "key, label, kind, position, color"
LIST_STATUSES = f"SELECT {STATUS_COLUMNS} FROM statuses WHERE account_id = $1 ORDER BY position, key"
INSERT_STATUS = f"""
INSERT INTO statuses (account_id, key, label, kind, color, position)
SELECT $1, $2, $3, $4, $5, coalesce(max(position) + 1, 0) FROM statuses WHERE account_id = $1
ON CONFLICT DO NOTHING RETURNING {STATUS_COLUMNS}"""
# Updates change only what was sent: NULL keeps a required value; a flag says whether a nullable one was sent.
UPDATE_STATUS = f"""
UPDATE statuses SET label = coalesce($3, label), color = CASE WHEN $5 THEN $4 ELSE color END
WHERE account_id = $1 AND key = $2 RETURNING {STATUS_COLUMNS}"""
GET_STATUS = f"SELECT {STATUS_COLUMNS} FROM statuses WHERE account_id = $1 AND key = $2"
REORDER_STATUSES = "UPDATE statuses SET position = array_position($2::text[], key) - 1 WHERE account_id = $1"

SOURCE_COLUMNS = "key, label, team_id"
LIST_SOURCES = f"SELECT {SOURCE_COLUMNS} FROM sources WHERE account_id = $1 ORDER BY key"
GET_SOURCE = f"SELECT {SOURCE_COLUMNS} FROM sources WHERE account_id = $1 AND key = $2"
INSERT_SOURCE = f"""
INSERT INTO sources (account_id, key, label, team_id) VALUES ($1, $2, $3, $4)
ON CONFLICT DO NOTHING RETURNING {SOURCE_COLUMNS}"""
UPDATE_SOURCE = f"""
UPDATE sources SET label = coalesce($3, label), team_id = CASE WHEN $5 THEN $4 ELSE team_id END
WHERE account_id = $1 AND key = $2 RETURNING {SOURCE_COLUMNS}"""

LIST_TEAMS = """
SELECT t.id, t.name, t.rotation,
       coalesce(array_agg(m.user_id ORDER BY m.added_at, m.user_id) FILTER (WHERE m.user_id IS NOT NULL), '{}')
         AS members
FROM teams t LEFT JOIN team_members m ON m.team_id = t.id
WHERE t.account_id = $1 AND ($2::uuid IS NULL OR t.id = $2)
GROUP BY t.id ORDER BY t.created_at, t.id"""
INSERT_TEAM = "INSERT INTO teams (id, account_id, name, rotation) VALUES ($1, $2, $3, $4)"
UPDATE_TEAM = """
UPDATE teams SET name = coalesce($3, name), rotation = coalesce($4, rotation) WHERE account_id = $1 AND id = $2
RETURNING id"""
DROP_MEMBERS = "DELETE FROM team_members WHERE team_id = $1 AND NOT (user_id = ANY($2::uuid[]))"
# clock_timestamp() rises row by row, so members join the rotation in the order they are listed
ADD_MEMBERS = """
INSERT INTO team_members (team_id, user_id)
SELECT $1, member FROM unnest($2::uuid[]) WITH ORDINALITY AS listed (member, n) ORDER BY n
ON CONFLICT DO NOTHING"""
# The rotation lock of a team: every turn and every membership change takes it first.
LOCK_TEAM = "SELECT pg_advisory_xact_lock($1::int, $2::int)"
GET_ROTATION = """
SELECT coalesce(r.enabled, false) AS enabled, coalesce(r.members, '{}') AS members
FROM accounts a LEFT JOIN account_rotations r ON r.account_id = a.id WHERE a.id = $1"""
PUT_ROTATION = """
INSERT INTO account_rotations (account_id, enabled, members) VALUES ($1, $2, $3)
ON CONFLICT (account_id) DO UPDATE SET enabled = EXCLUDED.enabled, members = EXCLUDED.members
RETURNING enabled, members"""

FIELD_COLUMNS = "key, label, type, choices, required"
LIST_FIELDS = f"SELECT {FIELD_COLUMNS} FROM custom_fields WHERE account_id = $1 ORDER BY key"
GET_FIELD = f"SELECT {FIELD_COLUMNS} FROM custom_fields WHERE account_id = $1 AND key = $2"
INSERT_FIELD = f"""
INSERT INTO custom_fields (account_id, key, label, type, choices, required) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT DO NOTHING RETURNING {FIELD_COLUMNS}"""
UPDATE_FIELD = f"""
UPDATE custom_fields SET label = coalesce($3, label), choices = coalesce($4, choices),
    required = coalesce($5, required)
WHERE account_id = $1 AND key = $2 RETURNING {FIELD_COLUMNS}"""

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
# account row (lock_account), so two of them can never both take away "the other" last admin key.
LIVE_ADMIN_KEYS = """
SELECT k.id FROM api_keys k JOIN users u ON u.id = k.user_id AND u.active AND u.role = 'admin'
WHERE k.account_id = $1 AND k.revoked_at IS NULL"""


async def _rows(conn: Conn, sql: str, *args: Any) -> list[Row]:
    return [dict(row) for row in await conn.fetch(sql, *args)]


async def _row(conn: Conn, sql: str, *args: Any) -> Row | None:
    row = await conn.fetchrow(sql, *args)
    return None if row is None else dict(row)


async def list_statuses(conn: Conn, account_id: UUID) -> list[Row]:
    return await _rows(conn, LIST_STATUSES, account_id)


async def create_status(
    conn: Conn, change: AdminChange, key: str, label: str, kind: str, color: str | None
) -> Row | None:
    """A new status at the end of the pipeline; None when the key exists."""
    async with conn.transaction():
        await lock_account(conn, change.account_id)  # positions stay distinct and contiguous
        row = await _row(conn, INSERT_STATUS, change.account_id, key, label, kind, color)
        if row is not None:
            await record(conn, change, ev.StatusCreated(**row))
        return row


async def update_status(conn: Conn, change: AdminChange, key: str, changes: Row) -> Row | None:
    """Change a status's label and/or color (the keys of `changes`); its key and kind never change."""
    color_sent, args = "color" in changes, (changes.get("label"), changes.get("color"))
    async with conn.transaction():
        await lock_account(conn, change.account_id)
        before = await _row(conn, GET_STATUS, change.account_id, key)
        row = await _row(conn, UPDATE_STATUS, change.account_id, key, *args, color_sent)
        if before is not None and row is not None and (diff := ev.changes_between(before, row)):
            await record(conn, change, ev.StatusUpdated(key, diff))
        return row


async def reorder_statuses(conn: Conn, change: AdminChange, keys: Sequence[str]) -> list[Row]:
    """Put the statuses in the order of `keys` (inside the caller's transaction, which checked them)."""
    before = [row["key"] for row in await list_statuses(conn, change.account_id)]
    await conn.execute(REORDER_STATUSES, change.account_id, list(keys))
    if before != list(keys):
        await record(conn, change, ev.StatusesReordered(before, list(keys)))
    return await list_statuses(conn, change.account_id)


async def list_sources(conn: Conn, account_id: UUID) -> list[Row]:
    return await _rows(conn, LIST_SOURCES, account_id)


async def create_source(conn: Conn, change: AdminChange, key: str, label: str, team_id: UUID | None) -> Row | None:
    async with conn.transaction():
        await lock_account(conn, change.account_id)
        row = await _row(conn, INSERT_SOURCE, change.account_id, key, label, team_id)
        if row is not None:
            await record(conn, change, ev.SourceCreated(**row))
        return row


async def update_source(conn: Conn, change: AdminChange, key: str, changes: Row) -> Row | None:
    """Change a source's label and/or team (the keys of `changes`)."""
    team_sent, args = "team_id" in changes, (changes.get("label"), changes.get("team_id"))
    async with conn.transaction():
        await lock_account(conn, change.account_id)
        before = await _row(conn, GET_SOURCE, change.account_id, key)
        row = await _row(conn, UPDATE_SOURCE, change.account_id, key, *args, team_sent)
        if before is not None and row is not None and (diff := ev.changes_between(before, row)):
            await record(conn, change, ev.SourceUpdated(key, diff))
        return row


async def list_teams(conn: Conn, account_id: UUID, team_id: UUID | None = None) -> list[Row]:
    return await _rows(conn, LIST_TEAMS, account_id, team_id)


async def create_team(conn: Conn, change: AdminChange, name: str, rotation: bool, members: Sequence[UUID]) -> Row:
    """A new team with its members, in rotation order."""
    team_id = uuid7()
    async with conn.transaction():
        await lock_account(conn, change.account_id)
        await conn.execute(INSERT_TEAM, team_id, change.account_id, name, rotation)
        await conn.execute(ADD_MEMBERS, team_id, list(members))
        row = (await list_teams(conn, change.account_id, team_id))[0]
        await record(
            conn, change, ev.TeamCreated(team_id=team_id, name=name, rotation=rotation, members=row["members"])
        )
    return row


async def update_team(conn: Conn, change: AdminChange, team_id: UUID, changes: Row) -> Row | None:
    """Change name, rotation and/or members (the keys of `changes`); members kept keep their rotation place."""
    async with conn.transaction():
        await lock_account(conn, change.account_id)
        await lock_team(conn, team_id)  # so a rotation turn never sees the members change under it
        before = await list_teams(conn, change.account_id, team_id)
        args = (changes.get("name"), changes.get("rotation"))
        if not before or await conn.fetchval(UPDATE_TEAM, change.account_id, team_id, *args) is None:
            return None
        if "members" in changes:  # null, as in a merge patch, empties the team
            members = list(changes["members"] or [])
            await conn.execute(DROP_MEMBERS, team_id, members)
            await conn.execute(ADD_MEMBERS, team_id, members)
        row = (await list_teams(conn, change.account_id, team_id))[0]
        if diff := ev.changes_between(before[0], row):
            await record(conn, change, ev.TeamUpdated(team_id, diff))
    return row


async def lock_team(conn: Conn, team_id: UUID) -> None:
    """The team's rotation lock (transaction-scoped advisory, two-key form: apart from the stream locks)."""
    await conn.execute(LOCK_TEAM, *team_lock_keys(team_id))


def team_lock_keys(team_id: UUID) -> tuple[int, int]:
    """Two signed 32-bit keys from a team id (collisions only make two teams queue)."""
    folded = (team_id.int >> 64) ^ (team_id.int & 0xFFFF_FFFF_FFFF_FFFF)
    return _int4(folded >> 32), _int4(folded & 0xFFFF_FFFF)


def _int4(value: int) -> int:
    return value - (1 << 32) if value >= (1 << 31) else value


async def get_rotation(conn: Conn, account_id: UUID) -> Row:
    """The account's default rotation (off, with no members, until an admin sets it)."""
    row = await _row(conn, GET_ROTATION, account_id)
    return row or {"enabled": False, "members": []}


async def put_rotation(conn: Conn, change: AdminChange, enabled: bool, members: Sequence[UUID]) -> Row:
    """Set the default rotation; a member kept at the same place keeps its turn (the pointer is an index)."""
    async with conn.transaction():
        await lock_account(conn, change.account_id)
        await lock_team(conn, change.account_id)  # the rotation's lock: a turn never sees its members change
        before = await get_rotation(conn, change.account_id)
        row = await _row(conn, PUT_ROTATION, change.account_id, enabled, list(members))
        assert row is not None
        if diff := ev.changes_between(before, row):
            await record(conn, change, ev.RotationUpdated(diff))
    return row


async def list_custom_fields(conn: Conn, account_id: UUID) -> list[Row]:
    return await _rows(conn, LIST_FIELDS, account_id)


async def create_custom_field(conn: Conn, change: AdminChange, values: Row) -> Row | None:
    args = (values["key"], values["label"], values["type"], values["choices"], values["required"])
    async with conn.transaction():
        await lock_account(conn, change.account_id)
        row = await _row(conn, INSERT_FIELD, change.account_id, *args)
        if row is not None:
            await record(conn, change, ev.CustomFieldCreated(**row))
        return row


async def update_custom_field(conn: Conn, change: AdminChange, key: str, changes: Row) -> Row | None:
    """Change a custom field's label, choices and/or required flag; its key and type never change."""
    args = (changes.get("label"), changes.get("choices"), changes.get("required"))
    async with conn.transaction():
        await lock_account(conn, change.account_id)
        before = await _row(conn, GET_FIELD, change.account_id, key)
        row = await _row(conn, UPDATE_FIELD, change.account_id, key, *args)
        if before is not None and row is not None and (diff := ev.changes_between(before, row)):
            await record(conn, change, ev.CustomFieldUpdated(key, diff))
        return row


async def list_users(conn: Conn, account_id: UUID) -> list[Row]:
    return await _rows(conn, LIST_USERS, account_id)


async def active_users(conn: Conn, account_id: UUID, user_ids: Sequence[UUID]) -> set[UUID]:
    """Which of `user_ids` are active users of the account."""
    return {row["id"] for row in await conn.fetch(FIND_USERS, account_id, list(user_ids))}


async def create_user(conn: Conn, change: AdminChange, email: str, name: str | None, role: str) -> Row | None:
    async with conn.transaction():
        await lock_account(conn, change.account_id)
        row = await _row(conn, INSERT_USER, uuid7(), change.account_id, email, name, role)
        if row is not None:
            await record(conn, change, ev.UserCreated(user_id=row["id"], email=email, name=name, role=role))
        return row


async def deactivate_user(conn: Conn, change: AdminChange, user_id: UUID) -> Row | None:
    async with conn.transaction():
        await lock_account(conn, change.account_id)
        before = await _row(conn, GET_USER, change.account_id, user_id)
        row = await _row(conn, DEACTIVATE_USER, change.account_id, user_id)
        if before is not None and before["active"]:
            await record(conn, change, ev.UserDeactivated(user_id))
        return row


async def list_api_keys(conn: Conn, account_id: UUID) -> list[Row]:
    return await _rows(conn, LIST_KEYS, account_id)


async def issue_api_key(conn: Conn, change: AdminChange, user_id: UUID, name: str | None) -> tuple[Row, str]:
    """A new key for a user of the account: its row, and the key itself (returned this once only)."""
    async with conn.transaction():
        await lock_account(conn, change.account_id)
        key_id, key = await create_api_key(conn, change.account_id, user_id, name)
        row = await _row(conn, GET_KEY, change.account_id, key_id)
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
        before = await _row(conn, GET_KEY, change.account_id, key_id)
        row = await _row(conn, REVOKE_KEY, change.account_id, key_id)
        if before is not None and before["revoked_at"] is None:
            await record(conn, change, ev.ApiKeyRevoked(key_id))
        return row
