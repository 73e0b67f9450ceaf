"""Which values are personal (leadstore.domain.personal), and sealing them (leadstore.store.encryption)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from uuid_utils.compat import uuid7

from leadstore.domain.personal import personal_labels
from leadstore.store.encryption import MARK, TOKEN, KeyRing, generate_kek, open_event_parts, parse_kek, seal_event

DATA: dict[str, Any] = {
    "account_id": "a",
    "status": "new",
    "company": "Acme",
    "score": 10,
    "first_name": "Ann-Marie",
    "last_name": None,
    "email": "ann@example.com",
    "mailing_address": {"street": "1 Main St", "country": "US"},
    "custom": {"shoe_size": 42.5, "empty": None},
}
META: dict[str, Any] = {
    "actor": {"user_id": "u", "email": "admin@example.com"},
    "request": {
        "id": "r",
        "method": "POST",
        "ip": "203.0.113.9",
        "user_agent": "ua/1.0",
        "headers": {"user-agent": "ua/1.0", "x-forwarded-for": "198.51.100.1", "content-type": "application/json"},
    },
}
# LeadUpdated's shape, which LeadMerged and LeadUnmerged share
CHANGES: dict[str, Any] = {
    "changes": {
        "email": {"from": "a@example.com", "to": "b@example.com"},
        "score": {"from": 1, "to": 2},
        "custom.shoe_size": {"from": None, "to": 43},
        "phone": {"from": None, "to": None},
    }
}


def ring() -> KeyRing:
    return KeyRing(parse_kek(generate_kek(), "test"))


def test_the_personal_paths_of_a_create_and_of_any_changes_member() -> None:
    assert set(personal_labels(DATA, META)) == {
        "data/first_name",
        "data/email",
        "data/mailing_address",
        "data/custom/shoe_size",
        "metadata/request/ip",
        "metadata/request/user_agent",
        "metadata/request/headers/user-agent",
        "metadata/request/headers/x-forwarded-for",
    }
    assert set(personal_labels(CHANGES, {})) == {
        "data/changes/email/from",
        "data/changes/email/to",
        "data/changes/custom.shoe_size/to",
    }


def test_sealing_hides_every_personal_value_keeps_the_rest_and_opens_back() -> None:
    key, event_id = ring().new_key(uuid7()), uuid7()
    data, meta = copy.deepcopy(DATA) | CHANGES, copy.deepcopy(META)

    sealed_data, sealed_meta = seal_event(key, event_id, data, meta)

    assert data == DATA | CHANGES and meta == META  # nothing changed in place
    text = repr((sealed_data, sealed_meta))
    # each holds a character base64 never does ("-", ".", "@" or " "), so no ciphertext can spell it by chance
    personal = ("Ann-Marie", "ann@example.com", "Main St", "42.5", "203.0.113.9", "ua/1.0", "198.51.100.1")
    for value in (*personal, "b@example.com"):
        assert value not in text
    assert sealed_data["company"] == "Acme" and sealed_data["changes"]["score"] == {"from": 1, "to": 2}
    assert sealed_data["last_name"] is None and sealed_data["custom"]["empty"] is None
    assert sealed_meta["actor"] == META["actor"] and sealed_meta[MARK] == "v1"
    assert sealed_data["email"].startswith(TOKEN)
    assert open_event_parts(key.aead, event_id, sealed_data, sealed_meta) == (
        data,
        sealed_meta | {"request": META["request"]},
    )
    erased = open_event_parts(None, event_id, sealed_data, sealed_meta)
    assert erased[0]["email"] is None and erased[0]["company"] == "Acme" and erased[1]["request"]["ip"] is None


@pytest.mark.parametrize("where", ["another event", "another field"])
def test_a_sealed_value_moved_elsewhere_does_not_open(where: str) -> None:
    key, event_id = ring().new_key(uuid7()), uuid7()
    sealed, _ = seal_event(key, event_id, DATA, {})
    if where == "another event":
        moved, target = dict(sealed), uuid7()
    else:
        moved, target = sealed | {"first_name": sealed["email"]}, event_id
    failures: list[str] = []

    opened, _ = open_event_parts(key.aead, target, moved, {}, failures)

    assert opened["first_name"] is None and "data/first_name" in failures
