"""Duplicate member names in a JSON body, which msgspec (like most parsers) resolves by keeping the last."""

from __future__ import annotations

import json
from typing import Any

import msgspec

from leadstore.domain.errors import FieldError, ValidationFailed

_encoder = msgspec.json.Encoder()


def refuse_duplicate_keys(raw: bytes, decoded: dict[str, Any]) -> None:
    """422 naming each member of `raw` given twice in the same object, at any depth."""
    # Every `:` of a JSON text ends a member name or stands in a string, where encoders leave it as it is.
    # So, unless one was escaped (`\u003a`), `raw` has as many colons as `decoded` encoded again, but when
    # a duplicate was dropped. Re-encoding costs less than walking the value in Python (0.6 us for a small
    # lead, 2.5 us for a kilobyte); only a body whose counts differ is parsed again to name the duplicates.
    if b"\\u003" not in raw and raw.count(b":") == _encoder.encode(decoded).count(b":"):
        return
    duplicates = _duplicate_paths(raw)
    if duplicates:
        message = "is given more than once in the same object: send each member once"
        raise ValidationFailed([FieldError(path, "duplicate_key", message) for path in duplicates])


class _Members(list[tuple[str, Any]]):
    """An object's members in order, duplicates kept."""


def _duplicate_paths(raw: bytes) -> list[str]:
    """The paths (`custom.tier`, `choices[2].key`) of the duplicate members of a body msgspec accepted."""
    try:
        # Numbers are not needed to find names, so they are not converted (nor limited in length).
        tree = json.loads(raw, object_pairs_hook=_Members, parse_int=len, parse_float=len, parse_constant=len)
    except (ValueError, RecursionError):
        return ["body"]
    found: list[str] = []
    _walk(tree, "", found)
    return found


def _walk(node: Any, path: str, found: list[str]) -> None:
    if isinstance(node, _Members):
        seen: set[str] = set()
        for key, value in node:
            child = f"{path}.{key}" if path else key
            if key in seen and child not in found:
                found.append(child)
            seen.add(key)
            _walk(value, child, found)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            _walk(item, f"{path}[{index}]", found)
