"""A lead's `custom` object, checked against the account's custom-field definitions."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from leadstore.domain.field_checks import InvalidValueError, Problems, boolean, choice, text
from leadstore.domain.rules import CustomFieldRule

_DATE = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
# Beyond 2**53 - 1 not every integer is a float64, so JavaScript and many JSON parsers would read a stored value
# back as another number; a float that large is a whole number too (PostgreSQL writes it back as digits).
MAX_SAFE_NUMBER = 2**53 - 1
# RFC 3339 date-time: a full time, an optional fraction and a zone (`Z` or an offset); `t`, `z` and a space
# for the `T` are allowed by its grammar and section 5.6's note.
_RFC3339 = re.compile(
    r"\A([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ]([0-9]{2}:[0-9]{2}:[0-9]{2})(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})\Z"
)


def check_custom(
    value: Any, rules: Sequence[CustomFieldRule], problems: Problems, base: Mapping[str, Any]
) -> dict[str, Any]:
    """`base` with `value` merged in key by key (a null member removes its key); bad members are recorded."""
    if not isinstance(value, dict):
        raise InvalidValueError("invalid_type", "must be an object")
    by_key = {rule.key: rule for rule in rules}
    merged = dict(base)
    for key, member in value.items():
        path = f"custom.{key}"
        rule = by_key.get(key)
        if rule is None:
            problems.add(path, "unknown_field", "is not one of the account's custom fields")
        elif member is None:
            merged.pop(key, None)
        else:
            merged[key] = problems.run(path, _CHECKS[rule.type], member, rule)
    return merged


def check_required(value: Any, rules: Sequence[CustomFieldRule], problems: Problems) -> None:
    """Record every required custom field that `value` (the body's `custom`) lacks or sets to null."""
    present = value if isinstance(value, dict) else {}
    for rule in rules:
        if rule.required and present.get(rule.key) is None:
            problems.add(f"custom.{rule.key}", "required", "is a required custom field")


def _text(value: Any, rule: CustomFieldRule) -> str:
    return text(value, 10_000, multiline=True)  # a text field is free text, as notes are


def _number(value: Any, rule: CustomFieldRule) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidValueError("invalid_type", "must be a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidValueError("invalid", "must be a finite number")
    if not -MAX_SAFE_NUMBER <= value <= MAX_SAFE_NUMBER:
        raise InvalidValueError("out_of_range", f"must be between -{MAX_SAFE_NUMBER} and {MAX_SAFE_NUMBER}")
    return value


def _boolean(value: Any, rule: CustomFieldRule) -> bool:
    return boolean(value)


def _date(value: Any, rule: CustomFieldRule) -> str:
    return calendar_date(text(value, 10))


def calendar_date(day: str) -> str:
    """`day` when it is a real date written `YYYY-MM-DD`, as a date field holds it."""
    try:
        if not _DATE.match(day):
            raise ValueError(day)
        date.fromisoformat(day)
    except ValueError:
        raise InvalidValueError("invalid", "must be a real date written YYYY-MM-DD") from None
    return day


def _datetime(value: Any, rule: CustomFieldRule) -> str:
    return rfc3339(text(value, 64))


def rfc3339(stamp: str) -> str:
    """An RFC 3339 timestamp with a zone, as the lead document writes its own: UTC, milliseconds, `Z`
    (`2026-11-21T10:30:00.123Z`); finer fractions are truncated. Stored this way, values order as text."""
    match = _RFC3339.match(stamp)
    message = "must be an RFC 3339 timestamp with a time zone, such as 2026-11-21T10:30:00Z"
    if match is None:
        raise InvalidValueError("invalid", message)
    day, clock, fraction, zone = match.groups()
    micros = (fraction or ".")[1:7].ljust(6, "0")
    try:
        moment = datetime.fromisoformat(f"{day}T{clock}.{micros}{'+00:00' if zone in 'Zz' else zone}")
        return utc_text(moment)
    except (ValueError, OverflowError):  # no such day or time, or an offset that moves it out of years 1-9999
        raise InvalidValueError("invalid", message) from None


def utc_text(moment: datetime) -> str:
    """`moment` (aware) as a custom datetime value: UTC, milliseconds, `Z`, the year in four digits."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _choice(value: Any, rule: CustomFieldRule) -> str:
    return choice(value, rule.choices)


def _multi_choice(value: Any, rule: CustomFieldRule) -> list[str]:
    if not isinstance(value, list):
        raise InvalidValueError("invalid_type", "must be a list of choices")
    picked = [choice(item, rule.choices) for item in value]
    if len(set(picked)) != len(picked):
        raise InvalidValueError("invalid", "must not list a choice twice")
    return picked


_CHECKS: dict[str, Callable[[Any, CustomFieldRule], Any]] = {
    "text": _text,
    "number": _number,
    "boolean": _boolean,
    "date": _date,
    "datetime": _datetime,
    "choice": _choice,
    "multi_choice": _multi_choice,
}
