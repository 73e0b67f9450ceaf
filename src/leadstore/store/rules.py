"""Load an account's pipeline configuration as the decider's `Rules`, in one round trip."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

import msgspec

from leadstore.domain.commands import Rules
from leadstore.store.db import Conn

LOAD_RULES = """
SELECT
  (SELECT coalesce(json_agg(json_build_object('key', key, 'kind', kind) ORDER BY position, key), '[]')
     FROM statuses WHERE account_id = $1) AS statuses,
  (SELECT coalesce(json_agg(json_build_object('key', key, 'team_id', team_id) ORDER BY key), '[]')
     FROM sources WHERE account_id = $1) AS sources,
  (SELECT coalesce(json_agg(json_build_object('id', id, 'rotation', rotation) ORDER BY id), '[]')
     FROM teams WHERE account_id = $1) AS teams,
  (SELECT coalesce(json_agg(json_build_object('key', key, 'type', type, 'choices', choices,
                                              'required', required) ORDER BY key), '[]')
     FROM custom_fields WHERE account_id = $1) AS custom_fields,
  (SELECT coalesce(json_agg(id), '[]') FROM users
     WHERE account_id = $1 AND active AND id = ANY($2::uuid[])) AS known_users"""


async def load_rules(conn: Conn, account_id: UUID, users: Iterable[UUID] = ()) -> Rules:
    """The account's statuses, sources, teams, custom fields, and which of `users` are its active users."""
    row = await conn.fetchrow(LOAD_RULES, account_id, list(users))
    assert row is not None
    return msgspec.convert(dict(row), Rules, strict=False)
