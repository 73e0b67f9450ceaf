"""Webhook signing secrets: made here, shown once, stored sealed with AES-256-GCM under the operator's key.

The Standard Webhooks scheme signs with HMAC-SHA256 keyed by the secret itself, so the secret can not be
stored as a hash: it is sealed under `LEADSTORE_SECRETS_KEY` (base64 of 32 bytes) or the key in
`LEADSTORE_SECRETS_KEY_FILE`, which never reaches the database. Each sealed value is a 12-byte nonce then
the ciphertext and tag; the webhook's id is the associated data, so a sealed secret copied onto another
endpoint does not open.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "whsec_"
SECRET_BYTES = 24  # 192 bits; Standard Webhooks asks for 24 to 64
NONCE_BYTES = 12


class SecretsKeyMissing(Exception):
    """No key to seal webhook secrets with is configured."""


def new_secret() -> str:
    """A fresh signing secret, `whsec_` and the base64 of random bytes."""
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signing_key(secret: str) -> bytes:
    """The HMAC key of a secret: the bytes after `whsec_`, base64-decoded."""
    return base64.b64decode(secret.removeprefix(PREFIX))


class SecretBox:
    """Seals and opens webhook secrets with the operator's key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the secrets key must be 32 bytes (base64 of 32 random bytes)")
        self._aead = AESGCM(key)

    @classmethod
    def from_settings(cls, key_b64: str, key_file: str) -> SecretBox | None:
        """The box of LEADSTORE_SECRETS_KEY or LEADSTORE_SECRETS_KEY_FILE; None when neither is set."""
        text = key_b64.strip() or (Path(key_file).read_text().strip() if key_file else "")
        if not text:
            return None
        try:
            return cls(base64.b64decode(text, validate=True))
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"LEADSTORE_SECRETS_KEY: {exc}") from None

    @staticmethod
    def generate_key() -> str:
        """A new key, base64, for LEADSTORE_SECRETS_KEY (what `leadstore dev` writes into its data dir)."""
        return base64.b64encode(os.urandom(32)).decode()

    def seal(self, webhook_id: UUID, secret: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, secret.encode(), webhook_id.bytes)

    def open(self, webhook_id: UUID, sealed: bytes) -> str:
        """The secret; ValueError when it was sealed under another key or for another webhook."""
        try:
            return self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], webhook_id.bytes).decode()
        except InvalidTag:
            raise ValueError(
                "the webhook secret does not open with this key (another key, or another webhook)"
            ) from None
