"""Does a read model equal a fresh replay of the log up to its checkpoint? Say which rows differ."""

from __future__ import annotations

from typing import Any

import asyncpg

from leadstore.projection.base import Projection
from leadstore.projection.rebuild import DROP_TABLE, catch_up_table, rebuild_into
from leadstore.projection.swap import TABLE_EXISTS, new_suffix
from leadstore.store import checkpoints

# Rows as jsonb, so every column type compares (json has no equality); EXCEPT ALL keeps duplicates honest.
COMPARE = """
WITH live AS (SELECT to_jsonb(t) AS row FROM "{live}" t),
     fresh AS (SELECT to_jsonb(t) AS row FROM "{fresh}" t)
SELECT 'live' AS side, row FROM (SELECT row FROM live EXCEPT ALL SELECT row FROM fresh) a
UNION ALL
SELECT 'replay' AS side, row FROM (SELECT row FROM fresh EXCEPT ALL SELECT row FROM live) b
LIMIT $1"""
COUNT_ROWS = 'SELECT count(*) FROM "{table}"'
COPY_TABLE = 'CREATE UNLOGGED TABLE "{copy}" AS SELECT * FROM "{table}"'
MAX_ROWS = 1000
MAX_VALUE_CHARS = 80


async def verify_projection(
    pool: asyncpg.Pool, projection: Projection, *, batch_size: int = 5000
) -> tuple[int, list[str]]:
    """(rows in the live table, differences from a fresh replay up to the live checkpoint: none when equal).

    At most MAX_ROWS differing rows are described. The live checkpoint row is held FOR UPDATE (the runner
    pauses) only while the fresh table catches up to it and the live rows are copied; the comparison runs
    on the copy after that transaction ends, so it holds back neither the projector nor any log reader.
    """
    suffix = new_suffix()
    live, fresh, copy = projection.name, f"{projection.name}_verify_{suffix}", f"{projection.name}_verify_live_{suffix}"
    async with pool.acquire() as conn:
        if not await conn.fetchval(TABLE_EXISTS, live):
            return 0, [f"{live}: there is no live table (has the projection ever run?)"]
        start = await checkpoints.read(conn, live)
    try:
        built = await rebuild_into(pool, projection, fresh, until=start, batch_size=batch_size)
        async with pool.acquire() as conn, conn.transaction():
            try:
                current = await checkpoints.lock(conn, live)
            except LookupError:
                return 0, [f"{live}: there is no checkpoint (has the projection ever run?)"]
            await catch_up_table(conn, projection, fresh, built, until=current, batch_size=batch_size)
            await conn.execute(COPY_TABLE.format(copy=copy, table=live))
        async with pool.acquire() as conn:
            rows = await conn.fetch(COMPARE.format(live=copy, fresh=fresh), MAX_ROWS)
            count: int = await conn.fetchval(COUNT_ROWS.format(table=copy))
    finally:
        async with pool.acquire() as conn:
            for table in (fresh, copy):
                await conn.execute(DROP_TABLE.format(table=table))
    return count, describe_differences(live, projection.row_key(), rows)


def describe_differences(name: str, row_key: str, rows: list[Any]) -> list[str]:
    """One line per differing row: changed columns with both values, or the side the row is missing from."""
    columns = [c.strip() for c in row_key.split(",")]
    sides: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = {"live": {}, "replay": {}}
    for row in rows:
        sides[row["side"]][tuple(row["row"].get(c) for c in columns)] = row["row"]
    lines = []
    for key in sorted(sides["live"].keys() | sides["replay"].keys(), key=str):
        label = f"{name} row {', '.join(map(str, key))}"
        live, fresh = sides["live"].get(key), sides["replay"].get(key)
        if fresh is None:
            lines.append(f"{label}: in the live table but not in a fresh replay")
        elif live is None:
            lines.append(f"{label}: in a fresh replay but missing from the live table")
        else:
            changes = (f"{c}: live {_short(old)}, replay {_short(new)}" for c, old, new in _changed(live, fresh))
            lines.append(f"{label}: {'; '.join(changes)}")
    return lines


def _changed(live: dict[str, Any], fresh: dict[str, Any], prefix: str = "") -> list[tuple[str, Any, Any]]:
    """(column, live value, replayed value) for each difference; json columns (doc) one level down."""
    found = []
    for column in sorted(live.keys() | fresh.keys()):
        old, new = live.get(column), fresh.get(column)
        if old == new:
            continue
        if not prefix and isinstance(old, dict) and isinstance(new, dict):
            found += _changed(old, new, prefix=f"{column}.")
        else:
            found.append((prefix + column, old, new))
    return found


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 3] + "..."
