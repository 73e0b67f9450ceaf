"""Rewrapping every lead's data key under another key-encryption key (`leadstore rotate-kek`), in batches.

The log is never touched: only `lead_keys` rows change, each from the KEK its `kek_id` names to the target.
Each batch is one short transaction that locks its rows (SKIP LOCKED: an erasure deleting one is never waited
for, nor undone: an UPDATE of a deleted row changes nothing). A row already under the target is skipped, so a
run is idempotent and an interrupted one resumes where it stopped. A row locked meanwhile (by an erasure) is
left for the next run: the command reports what is left.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import asyncpg

from leadstore.store.encryption import KeyRing

# One walk along the primary key ($3: after this lead id), so a batch never rescans what is done.
PICK = """
SELECT lead_id, wrapped_key, kek_id FROM lead_keys WHERE kek_id <> $1 AND lead_id > $3
ORDER BY lead_id LIMIT $2 FOR UPDATE SKIP LOCKED"""
REWRAP = """
UPDATE lead_keys k SET wrapped_key = t.wrapped, kek_id = $1
FROM unnest($2::uuid[], $3::bytea[]) AS t(lead_id, wrapped) WHERE k.lead_id = t.lead_id"""
REMAINING = "SELECT count(*) FROM lead_keys WHERE kek_id <> $1"

Progress = Callable[[int, int], None]  # (rewrapped so far, left when the run began)


async def remaining(pool: asyncpg.Pool, target: KeyRing) -> int:
    """How many data keys are wrapped by another KEK than the target's current one."""
    async with pool.acquire() as conn:
        count: int = await conn.fetchval(REMAINING, target.current_id)
    return count


async def rotate_kek(
    pool: asyncpg.Pool, opener: KeyRing, target: KeyRing, *, batch_size: int = 1000, progress: Progress | None = None
) -> int:
    """Rewrap every data key not under `target`'s current KEK, unwrapping with `opener`'s KEKs (the current and
    previous ones); the number rewrapped. KekMissing (nothing of its batch written) for a row no KEK opens."""
    total = await remaining(pool, target)
    done, after = 0, UUID(int=0)
    while True:
        async with pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(PICK, target.current_id, batch_size, after)
            if not rows:
                return done
            after = rows[-1]["lead_id"]
            ids = [row["lead_id"] for row in rows]
            wrapped = [
                target.wrap(row["lead_id"], opener.unwrap(row["lead_id"], row["wrapped_key"], row["kek_id"]))
                for row in rows
            ]
            await conn.execute(REWRAP, target.current_id, ids, wrapped)
        done += len(rows)
        if progress is not None:
            progress(done, total)
