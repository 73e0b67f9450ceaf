"""Which values of a lead's events are personal (API.md, Lead: encrypted at rest, removed by erasure).

The one place that says so, as data: the store encrypts exactly these paths on append and decrypts them on
every read (DESIGN.md decision 10); erasure makes them null. Pure: no keys, no I/O.

- `data`: the PERSONAL_FIELDS members of any event (LeadCreated's), every value of `custom`, and for any
  event with a `changes` member (LeadUpdated, LeadMerged, LeadUnmerged: `{field: {"from", "to"}}`) the
  `from` and `to` of those same fields and of `custom` / `custom.<key>`.
- `metadata`: the request's `ip` and `user_agent`, and the recorded headers that repeat them or name the
  client (`user-agent`, `x-forwarded-for`, `forwarded`, `x-real-ip`).

A path is a tuple of keys from the top of `data` or `metadata`; `map_personal` walks those present with a
non-null value (null is no personal data, and stays null in the log).
"""

from __future__ import annotations

from collections.abc import Callable
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


Mapper = Callable[[bytes, Path, Any], Any]  # (part: b"d" data or b"m" metadata, path, value) -> new value


def map_personal(data: dict[str, Any], metadata: dict[str, Any], fn: Mapper) -> tuple[dict[str, Any], dict[str, Any]]:
    """`data` and `metadata` with each personal value that is not null replaced by `fn(part, path, value)`: the
    one walk of the spec above (sealing, opening and finding plaintext all use it). Containers along a changed
    path are copied, nothing is changed in place, and an event without personal values comes back as it was."""
    return _map_data(data, fn), _map_metadata(metadata, fn)


def _map_data(data: dict[str, Any], fn: Mapper) -> dict[str, Any]:
    out = data
    for field in PERSONAL_FIELDS.intersection(data):
        value = data[field]
        if value is not None:
            if out is data:
                out = dict(data)
            out[field] = fn(b"d", (field,), value)
    custom = data.get(CUSTOM)
    if isinstance(custom, dict) and custom:
        if out is data:
            out = dict(data)
        out[CUSTOM] = {k: v if v is None else fn(b"d", (CUSTOM, k), v) for k, v in custom.items()}
    changes = data.get(CHANGES)
    if isinstance(changes, dict):
        mapped = None
        for field, change in changes.items():
            if not (isinstance(change, dict) and is_personal_field(field)):
                continue
            new = dict(change)
            for side in ("from", "to"):
                if change.get(side) is not None:
                    new[side] = fn(b"d", (CHANGES, field, side), change[side])
            if mapped is None:
                mapped = dict(changes)
            mapped[field] = new
        if mapped is not None:
            if out is data:
                out = dict(data)
            out[CHANGES] = mapped
    return out


def _map_metadata(metadata: dict[str, Any], fn: Mapper) -> dict[str, Any]:
    request = metadata.get("request")
    if not isinstance(request, dict):
        return metadata
    new = dict(request)
    for name in REQUEST_PERSONAL:
        if request.get(name) is not None:
            new[name] = fn(b"m", ("request", name), request[name])
    headers = request.get("headers")
    if isinstance(headers, dict):
        named = [name for name in HEADERS_PERSONAL if headers.get(name) is not None]
        if named:
            new["headers"] = dict(headers)
            for name in named:
                new["headers"][name] = fn(b"m", ("request", "headers", name), headers[name])
    return {**metadata, "request": new}


def personal_paths(data: dict[str, Any], metadata: dict[str, Any]) -> list[tuple[bytes, Path]]:
    """The personal paths of an event that hold a value, each with its part (b"d" data, b"m" metadata)."""
    found: list[tuple[bytes, Path]] = []

    def note(part: bytes, path: Path, value: Any) -> Any:
        found.append((part, path))
        return value

    map_personal(data, metadata, note)
    return found
