"""`leadstore openapi`: the OpenAPI document the API serves, printed without a database or a server."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from leadstore.settings import Settings


def register(sub: Any) -> None:
    command = sub.add_parser(
        "openapi",
        help="print the OpenAPI document of the HTTP API",
        description="Print the OpenAPI document that GET /schema/openapi.json serves, built from the code alone: "
        "no database, NATS or server is needed. `make client` generates clients/python from it.",
    )
    command.add_argument("--output", "-o", type=Path, help="write it to this file instead of standard output")
    command.set_defaults(handler=run_openapi)


async def run_openapi(args: argparse.Namespace, settings: Settings) -> int:
    from leadstore.http.app import openapi_document  # the web app's imports only for this command

    text = document_text(openapi_document())
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
    return 0


def document_text(document: dict[str, Any]) -> str:
    """The document as committed in clients/openapi.json: indented, with a final newline, and its keys sorted
    (Litestar orders some members, such as response headers, as it finds them in sets)."""
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
