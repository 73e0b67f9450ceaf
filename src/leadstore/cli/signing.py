"""`leadstore signing-key`: the public key that verifies the events published to NATS."""

from __future__ import annotations

import argparse
from typing import Any

from leadstore.cli.common import connect, print_json
from leadstore.publishing.keys import SigningKeys
from leadstore.publishing.signature import ALGORITHM, Signer, b64, decode_key
from leadstore.settings import Settings


def register(sub: Any) -> None:
    command = sub.add_parser(
        "signing-key",
        help="print the public key that verifies published events",
        description="Print the base64 Ed25519 public key that verifies the Leadstore-Signature of every event "
        "published to NATS (GET /v1/signing-key serves the same): that of LEADSTORE_SIGNING_KEY or "
        "LEADSTORE_SIGNING_KEY_FILE when set, else the deployment's key in LEADSTORE_DATABASE_URL "
        "(made there when there is none yet).",
    )
    command.add_argument("--json", action="store_true", help='print {"algorithm": "ed25519", "public_key": "..."}')
    command.set_defaults(handler=run_signing_key)


async def run_signing_key(args: argparse.Namespace, settings: Settings) -> int:
    public_key = b64(await deployment_public_key(settings))
    if args.json:
        print_json({"algorithm": ALGORITHM, "public_key": public_key})
    else:
        print(public_key)
    return 0


async def follower_public_key(given: str | None, settings: Settings) -> bytes:
    """What a follower of the stream verifies with: `given` (--public-key), LEADSTORE_SIGNING_PUBLIC_KEY, or
    the deployment's own key when this process may know it (the signing key's settings, the database)."""
    if text := given or settings.signing_public_key:
        try:
            return decode_key(text, "the public key")
        except ValueError as exc:
            raise SystemExit(f"leadstore: {exc}") from None
    if settings.signing_key or settings.signing_key_file or settings.database_url:
        return await deployment_public_key(settings)
    raise SystemExit(
        "leadstore: published events are verified with the service's public key: pass --public-key or set "
        "LEADSTORE_SIGNING_PUBLIC_KEY (GET /v1/signing-key and `leadstore signing-key` show it)"
    )


async def deployment_public_key(settings: Settings) -> bytes:
    """The public half of the key this deployment signs with: the configured one's, else the database's."""
    try:
        keys = SigningKeys.from_settings(settings)
    except ValueError as exc:
        raise SystemExit(f"leadstore: {exc}") from None
    if keys.configured is not None:
        return Signer(keys.configured).public_key
    async with connect(settings) as pool, pool.acquire() as conn:
        return (await keys.signer(conn)).public_key
