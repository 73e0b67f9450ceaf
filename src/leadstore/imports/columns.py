"""Which lead field a file's column fills: the one table of column spellings an import understands.

Headers are compared without case, spaces, dots, dashes or underscores, so `first_name`, `firstName`,
`FirstName` and `First Name` are one spelling. The table holds the lead's own field names and the spellings
of the CRMs users come from (the seed APIs: StateSet's `leadSource` and `mailingCity`, Flextell's
`phone_number` and `assigned_user_id`, Close's `custom.KEY`, ...). A custom field is named `custom.KEY`,
`custom_KEY` or, when no lead field has that name, just `KEY`. An explicit mapping wins over all of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import msgspec

CUSTOM_PREFIX = "custom."
ADDRESS_PREFIX = "mailing_address."
ADDRESS_PARTS = ("street", "city", "state", "postal_code", "country")

# field -> the spellings (besides the field's own name) that fill it
ALIASES: dict[str, tuple[str, ...]] = {
    "first_name": ("first", "given_name", "fname", "forename"),
    "last_name": ("last", "surname", "family_name", "lname"),
    "email": ("email_address", "e_mail", "mail", "primary_email", "email1"),
    "phone": ("phone_number", "telephone", "tel", "phone1", "primary_phone", "mobile", "mobile_phone"),
    "title": ("job_title", "position", "role_title"),
    "department": ("dept", "division"),
    "company": ("company_name", "organization", "organisation", "organization_name", "account_name", "employer"),
    "company_id": ("company_ref", "external_company_id"),
    "source": ("lead_source", "lead_source_id", "reference_source", "lead_reference_source"),
    "status": ("lead_status", "status_id", "lead_status_id"),
    "score": ("lead_score", "rating_score"),
    "description": ("details",),
    "notes": ("note", "comments"),
    "message": ("message_body",),
    "preferred_contact": ("preferred_contact_method", "contact_preference"),
    "source_page_url": ("page_url", "landing_page", "landing_page_url", "source_url"),
    "marketing_attribution": ("attribution", "utm"),
    "country": ("country_code", "country_id"),
    "do_not_call": ("dnc",),
    "email_opt_out": ("unsubscribed", "opted_out"),
    "team_id": ("team",),
    "assigned_to": ("assigned_user_id", "assigned_user", "assignee", "assignee_id", "owner", "owner_id"),
    "mailing_address.street": ("mailing_street", "street", "address", "street_address", "address1"),
    "mailing_address.city": ("mailing_city", "city", "town"),
    "mailing_address.state": ("mailing_state", "state", "province", "region"),
    "mailing_address.postal_code": ("mailing_postal_code", "postal_code", "zip", "zip_code", "postcode"),
    "mailing_address.country": ("mailing_country",),
}
FIELDS = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "title",
    "department",
    "company",
    "company_id",
    "source",
    "status",
    "score",
    "description",
    "notes",
    "message",
    "preferred_contact",
    "source_page_url",
    "marketing_attribution",
    "country",
    "do_not_call",
    "email_opt_out",
    "team_id",
    "assigned_to",
] + [ADDRESS_PREFIX + part for part in ADDRESS_PARTS]
_IGNORED = re.compile(r"[\s._\-]+")


class Column(msgspec.Struct, frozen=True):
    """One column of the file and the field it fills (`custom.KEY` for a custom field; None: ignored)."""

    name: str
    field: str | None


class UnknownColumns(Exception):
    """Columns that fill no field, or several columns that fill one: the problems, by column."""

    def __init__(self, problems: list[tuple[str, str, str]]) -> None:
        super().__init__(", ".join(name for name, _, _ in problems))
        self.problems = problems  # (column, code, message)


def spelling(header: str) -> str:
    """A header as the table compares it: lower case, without spaces, dots, dashes and underscores."""
    return _IGNORED.sub("", header.strip().lower())


_BY_SPELLING: dict[str, str] = {}
for _field in FIELDS:
    for _name in (_field, *ALIASES.get(_field, ())):
        assert _BY_SPELLING.get(spelling(_name), _field) == _field, f"{_name} is spelled like another field's"
        _BY_SPELLING[spelling(_name)] = _field


def field_of(header: str, custom_keys: Iterable[str] = ()) -> str | None:
    """The field a column fills by its header alone, or None when nothing is spelled like it."""
    name = header.strip()
    lowered = name.lower()
    for prefix in ("custom.", "custom_"):
        if lowered.startswith(prefix) and len(name) > len(prefix):
            return CUSTOM_PREFIX + (_custom(name[len(prefix) :], custom_keys) or name[len(prefix) :])
    found = _BY_SPELLING.get(spelling(name))
    if found is not None:
        return found
    custom = _custom(name, custom_keys)
    return None if custom is None else CUSTOM_PREFIX + custom


def _custom(name: str, custom_keys: Iterable[str]) -> str | None:
    """The custom-field key that `name` spells, if any (keys are compared as headers are)."""
    wanted = spelling(name)
    return next((key for key in custom_keys if spelling(key) == wanted), None)


def resolve(
    headers: list[str], mapping: Mapping[str, str | None] | None = None, custom_keys: Iterable[str] = ()
) -> list[Column]:
    """Each header's field: from `mapping` (column -> field, null to ignore the column), else by spelling.
    UnknownColumns lists every column that fills no field and every field filled twice."""
    keys = list(custom_keys)
    mapping = mapping or {}
    problems: list[tuple[str, str, str]] = []
    columns: list[Column] = []
    for header in headers:
        if header in mapping:
            target = mapping[header]
            field = None if target is None else field_of(target, keys) or (target if target in FIELDS else None)
            if target is not None and field is None:
                problems.append((header, "unknown_field", f"is mapped to {target!r}, which is not a field of a lead"))
        else:
            field = field_of(header, keys)
            if field is None:
                problems.append((header, "unknown_column", _UNKNOWN))
        if field is not None and field.startswith(CUSTOM_PREFIX) and field[len(CUSTOM_PREFIX) :] not in keys:
            problems.append((header, "unknown_field", f"{field} is not one of the account's custom fields"))
        columns.append(Column(header, field))
    problems += _twice(columns)
    if problems:
        raise UnknownColumns(problems)
    return columns


def _twice(columns: list[Column]) -> list[tuple[str, str, str]]:
    seen: dict[str, str] = {}
    problems = []
    for column in columns:
        if column.field is None:
            continue
        if column.field in seen:
            message = f"fills {column.field}, as column {seen[column.field]!r} does: map one of them to null"
            problems.append((column.name, "duplicate_column", message))
        else:
            seen[column.field] = column.name
    return problems


_UNKNOWN = "fills no lead field: rename it, map it with `mapping` ({column: field}), or map it to null to ignore it"
