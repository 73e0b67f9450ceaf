"""A lead's `custom` object, checked against the account's custom-field definitions."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from leadstore.domain.field_checks import InvalidValueError, Problems, boolean, choice, text
from leadstore.domain.rules import CustomFieldRule

_DATE = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


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
    return text(value, 10_000)


def _number(value: Any, rule: CustomFieldRule) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidValueError("invalid_type", "must be a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidValueError("invalid", "must be a finite number")
    return value


def _boolean(value: Any, rule: CustomFieldRule) -> bool:
    return boolean(value)


def _date(value: Any, rule: CustomFieldRule) -> str:
    day = text(value, 10)
    try:
        if not _DATE.match(day):
            raise ValueError(day)
        date.fromisoformat(day)
    except ValueError:
        raise InvalidValueError("invalid", "must be a real date written YYYY-MM-DD") from None
    return day


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
    "choice": _choice,
    "multi_choice": _multi_choice,
}
