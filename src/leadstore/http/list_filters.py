"""The list's filters on phone and on custom-field values: parsed from the query, each failure naming its
parameter. A `custom.*` parameter exists only for the custom fields the account has."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import phonenumbers

from leadstore.domain import field_checks
from leadstore.domain.custom_fields import calendar_date, utc_text
from leadstore.domain.field_checks import InvalidValueError, Problems, phone, text
from leadstore.store.lead_list.query import CustomRange

PREFIX = "custom."
MAX_VALUE = 1_000  # characters of a custom filter's value
_NUMBER = re.compile(r"\A-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?\Z")  # JSON's number grammar
RANGE_KINDS = frozenset({"number", "date", "datetime"})
# One region per country calling code: a national number is read in each (see phone_numbers).
_REGIONS = sorted({regions[0] for regions in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.values()} - {"001"})

CUSTOM_DOC = """
Custom-field filters (one per field of the account, so they are not listed as parameters):
- `custom.<key>=<value>`: leads whose value is `<value>`; for a `multi_choice` field, whose values include it.
  A `number` is written as in JSON, a `boolean` `true` or `false`, a `date` `YYYY-MM-DD`, a `datetime` as a
  date (midnight UTC) or an RFC 3339 timestamp (no offset: UTC). A `choice` value need not be one of the
  field's current choices, so leads holding a removed choice can be found.
- `custom.<key>.min`, `custom.<key>.max` (`number`, `date` and `datetime` fields): at least, at most (inclusive).
A key that is not one of the account's custom fields, `.min`/`.max` on another type, or a value that does not
parse as the field's type is 422 naming the parameter.
"""


def phone_numbers(value: str) -> list[str]:
    """The E.164 numbers a phone filter names, read by the write path's normaliser: with `+` and a country
    code, the one number; without, a national number of any country where it can be one (the lead's country
    is not known before the lead is found)."""
    if value.lstrip().startswith("+"):
        return [phone(value, None)]
    found = set()
    for region in _REGIONS:
        try:
            found.add(phone(value, region))
        except InvalidValueError:
            continue
    if not found:
        message = "must be a phone number, international (+15552345678) or national"
        raise InvalidValueError("invalid_phone", message)
    return sorted(found)


def custom_filters(
    query: Mapping[str, list[str]], fields: Mapping[str, str], found: Problems
) -> tuple[dict[str, Any] | None, list[CustomRange] | None]:
    """The containment object and the ranges of the query's `custom.*` parameters; `fields` maps each of the
    account's custom-field keys to its type. Every bad parameter is recorded in `found`."""
    equal: dict[str, Any] = {}
    bounds: dict[str, dict[str, Any]] = {}
    for name, values in sorted(query.items()):
        key, _, bound = name.removeprefix(PREFIX).partition(".")
        kind = fields.get(key)
        if kind is None or bound not in ("", "min", "max"):
            found.add(name[:100], "unknown_field", "is not a custom field of this account, nor its .min or .max")
        elif bound and kind not in RANGE_KINDS:
            message = f"{PREFIX}{key} is a {kind} field: .min and .max are for number, date and datetime fields"
            found.add(name, "unknown_field", message)
        elif len(values) != 1:
            found.add(name, "invalid", "must be given once")
        elif (value := found.run(name, _check, kind, values[0])) is not None:
            if bound:
                bounds.setdefault(key, {})[bound] = value
            else:
                equal[key] = [value] if kind == "multi_choice" else _json(value)
    ranges = [CustomRange(key, fields[key], each.get("min"), each.get("max")) for key, each in bounds.items()]
    return equal or None, ranges or None


def custom_parameters(names: Iterable[str]) -> list[str]:
    return [name for name in names if name.startswith(PREFIX)]


def _check(kind: str, value: str) -> Any:
    return _PARSERS[kind](text(value, MAX_VALUE))


def _number(value: str) -> Decimal:
    try:
        number = Decimal(value) if _NUMBER.match(value) else None
    except InvalidOperation:
        number = None
    if number is None or not math.isfinite(float(number)):
        raise InvalidValueError("invalid", "must be a number such as 42, -3.5 or 1e6")
    return number


def _boolean(value: str) -> bool:
    if value not in ("true", "false"):
        raise InvalidValueError("invalid", "must be true or false")
    return value == "true"


def _datetime(value: str) -> str:
    return utc_text(field_checks.instant(value))


def _choice(value: str) -> str:
    return text(value, 255)


def _json(value: Any) -> Any:
    """A parsed value as JSON compares it with the stored one: numbers as int or float, as msgspec decodes them."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


_PARSERS: dict[str, Callable[[str], Any]] = {
    "text": lambda value: value,
    "number": _number,
    "boolean": _boolean,
    "date": calendar_date,
    "datetime": _datetime,
    "choice": _choice,
    "multi_choice": _choice,
}
