"""Webhook signatures follow the Standard Webhooks specification."""

from __future__ import annotations

import pytest

from leadstore.webhooks import SignatureInvalid, verify
from leadstore.webhooks.secrets import new_secret
from leadstore.webhooks.signing import signature, signature_header

# The specification's example (its reference libraries test against it)
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_signature_matches_the_specifications_example() -> None:
    assert signature(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE


def test_verify_accepts_either_of_two_rotated_secrets() -> None:
    old, new = new_secret(), new_secret()
    header = signature_header([new, old], "evt", SPEC_TIMESTAMP, b"{}")
    headers = {"webhook-id": "evt", "webhook-timestamp": str(SPEC_TIMESTAMP), "webhook-signature": header}
    verify(b"{}", headers, old, now=SPEC_TIMESTAMP)
    verify(b"{}", headers, new, now=SPEC_TIMESTAMP)
    with pytest.raises(SignatureInvalid):
        verify(b"{}", headers, new_secret(), now=SPEC_TIMESTAMP)


def test_verify_refuses_an_old_timestamp_and_a_changed_body() -> None:
    secret = new_secret()
    headers = {
        "webhook-id": "evt",
        "webhook-timestamp": str(SPEC_TIMESTAMP),
        "webhook-signature": signature(secret, "evt", SPEC_TIMESTAMP, b"{}"),
    }
    with pytest.raises(SignatureInvalid):
        verify(b"{}", headers, secret, now=SPEC_TIMESTAMP + 301)
    with pytest.raises(SignatureInvalid):
        verify(b"{ }", headers, secret, now=SPEC_TIMESTAMP)
