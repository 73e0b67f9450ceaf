"""The deployment's signing key in PostgreSQL: one row, made by whichever process needs it first."""

from __future__ import annotations

from collections.abc import Callable

from leadstore.store.db import Conn

READ = "SELECT seed FROM signing_key"
# Racing processes each offer a seed; the primary key keeps the first committed, the others read it back.
OFFER = "INSERT INTO signing_key (seed) VALUES ($1) ON CONFLICT (singleton) DO NOTHING"


async def deployment_seed(conn: Conn, new_seed: Callable[[], bytes]) -> bytes:
    """The deployment's private key seed, made with `new_seed` when there is none yet."""
    seed: bytes | None = await conn.fetchval(READ)
    if seed is None:
        await conn.execute(OFFER, new_seed())
        seed = await conn.fetchval(READ)
    assert seed is not None
    return bytes(seed)
