"""An account's configuration as admins change it: statuses, sources, teams, custom fields, users, API keys.

Every statement is scoped by account id, so one account can neither read nor change another's rows.
Functions return rows as dicts (None when there is no such row, or on a duplicate key for inserts).
Every change that changes something appends its event to the account's stream in its own transaction,
after queueing on the account row, so the `from` of each change is what the change replaced.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from uuid_utils.compat import uuid7

from leadstore.domain import account_events as ev
from leadstore.domain.events import Change
from leadstore.store.account_log import AdminChange, lock_account, record
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


async def fetch_rows(conn: Conn, sql: str, *args: Any) -> list[Row]:
    return [dict(row) for row in await conn.fetch(sql, *args)]


async def fetch_row(conn: Conn, sql: str, *args: Any) -> Row | None:
    row = await conn.fetchrow(sql, *args)
    return None if row is None else dict(row)


async def _created(
    conn: Conn, change: AdminChange, insert: str, args: Sequence[Any], event: Callable[..., ev.AccountEvent]
) -> Row | None:
    """Insert a keyed row and record `event(**row)`; None (and nothing recorded) when the key exists."""
    async with conn.transaction():
        await lock_account(conn, change.account_id)  # status positions stay distinct and contiguous
        row = await fetch_row(conn, insert, change.account_id, *args)
        if row is not None:
            await record(conn, change, event(**row))
        return row


async def _updated(
    conn: Conn,
    change: AdminChange,
    sql: tuple[str, str],
    key: str,
    args: Sequence[Any],
    event: Callable[[str, dict[str, Change]], ev.AccountEvent],
) -> Row | None:
    """Update the row of `key` with (select, update) `sql` and record what changed, if anything did."""
    select, update = sql
    async with conn.transaction():
        await lock_account(conn, change.account_id)
        before = await fetch_row(conn, select, change.account_id, key)
        row = await fetch_row(conn, update, change.account_id, key, *args)
        if before is not None and row is not None and (diff := ev.changes_between(before, row)):
            await record(conn, change, event(key, diff))
        return row


async def list_statuses(conn: Conn, account_id: UUID) -> list[Row]:
    return await fetch_rows(conn, LIST_STATUSES, account_id)


async def create_status(
    conn: Conn, change: AdminChange, key: str, label: str, kind: str, color: str | None
) -> Row | None:
    """A new status at the end of the pipeline; None when the key exists."""
    return await _created(conn, change, INSERT_STATUS, (key, label, kind, color), ev.StatusCreated)


async def update_status(conn: Conn, change: AdminChange, key: str, changes: Row) -> Row | None:
    """Change a status's label and/or color (the keys of `changes`); its key and kind never change."""
    args = (changes.get("label"), changes.get("color"), "color" in changes)
    return await _updated(conn, change, (GET_STATUS, UPDATE_STATUS), key, args, ev.StatusUpdated)


async def reorder_statuses(conn: Conn, change: AdminChange, keys: Sequence[str]) -> list[Row]:
    """Put the statuses in the order of `keys` (inside the caller's transaction, which checked them)."""
    before = [row["key"] for row in await list_statuses(conn, change.account_id)]
    await conn.execute(REORDER_STATUSES, change.account_id, list(keys))
    if before != list(keys):
        await record(conn, change, ev.StatusesReordered(before, list(keys)))
    return await list_statuses(conn, change.account_id)


async def list_sources(conn: Conn, account_id: UUID) -> list[Row]:
    return await fetch_rows(conn, LIST_SOURCES, account_id)


async def create_source(conn: Conn, change: AdminChange, key: str, label: str, team_id: UUID | None) -> Row | None:
    return await _created(conn, change, INSERT_SOURCE, (key, label, team_id), ev.SourceCreated)


async def update_source(conn: Conn, change: AdminChange, key: str, changes: Row) -> Row | None:
    """Change a source's label and/or team (the keys of `changes`)."""
    args = (changes.get("label"), changes.get("team_id"), "team_id" in changes)
    return await _updated(conn, change, (GET_SOURCE, UPDATE_SOURCE), key, args, ev.SourceUpdated)


async def list_teams(conn: Conn, account_id: UUID, team_id: UUID | None = None) -> list[Row]:
    return await fetch_rows(conn, LIST_TEAMS, account_id, team_id)


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
    row = await fetch_row(conn, GET_ROTATION, account_id)
    return row or {"enabled": False, "members": []}


async def put_rotation(conn: Conn, change: AdminChange, enabled: bool, members: Sequence[UUID]) -> Row:
    """Set the default rotation; a member kept at the same place keeps its turn (the pointer is an index)."""
    async with conn.transaction():
        await lock_account(conn, change.account_id)
        await lock_team(conn, change.account_id)  # the rotation's lock: a turn never sees its members change
        before = await get_rotation(conn, change.account_id)
        row = await fetch_row(conn, PUT_ROTATION, change.account_id, enabled, list(members))
        assert row is not None
        if diff := ev.changes_between(before, row):
            await record(conn, change, ev.RotationUpdated(diff))
    return row


async def list_custom_fields(conn: Conn, account_id: UUID) -> list[Row]:
    return await fetch_rows(conn, LIST_FIELDS, account_id)


async def create_custom_field(conn: Conn, change: AdminChange, values: Row) -> Row | None:
    args = (values["key"], values["label"], values["type"], values["choices"], values["required"])
    return await _created(conn, change, INSERT_FIELD, args, ev.CustomFieldCreated)


async def update_custom_field(conn: Conn, change: AdminChange, key: str, changes: Row) -> Row | None:
    """Change a custom field's label, choices and/or required flag; its key and type never change."""
    args = (changes.get("label"), changes.get("choices"), changes.get("required"))
    return await _updated(conn, change, (GET_FIELD, UPDATE_FIELD), key, args, ev.CustomFieldUpdated)
