"""A JSON body that names a member twice in one object is refused naming it, at any depth; others pass."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadstore.domain.errors import ValidationFailed
from leadstore.http.context import decode_object


class Pairs(list[tuple[str, Any]]):
    """A JSON object as written, so that a test can name a member twice."""


def dump(node: Any, escape_all: bool) -> str:
    """JSON text of `node`; with `escape_all`, every non-ASCII character and every colon in strings escaped."""
    if isinstance(node, Pairs):
        return "{" + ",".join(f"{string(key, escape_all)}:{dump(value, escape_all)}" for key, value in node) + "}"
    if isinstance(node, list):
        return "[" + ",".join(dump(item, escape_all) for item in node) + "]"
    return string(node, escape_all) if isinstance(node, str) else json.dumps(node)


def string(text: str, escape_all: bool) -> str:
    return json.dumps(text, ensure_ascii=True).replace(":", "\\u003a") if escape_all else json.dumps(text)


def duplicated(node: Any) -> bool:
    if isinstance(node, Pairs):
        keys = [key for key, _ in node]
        return len(set(keys)) < len(keys) or any(duplicated(value) for _, value in node)
    return isinstance(node, list) and any(duplicated(item) for item in node)


def refused_fields(raw: bytes) -> list[tuple[str, str]] | None:
    try:
        decode_object(raw)
    except ValidationFailed as exc:
        return [(error.field, error.code) for error in exc.errors]
    return None


keys = st.sampled_from(["a", "b", ":", "a:b", "\u00e9", "custom"]) | st.text(max_size=3)
scalars: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(st.sampled_from('ab:\u00e9\\"\n'), max_size=5),
)
trees = st.recursive(
    scalars, lambda kids: st.lists(kids, max_size=3) | st.lists(st.tuples(keys, kids), max_size=4).map(Pairs)
)
bodies = st.lists(st.tuples(keys, trees), max_size=5).map(Pairs)


@given(body=bodies, escape_all=st.booleans())
def test_a_body_is_refused_exactly_when_an_object_in_it_names_a_member_twice(body: Pairs, escape_all: bool) -> None:
    refused = refused_fields(dump(body, escape_all).encode())
    assert (refused is not None) == duplicated(body), refused
    assert refused is None or {code for _, code in refused} == {"duplicate_key"}


@pytest.mark.parametrize(
    ("raw", "fields"),
    [
        (b'{"email": "a@example.com", "email": "b@example.com"}', ["email"]),
        (b'{"custom": {"tier": "gold", "tier": "silver"}}', ["custom.tier"]),
        (b'{"custom.tier": "gold", "custom.tier": "silver"}', ["custom.tier"]),
        (b'{"choices": [{"k": 1}, {"k": 1, "k": 2}], "a": 1, "a": 2}', ["choices[1].k", "a"]),
        (b'{"url": "https://x.io:8080/a:b", "url": "http://y.io"}', ["url"]),
        (b'{"a": 1, "\\u0061": 2}', ["a"]),
        (b'{"a": 1, "a": "\\u003a"}', ["a"]),  # the escaped colon evens out the count of colons
    ],
)
def test_the_refusal_names_each_duplicate_member(raw: bytes, fields: list[str]) -> None:
    assert refused_fields(raw) == [(field, "duplicate_key") for field in fields]


@pytest.mark.parametrize(
    "raw",
    [b'{"a": "x:y", "a:b": {"c": "\\u003a"}}', b'{"a": [{"k": 1}, {"k": 2}], "b": {"k": 3}}', b'{"k": 1, "K": 2}'],
)
def test_the_same_name_in_different_objects_is_not_a_duplicate(raw: bytes) -> None:
    assert refused_fields(raw) is None
