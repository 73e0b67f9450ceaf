"""Which values of a lead's events are personal (API.md, Lead: encrypted at rest, removed by erasure).

The one place that says so, as data: the store encrypts exactly these paths on append and decrypts them on
every read (DESIGN.md decision 10); erasure makes them null. Pure: no keys, no I/O.

- `data`: the PERSONAL_FIELDS members of any event (LeadCreated's), every value of `custom`, and for any
  event with a `changes` member (LeadUpdated, LeadMerged, LeadUnmerged: `{field: {"from", "to"}}`) the
  `from` and `to` of those same fields and of `custom` / `custom.<key>`.
- `metadata`: the request's `ip` and `user_agent`, and the recorded headers that repeat them or name the
  client (`user-agent`, `x-forwarded-for`, `forwarded`, `x-real-ip`).

`map_personal` walks the values present and not null (null is no personal data, and stays null in the log).
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


def is_personal_field(field: str) -> bool:
    """Whether a lead field named this way (as in a `changes` member) holds personal data."""
    return field in PERSONAL_FIELDS or field == CUSTOM or field.startswith(CUSTOM + ".")


Mapper = Callable[[str, Any], Any]  # (the value's label, value) -> new value

# A value's label names where it sits: "data/<field>", "data/custom/<key>", "data/changes/<field>/from" (or
# "/to"), "metadata/request/<name>", "metadata/request/headers/<name>". The store binds it into each sealed
# value, so a value moved to another place does not open. Labels of the fixed places are made once.
_FIELD_LABELS = {field: f"data/{field}" for field in PERSONAL_FIELDS}
_REQUEST_LABELS = {name: f"metadata/request/{name}" for name in REQUEST_PERSONAL}
_HEADER_LABELS = {name: f"metadata/request/headers/{name}" for name in HEADERS_PERSONAL}


def map_personal(data: dict[str, Any], metadata: dict[str, Any], fn: Mapper) -> tuple[dict[str, Any], dict[str, Any]]:
    """`data` and `metadata` with each personal value that is not null replaced by `fn(label, value)`: the one
    walk of the spec above (sealing, opening and finding plaintext all use it). Containers along a changed
    path are copied, nothing is changed in place, and an event without personal values comes back as it was."""
    return _map_data(data, fn), _map_metadata(metadata, fn)


def _map_data(data: dict[str, Any], fn: Mapper) -> dict[str, Any]:
    out = data
    get = data.get
    # the fewer names to look up: an update's data has one member, a create's every field
    fields = data if len(data) < len(_FIELD_LABELS) else _FIELD_LABELS
    for field in fields:
        label = _FIELD_LABELS.get(field)
        if label is None:
            continue
        value = get(field)
        if value is not None:
            if out is data:
                out = dict(data)
            out[field] = fn(label, value)
    custom = get(CUSTOM)
    if custom and isinstance(custom, dict):
        if out is data:
            out = dict(data)
        out[CUSTOM] = {k: v if v is None else fn(f"data/custom/{k}", v) for k, v in custom.items()}
    changes = get(CHANGES)
    if changes and isinstance(changes, dict):
        mapped = None
        for field, change in changes.items():
            if not (isinstance(change, dict) and is_personal_field(field)):
                continue
            new = dict(change)
            for side in ("from", "to"):
                if change.get(side) is not None:
                    new[side] = fn(f"data/changes/{field}/{side}", change[side])
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
    for name, label in _REQUEST_LABELS.items():
        value = request.get(name)
        if value is not None:
            new[name] = fn(label, value)
    headers = request.get("headers")
    if headers and isinstance(headers, dict):
        named = [name for name in HEADERS_PERSONAL if headers.get(name) is not None]
        if named:
            new["headers"] = dict(headers)
            for name in named:
                new["headers"][name] = fn(_HEADER_LABELS[name], headers[name])
    return {**metadata, "request": new}


def personal_labels(data: dict[str, Any], metadata: dict[str, Any]) -> list[str]:
    """The labels of an event's personal values that are not null."""
    found: list[str] = []

    def note(label: str, value: Any) -> Any:
        found.append(label)
        return value

    map_personal(data, metadata, note)
    return found
