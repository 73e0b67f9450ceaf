"""Standard Webhooks signatures: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed by the secret's bytes.

A dozen lines of hmac rather than the `standardwebhooks` package, which brings a web client and date
libraries along; tests check these against the specification's published example.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping, Sequence

from leadstore.webhooks.secrets import signing_key

TOLERANCE_SECONDS = 300  # the specification's: a delivery older or newer than this is refused


class SignatureInvalid(Exception):
    """A delivery whose signature does not verify with the secret, or whose timestamp is too far off."""


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,<base64>` signature of a delivery with one secret."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(secrets: Sequence[str], message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value: one signature per valid secret, space-separated."""
    return " ".join(signature(secret, message_id, timestamp, body) for secret in secrets)


def verify(body: bytes, headers: Mapping[str, str], secret: str, *, now: float | None = None) -> None:
    """Check a delivery as a receiver does; SignatureInvalid when it does not verify."""
    lower = {key.lower(): value for key, value in headers.items()}
    try:
        message_id, stamp = lower["webhook-id"], int(lower["webhook-timestamp"])
        offered = lower["webhook-signature"].split()
    except (KeyError, ValueError):
        raise SignatureInvalid("the webhook-id, webhook-timestamp or webhook-signature header is missing") from None
    if abs((time.time() if now is None else now) - stamp) > TOLERANCE_SECONDS:
        raise SignatureInvalid("the webhook-timestamp is too far from now")
    expected = signature(secret, message_id, stamp, body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in offered):
        raise SignatureInvalid("no signature verifies with this secret")
