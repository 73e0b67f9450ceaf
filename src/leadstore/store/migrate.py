"""Apply `migrations/*.sql` in order, once each, under an advisory lock so replicas may race safely."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import asyncpg

from leadstore.store import db

log = logging.getLogger(__name__)

MIGRATION_LOCK = 7_351_100_001  # any fixed bigint: the key of the migration advisory lock

CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    name       text        PRIMARY KEY,
    checksum   text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""
APPLIED = "SELECT name, checksum FROM schema_migrations"
RECORD = "INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)"


class MigrationChanged(RuntimeError):
    """An applied migration's file was edited afterwards."""


def migrations_dir() -> Path:
    """The folder of numbered SQL files: the repository's, or the copy installed with the package."""
    here = Path(__file__).resolve()
    for candidate in (here.parents[3] / "migrations", here.parents[1] / "migrations"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("migrations/ not found next to the leadstore package")


async def migrate(conn: asyncpg.Connection, folder: Path | None = None) -> list[str]:
    """Apply every pending migration in name order; return the names applied now."""
    files = sorted((folder or migrations_dir()).glob("*.sql"))
    applied_now: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    try:
        await conn.execute(CREATE_LEDGER)
        applied = {r["name"]: r["checksum"] for r in await conn.fetch(APPLIED)}
        for path in files:
            sql = path.read_text()
            checksum = hashlib.sha256(sql.encode()).hexdigest()
            if path.name in applied:
                if applied[path.name] != checksum:
                    raise MigrationChanged(
                        f"{path.name} was applied with checksum {applied[path.name]}, the file now has {checksum}"
                    )
                continue
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute(RECORD, path.name, checksum)
            log.info("applied migration %s", path.name)
            applied_now.append(path.name)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
    return applied_now


async def migrate_database(dsn: str) -> list[str]:
    """`migrate` on a connection of its own, closed afterwards: the advisory lock belongs to its session."""
    conn = await db.connect(dsn)
    try:
        return await migrate(conn)
    finally:
        await conn.close()
