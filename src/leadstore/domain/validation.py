"""The Lead table's rules for request bodies: clean a body, or list every bad field at once."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

import msgspec

from leadstore.domain import field_checks as check
from leadstore.domain.characters import is_visible
from leadstore.domain.custom_fields import check_custom, check_required
from leadstore.domain.errors import ValidationFailed
from leadstore.domain.events import MailingAddress
from leadstore.domain.field_checks import InvalidValueError, Problems
from leadstore.domain.lead_rules import known_status, known_user, status_kind
from leadstore.domain.rules import Rules
from leadstore.domain.state import Lead

IDENTITY = ("first_name", "last_name", "email", "phone", "company", "company_id")
CUSTOM_PREFIX = "custom."  # Close's spelling: a top-level `custom.<key>` member sets custom[<key>]
TEXT_LIMITS = {
    **dict.fromkeys(("first_name", "last_name", "title", "department", "company"), 255),
    "company_id": 64,
    **dict.fromkeys(("description", "notes", "message"), 10_000),
}
# Free text that may run over several lines (tab, newline and carriage return allowed); the rest is one line.
MULTI_LINE = frozenset({"description", "notes", "message", "mailing_address.street"})
# The bounds of a lead's fields, which the OpenAPI schema of request bodies is derived from.
MAX_LENGTH = TEXT_LIMITS | {"email": check.EMAIL_MAX_LENGTH, "source_page_url": check.URL_MAX_LENGTH}
SCORE_RANGE = (0, 100)
MAX_ATTRIBUTION = 50
ATTRIBUTION_MAX_LENGTH = 255
PreferredContact = Literal["email", "phone", "sms", "any"]
CONTACT_CHOICES: tuple[str, ...] = get_args(PreferredContact)


@dataclass(frozen=True)
class _Context:
    rules: Rules
    partial: bool
    current: Lead | None
    region: str | None
    problems: Problems


def validate_fields(
    raw: Mapping[str, Any], rules: Rules, *, partial: bool, current: Lead | None = None
) -> dict[str, Any]:
    """The cleaned body; for a merge patch (`partial`), the new value of every key the patch names."""
    raw = _folded_custom(raw)
    ctx = _Context(rules, partial, current, _region(raw, current), Problems())
    cleaned: dict[str, Any] = {}
    for key, value in raw.items():
        try:
            cleaned[key] = _clean(key, value, ctx)
        except InvalidValueError as exc:
            ctx.problems.add(str(key), exc.code, exc.message)
    _check_identity(raw, ctx)
    custom = raw.get("custom")
    if not partial and (custom is None or isinstance(custom, dict)):
        check_required(custom, rules.custom_fields, ctx.problems)
    if partial and current is not None and "custom" in cleaned:
        _check_not_cleared(current.custom, cleaned["custom"], rules, ctx.problems)
    if ctx.problems.errors:
        raise ValidationFailed(ctx.problems.errors)
    return cleaned


def _folded_custom(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    """`raw` with its `custom.<key>` members moved into `custom` (they win over the same key in `custom`)."""
    dotted = {key[len(CUSTOM_PREFIX) :]: value for key, value in raw.items() if key.startswith(CUSTOM_PREFIX)}
    custom = raw.get("custom")
    if not dotted or not (custom is None or isinstance(custom, dict)):
        return raw  # a `custom` of the wrong type keeps its own error
    folded = {key: value for key, value in raw.items() if not key.startswith(CUSTOM_PREFIX)}
    folded["custom"] = (custom or {}) | dotted
    return folded


def _check_not_cleared(before: Mapping[str, Any], after: Mapping[str, Any], rules: Rules, problems: Problems) -> None:
    for rule in rules.custom_fields:
        if rule.required and before.get(rule.key) is not None and after.get(rule.key) is None:
            problems.add(f"custom.{rule.key}", "required", "is a required custom field and cannot be cleared")


def _clean(key: str, value: Any, ctx: _Context) -> Any:
    if key in READ_ONLY:
        raise InvalidValueError("read_only", "is set by the server and cannot be written")
    handler = _HANDLERS.get(key)
    if handler is None:
        raise InvalidValueError("unknown_field", "is not a field of a lead")
    if value is None:
        return _null_value(key)
    return handler(value, ctx)


def _null_value(key: str) -> Any:
    """What null means for a key: the field's default where it has one, else None."""
    defaults: dict[str, Any] = {"score": 0, "do_not_call": False, "email_opt_out": False}
    defaults |= {"marketing_attribution": [], "custom": {}}
    return defaults.get(key)


def _region(raw: Mapping[str, Any], current: Lead | None) -> str | None:
    """The country a national phone number is read in: the body's, else its address's, else the lead's."""
    address = raw.get("mailing_address")
    candidates = [raw.get("country"), address.get("country") if isinstance(address, dict) else None]
    if current is not None:
        candidates.append(current.country)
        candidates.append(current.mailing_address.country if current.mailing_address else None)
    for candidate in candidates:
        try:
            return check.country(candidate)
        except InvalidValueError:
            continue
    return None


def _check_identity(raw: Mapping[str, Any], ctx: _Context) -> None:
    def has(key: str) -> bool:
        # Only a visible character identifies someone; a value of the wrong type already has its own error.
        value = raw[key] if key in raw else getattr(ctx.current, key, None)
        return value is not None and not (isinstance(value, str) and not is_visible(value))

    if not any(has(key) for key in IDENTITY):
        message = "at least one of first_name, last_name, email, phone, company or company_id is required"
        ctx.problems.add("first_name", "required", message)


def _text(max_len: int, multiline: bool) -> Callable[[Any, _Context], str]:
    def handle(value: Any, ctx: _Context) -> str:
        return check.text(value, max_len, multiline=multiline)

    return handle


def _status(value: Any, ctx: _Context) -> str:
    key = known_status(check.text(value, 255), ctx.rules)
    if status_kind(ctx.rules, key) != "open":
        raise InvalidValueError("invalid_status", "a new lead starts in an open status")
    return key


def _source(value: Any, ctx: _Context) -> str:
    key = check.text(value, 255)
    keys = [source.key for source in ctx.rules.sources]
    if key not in keys:
        raise InvalidValueError("unknown_source", f"must be one of {', '.join(keys)}")
    return key


def _team(value: Any, ctx: _Context) -> Any:
    team_id = check.uuid(value)
    if team_id not in {team.id for team in ctx.rules.teams}:
        raise InvalidValueError("unknown_team", "is not a team of this account")
    return team_id


def _user(value: Any, ctx: _Context) -> Any:
    return known_user(check.uuid(value), ctx.rules)


def _attribution(value: Any, ctx: _Context) -> list[str]:
    if not isinstance(value, list):
        raise InvalidValueError("invalid_type", "must be a list of strings")
    if len(value) > MAX_ATTRIBUTION:
        raise InvalidValueError("too_many", f"must hold at most {MAX_ATTRIBUTION} items")
    problems = ctx.problems
    return [
        problems.run(f"marketing_attribution[{i}]", check.text, item, ATTRIBUTION_MAX_LENGTH)
        for i, item in enumerate(value)
    ]


def _address(value: Any, ctx: _Context) -> MailingAddress:
    if not isinstance(value, dict):
        raise InvalidValueError("invalid_type", "must be an object")
    previous = ctx.current.mailing_address if ctx.partial and ctx.current else None
    merged: dict[str, Any] = msgspec.to_builtins(previous) if previous else {}
    for key, member in value.items():
        path = f"mailing_address.{key}"
        if key not in MailingAddress.__struct_fields__:
            ctx.problems.add(path, "unknown_field", "is not a part of a mailing address")
        elif member is None:
            merged.pop(key, None)
        else:
            merged[key] = ctx.problems.run(path, _address_part, key, member)
    return MailingAddress(**merged)


def _address_part(key: str, value: Any) -> str:
    if key == "country":
        return check.country(value)
    return check.text(value, 255, multiline=f"mailing_address.{key}" in MULTI_LINE)


def _custom(value: Any, ctx: _Context) -> dict[str, Any]:
    base = ctx.current.custom if ctx.partial and ctx.current else {}
    return check_custom(value, ctx.rules.custom_fields, ctx.problems, base)


_HANDLERS: dict[str, Callable[[Any, _Context], Any]] = {
    **{key: _text(max_len, key in MULTI_LINE) for key, max_len in TEXT_LIMITS.items()},
    "email": lambda value, ctx: check.email(value),
    "phone": lambda value, ctx: check.phone(value, ctx.region),
    "source": _source,
    "status": _status,
    "score": lambda value, ctx: check.integer(value, *SCORE_RANGE),
    "preferred_contact": lambda value, ctx: check.choice(value, CONTACT_CHOICES),
    "source_page_url": lambda value, ctx: check.url(value),
    "marketing_attribution": _attribution,
    "mailing_address": _address,
    "country": lambda value, ctx: check.country(value),
    "do_not_call": lambda value, ctx: check.boolean(value),
    "email_opt_out": lambda value, ctx: check.boolean(value),
    "custom": _custom,
    "team_id": _team,
    "assigned_to": _user,
}
# The lead's state that only its events set (its id, version, conversion, ...): refused as read-only.
READ_ONLY = frozenset(Lead.__struct_fields__) - _HANDLERS.keys()
