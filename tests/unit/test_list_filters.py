"""The list's phone and custom-field filters: parsed from the query, composed into SQL from fixed fragments."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from leadstore.domain.field_checks import InvalidValueError, Problems
from leadstore.http.errors import status_of
from leadstore.http.list_filters import custom_filters, phone_numbers
from leadstore.store.lead_list.query import FILTERS, IN_RANGE, Cursor, CustomRange, LeadFilter, ListRebuilding, list_sql

FIELDS = {"budget": "number", "renewal": "date", "seen": "datetime", "tags": "multi_choice", "vip": "boolean"}


def parsed(**query: str) -> tuple[Any, Any, set[tuple[str, str]]]:
    found = Problems()
    contains, ranges = custom_filters({k: [v] for k, v in query.items()}, FIELDS, found)
    return contains, ranges, {(e.field, e.code) for e in found.errors}


def test_equalities_become_one_containment_and_bounds_one_range_per_field() -> None:
    contains, ranges, errors = parsed(
        **{"custom.budget": "12.50", "custom.tags": "vip", "custom.vip": "false", "custom.renewal.min": "2026-01-01"},
        **{"custom.seen.min": "2026-11-21T12:30:00+02:00", "custom.seen.max": "2026-12-01", "custom.budget.max": "1e3"},
    )
    assert errors == set()
    assert contains == {"budget": 12.5, "tags": ["vip"], "vip": False}
    assert ranges == [
        CustomRange("budget", "number", None, Decimal("1e3")),
        CustomRange("renewal", "date", "2026-01-01", None),
        CustomRange("seen", "datetime", "2026-11-21T10:30:00.000Z", "2026-12-01T00:00:00.000Z"),
    ]


@pytest.mark.parametrize("number", ["1", "-0", "0.5", "1e6", "-2.5E-3", "123456789012345678901234567890"])
def test_numbers_are_read_as_json_writes_them(number: str) -> None:
    assert parsed(**{"custom.budget.min": number})[1] == [CustomRange("budget", "number", Decimal(number))]


@pytest.mark.parametrize("number", ["01", "1.", ".5", "+1", "1_000", "NaN", "Infinity", "0x10", "1e400", " 1"])
def test_other_numbers_are_refused(number: str) -> None:
    assert parsed(**{"custom.budget": number})[2] == {("custom.budget", "invalid")}


def test_phone_with_a_country_code_is_one_number_and_a_national_one_is_each_country_reading() -> None:
    assert phone_numbers("+1 (555) 234-5678") == ["+15552345678"]
    national = phone_numbers("(555) 234-5678")
    assert "+15552345678" in national and all(number.startswith("+") for number in national)
    assert "+49301234567" in phone_numbers("030 1234567")
    for bad in ("nonsense", "+1", "+1 555 234 5678 ext. 9"):
        with pytest.raises(InvalidValueError):
            phone_numbers(bad)


def test_custom_filters_keep_keys_and_values_out_of_the_sql() -> None:
    evil = "'; DROP TABLE events; --"
    ranges = [CustomRange(evil, "number", Decimal(1), Decimal(2)), CustomRange("d", "date", "2026-01-01", None)]
    filters = LeadFilter(phones=[evil], custom={evil: evil}, custom_ranges=ranges)
    sql, args = list_sql(filters, "-score", Cursor("-score", 9, UUID(int=4)), 50)
    assert evil not in sql and [evil] in args and {evil: evil} in args and evil in args and "2026" not in sql
    in_range = re.escape(IN_RANGE).replace(r"\{buckets\}", r"\$\d+")
    assert len(re.findall(in_range.replace(r"\{exact\}", ".+?"), sql)) == 2
    assert FILTERS["phones"].format(f"${args.index([evil]) + 1}") in sql


def test_a_list_being_rebuilt_is_unavailable_for_a_while() -> None:
    assert status_of(ListRebuilding("x")) == 503
