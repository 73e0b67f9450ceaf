"""Signed envelopes: signing, verifying, and where the key comes from (no socket, no database)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from leadstore.publishing.keys import configured_seed, write_key_file
from leadstore.publishing.signature import HASH_HEADER, SIGNATURE_HEADER, Signer, Verifier, b64, new_seed
from leadstore.settings import Settings

BODY = b'{"id":"0190","type":"LeadConverted","data":{"customer_id":"cus_1"}}'


def test_a_signed_body_verifies_and_any_change_to_it_does_not() -> None:
    signer = Signer(new_seed())
    headers = signer.headers(BODY, bytes.fromhex("ab" * 32))
    assert headers[HASH_HEADER] == "ab" * 32 and headers[SIGNATURE_HEADER].startswith("ed25519=")
    verifier = Verifier(b64(signer.public_key))
    assert verifier.problem(BODY, headers) is None
    assert verifier.problem(BODY.replace(b"cus_1", b"cus_2"), headers) == "bad signature"
    assert Verifier(Signer(new_seed()).public_key).problem(BODY, headers) == "bad signature"


def test_unsigned_and_malformed_signatures_are_refused() -> None:
    verifier = Verifier(Signer(new_seed()).public_key)
    assert verifier.problem(BODY, None) == "unsigned" and verifier.problem(BODY, {SIGNATURE_HEADER: ""}) == "unsigned"
    forged = base64.b64encode(b"\0" * 64).decode()
    assert verifier.problem(BODY, {SIGNATURE_HEADER: f"ed25519={forged}"}) == "bad signature"
    assert verifier.problem(BODY, {SIGNATURE_HEADER: "ed25519=not base64!"}) == "bad signature"
    assert verifier.problem(BODY, {SIGNATURE_HEADER: f"hmac-sha256={forged}"}) == "not an ed25519 signature"
    assert Signer(new_seed()).headers(BODY, None).keys() == {SIGNATURE_HEADER}  # no hash, no hash header


def test_the_key_comes_from_the_setting_or_its_file_and_must_be_32_bytes(tmp_path: Path) -> None:
    seed = new_seed()
    assert configured_seed(Settings(signing_key=b64(seed))) == seed
    assert configured_seed(Settings()) is None
    key_file = tmp_path / "signing.key"
    assert write_key_file(key_file) == write_key_file(key_file)  # made once, then read
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert configured_seed(Settings(signing_key_file=str(key_file))) == write_key_file(key_file)
    with pytest.raises(ValueError, match="not both"):
        configured_seed(Settings(signing_key=b64(seed), signing_key_file=str(key_file)))
    with pytest.raises(ValueError, match="32 bytes"):
        configured_seed(Settings(signing_key=b64(seed[:16])))
    with pytest.raises(ValueError, match="can not be read"):
        configured_seed(Settings(signing_key_file=str(tmp_path / "missing.key")))
    with pytest.raises(ValueError, match="32 bytes"):
        Verifier("not a key")
