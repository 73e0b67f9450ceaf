"""Which key signs published events: LEADSTORE_SIGNING_KEY (or _FILE) when set, else the deployment's own.

The deployment's key is made once and kept in PostgreSQL (store/signing_key.py), so that `compose up`
and a fresh `serve` sign from their first event, every API process serves the same public key and every
worker signs with it, without an operator handing a secret to each. Whoever can write the database can
rewrite the log itself, so keeping the key there adds no one who could forge events; an operator who
keeps secrets elsewhere sets LEADSTORE_SIGNING_KEY(_FILE) on every process instead.
"""

from __future__ import annotations

from pathlib import Path

from leadstore.files import private_file
from leadstore.publishing.signature import Signer, b64, decode_key, new_seed
from leadstore.settings import Settings
from leadstore.store.db import Conn
from leadstore.store.signing_key import deployment_seed


def configured_seed(settings: Settings) -> bytes | None:
    """The seed LEADSTORE_SIGNING_KEY or LEADSTORE_SIGNING_KEY_FILE gives (base64), or None when neither is set."""
    if settings.signing_key and settings.signing_key_file:
        raise ValueError("set LEADSTORE_SIGNING_KEY or LEADSTORE_SIGNING_KEY_FILE, not both")
    if settings.signing_key:
        return decode_key(settings.signing_key, "LEADSTORE_SIGNING_KEY")
    if settings.signing_key_file:
        try:
            content = Path(settings.signing_key_file).read_bytes()
        except OSError as exc:
            raise ValueError(f"LEADSTORE_SIGNING_KEY_FILE can not be read: {exc}") from exc
        return decode_key(content, "LEADSTORE_SIGNING_KEY_FILE's content")
    return None


def write_key_file(path: Path) -> bytes:
    """The seed kept in `path` (base64), made and written (readable by its owner only) when it is missing."""
    if path.exists():
        return decode_key(path.read_bytes(), str(path))
    seed = new_seed()
    private_file(path, b64(seed) + "\n")
    return seed


class SigningKeys:
    """A process's signer: the configured key, or the deployment's, read (or made) on first use."""

    def __init__(self, configured: bytes | None = None) -> None:
        self.configured = configured
        self._signer: Signer | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> SigningKeys:
        return cls(configured_seed(settings))

    async def signer(self, conn: Conn) -> Signer:
        """The signer; `conn` reads the deployment's key the first time when none is configured."""
        if self._signer is None:
            self._signer = Signer(self.configured or await deployment_seed(conn, new_seed))
        return self._signer
