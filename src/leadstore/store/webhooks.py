"""An account's webhook endpoints as admins change them, and their delivery log.

Every statement is scoped by account id and skips deleted endpoints, so one account can neither read nor
change another's, and a deleted endpoint is gone from the API. Each change queues on the account row and
appends its event to the account's stream in its own transaction (as `leadstore.store.config` does); no
event carries a secret, sealed or not.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from uuid_utils.compat import uuid7

from leadstore.domain import account_events as ev
from leadstore.domain.events import Change
from leadstore.redaction import masked_url
from leadstore.store.account_log import AdminChange, lock_account, record
from leadstore.store.config import Row, fetch_row, fetch_rows
from leadstore.store.db import Conn
from leadstore.store.events import Checkpoint
from leadstore.webhooks.store import start_at_head

PREVIOUS_SECRET_VALID = timedelta(hours=24)
COLUMNS = "id, url, event_types, active, description, created_at, disabled_reason, disabled_at"
CHANGEABLE = ("url", "event_types", "active", "description", "disabled_reason")

LIST = f"SELECT {COLUMNS} FROM webhooks WHERE account_id = $1 AND deleted_at IS NULL ORDER BY created_at, id"
GET = f"SELECT {COLUMNS} FROM webhooks WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL"
INSERT = f"""
INSERT INTO webhooks (id, account_id, url, event_types, active, description, secret)
VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}"""
# NULL keeps a value; a flag says whether the nullable description was sent. Turning an endpoint on clears
# why it was disabled, so its reader resumes from its checkpoint: where deliveries stopped.
UPDATE = f"""
UPDATE webhooks SET url = coalesce($3, url), event_types = coalesce($4, event_types),
    active = coalesce($5, active), description = CASE WHEN $7 THEN $6 ELSE description END,
    disabled_reason = CASE WHEN $5 THEN NULL ELSE disabled_reason END,
    disabled_at = CASE WHEN $5 THEN NULL ELSE disabled_at END
WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING {COLUMNS}"""
ROTATE = f"""
UPDATE webhooks SET previous_secret = secret, previous_expires_at = $4, secret = $3
WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING {COLUMNS}, previous_expires_at"""
DELETE = """
UPDATE webhooks SET deleted_at = now(), active = false
WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING id"""
# A request not yet taken by the reader is kept when it asks for more (an earlier position) than this one.
REQUEST_REPLAY = f"""
UPDATE webhooks SET replay_after = CASE
    WHEN replay_after IS NULL OR (split_part(replay_after, '.', 1)::numeric, split_part(replay_after, '.', 2)::numeric)
        > (split_part($3, '.', 1)::numeric, split_part($3, '.', 2)::numeric) THEN $3
    ELSE replay_after END
WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING {COLUMNS}"""
# Newest first, after the cursor (the position of the last delivery of the previous page); fixed fragments.
DELIVERIES = """
SELECT event_id, stream_id, version, transaction_id, position, state, attempts,
       last_status, last_error, next_attempt_at, delivered_at, created_at
FROM webhook_deliveries
WHERE webhook_id = $1 AND ($2::text IS NULL OR state = $2)
  AND (transaction_id, position) < ($3::xid8, $4::bigint)
ORDER BY transaction_id DESC, position DESC LIMIT $5"""
NEWEST = Checkpoint(2**63 - 1, 2**63 - 1)


async def list_webhooks(conn: Conn, account_id: UUID) -> list[Row]:
    return await fetch_rows(conn, LIST, account_id)


async def get_webhook(conn: Conn, account_id: UUID, webhook_id: UUID) -> Row | None:
    return await fetch_row(conn, GET, account_id, webhook_id)


async def create_webhook(conn: Conn, change: AdminChange, webhook_id: UUID, values: Row, sealed: bytes) -> Row:
    """A new endpoint of `values` (url, event_types, active, description) with its sealed secret."""
    args = (values["url"], values["event_types"], values["active"], values["description"], sealed)
    async with conn.transaction():
        await lock_account(conn, change.account_id)
        row = await fetch_row(conn, INSERT, webhook_id, change.account_id, *args)
        assert row is not None
        created = {name: row[name] for name in ("url", "event_types", "active", "description")}
        created["url"] = masked_url(created["url"])  # a token in the URL must not reach the append-only log
        await record(conn, change, ev.WebhookCreated(webhook_id=webhook_id, **created))
        # its reader starts here, not where a worker first sees it: a write answered after this one is owed
        await start_at_head(conn, f"webhook:{webhook_id}")
    return row


async def update_webhook(conn: Conn, change: AdminChange, webhook_id: UUID, changes: Row) -> Row | None:
    """Change url, event_types, active and/or description (the keys of `changes`); None when there is none."""
    args = (
        changes.get("url"),
        changes.get("event_types"),
        changes.get("active"),
        changes.get("description"),
        "description" in changes,
    )
    async with conn.transaction():
        await lock_account(conn, change.account_id)
        before = await get_webhook(conn, change.account_id, webhook_id)
        row = await fetch_row(conn, UPDATE, change.account_id, webhook_id, *args)
        if before is not None and row is not None:
            diff = ev.changes_between(_changeable(before), _changeable(row))
            if "url" in diff:  # the change is seen on the real URLs, and kept with their secrets masked
                diff["url"] = Change(masked_url(diff["url"].from_), masked_url(diff["url"].to))
            if diff:
                await record(conn, change, ev.WebhookUpdated(webhook_id, diff))
    return row


def _changeable(row: Row) -> Row:
    return {name: row[name] for name in CHANGEABLE}


async def rotate_secret(conn: Conn, change: AdminChange, webhook_id: UUID, sealed: bytes, now: datetime) -> Row | None:
    """Sign with the new sealed secret from now on, and with the current one for another 24 hours."""
    expires = now + PREVIOUS_SECRET_VALID
    async with conn.transaction():
        await lock_account(conn, change.account_id)
        row = await fetch_row(conn, ROTATE, change.account_id, webhook_id, sealed, expires)
        if row is not None:
            await record(conn, change, ev.WebhookSecretRotated(webhook_id=webhook_id, previous_expires_at=expires))
    return row


async def delete_webhook(conn: Conn, change: AdminChange, webhook_id: UUID) -> bool:
    """Stop deliveries and hide the endpoint (its row stays, for the delivery log); False when there is none."""
    async with conn.transaction():
        await lock_account(conn, change.account_id)
        deleted = await conn.fetchval(DELETE, change.account_id, webhook_id)
        if deleted is not None:
            await record(conn, change, ev.WebhookDeleted(webhook_id))
    return deleted is not None


async def request_replay(conn: Conn, change: AdminChange, webhook_id: UUID, after: Checkpoint) -> Row | None:
    """Ask the endpoint's reader to redeliver the events after `after` (it moves the checkpoint back)."""
    async with conn.transaction():
        await lock_account(conn, change.account_id)
        row = await fetch_row(conn, REQUEST_REPLAY, change.account_id, webhook_id, after.token())
        if row is not None:
            await record(conn, change, ev.WebhookReplayRequested(webhook_id=webhook_id, after=after.token()))
    return row


async def list_deliveries(
    conn: Conn, webhook_id: UUID, state: str | None, before: Checkpoint | None, limit: int
) -> list[Row]:
    """The endpoint's deliveries older than `before` (default: all), newest first (by the log's order)."""
    cursor = before or NEWEST
    return await fetch_rows(conn, DELIVERIES, webhook_id, state, cursor.transaction_id, cursor.position, limit)


def new_webhook_id() -> UUID:
    return uuid7()
