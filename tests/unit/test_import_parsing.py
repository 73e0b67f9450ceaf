"""Import files: CSV and NDJSON rows numbered as users see them; a bad row is that row's error, never the file's."""

from __future__ import annotations

import pytest

from leadstore.domain.rules import CustomFieldRule
from leadstore.imports.columns import resolve
from leadstore.imports.parsing import BadFile, ParsedRow, count_rows, csv_header, csv_rows, decode, ndjson_rows
from leadstore.imports.values import lead_body


def rows(data: bytes, charset: str | None = None) -> list[ParsedRow]:
    text = decode(data, charset)
    return list(csv_rows(text, resolve(csv_header(text))))


def test_bom_crlf_and_quoted_line_breaks_are_read_and_rows_numbered_as_a_spreadsheet_does() -> None:
    data = '\ufefffirst_name,notes,email\r\nSarah,"two\r\nlines",s@example.com\r\n\r\nTom,,t@example.com\r\n'
    found = rows(data.encode())
    assert found == [
        ParsedRow(2, {"first_name": "Sarah", "notes": "two\r\nlines", "email": "s@example.com"}),
        ParsedRow(4, {"first_name": "Tom", "email": "t@example.com"}),  # row 3 is blank: no lead
    ]


def test_a_malformed_row_or_a_bad_byte_fails_only_its_row() -> None:
    data = (
        b'first_name,email\nAnn,a@example.com\n"Bo"b,b@example.com\nCy,c@\xff.com\n'
        b"Dee,d@example.com,extra\nEd,e@example.com\n"
    )
    found = rows(data)
    assert [(r.number, r.error[0] if r.error else None) for r in found] == [
        (2, None),
        (3, "malformed_row"),
        (4, "invalid_encoding"),
        (5, "malformed_row"),
        (6, None),
    ]


def test_an_unterminated_quote_is_reported_at_its_row() -> None:
    found = rows(b'first_name,email\nAnn,a@example.com\n"Bob,b@example.com\nCy,c@example.com\n')
    assert found[0].error is None and found[1].number == 3 and found[1].error is not None


def test_semicolon_files_short_rows_and_a_declared_charset() -> None:
    found = rows("first_name;city\nJosé;Köln\nAnn\n".encode("cp1252"), "windows-1252")
    assert found == [
        ParsedRow(2, {"first_name": "José", "mailing_address.city": "Köln"}),
        ParsedRow(3, {"first_name": "Ann"}),
    ]


def test_a_file_without_a_header_or_in_an_unknown_charset_is_refused_whole() -> None:
    with pytest.raises(BadFile):
        csv_header(decode(b"\n\n"))
    with pytest.raises(BadFile):
        decode(b"a", "klingon-8")


def test_ndjson_rows_by_line_with_spellings_mapped() -> None:
    text = '{"firstName": "Ann", "email": "a@example.com"}\n\nnot json\n[1]\n{"last_name": "Bo", "shoe": 4}\n'
    found = list(ndjson_rows(text))
    assert found[0] == ParsedRow(1, {"first_name": "Ann", "email": "a@example.com"})
    assert [(r.number, r.error[0]) for r in found[1:3] if r.error] == [(3, "malformed_json"), (4, "malformed_json")]
    assert found[3] == ParsedRow(5, {"last_name": "Bo", "shoe": 4})  # validation names `shoe` as unknown


def test_counting_stops_past_the_limit() -> None:
    text = "email\n" + "".join(f"u{i}@example.com\n" for i in range(11))
    assert count_rows(csv_rows(text, resolve(["email"])), 11) == 11
    assert count_rows(csv_rows(text, resolve(["email"])), 10) is None


def test_cells_are_typed_by_their_field() -> None:
    custom = [
        CustomFieldRule("budget", "number"),
        CustomFieldRule("vip", "boolean"),
        CustomFieldRule("tags", "multi_choice", ["a", "b"]),
    ]
    cells = {
        "score": "42",
        "do_not_call": "Yes",
        "email_opt_out": "maybe",
        "marketing_attribution": "ads; mail",
        "mailing_address.city": "Paris",
        "mailing_address.country": "FR",
        "custom.budget": "12.5",
        "custom.vip": "0",
        "custom.tags": '["a","b"]',
        "first_name": "Ann",
    }
    assert lead_body(cells, custom) == {
        "score": 42,
        "do_not_call": True,
        "email_opt_out": "maybe",  # not a boolean: validation refuses it as the API would
        "marketing_attribution": ["ads", "mail"],
        "mailing_address": {"city": "Paris", "country": "FR"},
        "custom.budget": 12.5,
        "custom.vip": False,
        "custom.tags": ["a", "b"],
        "first_name": "Ann",
    }
