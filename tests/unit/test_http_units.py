"""The HTTP layer's pure parts, without a socket: masking, request ids, cursors, SQL composition, errors."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from uuid import UUID

import asyncpg
import pytest
from litestar import exceptions as framework
from litestar.datastructures import MultiDict

from leadstore.documents import as_of_bound
from leadstore.domain import field_checks
from leadstore.domain.errors import (
    AlreadyConverted,
    DuplicateEmail,
    FieldError,
    InvalidTransition,
    LeadNotFound,
    SourceRequired,
    TeamRequired,
    ValidationFailed,
    VersionConflict,
)
from leadstore.http.config_schemas import StatusInput
from leadstore.http.context import convert_body, decode_object
from leadstore.http.errors import (
    IdempotencyConflict,
    InternalError,
    MalformedBody,
    PayloadTooLarge,
    ProjectionLagging,
    Unauthorized,
    as_leadstore_error,
    problem,
    status_of,
)
from leadstore.http.openapi import public_problems
from leadstore.http.params import reject_unknown_query
from leadstore.http.tracing import request_id
from leadstore.http.writes import idempotency_key, if_match
from leadstore.redaction import is_secret_header
from leadstore.store.encryption import DataKeyGone
from leadstore.store.events import Checkpoint
from leadstore.store.lead_list.query import (
    FILTERS,
    Cursor,
    InvalidCursor,
    LeadFilter,
    decode_cursor,
    encode_cursor,
    list_sql,
)


@pytest.mark.parametrize(
    "name", ["Authorization", "cookie", "X-Api-Key", "X-Auth-Token", "x-client-secret", "X-Password", "Idempotency-Key"]
)
def test_secret_looking_headers_are_masked(name: str) -> None:
    assert is_secret_header(name)


@pytest.mark.parametrize("name", ["user-agent", "x-request-id", "content-type", "x-forwarded-for", "if-match"])
def test_ordinary_headers_are_kept(name: str) -> None:
    assert not is_secret_header(name)


def test_request_ids_echo_sane_ones_and_are_decided_once() -> None:
    sent: dict[str, Any] = {"headers": [(b"x-request-id", b"abc-123")]}
    bad: dict[str, Any] = {"headers": [(b"x-request-id", b"a b\r\nc")]}
    none: dict[str, Any] = {"headers": []}
    assert request_id(sent) == "abc-123"
    assert request_id(bad) != "a b\r\nc" and len(request_id(bad)) == 36
    assert request_id(none) == request_id(none)


def test_cursors_round_trip_and_belong_to_their_sort() -> None:
    moment = datetime(2026, 11, 21, 10, 30, 0, 123456, tzinfo=UTC)
    cursor = Cursor("-created_at", moment, UUID(int=3))
    assert decode_cursor(encode_cursor(cursor), "-created_at") == cursor
    walk = Cursor("score", 7, UUID(int=3), (12, 34))  # a mutable sort's cursor pins the walk's checkpoint
    assert decode_cursor(encode_cursor(walk), "score") == walk
    with pytest.raises(InvalidCursor):
        decode_cursor(encode_cursor(cursor), "score")
    unpinned, pinned_created = Cursor("score", 7, UUID(int=3)), Cursor("created_at", moment, UUID(int=3), (1, 2))
    far = Cursor("score", 7, UUID(int=3), (2**64, 1))
    for garbage in ("", "!!!", "e30", encode_cursor(Cursor("score", moment, UUID(int=3), (1, 2)))):
        with pytest.raises(InvalidCursor):
            decode_cursor(garbage, "score")
    for wrong, sort in ((unpinned, "score"), (pinned_created, "created_at"), (far, "score")):
        with pytest.raises(InvalidCursor):
            decode_cursor(encode_cursor(wrong), sort)


def test_list_sql_joins_fixed_fragments_and_keeps_values_out_of_the_sql() -> None:
    evil = "'; DROP TABLE events; --"
    filters = LeadFilter(statuses=["new", evil], search=evil, email=evil, min_score=5, unassigned=True)
    sql, args = list_sql(filters, "-score", Cursor("-score", 9, UUID(int=4)), 50)
    assert evil not in sql and evil in args and args[-1] == 51
    assert "assigned_to IS NULL" in sql and "(score, id) < ($" in sql and sql.endswith(f"LIMIT ${len(args)}")
    templates = [re.escape(t).replace(r"\{0\}", r"\$\d+") for t in [*FILTERS.values(), "account_id = {0}"]]
    clauses = sql.split(" WHERE ", 1)[1].split(" ORDER BY ")[0].split(" AND ")
    assert all(any(re.fullmatch(t, clause) for t in templates) for clause in clauses[:-1])


def test_every_error_has_its_status() -> None:
    cases = {
        MalformedBody("x"): 400,
        Unauthorized("x"): 401,
        LeadNotFound(UUID(int=1)): 404,
        DuplicateEmail("a@b.c"): 409,
        InvalidTransition("x"): 409,
        AlreadyConverted(UUID(int=1)): 409,
        VersionConflict(UUID(int=1), 1, 2): 412,
        PayloadTooLarge("x"): 413,
        ValidationFailed([FieldError("a", "b", "c")]): 422,
        TeamRequired(): 422,
        SourceRequired(["x"]): 422,
        IdempotencyConflict(): 422,
        InternalError("x"): 500,
        ProjectionLagging("x"): 503,
    }
    assert {error.code: status_of(error) for error in cases} == {error.code: s for error, s in cases.items()}


def test_framework_and_unexpected_errors_become_ours() -> None:
    assert as_leadstore_error(framework.NotFoundException()).code == "not_found"
    assert as_leadstore_error(framework.NotAuthorizedException()).code == "unauthorized"
    assert as_leadstore_error(framework.PermissionDeniedException()).code == "forbidden"
    assert as_leadstore_error(framework.ClientException(status_code=413)).code == "payload_too_large"
    assert as_leadstore_error(ConnectionRefusedError()).code == "unavailable"
    invalid = as_leadstore_error(framework.ValidationException(extra=[{"key": "limit", "message": "too big"}]))
    assert isinstance(invalid, ValidationFailed) and invalid.errors[0].field == "limit"
    assert status_of(as_leadstore_error(ZeroDivisionError())) == 500


def test_a_write_that_finds_the_data_key_destroyed_is_409_lead_erased_never_500() -> None:
    erased = as_leadstore_error(DataKeyGone(UUID(int=7)))
    assert (erased.code, status_of(erased)) == ("lead_erased", 409)


@pytest.mark.parametrize(
    "lost",
    [
        asyncpg.InternalClientError("cannot switch to state 12; another operation (2) is in progress"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.CrashShutdownError("terminating connection because of crash of another server process"),
        asyncpg.CannotConnectNowError("the database system is shutting down"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        ConnectionRefusedError(111, "Connect call failed"),
        OSError("Multiple exceptions: [Errno 111] Connect call failed, [Errno 99] Cannot assign requested address"),
    ],
    ids=type,
)
def test_a_lost_database_connection_is_503_unavailable_with_retry_after(lost: Exception) -> None:
    response = problem(as_leadstore_error(lost), "rid")
    assert (response.status_code, response.headers.get("Retry-After")) == (503, "1")


@pytest.mark.parametrize(("sent", "version"), [(None, None), ("*", None), ('"3"', 3), ("3", 3), ('W/"12"', 12)])
def test_if_match_reads_a_version(sent: str | None, version: int | None) -> None:
    assert if_match(sent) == version


@pytest.mark.parametrize("sent", ["", "abc", '"-1"', '"1", "2"', '"99999999999"'])
def test_if_match_refuses_anything_else(sent: str) -> None:
    with pytest.raises(ValidationFailed):
        if_match(sent)


def test_idempotency_keys_are_visible_ascii() -> None:
    assert idempotency_key(None) is None and idempotency_key("order-1") == "order-1"
    for bad in ("", "a b", "é", "x" * 256):
        with pytest.raises(ValidationFailed):
            idempotency_key(bad)


def test_instants_are_dates_or_timestamps_in_utc() -> None:
    assert field_checks.instant("2026-11-21") == datetime(2026, 11, 21, tzinfo=UTC)
    assert field_checks.instant("2026-11-21T10:30:00.123Z") == datetime(2026, 11, 21, 10, 30, 0, 123000, tzinfo=UTC)
    assert field_checks.instant("2026-11-21T10:30:00") == datetime(2026, 11, 21, 10, 30, tzinfo=UTC)
    shown_at = field_checks.instant("2026-01-01T00:00:00.123Z")  # an event shown at .123Z belongs to the lead then
    assert datetime(2026, 1, 1, 0, 0, 0, 123999, tzinfo=UTC) <= as_of_bound(shown_at)
    assert not datetime(2026, 1, 1, 0, 0, 0, 124000, tzinfo=UTC) <= as_of_bound(shown_at)


def test_bodies_must_be_json_objects() -> None:
    assert decode_object(b"", optional=True) == {}
    with pytest.raises(MalformedBody):
        decode_object(b"{")
    with pytest.raises(MalformedBody):
        decode_object(b"[" * 10_000 + b"]" * 10_000)
    with pytest.raises(ValidationFailed):
        decode_object(b"[]")


def test_small_bodies_list_every_bad_field() -> None:
    with pytest.raises(ValidationFailed) as refused:
        convert_body({"key": "Bad", "kind": "maybe", "extra": 1}, StatusInput)
    assert {error.field for error in refused.value.errors} == {"key", "label", "kind", "extra"}


@pytest.mark.parametrize("token", ["1_0.5", " 1 . 2 ", "\u0661.\u0662", "1.2.3", "+1.2", "1.", ".2", "1" * 21 + ".1"])
def test_a_position_token_is_ascii_digits_a_dot_and_ascii_digits(token: str) -> None:
    with pytest.raises(ValueError):
        Checkpoint.parse(token)
    assert Checkpoint.parse("10.5") == Checkpoint(10, 5)


@pytest.mark.parametrize("text", ["2026-W01-1", "20260101", "2026-001", "20260101T103000Z", "1" * 30, "2026-11-21T10"])
def test_an_instant_is_a_date_or_an_rfc_3339_timestamp_only(text: str) -> None:
    with pytest.raises(field_checks.InvalidValueError):
        field_checks.instant(text)


def test_query_parameters_are_refused_when_unknown_repeated_or_not_digits() -> None:
    sent = [("limit", "5"), ("limit", "6"), ("sort", "x"), ("min_score", "1e1")] + [("a", "")] * 5_000
    request = SimpleNamespace(query_params=MultiDict(sent))
    with pytest.raises(ValidationFailed) as refused:
        reject_unknown_query(request, "limit", "sort", "min_score", integers=("limit", "min_score"))
    found = [(error.field, error.code) for error in refused.value.errors]
    assert found == [("a", "unknown_field"), ("limit", "repeated"), ("min_score", "invalid")]
    reject_unknown_query(SimpleNamespace(query_params=MultiDict([("sort", "x")])), "sort", "limit")


def test_a_route_without_a_key_documents_no_refusal_of_a_key() -> None:
    assert sorted(public_problems(422)) == [422, 503]  # no 401, 403 nor 429: no key is checked, nor budgeted
