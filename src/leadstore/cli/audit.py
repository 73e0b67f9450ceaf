"""`leadstore audit` and `verify`: trusting the log."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any
from uuid import UUID

from leadstore.cli.common import chosen_projections, connect
from leadstore.cli.escape import printable, printable_json
from leadstore.documents import event_envelope
from leadstore.domain.field_checks import InvalidValueError, instant
from leadstore.log.audit import lead_as_of, render, timeline
from leadstore.log.integrity import check_log
from leadstore.log.sealing import check_sealing
from leadstore.projection.verify import verify_projection
from leadstore.settings import Settings
from leadstore.store.events import read_stream

SHOWN = 20  # differences of a read model printed (the count says how many there are)


def register(sub: Any) -> None:
    audit = sub.add_parser(
        "audit",
        help="a lead's history: who changed what, when, from where",
        description="Print a lead's history, oldest first: each event with who made it (user, API key), when, "
        "from where (method, path, IP) and what it changed (field, from, to).",
    )
    audit.add_argument("lead_id", type=UUID, metavar="LEAD_ID", help="the lead's id")
    output = audit.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the Event envelopes as JSON lines instead")
    output.add_argument(
        "--at",
        type=_instant,
        metavar="TIMESTAMP",
        help="print the lead as it was then (a date or an RFC 3339 timestamp; the API's as_of)",
    )
    audit.set_defaults(handler=run_audit)

    verify = sub.add_parser(
        "verify",
        help="check the log and that read models equal a fresh replay",
        description="Check that the log is intact (versions contiguous per stream from 1, every event matching "
        "its hash, every hash chained to the previous event of its stream) and that each read model equals a "
        "fresh replay up to its checkpoint. Personal data: every sealed value must open with its lead's data key; "
        "erased leads (key destroyed) are listed as erased, and leads whose events hold plaintext personal data "
        "(written before encryption) are listed without failing the check. "
        "Prints what differs; exits 0 only when all holds, 1 otherwise.",
    )
    verify.add_argument("--projection", metavar="NAME", help="check only this read model")
    verify.add_argument("--log-only", action="store_true", help="check the log, not the read models")
    verify.set_defaults(handler=run_verify)


def _instant(text: str) -> Any:
    try:
        return instant(text)
    except InvalidValueError:
        raise argparse.ArgumentTypeError(f"not a date or RFC 3339 timestamp: {text!r}") from None


async def run_audit(args: argparse.Namespace, settings: Settings) -> int:
    async with connect(settings) as pool, pool.acquire() as conn:
        events = await read_stream(conn, args.lead_id)
        document = await lead_as_of(conn, args.lead_id, args.at) if args.at else None
    if not events:
        print(f"leadstore: no lead {args.lead_id}", file=sys.stderr)
        return 1
    if args.at:
        if document is None:
            print(f"leadstore: lead {args.lead_id} did not exist yet at {args.at.isoformat()}", file=sys.stderr)
            return 1
        print(printable_json(json.dumps(document, indent=2, ensure_ascii=False)))
    elif args.json:
        for event in events:
            print(printable_json(json.dumps(event_envelope(event), default=str, ensure_ascii=False)))
    else:
        print("\n".join(printable(line) for line in render(args.lead_id, timeline(events))))
    return 0


async def run_verify(args: argparse.Namespace, settings: Settings) -> int:
    projections = [] if args.log_only else chosen_projections(args.projection)
    async with connect(settings) as pool:
        async with pool.acquire() as conn:
            report = await check_log(conn)
            sealing = await check_sealing(conn)
        _print_result(f"log: {report.events:,} events", report.problems, report.total_problems)
        print("\n".join(printable(line) for line in sealing.lines()))
        if report.restored and projections:
            print("read models: not compared until the checkpoints are reset")
            projections = []
        healthy = report.ok and sealing.ok
        for projection in projections:
            rows, differences = await verify_projection(pool, projection)
            _print_result(f"{projection.name}: {rows:,} rows", differences[:SHOWN], len(differences))
            healthy = healthy and not differences
    print("verify: all holds" if healthy else "verify: FAILED")
    return 0 if healthy else 1


def _print_result(subject: str, problems: list[str], total: int) -> None:
    if not problems:
        print(f"{subject}, ok")
        return
    print(f"{subject}, {total} problem(s):")
    for problem in problems:
        print(f"  {printable(problem)}")  # a read model's difference quotes its values
    if total > len(problems):
        print(f"  ... and {total - len(problems)} more")
