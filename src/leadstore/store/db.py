"""asyncpg pools with the codecs every module relies on (jsonb via msgspec, xid8 as int)."""

from __future__ import annotations

from typing import Any, TypeAlias

import asyncpg
import asyncpg.pool
import msgspec

# A connection as functions receive it: a plain one, or one acquired from a pool.
Conn: TypeAlias = "asyncpg.Connection[asyncpg.Record] | asyncpg.pool.PoolConnectionProxy[asyncpg.Record]"

# What a query raises when its connection is lost or refused: the server shut down (fast or crashed) or is
# starting, the socket was closed under the query (asyncpg then reports the protocol's broken state as an
# InternalClientError), or no connection could be made (asyncpg raises a plain OSError naming each address).
CONNECTION_LOST: tuple[type[Exception], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    OSError,
)
# What a loop in the background retries after: a statement refused, or the connection lost in any form.
DATABASE_ERRORS: tuple[type[Exception], ...] = (asyncpg.PostgresError, *CONNECTION_LOST)

_json_encoder = msgspec.json.Encoder()
_JSONB_VERSION = b"\x01"  # jsonb's binary format: a version byte, then the JSON text


def _encode_json(value: Any) -> bytes:
    return value.encode() if isinstance(value, str) else _json_encoder.encode(value)


def _encode_jsonb(value: Any) -> bytes:
    return _JSONB_VERSION + _encode_json(value)


def _decode_jsonb(data: bytes) -> Any:
    return msgspec.json.decode(data[1:])


async def init_connection(conn: asyncpg.Connection) -> None:
    """Register the codecs on a new connection. JSON travels in the binary format, so that neither side
    turns it into text first (msgspec reads and writes the bytes)."""
    await conn.set_type_codec(
        "json", schema="pg_catalog", encoder=_encode_json, decoder=msgspec.json.decode, format="binary"
    )
    await conn.set_type_codec(
        "jsonb", schema="pg_catalog", encoder=_encode_jsonb, decoder=_decode_jsonb, format="binary"
    )
    await conn.set_type_codec("xid8", schema="pg_catalog", encoder=str, decoder=int, format="text")


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Pool release without the reset query (one round trip each time): pooled connections keep no
    session state. LISTEN and held advisory locks live on dedicated connections (`connect`), and an open
    transaction is still rolled back by asyncpg before this runs."""


async def create_pool(dsn: str, *, min_size: int = 2, max_size: int = 20) -> asyncpg.Pool:
    """A pool whose connections all carry the codecs."""
    # A server-side statement timeout instead of asyncpg's command_timeout, which arms a timer per query.
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=init_connection,
        server_settings={"statement_timeout": "60s"},
        reset=_keep_session,
    )
    assert pool is not None
    return pool


async def connect(dsn: str) -> asyncpg.Connection:
    """A single connection with the codecs (for long-lived listeners and advisory-lock holders)."""
    conn = await asyncpg.connect(dsn)
    await init_connection(conn)
    return conn
