"""The SQL of webhook delivery: endpoints as the deliverer sees them, and the `webhook_deliveries` rows it
writes (the endpoint's reader, under its lease) and updates (its sender, fenced by the same lease)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from leadstore.store.db import Conn
from leadstore.store.events import EVENT_COLUMNS, Checkpoint, RecordedEvent, open_events

ACTIVE = "SELECT id FROM webhooks WHERE active AND deleted_at IS NULL ORDER BY id"
ENDPOINT = """
SELECT id, account_id, url, event_types, active AND deleted_at IS NULL AS active, secret,
       CASE WHEN previous_expires_at > now() THEN previous_secret END AS previous_secret
FROM webhooks WHERE id = $1"""
ENDPOINT_OF_ACCOUNT = ENDPOINT + " AND account_id = $2 AND deleted_at IS NULL"
# A new endpoint's reader starts at the head of the log as its creation sees it (what has committed below the
# oldest open transaction), so deliveries start when the endpoint does and nothing in flight is skipped; a
# worker's deliverer ensures it too (an endpoint added by other means starts where a worker first sees it).
START_AT_HEAD = """
INSERT INTO checkpoints (name, transaction_id, position)
SELECT $1, coalesce(head.transaction_id, '0'::xid8), coalesce(head.position, 0)
FROM (SELECT 1) AS one LEFT JOIN LATERAL (
    SELECT transaction_id, position FROM events WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
    ORDER BY transaction_id DESC, position DESC LIMIT 1) AS head ON true
ON CONFLICT (name) DO NOTHING"""
# The last committed event of the whole log below the oldest open transaction: every event at or before it that
# a later statement's snapshot shows has committed (or never will), whatever account it belongs to.
HEAD = """
SELECT transaction_id, position FROM events WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
ORDER BY transaction_id DESC, position DESC LIMIT 1"""
# An admin's replay request, taken (and cleared) by the reader in the transaction that moves its checkpoint.
TAKE_REPLAY = """
WITH asked AS (SELECT replay_after FROM webhooks WHERE id = $1 AND replay_after IS NOT NULL FOR UPDATE)
UPDATE webhooks w SET replay_after = NULL FROM asked WHERE w.id = $1 RETURNING asked.replay_after"""
# One pending row per event; an event met again after a replay is owed again, as a new generation.
OWE = """
INSERT INTO webhook_deliveries (webhook_id, event_id, stream_id, version, transaction_id, position)
SELECT $1, e.event_id, e.stream_id, e.version, e.transaction_id, e.position
FROM events e WHERE e.event_id = ANY($2::uuid[])
ON CONFLICT (webhook_id, event_id) DO UPDATE
SET state = 'pending', next_attempt_at = now(), first_failed_at = NULL, delivered_at = NULL,
    generation = webhook_deliveries.generation + 1"""
# Due rows whose stream has no earlier version still pending (in flight ones are pending too), oldest first.
DUE = f"""
SELECT d.attempts, d.generation, {", ".join("e." + c.strip() for c in EVENT_COLUMNS.split(","))}
FROM webhook_deliveries d JOIN events e ON e.event_id = d.event_id
WHERE d.webhook_id = $1 AND d.state = 'pending' AND d.next_attempt_at <= now()
  AND NOT d.event_id = ANY($2::uuid[])
  AND NOT EXISTS (SELECT FROM webhook_deliveries p
                  WHERE p.webhook_id = d.webhook_id AND p.stream_id = d.stream_id AND p.state = 'pending'
                    AND p.version < d.version)
ORDER BY d.transaction_id, d.position
LIMIT $3"""
NEXT_DUE = "SELECT min(next_attempt_at) FROM webhook_deliveries WHERE webhook_id = $1 AND state = 'pending'"
# Every update of a row names the sender's lease ($4 name, $5 holder, $6 token): a deposed sender writes nothing;
# and the generation it sent: an outcome of a send that a replay overtook writes nothing either.
FENCE = "EXISTS (SELECT FROM leases WHERE name = $4 AND holder = $5 AND token = $6)"
DELIVERED = f"""
UPDATE webhook_deliveries d SET state = 'delivered', attempts = attempts + 1, last_status = s.status,
       last_error = NULL, delivered_at = now(), first_failed_at = NULL
FROM unnest($2::uuid[], $3::integer[], $7::integer[]) AS s (event_id, status, generation)
WHERE d.webhook_id = $1 AND d.event_id = s.event_id AND d.generation = s.generation AND d.state = 'pending'
  AND {FENCE}"""
RETRY = f"""
UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = $3, last_error = $7,
       next_attempt_at = now() + make_interval(secs => $9), first_failed_at = coalesce(first_failed_at, now())
WHERE webhook_id = $1 AND event_id = $2 AND generation = $8 AND state = 'pending' AND {FENCE}"""
FAILED = f"""
UPDATE webhook_deliveries SET state = 'failed', attempts = attempts + 1, last_status = $3, last_error = $7
WHERE webhook_id = $1 AND event_id = $2 AND generation = $8 AND state = 'pending' AND {FENCE}"""
# Continuous failure: an undelivered event has been failing for longer than the retry window.
FAILING_SINCE = """
SELECT min(first_failed_at) FROM webhook_deliveries WHERE webhook_id = $1 AND state = 'pending'"""
# Only by the lease's holder ($3 name, $4 holder, $5 token; its row locked until the transaction ends, so a
# takeover waits), and only while a row still fails past the window ($6 seconds) as the statement sees it: a
# delivery that succeeded since the sender looked keeps the endpoint on.
DISABLE = """
UPDATE webhooks SET active = false, disabled_reason = $2, disabled_at = now()
WHERE id = $1 AND active AND deleted_at IS NULL
  AND EXISTS (SELECT FROM leases WHERE name = $3 AND holder = $4 AND token = $5 FOR SHARE)
  AND EXISTS (SELECT FROM webhook_deliveries WHERE webhook_id = $1 AND state = 'pending'
              AND first_failed_at <= now() - make_interval(secs => $6))
RETURNING account_id"""
# Re-enabled, an endpoint gets a fresh window and retries its pending rows at once.
RESTART_WINDOW = """
UPDATE webhook_deliveries SET first_failed_at = NULL, next_attempt_at = now()
WHERE webhook_id = $1 AND state = 'pending'"""


class Endpoint(msgspec.Struct, frozen=True, kw_only=True):
    """A webhook endpoint as its deliverer needs it: where, what, and its sealed secrets."""

    id: UUID
    account_id: UUID
    url: str
    event_types: list[str]
    active: bool
    secret: bytes
    previous_secret: bytes | None  # only while still valid after a rotation

    def wants(self, event_type: str) -> bool:
        return "*" in self.event_types or event_type in self.event_types


class Due(msgspec.Struct, frozen=True):
    """A pending delivery that may go now, with its event and how often it was tried."""

    event: RecordedEvent
    attempts: int
    generation: int = 0  # which owing of the event this is (see migration 090)


async def active_endpoints(conn: Conn) -> list[UUID]:
    return [row["id"] for row in await conn.fetch(ACTIVE)]


async def endpoint(conn: Conn, webhook_id: UUID, account_id: UUID | None = None) -> Endpoint | None:
    """The endpoint (of `account_id`, when given); None when there is none."""
    row = await (
        conn.fetchrow(ENDPOINT, webhook_id)
        if account_id is None
        else conn.fetchrow(ENDPOINT_OF_ACCOUNT, webhook_id, account_id)
    )
    return None if row is None else msgspec.convert(dict(row), Endpoint)


async def start_at_head(conn: Conn, name: str) -> None:
    await conn.execute(START_AT_HEAD, name)


async def head(conn: Conn) -> Checkpoint | None:
    row = await conn.fetchrow(HEAD)
    return None if row is None else Checkpoint(row["transaction_id"], row["position"])


async def take_replay(conn: Conn, webhook_id: UUID) -> Checkpoint | None:
    """The position an admin asked to redeliver after (cleared now), if any; a malformed one is dropped."""
    token: str | None = await conn.fetchval(TAKE_REPLAY, webhook_id)
    try:
        return None if token is None else Checkpoint.parse(token)
    except ValueError:
        return None


async def owe(conn: Conn, webhook_id: UUID, event_ids: list[UUID]) -> None:
    if event_ids:
        await conn.execute(OWE, webhook_id, event_ids)


async def due(conn: Conn, webhook_id: UUID, in_flight: list[UUID], limit: int) -> list[Due]:
    rows = await conn.fetch(DUE, webhook_id, in_flight, limit)
    extra = ("attempts", "generation")
    events = await open_events(conn, [{k: v for k, v in row.items() if k not in extra} for row in rows])
    return [Due(event, row["attempts"], row["generation"]) for event, row in zip(events, rows, strict=True)]


async def next_due(conn: Conn, webhook_id: UUID) -> datetime | None:
    when: datetime | None = await conn.fetchval(NEXT_DUE, webhook_id)
    return when


async def failing_since(conn: Conn, webhook_id: UUID) -> datetime | None:
    since: datetime | None = await conn.fetchval(FAILING_SINCE, webhook_id)
    return since
