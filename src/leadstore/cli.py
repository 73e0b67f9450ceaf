"""The `leadstore` command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from leadstore import __version__
from leadstore.settings import Settings

Handler = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]


def _parser() -> argparse.ArgumentParser:
    from leadstore import cli_admin, cli_audit, cli_run, cli_tail

    parser = argparse.ArgumentParser(
        prog="leadstore",
        description="Event-sourced sales leads: API, workers and audit tools. "
        "Settings come from LEADSTORE_* environment variables (DATABASE_URL, NATS_URL, HOST, PORT, LOG_LEVEL).",
    )
    parser.add_argument("--version", action="version", version=f"leadstore {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    cli_run.register(sub)
    cli_admin.register(sub)
    cli_audit.register(sub)
    cli_tail.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    args = _parser().parse_args(argv)
    settings = Settings.from_env()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s", stream=sys.stderr
    )
    handler: Handler = args.handler
    try:
        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            return runner.run(handler(args, settings))
    except KeyboardInterrupt:
        return 130


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop where it is installed (a dependency off Windows), else asyncio's own."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def print_json(value: Any) -> None:
    """One JSON document on standard output."""
    print(json.dumps(value, default=str))


if __name__ == "__main__":
    raise SystemExit(main())
