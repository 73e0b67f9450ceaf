"""An account's rules as the decider needs them: loaded in one round trip, cached per process by version.

A cached copy may be stale; the write statement checks the version it was decided on (migration 050), so
a write never lands on rules older than the account's committed configuration.
"""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

import msgspec

from leadstore.domain.rules import Rules
from leadstore.store.db import Conn

LOAD_RULES = """
SELECT
  (SELECT config_version FROM accounts WHERE id = $1) AS version,
  (SELECT coalesce(json_agg(json_build_object('key', key, 'kind', kind) ORDER BY position, key), '[]')
     FROM statuses WHERE account_id = $1) AS statuses,
  (SELECT coalesce(json_agg(json_build_object('key', key, 'team_id', team_id) ORDER BY key), '[]')
     FROM sources WHERE account_id = $1) AS sources,
  (SELECT coalesce(json_agg(json_build_object('id', t.id, 'rotation', t.rotation, 'members',
            (SELECT coalesce(json_agg(m.user_id ORDER BY m.added_at, m.user_id), '[]')
               FROM team_members m JOIN users u ON u.id = m.user_id AND u.active AND u.account_id = $1
              WHERE m.team_id = t.id)) ORDER BY t.id), '[]')
     FROM teams t WHERE t.account_id = $1) AS teams,
  (SELECT coalesce(json_agg(json_build_object('key', key, 'type', type, 'choices', choices,
                                              'required', required) ORDER BY key), '[]')
     FROM custom_fields WHERE account_id = $1) AS custom_fields,
  (SELECT coalesce(json_agg(id), '[]') FROM users WHERE account_id = $1 AND active) AS known_users,
  (SELECT json_build_object('enabled', r.enabled, 'members',
            (SELECT coalesce(json_agg(member ORDER BY n), '[]')
               FROM unnest(r.members) WITH ORDINALITY AS listed (member, n)
               JOIN users u ON u.id = listed.member AND u.active AND u.account_id = $1))
     FROM account_rotations r WHERE r.account_id = $1) AS default_rotation"""
CONFIG_VERSION = "SELECT config_version FROM accounts WHERE id = $1"


async def load_rules(conn: Conn, account_id: UUID) -> Rules:
    """The account's statuses, sources, teams with their active members, custom fields, active users and
    default rotation, at its current configuration version."""
    row = await conn.fetchrow(LOAD_RULES, account_id)
    assert row is not None
    values = {key: value for key, value in dict(row).items() if value is not None}
    return msgspec.convert(values, Rules, strict=False)


async def config_version(conn: Conn, account_id: UUID) -> int:
    """The account's configuration version as committed now."""
    version: int | None = await conn.fetchval(CONFIG_VERSION, account_id)
    return version or 0


class RulesSource(Protocol):
    """Where the current rules come from (a session of a lead store)."""

    async def load_rules(self, account_id: UUID) -> Rules: ...

    async def rules_version(self, account_id: UUID) -> int: ...


class RulesCache:
    """Each account's rules as this process last loaded them (at most `max_accounts`, oldest dropped)."""

    def __init__(self, max_accounts: int = 10_000) -> None:
        self.max_accounts = max_accounts
        self._rules: dict[UUID, Rules] = {}

    async def get(self, source: RulesSource, account_id: UUID) -> Rules:
        """The cached rules, loaded when there are none."""
        cached = self._rules.get(account_id)
        return cached if cached is not None else await self.reload(source, account_id)

    async def reload(self, source: RulesSource, account_id: UUID) -> Rules:
        """Load the account's current rules and keep them."""
        rules = await source.load_rules(account_id)
        self._rules.pop(account_id, None)
        if len(self._rules) >= self.max_accounts:
            self._rules.pop(next(iter(self._rules)))
        self._rules[account_id] = rules
        return rules

    async def fresher(self, source: RulesSource, account_id: UUID, rules: Rules) -> Rules | None:
        """Newer rules than `rules`, when the account's configuration moved on since; else None."""
        if await source.rules_version(account_id) == rules.version:
            return None
        return await self.reload(source, account_id)
