"""Range keys: how the lead list finds `custom.<key>.min` / `.max` through a GIN index.

A GIN index answers "holds one of these keys", never "lies between". So each number, date and datetime
value of a lead's `custom` is stored with the keys of the nested buckets it falls in (sixteen to a level,
coarsest first), and a range is asked for as a few whole buckets that together hold it: at most MOST_BUCKETS,
as fine as that allows. The buckets at its two ends may also hold values just outside it, so the query
compares the values themselves too; the buckets only find the candidates, and give PostgreSQL's estimate of
how many there are (from the column's element statistics) so that it can choose between walking the sort
index and reading the candidates through this one.

A value's key is an order-preserving integer: a number's float64 bits, a date's day number, a datetime's
milliseconds since 0001-01-01. Kinds are told apart by their stored shape (a JSON number, `YYYY-MM-DD`, the
UTC form of custom_fields.rfc3339), and each range key names the custom field and the kind.
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

_DATE = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_DATETIME = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z\Z")
_EPOCH = datetime(1, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)
_SIGN = 1 << 63
_ALL = (1 << 64) - 1


class Scale(NamedTuple):
    """How one kind of value is bucketed: its key's width in bits, and the bits its finest bucket spans."""

    tag: str
    width: int
    finest: int

    @property
    def shifts(self) -> range:
        return range(self.finest, self.width, 4)


NUMBER = Scale("n", 64, 32)  # finest buckets: 2**32 float64 steps, about one millionth of the value
DATE = Scale("d", 24, 0)  # one day
DATETIME = Scale("t", 52, 16)  # about a minute (65.5 s)
# Each is a comparison per row where a plan walks the sort index (the array overlap compares every pair).
MOST_BUCKETS = 16


def number_key(value: float | Decimal) -> int:
    """The order-preserving key of a number (-0.0 is 0.0; past float64's range is infinite)."""
    try:
        number = float(value) + 0.0
    except OverflowError:  # an integer beyond float64: monotonic all the same
        number = math.inf if value > 0 else -math.inf
    bits: int = struct.unpack(">Q", struct.pack(">d", number))[0]
    return bits ^ _ALL if bits & _SIGN else bits | _SIGN


def date_key(day: str) -> int:
    return date.fromisoformat(day).toordinal()


def datetime_key(stamp: str) -> int:
    return (datetime.fromisoformat(stamp) - _EPOCH) // _MILLISECOND


# The kinds of field a range filter applies to, with how a bound (as the query gives it) becomes a key.
KINDS: dict[str, tuple[Scale, Callable[[Any], int]]] = {
    "number": (NUMBER, number_key),
    "date": (DATE, date_key),
    "datetime": (DATETIME, datetime_key),
}


def range_keys(custom: Mapping[str, Any]) -> list[str]:
    """The bucket keys of every number, date and datetime value in `custom` (for the lead list's column)."""
    found: list[str] = []
    for name, value in custom.items():
        scaled = _scaled(value)
        if scaled is not None:
            scale, key = scaled
            found += [_bucket(name, scale, key, shift) for shift in scale.shifts]
    return found


def cover(name: str, scale: Scale, low: int | None, high: int | None, most: int = MOST_BUCKETS) -> list[str]:
    """At most `most` buckets of field `name` that together hold every key from `low` to `high` (inclusive;
    None is open), the finest that allow it: few keys beyond the range fall in them."""
    lowest, highest = 0 if low is None else low, (1 << scale.width) - 1 if high is None else high
    if lowest > highest:
        return []
    for level in scale.shifts:
        start, end = lowest >> level << level, ((highest >> level) + 1 << level) - 1
        tiles = _tile(name, scale, start, end, level, most)
        if len(tiles) <= most:
            return tiles
    raise AssertionError("the top level has 16 buckets")


def range_cover(name: str, kind: str, low: Any, high: Any) -> list[str]:
    """The buckets of a `kind` field from bound `low` to `high` (a number, or the stored text of a date or
    datetime; None is open)."""
    scale, key_of = KINDS[kind]
    return cover(name, scale, None if low is None else key_of(low), None if high is None else key_of(high))


def _tile(name: str, scale: Scale, start: int, end: int, level: int, most: int) -> list[str]:
    """The fewest whole buckets, none finer than `level`, covering exactly `start`..`end` (on its boundaries);
    it stops past `most`."""
    tiles: list[str] = []
    while start <= end and len(tiles) <= most:
        shift = max(s for s in range(level, scale.width, 4) if start % (1 << s) == 0 and start + (1 << s) - 1 <= end)
        tiles.append(_bucket(name, scale, start, shift))
        start += 1 << shift
    return tiles


def _bucket(name: str, scale: Scale, key: int, shift: int) -> str:
    """`<field>:<kind><prefix>`: the prefix's hex digits are the top bits of the key, so its length is the level."""
    digits = (scale.width - shift) // 4
    return f"{name}:{scale.tag}{key >> shift:0{digits}x}"


def _scaled(value: Any) -> tuple[Scale, int] | None:
    """The scale and key of a value that can be asked for by range; None for any other value."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return NUMBER, number_key(value)
    try:
        if isinstance(value, str) and _DATE.match(value):
            return DATE, date_key(value)
        if isinstance(value, str) and _DATETIME.match(value):
            return DATETIME, datetime_key(value)
    except ValueError:  # a text field's value shaped like a date that is not one
        return None
    return None
