"""Which values of a lead's events are personal (API.md, Lead: encrypted at rest, removed by erasure).

The one place that says so, as data: the store encrypts exactly these paths on append and decrypts them on
every read (DESIGN.md decision 10); erasure makes them null. Pure: no keys, no I/O.

- `data`: the PERSONAL_FIELDS members of any event (LeadCreated's), every value of `custom`, and for any
  event with a `changes` member (LeadUpdated, LeadMerged, LeadUnmerged: `{field: {"from", "to"}}`) the
  `from` and `to` of those same fields and of `custom` / `custom.<key>`.
- `metadata`: the request's `ip` and `user_agent`, and the recorded headers that repeat them or name the
  client (`user-agent`, `x-forwarded-for`, `forwarded`, `x-real-ip`).

A path is a tuple of keys from the top of `data` or `metadata`; `personal_paths` lists those present with a
non-null value (null is no personal data, and stays null in the log).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# full_name is derived from first_name and last_name by `evolve` and never stored in an event.
PERSONAL_FIELDS = frozenset(
    {
        "first_name",
        "last_name",
        "full_name",
        "email",
        "phone",
        "title",
        "description",
        "notes",
        "message",
        "source_page_url",
        "mailing_address",
    }
)
CUSTOM = "custom"  # its values are personal, its keys (the account's field names) are not
CHANGES = "changes"
REQUEST_PERSONAL = ("ip", "user_agent")
HEADERS_PERSONAL = ("user-agent", "x-forwarded-for", "forwarded", "x-real-ip")

Path = tuple[str, ...]


def is_personal_field(field: str) -> bool:
    """Whether a lead field named this way (as in a `changes` member) holds personal data."""
    return field in PERSONAL_FIELDS or field == CUSTOM or field.startswith(CUSTOM + ".")


def data_paths(data: dict[str, Any]) -> Iterator[Path]:
    """The personal paths of an event's `data` that hold a value."""
    for field in PERSONAL_FIELDS:
        if data.get(field) is not None:
            yield (field,)
    custom = data.get(CUSTOM)
    if isinstance(custom, dict):
        for key, value in custom.items():
            if value is not None:
                yield (CUSTOM, key)
    changes = data.get(CHANGES)
    if isinstance(changes, dict):
        for field, change in changes.items():
            if not (isinstance(change, dict) and is_personal_field(field)):
                continue
            for side in ("from", "to"):
                if change.get(side) is not None:
                    yield (CHANGES, field, side)


def metadata_paths(metadata: dict[str, Any]) -> Iterator[Path]:
    """The personal paths of an event's `metadata` that hold a value."""
    request = metadata.get("request")
    if not isinstance(request, dict):
        return
    for name in REQUEST_PERSONAL:
        if request.get(name) is not None:
            yield ("request", name)
    headers = request.get("headers")
    if isinstance(headers, dict):
        for name in HEADERS_PERSONAL:
            if headers.get(name) is not None:
                yield ("request", "headers", name)
