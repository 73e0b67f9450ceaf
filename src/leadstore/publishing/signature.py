"""Signed envelopes: each published event carries its chain hash and an Ed25519 signature of its exact body.

    Leadstore-Hash: <the event's hash-chain link, hex>
    Leadstore-Signature: ed25519=<base64 of the 64-byte signature of the message body>

Subscribers verify with the 32-byte public key (GET /v1/signing-key, `leadstore signing-key`).
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ALGORITHM: Final = "ed25519"
HASH_HEADER = "Leadstore-Hash"
SIGNATURE_HEADER = "Leadstore-Signature"
KEY_BYTES = 32


def new_seed() -> bytes:
    """A new random 32-byte Ed25519 private key seed."""
    return os.urandom(KEY_BYTES)


def b64(raw: bytes) -> str:
    """Standard base64 with padding, as the headers and the key document use."""
    return base64.b64encode(raw).decode()


def decode_key(value: str | bytes, what: str) -> bytes:
    """A 32-byte key given raw or as base64 text; ValueError naming `what` when it is neither."""
    if isinstance(value, bytes) and len(value) == KEY_BYTES:
        return value
    text = value.decode("ascii", "replace") if isinstance(value, bytes) else value
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != KEY_BYTES:
        raise ValueError(f"{what} must be {KEY_BYTES} bytes in base64 (44 characters)")
    return raw


class Signer:
    """Signs message bodies with one Ed25519 private key."""

    def __init__(self, seed: bytes) -> None:
        self._key = Ed25519PrivateKey.from_private_bytes(seed)
        self.public_key = self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def headers(self, body: bytes, chain_hash: bytes | None) -> dict[str, str]:
        """The signature header of `body`, and the hash header when the event has a hash."""
        signed = {SIGNATURE_HEADER: f"{ALGORITHM}={b64(self._key.sign(body))}"}
        return signed | ({HASH_HEADER: chain_hash.hex()} if chain_hash is not None else {})


class Verifier:
    """Checks the signature header of a message body against one Ed25519 public key."""

    def __init__(self, public_key: str | bytes) -> None:
        self.public_key = decode_key(public_key, "the public key")
        self._key = Ed25519PublicKey.from_public_bytes(self.public_key)

    def problem(self, body: bytes, headers: Mapping[str, str] | None) -> str | None:
        """Why the body is not signed by this key (None when it is)."""
        header = (headers or {}).get(SIGNATURE_HEADER)
        if not header:
            return "unsigned"
        algorithm, _, encoded = header.strip().partition("=")
        if algorithm != ALGORITHM:
            return f"not an {ALGORITHM} signature"
        try:
            self._key.verify(base64.b64decode(encoded, validate=True), body)
        except (binascii.Error, ValueError, InvalidSignature):
            return "bad signature"
        return None
