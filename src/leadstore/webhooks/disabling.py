"""Giving up on an endpoint: after its retry window (3 days) of continuous failure it is disabled, with a
`WebhookDisabled` event in its account's stream. Its reader's checkpoint and its pending rows stay, so
re-enabling it resumes where it stopped (with a fresh window)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from leadstore.domain.account_events import WebhookDisabled
from leadstore.store.account_log import AdminChange, lock_account, record
from leadstore.store.db import Conn
from leadstore.webhooks import store
from leadstore.webhooks.store import Endpoint

log = logging.getLogger(__name__)
Fence = tuple[str, str, int | None]  # the sender's lease: name, holder, token

# What the event's metadata says of who acted: no user or key, the webhook worker.
WORKER_METADATA = {
    "actor": {"user_id": None, "email": None, "api_key_id": None},
    "request": {"method": "WORKER", "path": "webhooks"},
}


async def disable_if_failing(conn: Conn, endpoint: Endpoint, window_seconds: float, fence: Fence) -> bool:
    """Disable `endpoint` when an undelivered event has been failing for longer than the window, while the
    lease `fence` (name, holder, token) is held; True if so."""
    since = await store.failing_since(conn, endpoint.id)
    if since is None or datetime.now(UTC) - since < timedelta(seconds=window_seconds):
        return False
    days = window_seconds / 86_400
    span = f"{days:g} days" if days >= 1 else f"{window_seconds:g} s"
    reason = f"deliveries failed continuously for {span} (since {since.isoformat()})"
    return await disable(conn, endpoint, reason, fence, window_seconds)


async def disable(conn: Conn, endpoint: Endpoint, reason: str, fence: Fence, window_seconds: float) -> bool:
    """Set the endpoint inactive with `reason` and record WebhookDisabled; False when it already was, when the
    lease is no longer held, or when no delivery fails past the window any more."""
    async with conn.transaction():
        await lock_account(conn, endpoint.account_id)
        if await conn.fetchval(store.DISABLE, endpoint.id, reason, *fence, window_seconds) is None:
            return False
        await record(conn, AdminChange(endpoint.account_id, WORKER_METADATA), WebhookDisabled(endpoint.id, reason))
        await conn.execute(store.RESTART_WINDOW, endpoint.id)
    log.warning("webhook %s disabled: %s", endpoint.id, reason)
    return True
