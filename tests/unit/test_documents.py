"""The public documents: the Lead object's derived members."""

from __future__ import annotations

import pytest

from leadstore.documents import full_name


@pytest.mark.parametrize(
    ("first", "last", "expected"), [("Ada", "Lovelace", "Ada Lovelace"), (None, "Lovelace", "Lovelace"), ("", None, "")]
)
def test_full_name_joins_the_names_it_has(first: str | None, last: str | None, expected: str) -> None:
    assert full_name(first, last) == expected
