"""Custom-field values checked by type: the `datetime` type (RFC 3339 with a zone, stored in UTC)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadstore.domain.custom_fields import check_custom
from leadstore.domain.field_checks import Problems
from leadstore.domain.rules import CustomFieldRule

RULES = [CustomFieldRule("last_contacted", "datetime")]


def stored(value: Any) -> Any:
    problems = Problems()
    cleaned = check_custom({"last_contacted": value}, RULES, problems, {})
    assert problems.errors == []
    return cleaned["last_contacted"]


def error_of(value: Any) -> tuple[str, str]:
    problems = Problems()
    check_custom({"last_contacted": value}, RULES, problems, {})
    assert len(problems.errors) == 1
    return problems.errors[0].field, problems.errors[0].code


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("2026-11-21T10:30:00Z", "2026-11-21T10:30:00.000Z"),
        ("2026-11-21T10:30:00.123Z", "2026-11-21T10:30:00.123Z"),
        ("2026-11-21T10:30:00.123456789Z", "2026-11-21T10:30:00.123Z"),
        ("2026-11-21T12:30:00.5+02:00", "2026-11-21T10:30:00.500Z"),
        ("2026-11-21T05:00:00-05:30", "2026-11-21T10:30:00.000Z"),
        ("2026-11-21t10:30:00z", "2026-11-21T10:30:00.000Z"),
        ("2026-11-21 10:30:00-00:00", "2026-11-21T10:30:00.000Z"),
        ("2026-11-22T00:30:00+14:00", "2026-11-21T10:30:00.000Z"),
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000Z"),
    ],
)
def test_a_datetime_is_stored_in_utc_with_milliseconds(sent: str, kept: str) -> None:
    assert stored(sent) == kept


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("2026-11-21T10:30:00", "invalid"),  # no zone: which instant is unknown
        ("2026-11-21", "invalid"),
        ("2026-11-21T10:30Z", "invalid"),
        ("20261121T103000Z", "invalid"),
        ("2026-02-30T10:30:00Z", "invalid"),
        ("2026-11-21T24:00:00Z", "invalid"),
        ("2026-11-21T10:30:60Z", "invalid"),
        ("2026-11-21T10:30:00+25:00", "invalid"),
        ("0001-01-01T00:30:00+01:00", "invalid"),  # before year 1 in UTC
        ("9999-12-31T23:30:00-01:00", "invalid"),  # after year 9999 in UTC
        ("2026-11-21T10:30:00Z\n", "invalid_character"),
        ("x" * 65, "too_long"),
        (1764000000, "invalid_type"),
    ],
)
def test_other_datetimes_are_refused(value: Any, code: str) -> None:
    assert error_of(value) == ("custom.last_contacted", code)


@given(
    st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=st.just(UTC)),
    st.integers(min_value=-23 * 60, max_value=23 * 60),
)
def test_any_offset_names_the_same_instant_and_text_order_is_time_order(moment: datetime, minutes: int) -> None:
    local = moment.astimezone(timezone(timedelta(minutes=minutes)))
    kept = stored(local.isoformat())
    assert kept == stored(moment.isoformat().replace("+00:00", "Z"))
    assert datetime.fromisoformat(kept) == moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    later = stored((moment + timedelta(milliseconds=1)).isoformat())
    assert kept < later
