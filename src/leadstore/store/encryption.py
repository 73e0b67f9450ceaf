"""Encryption at rest of a lead's personal data (issue 13, DESIGN.md decision 10): per-lead data keys wrapped
by the operator's key-encryption key (KEK), personal values sealed in the log on append, opened on every read.

- **Data keys.** 32 random bytes per lead, made with its LeadCreated and stored in `lead_keys` (migration 100)
  in the same statement, after the event (decision 2), wrapped with AES-256-GCM under the KEK, the lead's id
  as associated data. The KEK (`LEADSTORE_KEK`, base64 of 32 bytes, or `LEADSTORE_KEK_FILE`) never reaches
  the database; each row names the KEK that wrapped it (`kek_id`, a fingerprint), so `leadstore rotate-kek`
  can rewrap while `LEADSTORE_KEK_PREVIOUS` still opens the rows it has not reached.
- **Values.** Every personal value (`leadstore.domain.personal`) becomes the string
  `enc:v1:<base64 of nonce and ciphertext>` of the value's JSON, sealed with AES-256-GCM under the lead's data
  key; the associated data binds the event id and the value's label (where it sits, as "data/email"), so a
  sealed value copied to another event or field does not open. The event's metadata then carries
  `"enc": "v1"`: an event without it was written before this release (legacy plaintext). The hash chain is
  computed in SQL over what is stored: ciphertext.
- **Reading.** `open_events` is the one way stored events become data: one query for the keys of a batch's
  leads, looked up on every read (an erased lead's row is gone), unwrapping cached by the wrapped bytes. A lead
  without a key row reads its personal values as null (the erased marker); the rest of the event stays.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from leadstore.domain.personal import map_personal, personal_labels
from leadstore.store.db import Conn

log = logging.getLogger(__name__)

MARK = "enc"  # the metadata member that says an event's personal values are sealed
VERSION = "v1"
TOKEN = "enc:v1:"
TOKEN_LENGTH = len(TOKEN)
NONCE_BYTES = 12
KEY_BYTES = 32
CACHE_LIMIT = 100_000  # unwrapped data keys kept in a process; the cache is simply emptied past it

KEYS = "SELECT lead_id, wrapped_key, kek_id FROM lead_keys WHERE lead_id = ANY($1::uuid[])"
DESTROY = "DELETE FROM lead_keys WHERE lead_id = $1"
ANY_SEALED = "SELECT EXISTS (SELECT 1 FROM events WHERE stream_id = $1 AND metadata ? 'enc')"
UNMARKED_EVENTS = """
SELECT data, metadata FROM events
WHERE stream_id = $1 AND stream_type = 'lead' AND NOT (metadata ? 'enc')"""

_encode = msgspec.json.encode
_decode = msgspec.json.decode


class KekMissing(RuntimeError):
    """No key-encryption key is configured, or not the one that wrapped a lead's data key."""


class DataKeyGone(RuntimeError):
    """A write to a lead whose data key was destroyed (erased): it is never given a new one."""

    def __init__(self, lead_id: UUID) -> None:
        super().__init__(f"lead {lead_id} was erased: its data key is gone")
        self.lead_id = lead_id


def kek_id(kek: bytes) -> str:
    """A KEK's name in `lead_keys.kek_id`: a fingerprint that tells KEKs apart and says nothing of them."""
    return "kek-" + hashlib.sha256(b"leadstore key-encryption key id\x00" + kek).hexdigest()[:16]


def generate_kek() -> str:
    """A new KEK, base64 (what `leadstore dev` writes into its data dir)."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()


def parse_kek(text: str, setting: str) -> bytes:
    """The 32 bytes of a base64 KEK; ValueError naming the setting otherwise."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except binascii.Error:
        raise ValueError(f"{setting}: not base64") from None
    if len(key) != KEY_BYTES:
        raise ValueError(f"{setting}: must be base64 of 32 bytes, got {len(key)}")
    return key


def read_kek(value: str, file: str, setting: str) -> bytes | None:
    """The KEK a pair of settings (`<SETTING>` or `<SETTING>_FILE`) gives; None when neither is set."""
    if value.strip():
        return parse_kek(value, setting)
    if file:
        return parse_kek(Path(file).read_text(), f"{setting}_FILE")
    return None


class DataKey:
    """A lead's data key: as stored (wrapped, with the KEK that wrapped it) and ready to use."""

    __slots__ = ("aead", "kek_id", "lead_id", "new", "wrapped")

    def __init__(self, lead_id: UUID, wrapped: bytes, kek_id: str, aead: AESGCM, *, new: bool = False) -> None:
        self.lead_id = lead_id
        self.wrapped = wrapped
        self.kek_id = kek_id
        self.aead = aead
        self.new = new  # made by this write: its row is inserted with the write's events


class KeyRing:
    """The configured KEKs: the current one wraps, it and the previous ones (during a rotation) unwrap."""

    def __init__(self, current: bytes, previous: Sequence[bytes] = ()) -> None:
        self.current_id = kek_id(current)
        self._current = AESGCM(current)
        self._keks = {kek_id(key): AESGCM(key) for key in (*previous, current)}
        self._unwrapped: dict[bytes, AESGCM] = {}

    @classmethod
    def from_settings(cls, settings: Any) -> KeyRing | None:
        """The ring of LEADSTORE_KEK(_FILE) and LEADSTORE_KEK_PREVIOUS(_FILE); None without a current KEK."""
        current = read_kek(settings.kek, settings.kek_file, "LEADSTORE_KEK")
        if current is None:
            return None
        previous = read_kek(settings.kek_previous, settings.kek_previous_file, "LEADSTORE_KEK_PREVIOUS")
        return cls(current, () if previous is None else (previous,))

    def knows(self, kek: str) -> bool:
        return kek in self._keks

    def with_kek(self, kek: bytes) -> KeyRing:
        """This ring, also able to unwrap what `kek` wrapped (its current KEK unchanged)."""
        ring = KeyRing.__new__(KeyRing)
        ring.current_id, ring._current, ring._unwrapped = self.current_id, self._current, self._unwrapped
        ring._keks = {**self._keks, kek_id(kek): AESGCM(kek)}
        return ring

    def wrap(self, lead_id: UUID, data_key: bytes, nonce: bytes | None = None) -> bytes:
        """The data key sealed under the current KEK (nonce, then ciphertext and tag), bound to the lead."""
        nonce = nonce or os.urandom(NONCE_BYTES)
        return nonce + self._current.encrypt(nonce, data_key, lead_id.bytes)

    def unwrap(self, lead_id: UUID, wrapped: bytes, kek: str) -> bytes:
        """The data key; KekMissing when the KEK that wrapped it is not configured, ValueError when it does
        not open (another lead's row, or altered)."""
        aead = self._keks.get(kek)
        if aead is None:
            raise KekMissing(
                f"lead {lead_id}'s data key is wrapped by {kek}, which is neither LEADSTORE_KEK nor "
                "LEADSTORE_KEK_PREVIOUS (is a rotate-kek unfinished?)"
            )
        try:
            return aead.decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], lead_id.bytes)
        except InvalidTag:
            raise ValueError(f"lead {lead_id}'s data key does not open with {kek}") from None

    def new_key(self, lead_id: UUID) -> DataKey:
        """A fresh data key for a lead, wrapped under the current KEK."""
        random = os.urandom(KEY_BYTES + NONCE_BYTES)  # one call for the key and its wrapping's nonce
        raw = random[:KEY_BYTES]
        wrapped = self.wrap(lead_id, raw, random[KEY_BYTES:])
        aead = AESGCM(raw)
        self._unwrapped[wrapped] = aead
        return DataKey(lead_id, wrapped, self.current_id, aead, new=True)

    def stored_key(self, lead_id: UUID, wrapped: bytes, kek: str) -> DataKey:
        """A stored row as a usable key: unwrapped once per process, cached by its wrapped bytes."""
        aead = self._unwrapped.get(wrapped)
        if aead is None:
            aead = AESGCM(self.unwrap(lead_id, wrapped, kek))
            if len(self._unwrapped) >= CACHE_LIMIT:
                self._unwrapped.clear()
            self._unwrapped[wrapped] = aead
        return DataKey(lead_id, wrapped, kek, aead)


_ring: KeyRing | None = None


def install(ring: KeyRing | None) -> KeyRing | None:
    """Make `ring` this process's keys (the composition root does, from Settings); returns the one it replaces."""
    global _ring
    previous, _ring = _ring, ring
    return previous


def installed() -> KeyRing | None:
    return _ring


def keyring() -> KeyRing:
    """This process's keys; KekMissing when none were installed: nothing is ever written in plaintext."""
    if _ring is None:
        raise KekMissing("no key-encryption key: set LEADSTORE_KEK (base64 of 32 bytes) or LEADSTORE_KEK_FILE")
    return _ring


# -- values ---------------------------------------------------------------------------------------------


_LABEL_AAD: dict[str, bytes] = {}  # each label's bytes in the associated data (few distinct ones)
_b64encode = binascii.b2a_base64
_b64decode = binascii.a2b_base64
_urandom = os.urandom


def _label_aad(label: str) -> bytes:
    aad = _LABEL_AAD.get(label)
    if aad is None:
        aad = label.encode()
        if len(_LABEL_AAD) < CACHE_LIMIT:
            _LABEL_AAD[label] = aad
    return aad


def is_sealed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(TOKEN)


def seal_event(
    key: DataKey, event_id: UUID, data: dict[str, Any], metadata: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """An event's data and metadata as stored: personal values sealed, the metadata marked."""
    encrypt, eid = key.aead.encrypt, event_id.bytes

    def seal(label: str, value: Any) -> str:
        nonce = _urandom(NONCE_BYTES)
        sealed = nonce + encrypt(nonce, _encode(value), eid + _label_aad(label))
        return TOKEN + _b64encode(sealed, newline=False).decode()

    sealed_data, sealed_meta = map_personal(data, metadata, seal)
    return sealed_data, {**sealed_meta, MARK: VERSION}


def open_event_parts(
    aead: AESGCM | None,
    event_id: UUID,
    data: dict[str, Any],
    metadata: dict[str, Any],
    failures: list[str] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A sealed event's data and metadata with its values opened, or null without a key (erased). A value that
    does not open reads as null and is named in `failures` (verify counts them)."""
    eid = event_id.bytes

    def open_one(label: str, value: Any) -> Any:
        if value.__class__ is not str or not value.startswith(TOKEN):
            return value  # not sealed (a value the spec did not cover when it was written)
        if aead is None:
            return None  # erased: the key is gone
        try:
            raw = _b64decode(value[TOKEN_LENGTH:])
            return _decode(aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], eid + _label_aad(label)))
        except (InvalidTag, binascii.Error, ValueError, msgspec.DecodeError):
            if failures is not None:
                failures.append(label)
            log.error("a personal value of event %s (%s) does not open: altered?", event_id, label)
            return None

    return map_personal(data, metadata, open_one)


# -- keys in the database -------------------------------------------------------------------------------


async def lead_keys(conn: Conn, lead_ids: Iterable[UUID]) -> dict[UUID, DataKey]:
    """The stored data keys of these leads (an erased one has none), in one query."""
    rows = await conn.fetch(KEYS, list(lead_ids))
    if not rows:
        return {}
    ring = keyring()
    return {row["lead_id"]: ring.stored_key(row["lead_id"], row["wrapped_key"], row["kek_id"]) for row in rows}


async def key_for_write(conn: Conn, lead_id: UUID, known: DataKey | None, *, new_stream: bool) -> DataKey:
    """The key to seal a lead's next events with: a new stream's is made now (and stored by its write); an
    existing lead's is `known` (what reading its stream found) or its stored one; a lead from before encryption
    gets one now. DataKeyGone when the lead has sealed events but no key: it was erased, and stays so."""
    ring = keyring()
    if new_stream:
        return ring.new_key(lead_id)
    if known is not None and known.lead_id == lead_id:
        return known
    stored = (await lead_keys(conn, [lead_id])).get(lead_id)
    if stored is not None:
        return stored
    if await conn.fetchval(ANY_SEALED, lead_id):
        raise DataKeyGone(lead_id)
    return ring.new_key(lead_id)


async def destroy_data_key(conn: Conn, lead_id: UUID) -> bool:
    """Delete a lead's data key (erasure): its sealed values can never be read again. True if it had one."""
    status: str = await conn.execute(DESTROY, lead_id)
    return status != "DELETE 0"


async def stream_has_plaintext(conn: Conn, lead_id: UUID) -> bool:
    """Whether the lead's stream holds personal values in plaintext (events from before encryption), which
    erasure can not reach: the way out is `leadstore export` and `leadstore import --encrypt`."""
    for row in await conn.fetch(UNMARKED_EVENTS, lead_id):
        if has_plaintext(_json(row["data"]), _json(row["metadata"])):
            return True
    return False


def has_plaintext(data: Mapping[str, Any], metadata: Mapping[str, Any]) -> bool:
    """Whether an unmarked event holds a personal value."""
    if metadata.get(MARK):
        return False
    return bool(personal_labels(dict(data), dict(metadata)))


def _json(value: Any) -> dict[str, Any]:
    return _decode(value) if isinstance(value, str | bytes) else dict(value)
