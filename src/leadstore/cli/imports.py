"""`leadstore import-leads FILE --account ID`: a bulk import straight against the database, no server needed.

The file goes through the same checks and table as POST /v1/imports, and is then run in this process by the
same lease-holding run the workers use (a worker that takes the lease first runs it instead: this command
then only follows it). A progress line shows rows/s and the time left; the summary and every row error
follow. Exit 0 when every row went in (or was skipped as a duplicate), 1 when rows failed, 2 when the file
was refused whole.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import uuid
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg

from leadstore.cli.common import connect, require_db
from leadstore.cli.progress import Progress
from leadstore.domain.commands import Actor
from leadstore.domain.errors import LeadstoreError, ValidationFailed
from leadstore.handler import LeadCommandHandler
from leadstore.imports.run import ImportRun
from leadstore.imports.submit import Format, ImportOptions, parse_mapping, submit
from leadstore.settings import Settings
from leadstore.store import imports as store
from leadstore.store.accounts import authenticate
from leadstore.store.db import Conn
from leadstore.store.lead_store import PostgresLeadStore

FIND_USER = "SELECT id, role, email FROM users WHERE id = $1 AND account_id = $2 AND active"
FIRST_ADMIN = (
    "SELECT id, role, email FROM users WHERE account_id = $1 AND role = 'admin' AND active ORDER BY id LIMIT 1"
)
FOLLOW_SECONDS = 0.25


def register(sub: Any) -> None:
    cmd = sub.add_parser(
        "import-leads",
        help="import leads from a CSV or NDJSON file",
        description="Import leads from a CSV file (a header row, then one lead a row; columns spelled as the "
        "API's fields, in camelCase, or as other CRMs spell them: firstName, leadSource, phone_number, "
        "assigned_user_id, custom.KEY, ...) or an NDJSON file (one POST /v1/leads body a line), straight into "
        "LEADSTORE_DATABASE_URL: every rule of POST /v1/leads applies to each row. Shows progress on standard "
        "error, then a summary and each row error. Exit 0 when no row failed, 1 when rows failed, 2 when the "
        "file was refused.",
    )
    cmd.add_argument("file", type=Path, help="the CSV (.csv) or NDJSON (.ndjson, .jsonl) file")
    cmd.add_argument("--account", required=True, type=UUID, help="the account's id")
    who = cmd.add_mutually_exclusive_group()
    who.add_argument("--as-user", type=UUID, help="the user the leads are created by (default: the first admin)")
    who.add_argument("--api-key", help="act as this API key's user (it must belong to --account)")
    cmd.add_argument("--mapping", help='JSON object of column to field, null to ignore one: {"E-mail": "email"}')
    cmd.add_argument("--on-duplicate", choices=("skip", "update"), default="skip", help="rows whose email exists")
    cmd.add_argument("--format", choices=("csv", "ndjson"), help="the file's format (default: by its extension)")
    cmd.add_argument("--charset", help="the file's character set (default UTF-8)")
    cmd.add_argument("--skip-team-requirement", action="store_true", help="lift the team rule for every row")
    cmd.set_defaults(handler=run_import)


async def run_import(args: argparse.Namespace, settings: Settings) -> int:
    dsn = require_db(settings)
    body = await asyncio.to_thread(_read, args.file)
    file_format: Format = args.format or ("ndjson" if args.file.suffix.lower() in (".ndjson", ".jsonl") else "csv")
    async with connect(settings) as pool:
        async with pool.acquire() as conn:
            actor = await _actor(conn, args)
            try:
                options = ImportOptions(
                    on_duplicate=args.on_duplicate,
                    mapping=parse_mapping(args.mapping),
                    skip_team_requirement=args.skip_team_requirement,
                )
                queued = await submit(
                    conn,
                    account_id=args.account,
                    actor=actor,
                    body=body,
                    file_format=file_format,
                    charset=args.charset,
                    options=options,
                    metadata=_metadata(actor, args.file.name),
                    max_rows=settings.import_max_rows,
                )
            except LeadstoreError as exc:
                return _refused(exc)
        print(f"import {queued.id}: {queued.rows:,} rows", file=sys.stderr)
        handler = LeadCommandHandler(PostgresLeadStore(pool))
        run = ImportRun(
            pool,
            dsn,
            handler,
            queued.id,
            lease_seconds=settings.lease_seconds,
            chunk_rows=settings.import_chunk_rows,
            concurrency=settings.import_concurrency,
        )
        running = asyncio.create_task(run.run())
        try:
            final = await _follow(pool, args.account, queued, running)
        finally:
            run.stop.set()
            with contextlib.suppress(asyncio.CancelledError):
                await running
            await handler.close()
    return _summary(final)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SystemExit(f"leadstore: can not read {path}: {exc.strerror}") from None


async def _actor(conn: Conn, args: argparse.Namespace) -> Actor:
    if args.api_key:
        principal = await authenticate(conn, args.api_key)
        if principal is None or principal.account_id != args.account:
            raise SystemExit("leadstore: --api-key is unknown, revoked, or not a key of --account")
        return principal.actor
    row = await conn.fetchrow(FIND_USER, args.as_user, args.account) if args.as_user else None
    if args.as_user is None:
        row = await conn.fetchrow(FIRST_ADMIN, args.account)
    if row is None:
        raise SystemExit("leadstore: no such active user in --account (or the account has no active admin)")
    return Actor(user_id=row["id"], role=row["role"], email=row["email"])


def _metadata(actor: Actor, file_name: str) -> dict[str, Any]:
    """What the events of the imported rows record of the command line that imported them."""
    request_id = str(uuid.uuid4())
    return {
        "actor": {
            "user_id": str(actor.user_id),
            "email": actor.email,
            "api_key_id": None if actor.api_key_id is None else str(actor.api_key_id),
        },
        "request": {"id": request_id, "method": "CLI", "path": "leadstore import-leads", "file": file_name[:255]},
        "correlation_id": request_id,
    }


async def _follow(
    pool: asyncpg.Pool, account_id: UUID, queued: store.ImportProgress, running: asyncio.Task[None]
) -> store.ImportProgress:
    """Show the import's progress until it ends (whoever runs it); the import as it ended."""
    progress = Progress(queued.rows)
    try:
        while True:
            async with pool.acquire() as conn:
                now = await store.find(conn, queued.id, account_id)
            assert now is not None
            progress.show(now.done)
            if now.state in ("done", "failed"):
                return now
            if running.done():
                running.result()
            await asyncio.sleep(FOLLOW_SECONDS)
    finally:
        progress.close()


def _refused(error: LeadstoreError) -> int:
    print(f"leadstore: the file was refused ({error.code}): {error.detail}", file=sys.stderr)
    if isinstance(error, ValidationFailed):
        for problem in error.errors:
            print(f"  {problem.field}: {problem.code}: {problem.message}", file=sys.stderr)
    return 2


def _summary(final: store.ImportProgress) -> int:
    print(
        f"import {final.id} {final.state}: {final.rows:,} rows, {final.created:,} created, {final.updated:,} updated, "
        f"{final.skipped:,} skipped as duplicates, {final.failed:,} failed"
    )
    if final.failure:
        print(f"stopped: {final.failure}")
    for error in final.errors:
        print(f"row {error.row}: {error.field or '(row)'}: {error.code}: {error.message}")
    if final.failed > len(final.errors):
        print(
            f"... and {final.failed - len(final.errors):,} more failed rows (the first {len(final.errors)} are shown)"
        )
    return 1 if final.failed or final.state == "failed" else 0
