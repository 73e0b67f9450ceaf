"""Range keys of custom values: a range's buckets hold every value inside it, are at most MOST_BUCKETS, and
hold few values beyond it, for numbers, dates and datetimes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from leadstore.domain.custom_fields import utc_text
from leadstore.store.lead_list.ranges import (
    DATE,
    DATETIME,
    MOST_BUCKETS,
    NUMBER,
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


def check(value: Any, low: Any, high: Any, found: list[str]) -> None:
    inside = (low is None or low <= value) and (high is None or value <= high)
    assert not inside or set(range_keys({"k": value})) & set(found), "a value inside the range was in no bucket"
    assert len(found) <= MOST_BUCKETS


def span(scale: Scale, found: list[str]) -> int:
    """How many keys the buckets hold together."""
    return sum(1 << (scale.width - 4 * (len(bucket) - len("k:n"))) for bucket in found)


@given(NUMBERS, st.none() | NUMBERS, st.none() | NUMBERS)
@example(1000, 1000, 1100)
@example(-0.0, 0, None)
@example(0.0, None, -0.0)
def test_number_buckets_hold_exactly_the_numbers_in_range(value: Any, low: Any, high: Any) -> None:
    found = cover("k", NUMBER, None if low is None else number_key(low), None if high is None else number_key(high))
    check(value, low, high, found)


@given(DATES, st.none() | DATES, st.none() | DATES)
def test_date_buckets_are_exact_days(value: date, low: date | None, high: date | None) -> None:
    def key(day: date | None) -> int | None:
        return None if day is None else date_key(day.isoformat())

    found = cover("k", DATE, key(low), key(high))
    check(value.isoformat(), low and low.isoformat(), high and high.isoformat(), found)


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


@given(st.integers(min_value=0, max_value=2**52 - 1), st.integers(min_value=0, max_value=2**52 - 1))
@settings(max_examples=1000)
def test_the_buckets_hold_at_most_about_twice_the_range(low: int, high: int) -> None:
    """At worst a range just wider than one bucket, across a boundary, is asked for as the two around it."""
    low, high = min(low, high), max(low, high)
    found = cover("k", DATETIME, low, high)
    assert span(DATETIME, found) <= (high - low + 1) * 9 // 4 + 2 * (1 << DATETIME.finest)


def test_a_range_inside_one_bucket_is_that_bucket_and_an_empty_range_has_none() -> None:
    assert cover("k", NUMBER, number_key(1000), number_key(1000)) == [f"k:n{number_key(1000) >> 32:08x}"]
    assert cover("k", NUMBER, number_key(2), number_key(1)) == []
    assert cover("k", DATE, None, None) == [f"k:d{digit:x}" for digit in range(16)]


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
