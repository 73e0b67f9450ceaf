"""From a CSV row's text cells to the body POST /v1/leads takes: numbers, booleans and lists where the field
holds one, `mailing_address.*` cells as one address, `custom.KEY` cells typed by the account's custom fields.

A cell that does not read as its field's type is passed on as text, so that validation refuses it with the
same code and message as the API would (an NDJSON row is already typed and is passed on as it is).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import msgspec

from leadstore.domain.rules import CustomFieldRule
from leadstore.imports.columns import ADDRESS_PREFIX, CUSTOM_PREFIX

TRUE = frozenset({"true", "yes", "y", "1", "t", "x"})
FALSE = frozenset({"false", "no", "n", "0", "f"})
LIST_SEPARATOR = ";"  # a list cell (marketing_attribution, a multi_choice field): `a;b;c`, or a JSON array
BOOLEAN_FIELDS = frozenset({"do_not_call", "email_opt_out"})


def lead_body(cells: Mapping[str, Any], custom_fields: list[CustomFieldRule], *, typed: bool = False) -> dict[str, Any]:
    """The lead body of a row's cells by field; `typed` cells (NDJSON) are left as they are."""
    types = {rule.key: rule.type for rule in custom_fields}
    body: dict[str, Any] = {}
    address: dict[str, Any] = {}
    for field, value in cells.items():
        if field.startswith(ADDRESS_PREFIX):
            address[field[len(ADDRESS_PREFIX) :]] = value
        elif typed:
            body[field] = value
        elif field.startswith(CUSTOM_PREFIX):
            body[field] = _custom(value, types.get(field[len(CUSTOM_PREFIX) :]))
        else:
            body[field] = _plain(field, value)
    if address:
        given = body.get("mailing_address")
        body["mailing_address"] = (given if isinstance(given, dict) else {}) | address
    return body


def _plain(field: str, value: str) -> Any:
    if field == "score":
        return _integer(value)
    if field in BOOLEAN_FIELDS:
        return _boolean(value)
    if field == "marketing_attribution":
        return _list(value)
    return value


def _custom(value: str, kind: str | None) -> Any:
    match kind:
        case "number":
            return _number(value)
        case "boolean":
            return _boolean(value)
        case "multi_choice":
            return _list(value)
        case _:
            return value


def _integer(value: str) -> Any:
    number = _number(value)
    return int(number) if isinstance(number, float) and number.is_integer() else number


def _number(value: str) -> Any:
    try:
        return int(value)
    except ValueError:
        pass
    try:
        number = float(value)
    except ValueError:
        return value
    return number if math.isfinite(number) else value


def _boolean(value: str) -> Any:
    lowered = value.lower()
    return True if lowered in TRUE else False if lowered in FALSE else value


def _list(value: str) -> Any:
    if value.startswith("["):
        try:
            return msgspec.json.decode(value)
        except msgspec.DecodeError:
            return value
    return [item.strip() for item in value.split(LIST_SEPARATOR) if item.strip()]
