"""Import columns: every spelling users bring maps to its field; unknown columns are named, never dropped."""

from __future__ import annotations

import pytest

from leadstore.imports.columns import ALIASES, FIELDS, Column, UnknownColumns, field_of, resolve

CUSTOM = ["industry", "customer_no"]


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("first_name", "first_name"),
        ("firstName", "first_name"),
        ("FirstName", "first_name"),
        ("First Name", "first_name"),
        ("FIRST-NAME", "first_name"),
        ("lastName", "last_name"),
        ("Email Address", "email"),
        ("leadSource", "source"),
        ("lead_source_id", "source"),
        ("phone_number", "phone"),
        ("phoneNumber", "phone"),
        ("assigned_user_id", "assigned_to"),
        ("assignedTo", "assigned_to"),
        ("teamId", "team_id"),
        ("company_name", "company"),
        ("jobTitle", "title"),
        ("mailingCity", "mailing_address.city"),
        ("mailingStreet", "mailing_address.street"),
        ("mailing_address.postal_code", "mailing_address.postal_code"),
        ("zip", "mailing_address.postal_code"),
        ("mailingCountry", "mailing_address.country"),
        ("country", "country"),
        ("do_not_call", "do_not_call"),
        ("email_opt_out", "email_opt_out"),
        ("preferred_contact", "preferred_contact"),
        ("source_page_url", "source_page_url"),
        ("marketing_attribution", "marketing_attribution"),
        ("lead_status_id", "status"),
        ("custom.industry", "custom.industry"),
        ("custom_industry", "custom.industry"),
        ("custom.Industry", "custom.industry"),
        ("industry", "custom.industry"),
        ("Customer No", "custom.customer_no"),
        ("custom.unknown_key", "custom.unknown_key"),
    ],
)
def test_a_spelling_maps_to_its_field(header: str, field: str) -> None:
    assert field_of(header, CUSTOM) == field


def test_every_field_is_its_own_spelling_and_no_alias_names_two_fields() -> None:
    assert all(field_of(field) == field for field in FIELDS)
    assert all(field_of(alias) == field for field, aliases in ALIASES.items() for alias in aliases)


def test_unknown_columns_are_listed_each_with_its_name() -> None:
    with pytest.raises(UnknownColumns) as raised:
        resolve(["email", "Shoe size", "createdAt"], custom_keys=CUSTOM)
    assert [(name, code) for name, code, _ in raised.value.problems] == [
        ("Shoe size", "unknown_column"),
        ("createdAt", "unknown_column"),
    ]


def test_a_mapping_names_fields_ignores_columns_and_wins_over_spellings() -> None:
    columns = resolve(
        ["E-mail", "Shoe size", "email", "Kundennummer"],
        {"Shoe size": None, "email": None, "Kundennummer": "custom.customer_no"},
        CUSTOM,
    )
    assert columns == [
        Column("E-mail", "email"),
        Column("Shoe size", None),
        Column("email", None),
        Column("Kundennummer", "custom.customer_no"),
    ]


def test_a_mapping_to_no_field_and_a_field_filled_twice_are_refused() -> None:
    with pytest.raises(UnknownColumns) as raised:
        resolve(["a", "email", "E-mail", "x"], {"a": "shoe_size", "x": "custom.nope"}, CUSTOM)
    assert [(name, code) for name, code, _ in raised.value.problems] == [
        ("a", "unknown_field"),
        ("x", "unknown_field"),
        ("E-mail", "duplicate_column"),
    ]
