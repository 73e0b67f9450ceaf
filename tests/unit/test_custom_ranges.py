"""Range keys of custom values: a range's inner buckets hold only values inside it, and its inner buckets and
edges together hold every value inside it, for numbers, dates and datetimes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from leadstore.domain.custom_fields import utc_text
from leadstore.store.custom_ranges import (
    DATE,
    DATETIME,
    NUMBER,
    Cover,
    Scale,
    cover,
    date_key,
    datetime_key,
    number_key,
    range_keys,
)

NUMBERS = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, -0.0, 0.0, 1, -1, 2**53 + 1, 1e-300, 10**400]),
)
DATES = st.dates()
DATETIMES = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC))


def matches(value: Any, found: Cover) -> tuple[bool, bool]:
    """(in an inner bucket, in an edge bucket) for a lead holding `value` in field k."""
    keys = set(range_keys({"k": value}))
    return bool(keys & set(found.inner)), bool(keys & set(found.edges))


def check(value: Any, low: Any, high: Any, found: Cover) -> None:
    inside = (low is None or low <= value) and (high is None or value <= high)
    inner, edge = matches(value, found)
    assert not inner or inside, "an inner bucket held a value outside the range"
    assert not inside or inner or edge, "a value inside the range was in no bucket"


def bounded(scale: Scale, found: Cover) -> None:
    levels = len(scale.shifts)
    assert len(found.inner) <= 2 * 15 * levels + 16 and len(found.edges) <= 2


@given(NUMBERS, st.none() | NUMBERS, st.none() | NUMBERS)
@example(1000, 1000, 1100)
@example(-0.0, 0, None)
@example(0.0, None, -0.0)
def test_number_buckets_hold_exactly_the_numbers_in_range(value: Any, low: Any, high: Any) -> None:
    found = cover("k", NUMBER, None if low is None else number_key(low), None if high is None else number_key(high))
    check(value, low, high, found)
    bounded(NUMBER, found)


@given(DATES, st.none() | DATES, st.none() | DATES)
def test_date_buckets_are_exact_days(value: date, low: date | None, high: date | None) -> None:
    def key(day: date | None) -> int | None:
        return None if day is None else date_key(day.isoformat())

    found = cover("k", DATE, key(low), key(high))
    check(value.isoformat(), low and low.isoformat(), high and high.isoformat(), found)
    assert found.edges == []
    bounded(DATE, found)


@given(DATETIMES, st.none() | DATETIMES, st.none() | DATETIMES)
def test_datetime_buckets_hold_exactly_the_instants_in_range(
    value: datetime, low: datetime | None, high: datetime | None
) -> None:
    def text(moment: datetime | None) -> str | None:
        return None if moment is None else utc_text(moment)

    def key(moment: datetime | None) -> int | None:
        return None if moment is None else datetime_key(utc_text(moment))

    found = cover("k", DATETIME, key(low), key(high))
    check(text(value), text(low), text(high), found)
    bounded(DATETIME, found)


def test_a_range_inside_one_bucket_is_one_edge_and_an_empty_range_has_no_buckets() -> None:
    narrow = cover("k", NUMBER, number_key(1000), number_key(1000))
    assert narrow.inner == [] and len(narrow.edges) == 1
    assert cover("k", NUMBER, number_key(2), number_key(1)) == Cover([], [])


def test_only_numbers_dates_and_datetimes_get_range_keys_each_under_its_field() -> None:
    custom = {
        "budget": 12.5,
        "renewal": "2026-03-15",
        "seen": "2026-03-15T10:30:00.000Z",
        "vip": True,
        "notes": "hello",
        "odd": "2026-13-45",
        "tags": ["a"],
    }
    keys = range_keys(custom)
    assert {key.split(":")[0] for key in keys} == {"budget", "renewal", "seen"}
    assert len(keys) == len(NUMBER.shifts) + len(DATE.shifts) + len(DATETIME.shifts)
