"""What the `leadstore` commands share: settings checks, one way to connect, the read models, JSON, the event loop."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from leadstore.projection.base import Projection
from leadstore.publishing import NatsConnection
from leadstore.settings import Settings
from leadstore.store import db, encryption
from leadstore.store.encryption import KeyRing


def require_db(settings: Settings) -> str:
    """LEADSTORE_DATABASE_URL, or exit saying it is not set."""
    if not settings.database_url:
        raise SystemExit("leadstore: LEADSTORE_DATABASE_URL is not set")
    return settings.database_url


def require_kek(settings: Settings) -> None:
    """A key-encryption key (LEADSTORE_KEK or LEADSTORE_KEK_FILE), or exit saying it is not set: the service
    never stores personal data in plaintext."""
    if KeyRing.from_settings(settings) is None and encryption.installed() is None:
        raise SystemExit(
            "leadstore: LEADSTORE_KEK is not set: give the key-encryption key (base64 of 32 bytes) in "
            "LEADSTORE_KEK or a file named by LEADSTORE_KEK_FILE; personal data is never stored in plaintext"
        )


def require_nats(settings: Settings) -> str:
    """LEADSTORE_NATS_URL, or exit saying it is not set."""
    if not settings.nats_url:
        raise SystemExit("leadstore: LEADSTORE_NATS_URL is not set")
    return settings.nats_url


def nats_connection(settings: Settings) -> NatsConnection:
    """LEADSTORE_NATS_URL with its credentials, or exit saying what is missing or contradictory."""
    require_nats(settings)
    try:
        return NatsConnection.from_settings(settings)
    except ValueError as exc:
        raise SystemExit(f"leadstore: {exc}") from None


@asynccontextmanager
async def connect(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    """A small pool on LEADSTORE_DATABASE_URL for one command, closed when the command is done."""
    pool = await db.create_pool(require_db(settings), min_size=1, max_size=4)
    try:
        yield pool
    finally:
        await pool.close()


def chosen_projections(name: str | None) -> list[Projection]:
    """Every projection, or the one named (exit with the known names when there is none)."""
    from projections import all_projections, get_projection

    try:
        return [get_projection(name)] if name else all_projections()
    except KeyError as exc:
        raise SystemExit(f"leadstore: {exc.args[0]}") from None


def print_json(value: Any) -> None:
    """One JSON document on standard output."""
    print(json.dumps(value, default=str))


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop where it is installed (a dependency off Windows), else asyncio's own."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop
