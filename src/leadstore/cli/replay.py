"""`leadstore replay`, `export` and `import`: rebuilding read models and moving the log between databases."""

from __future__ import annotations

import argparse
import sys
from typing import Any
from uuid import UUID

import asyncpg

from leadstore.cli.common import chosen_projections, connect, require_db
from leadstore.cli.escape import printable
from leadstore.documents import as_of_bound
from leadstore.domain.field_checks import InvalidValueError, instant
from leadstore.log.restore import reset_checkpoints
from leadstore.log.transfer import ChainBroken, NotEmpty, events_to_export, export_events, import_events
from leadstore.projection.base import Projection
from leadstore.projection.progress import ProgressLine, events_to_replay
from leadstore.projection.rebuild import Until
from leadstore.projection.swap import ReplayRunning, build_as_of, replay
from leadstore.settings import Settings
from leadstore.store.encryption import KekMissing
from leadstore.store.events import START, Checkpoint
from leadstore.store.migrate import migrate_database


def register(sub: Any) -> None:
    rep = sub.add_parser(
        "replay",
        help="rebuild read models from the log and swap them in",
        description="Rebuild read models from position zero into fresh tables, then swap each in atomically; "
        "the live tables keep serving until the swap. Progress goes to stderr. Safe to interrupt and rerun. "
        "With --until, build a read model as of a past point beside the live one and print its table name. "
        "After restoring a dump, run it with --reset-checkpoints before starting writers (see the README).",
    )
    rep.add_argument("--projection", metavar="NAME", help="only this read model (default: all)")
    rep.add_argument(
        "--until",
        type=_until,
        metavar="POSITION|TIMESTAMP",
        help="build <name>_asof_<suffix> up to a position token or a time, without replacing the live table",
    )
    rep.add_argument(
        "--reset-checkpoints",
        action="store_true",
        help="after a restore from a dump onto a server without pg_resetwal (see README): renumber the log's "
        "transaction ids for this cluster, map every checkpoint onto it, then rebuild every read model",
    )
    rep.add_argument("--batch-size", type=int, default=5000, help="events per transaction (default 5000)")
    rep.set_defaults(handler=run_replay)

    export = sub.add_parser(
        "export",
        help="write the log as NDJSON to stdout",
        description="Write events in commit order, one JSON object a line, with everything needed to import "
        "them elsewhere (data, metadata, hash chain). Progress goes to stderr. "
        "Example: leadstore export > events.ndjson",
    )
    export.add_argument("--account", type=UUID, metavar="ID", help="only this account's events")
    export.add_argument("--since", type=_position, metavar="POSITION", help="only events after this position token")
    export.set_defaults(handler=run_export)

    imp = sub.add_parser(
        "import",
        help="read an export from stdin into an empty database",
        description="Migrate, then import an export (leadstore import < events.ndjson) into a database with no "
        "events, verifying the hash chain first; then build every read model. Refuses a non-empty database. "
        "Progress goes to stderr.",
    )
    imp.add_argument("--batch-size", type=int, default=5000, help="events per insert (default 5000)")
    imp.add_argument(
        "--encrypt",
        action="store_true",
        help="seal the plaintext personal values of events written before encryption (needs LEADSTORE_KEK) and "
        "recompute the hash chain: the way to make every lead of an old log erasable",
    )
    imp.set_defaults(handler=run_import)


def _position(text: str) -> Checkpoint:
    try:
        return Checkpoint.parse(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a position token (such as 7421.1532): {text!r}") from None


def _until(text: str) -> Until:
    if "." in text and "-" not in text:
        return _position(text)
    try:
        return as_of_bound(instant(text))
    except InvalidValueError:
        raise argparse.ArgumentTypeError(f"not a position token or a timestamp: {text!r}") from None


async def run_replay(args: argparse.Namespace, settings: Settings) -> int:
    if args.reset_checkpoints and (args.until or args.projection):
        raise SystemExit("leadstore: --reset-checkpoints rebuilds every read model; drop --until and --projection")
    projections = chosen_projections(args.projection)
    async with connect(settings) as pool:
        if args.reset_checkpoints:
            await _reset(pool)
        if args.until is not None:
            for projection in projections:
                print(await _build_as_of(pool, projection, args.until, args.batch_size))
            return 0
        return await replay_all(pool, projections, args.batch_size)


async def _reset(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        resets = await reset_checkpoints(conn)
    if resets is None:
        print("transaction ids already belong to this cluster: no checkpoint to reset", file=sys.stderr)
        return
    for reset in resets:
        print(f"checkpoint {reset.name}: {reset.before.token()} -> {reset.after.token()}", file=sys.stderr)


async def _build_as_of(pool: asyncpg.Pool, projection: Projection, until: Until, batch_size: int) -> str:
    async with pool.acquire() as conn:
        progress = ProgressLine(projection.name, await events_to_replay(conn, until))
    table = await build_as_of(pool, projection, until, batch_size=batch_size, progress=progress)
    progress.finish(f"built {table}")
    return table


async def replay_all(pool: asyncpg.Pool, projections: list[Projection], batch_size: int = 5000) -> int:
    """Replay and swap in each projection in turn, with progress on stderr; 1 if one is already replaying."""
    for projection in projections:
        async with pool.acquire() as conn:
            progress = ProgressLine(projection.name, await events_to_replay(conn))
        try:
            checkpoint = await replay(pool, projection, batch_size=batch_size, progress=progress)
        except ReplayRunning as exc:
            print(f"leadstore: {exc}", file=sys.stderr)
            return 1
        except asyncpg.LockNotAvailableError:
            print(f"leadstore: {projection.name} stayed busy (long queries?); nothing swapped, rerun", file=sys.stderr)
            return 1
        progress.finish(f"swapped in, live at position {checkpoint.token()}")
    return 0


async def run_export(args: argparse.Namespace, settings: Settings) -> int:
    async with connect(settings) as pool, pool.acquire() as conn:
        since = args.since or START
        progress = ProgressLine("export", await events_to_export(conn, args.account, since))
        count = await export_events(conn, sys.stdout.buffer, account_id=args.account, since=since, progress=progress)
    sys.stdout.buffer.flush()
    progress.finish(f"exported {count:,} events")
    return 0


async def run_import(args: argparse.Namespace, settings: Settings) -> int:
    await migrate_database(require_db(settings))
    async with connect(settings) as pool:
        async with pool.acquire() as conn:
            try:
                progress = ProgressLine("import", 0)
                imported = await import_events(
                    conn, sys.stdin.buffer, batch_size=args.batch_size, progress=progress, encrypt=args.encrypt
                )
            except (NotEmpty, ValueError, KekMissing) as exc:
                print(f"leadstore: {printable(str(exc))}", file=sys.stderr)  # may quote the file
                return 1
            except ChainBroken as exc:
                print(f"leadstore: {exc}; nothing was imported", file=sys.stderr)
                print("\n".join(f"  {p}" for p in exc.report.problems), file=sys.stderr)
                return 1
        progress.finish(f"imported {imported.events:,} events; building read models")
        if args.encrypt:
            print(
                f"import: encrypted the personal values of {imported.sealed:,} events written before encryption, "
                f"made {imported.new_keys:,} lead data keys, and recomputed the hash chain (its hashes now differ "
                "from the source's)",
                file=sys.stderr,
            )
        return await replay_all(pool, chosen_projections(None))
