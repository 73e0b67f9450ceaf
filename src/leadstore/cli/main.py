"""The `leadstore` command line: one parser over every command group, and `main`, the console script."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from leadstore import __version__
from leadstore.cli import admin, audit, imports, keys, replay, run, signing, tail
from leadstore.cli.common import event_loop_factory
from leadstore.logging_config import configure_logging, log_format
from leadstore.settings import Settings
from leadstore.store import encryption
from leadstore.store.encryption import KekMissing, KeyRing

Handler = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leadstore",
        description="Event-sourced sales leads: API, workers and audit tools. "
        "Settings come from LEADSTORE_* environment variables (DATABASE_URL, NATS_URL, HOST, PORT, LOG_LEVEL).",
    )
    parser.add_argument("--version", action="version", version=f"leadstore {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run.register(sub)
    admin.register(sub)
    audit.register(sub)
    replay.register(sub)
    tail.register(sub)
    signing.register(sub)
    keys.register(sub)
    imports.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    try:
        configure_logging(settings.log_level, log_format(settings.log_format, args.command))
    except ValueError as exc:
        parser.error(str(exc))
    try:
        encryption.install(KeyRing.from_settings(settings))  # commands that read personal data need it
    except (ValueError, OSError) as exc:
        parser.error(str(exc))
    handler: Handler = args.handler
    try:
        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            return runner.run(handler(args, settings))
    except KeyboardInterrupt:
        return 130
    except KekMissing as exc:
        print(f"leadstore: {exc}", file=sys.stderr)
        return 2
