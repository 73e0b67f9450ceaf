"""`leadstore tail`: follow the events published on NATS, one readable line (or one JSON line) per event."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import signal
from typing import Any
from uuid import UUID

import msgspec

from leadstore.cli.common import nats_connection
from leadstore.cli.escape import printable, printable_json
from leadstore.cli.signing import follower_public_key
from leadstore.documents import timestamp
from leadstore.publishing import EventSubscription, NatsConnection, PublishedEvent
from leadstore.settings import Settings

_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
_encoder = msgspec.json.Encoder()
MAX_VALUE = 60


def _token(value: str) -> str:
    if not _NAME.match(value):
        raise argparse.ArgumentTypeError(f"{value!r}: use letters, digits, '_' and '-' only")
    return value


def _account(value: str) -> str:
    try:
        return str(UUID(value))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an account id (a UUID)") from None


def register(sub: Any) -> None:
    tail = sub.add_parser(
        "tail",
        help="follow published events from NATS",
        description="Follow the JetStream stream LEADS at LEADSTORE_NATS_URL and print one line per event: "
        "when, type, lead and version, who, and what changed. The consumer is ephemeral by default (it "
        "starts at new events and is removed on exit); --durable NAME keeps its place between runs. "
        "Only what the service signed is printed: anything unsigned or forged is dropped with a warning. "
        "NATS credentials: in the URL, or LEADSTORE_NATS_USER and _PASSWORD, _TOKEN or _CREDS_FILE; "
        "LEADSTORE_NATS_CA_FILE for a tls:// server with a private CA.",
    )
    tail.add_argument("--account", metavar="ID", type=_account, help="only this account's events")
    tail.add_argument("--type", metavar="T", type=_token, help="only events of this type, e.g. LeadUpdated")
    tail.add_argument("--from-start", action="store_true", help="begin with the oldest event in the stream")
    tail.add_argument("--durable", metavar="NAME", type=_token, help="a durable consumer that resumes where it stopped")
    tail.add_argument("--json", action="store_true", help="print each Event envelope as one JSON line")
    tail.add_argument("--count", metavar="N", type=int, help="exit after N events")
    tail.add_argument(
        "--public-key",
        metavar="BASE64",
        help="the service's signing key (GET /v1/signing-key); default: LEADSTORE_SIGNING_PUBLIC_KEY, else the "
        "deployment's own when LEADSTORE_SIGNING_KEY(_FILE) or LEADSTORE_DATABASE_URL is set",
    )
    tail.set_defaults(handler=run_tail)


async def run_tail(args: argparse.Namespace, settings: Settings) -> int:
    connection = nats_connection(settings)
    public_key = await follower_public_key(args.public_key, settings)
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):  # Ctrl+C or SIGTERM: a normal way to stop following
        await _follow(args, connection, public_key)
    return 0


async def _follow(args: argparse.Namespace, connection: NatsConnection, public_key: bytes) -> None:
    subscription = EventSubscription(
        connection,
        public_key=public_key,
        account_id=args.account,
        event_type=args.type,
        durable=args.durable,
        from_start=args.from_start,
    )
    printed = 0
    async with subscription:
        async for delivery in subscription:
            print(printable_json(delivery.msg.data.decode()) if args.json else line(delivery.event), flush=True)
            await delivery.ack()
            printed += 1
            if args.count is not None and printed >= args.count:
                return


def line(event: PublishedEvent) -> str:
    """`<time>  <type>  lead <id> v<version>  by <who>  <what changed>`, on one line, escaped for a terminal."""
    actor = event.actor.get("email") or event.actor.get("user_id") or event.actor.get("api_key_id") or "-"
    parts = [timestamp(event.occurred_at), f"{event.type:<17}"]
    stream = f"lead {event.lead_id}" if event.lead_id else f"account {event.account_id}"  # administrative events
    parts += [f"{stream} v{event.version}", f"by {actor}", summary(event)]
    return printable("  ".join(p for p in parts if p))


def summary(event: PublishedEvent) -> str:
    """A short account of what the event changed."""
    data = event.data
    match event.type:
        case "LeadCreated":
            name = " ".join(str(data[k]) for k in ("first_name", "last_name") if data.get(k))
            email = f"<{data['email']}>" if data.get("email") else ""
            company = f"({data['company']})" if data.get("company") else ""
            return " ".join(p for p in (name, email, company, f"status={data.get('status')}") if p)
        case "LeadUpdated":
            changes = data.get("changes", {})
            return "; ".join(f"{k}: {_value(c.get('from'))} -> {_value(c.get('to'))}" for k, c in changes.items())
        case "LeadStatusChanged" | "LeadAssigned":
            extra = data.get("reason") or ("by rotation" if data.get("by_rotation") else "")
            return f"{_value(data.get('from'))} -> {_value(data.get('to'))}" + (f" ({extra})" if extra else "")
        case "LeadConverted":
            return f"customer_id={_value(data.get('customer_id'))} status={data.get('status')}"
        case "LeadArchived" | "LeadRestored":
            return f"reason: {data['reason']}" if data.get("reason") else ""
        # merges (issue 14)
        case "LeadMerged":
            merged, fields = data.get("merged") or [], data.get("fields") or {}
            taken = f" (fields: {', '.join(map(str, fields))})" if isinstance(fields, dict) and fields else ""
            return f"merged {', '.join(map(str, merged)) if isinstance(merged, list) else _value(merged)}{taken}"
        case "LeadMergedInto":
            return f"into {data.get('into')}"
        case "LeadUnmerged":
            return f"merge {data.get('merge_event_id')} undone"
        case "LeadErased":  # subscribers erase their copies of the lead's personal data
            return "personal data erased" + (f" (reason: {data['reason']})" if data.get("reason") else "")
        case _:
            return _value(data, 120)


def _value(value: Any, limit: int = MAX_VALUE) -> str:
    text = _encoder.encode(value).decode()
    return text if len(text) <= limit else text[: limit - 1] + "…"
