"""Checks of single JSON values against the Lead table's formats: each returns the cleaned value or raises."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit
from uuid import UUID

import phonenumbers
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from leadstore.domain.characters import character_problem
from leadstore.domain.errors import FieldError, ValidationFailed

# libphonenumber's regions are ISO 3166-1 alpha-2 codes except these three (Ascension, Tristan da Cunha
# and Kosovo are not officially assigned), and it lacks the uninhabited territories that have no phones.
_NOT_ISO = frozenset({"AC", "TA", "XK"})
_WITHOUT_PHONES = frozenset({"AQ", "BV", "GS", "HM", "PN", "TF", "UM"})
ISO_COUNTRIES = frozenset((phonenumbers.SUPPORTED_REGIONS - _NOT_ISO) | _WITHOUT_PHONES)

UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
_UUID = re.compile(UUID_PATTERN)
_URL_SCHEMES = frozenset({"http", "https"})
# A date, or an RFC 3339 timestamp (seconds optional, at most microseconds; no offset: UTC). Matched whole
# before fromisoformat, which takes week dates, basic forms and more; the OpenAPI document states it.
INSTANT_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[Tt ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})?)?$"
)
_INSTANT = re.compile(INSTANT_PATTERN)
_DATE_LENGTH = len("2026-11-21")
EMAIL_MAX_LENGTH = 255
URL_MAX_LENGTH = 2048
_ATOM = r"[A-Za-z0-9_!#$%&'*+/=?^`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
PLAIN_EMAIL = re.compile(rf"\A{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+(?:[A-Za-z0-9][A-Za-z0-9-]{{0,61}})?[A-Za-z]\Z")
_SPECIAL_USE = frozenset(SPECIAL_USE_DOMAIN_NAMES)
_SPECIAL_USE_SUFFIXES = tuple(f".{name}" for name in SPECIAL_USE_DOMAIN_NAMES)
_PHONE_MESSAGE = "must be a phone number in international format (+15552345678) or national to the lead's country"


T = TypeVar("T")


class InvalidValueError(Exception):
    """One bad value: a stable field-error code and a message for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Problems:
    """The field errors of one request, collected so that every bad field is listed at once."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, field: str, code: str, message: str) -> None:
        self.errors.append(FieldError(field, code, message))

    def run(self, field: str, check: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """The result of `check(*args, **kwargs)`, or None after recording its failure under `field`."""
        try:
            return check(*args, **kwargs)
        except InvalidValueError as exc:
            self.add(field, exc.code, exc.message)
            return None


def text(value: Any, max_len: int, *, multiline: bool = False) -> str:
    """A string of at most `max_len` characters with no control character (tab and line breaks allowed when
    `multiline`), no bidi control, and a visible character unless it is empty."""
    if not isinstance(value, str):
        raise InvalidValueError("invalid_type", "must be a string")
    if len(value) > max_len:
        raise InvalidValueError("too_long", f"must be at most {max_len} characters")
    return characters(value, multiline=multiline)


def characters(value: str, *, multiline: bool = False) -> str:
    """`value` when its characters are allowed in a text field (see `leadstore.domain.characters`)."""
    problem = character_problem(value, multiline=multiline)
    if problem is not None:
        raise InvalidValueError(*problem)
    return value


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidValueError("invalid_type", "must be true or false")
    return value


def integer(value: Any, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidValueError("invalid_type", "must be an integer")
    if not low <= value <= high:
        raise InvalidValueError("out_of_range", f"must be between {low} and {high}")
    return value


def choice(value: Any, choices: tuple[str, ...] | list[str]) -> str:
    key = text(value, 255)
    if key not in choices:
        raise InvalidValueError("invalid_choice", f"must be one of {', '.join(choices)}")
    return key


def email(value: Any) -> str:
    """A syntactically valid address, stored as sent (uniqueness compares it lower-cased)."""
    address = text(value, EMAIL_MAX_LENGTH)
    if plainly_valid_email(address):
        return address
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidValueError("invalid_email", str(exc)) from None
    return address


def plainly_valid_email(address: str) -> bool:
    """True for the everyday address (ASCII dot-atom local part, plain host name) that the full check,
    which costs a quarter of a create's time in the interpreter, would accept too; False means "ask it"."""
    if len(address) > 254 or not PLAIN_EMAIL.match(address):
        return False
    local, _, domain = address.rpartition("@")
    if len(local) > 64 or len(domain) > 253 or "--" in domain:
        return False
    top = domain.rpartition(".")[2].lower()
    return top not in _SPECIAL_USE and not domain.lower().endswith(_SPECIAL_USE_SUFFIXES)


def phone(value: Any, region: str | None) -> str:
    """The number in E.164; a number without `+` is read as national to `region`."""
    raw = text(value, 255)
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise InvalidValueError("invalid_phone", _PHONE_MESSAGE) from None
    if not phonenumbers.is_possible_number(number):
        raise InvalidValueError("invalid_phone", _PHONE_MESSAGE)
    if number.extension:
        # E.164 has no extensions: refuse rather than silently drop part of what was sent.
        raise InvalidValueError("invalid_phone", "extensions cannot be stored: send the number alone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def country(value: Any) -> str:
    """An ISO 3166-1 alpha-2 code in any case, returned upper-case."""
    code = text(value, 255)
    if not code.isascii() or code.upper() not in ISO_COUNTRIES:
        raise InvalidValueError("invalid_country", "must be an ISO 3166-1 alpha-2 country code such as US or DE")
    return code.upper()


def url(value: Any) -> str:
    """An absolute http(s) URL with a host, stored as sent."""
    address = text(value, URL_MAX_LENGTH)
    message = "must be an absolute http or https URL"
    if any(c.isspace() or not c.isprintable() for c in address):
        raise InvalidValueError("invalid_url", message)
    try:
        parts = urlsplit(address)
        host, _port = parts.hostname, parts.port
    except ValueError:
        raise InvalidValueError("invalid_url", message) from None
    if parts.scheme.lower() not in _URL_SCHEMES or not host:
        raise InvalidValueError("invalid_url", message)
    return address


def uuid(value: Any) -> UUID:
    """A UUID in its canonical 8-4-4-4-12 hexadecimal form."""
    if not isinstance(value, str):
        raise InvalidValueError("invalid_type", "must be a UUID string")
    if not _UUID.fullmatch(value):
        raise InvalidValueError("invalid", "must be a UUID such as 0192f1c4-6c1e-7a3b-9c1d-2f3e4a5b6c7d")
    return UUID(value)


def customer_id(value: Any) -> str:
    """An external customer reference: 1..255 characters."""
    reference = text(value, 255)
    if not reference:
        raise InvalidValueError("invalid", "must not be empty")
    return reference


def checked(field: str, check: Callable[..., T], *args: Any) -> T:
    """`check(*args)`, its failure raised as a ValidationFailed naming `field`."""
    try:
        return check(*args)
    except InvalidValueError as exc:
        raise ValidationFailed([FieldError(field, exc.code, exc.message)]) from None


def instant(text: str) -> datetime:
    """A date (`YYYY-MM-DD`, midnight UTC) or an RFC 3339 timestamp (no offset: UTC), as an aware datetime."""
    try:
        if not _INSTANT.fullmatch(text):
            raise ValueError(text)
        if len(text) == _DATE_LENGTH:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        value = datetime.fromisoformat(text.upper())  # RFC 3339 allows `t` and `z`; fromisoformat does not
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    except (ValueError, OverflowError):  # OverflowError: an offset that moves it past year 1 or 9999
        message = "must be a date YYYY-MM-DD or a timestamp such as 2026-11-21T10:30:00Z"
        raise InvalidValueError("invalid", message) from None
