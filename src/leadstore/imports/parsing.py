"""Reading an uploaded file into numbered rows: CSV (stdlib `csv`) or NDJSON, one bad row never the whole file.

Row numbers are those a spreadsheet shows for a CSV file (the header is row 1, so the first lead is row 2;
a quoted cell may span lines and still be one row) and line numbers for NDJSON. Blank rows keep their
number but are not leads. A row that is not valid in the file's encoding, or that the CSV grammar refuses (a
stray quote, more cells than columns), is a row with an error; the rows around it are read as usual.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import msgspec

from leadstore.imports.columns import Column, field_of

MAX_COLUMNS = 500
MAX_CELL_CHARS = 100_000
DELIMITERS = (",", ";", "\t")
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_SURROGATE = re.compile("[\udc80-\udcff]")
_decoder = msgspec.json.Decoder()


class ParsedRow(msgspec.Struct, frozen=True):
    """A row of the file: its number and its cells by field (absent when empty), or why it could not be read."""

    number: int
    cells: dict[str, Any] = msgspec.field(default_factory=dict)
    error: tuple[str, str] | None = None  # (code, message)


class BadFile(Exception):
    """The file can not be read at all (no header row, an unknown character set): nothing is imported."""


def decode(body: bytes, charset: str | None = None) -> str:
    """The body as text: UTF-8 unless `charset` says otherwise (UTF-16 when it starts with its BOM); a byte
    that is not valid is kept as a lone surrogate, so that its row, and only its row, is refused."""
    encoding = (charset or "utf-8").lower()
    if body.startswith(UTF16_BOMS):
        encoding = "utf-16"
    try:
        text = body.decode(encoding, errors="surrogateescape")
    except LookupError:
        raise BadFile(f"unknown character set {charset!r}: send UTF-8, or name the file's charset") from None
    return text.removeprefix("\ufeff")


def delimiter(text: str) -> str:
    """The CSV delimiter: the one of `,` `;` and tab that the header row holds most of (`,` on a tie)."""
    first = text.split("\n", 1)[0]
    return max(DELIMITERS, key=first.count) if any(d in first for d in DELIMITERS) else ","


def csv_header(text: str) -> list[str]:
    """The header row's column names; BadFile when there is none or it can not be read."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter(text), strict=True)
    try:
        header = next(reader, [])
    except csv.Error as exc:
        raise BadFile(f"the header row is not valid CSV: {exc}") from None
    names = [name.strip() for name in header]
    if not any(names):
        raise BadFile("the file has no header row: its first row must name the columns")
    if len(names) > MAX_COLUMNS:
        raise BadFile(f"the file has {len(names)} columns; at most {MAX_COLUMNS} are read")
    if any(_SURROGATE.search(name) for name in names):
        raise BadFile("the header row is not valid in the file's character set (UTF-8 unless the charset says)")
    return names


def csv_rows(text: str, columns: Sequence[Column]) -> Iterator[ParsedRow]:
    """The lead rows after the header, each with its cells by field (columns of no field are left out)."""
    # newline="": the csv module reads quoted line breaks itself, and only CR and LF end a line
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter(text), strict=True)
    number = 1
    try:
        next(reader)
    except (StopIteration, csv.Error):
        return
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield ParsedRow(number, error=("malformed_row", f"is not valid CSV: {exc}"))
            continue
        if any(cell.strip() for cell in cells):
            yield _csv_row(number, cells, columns)


def _csv_row(number: int, cells: list[str], columns: Sequence[Column]) -> ParsedRow:
    if len(cells) > len(columns) and any(cell.strip() for cell in cells[len(columns) :]):
        message = f"has {len(cells)} cells for {len(columns)} columns"
        return ParsedRow(number, error=("malformed_row", message))
    values: dict[str, Any] = {}
    for column, cell in zip(columns, cells, strict=False):  # a short row leaves its last columns empty
        value = cell.strip()
        if column.field is None or not value:
            continue
        if _SURROGATE.search(value):
            return ParsedRow(number, error=("invalid_encoding", _encoding_message(column.name)))
        if len(value) > MAX_CELL_CHARS:
            return ParsedRow(number, error=("malformed_row", f"column {column.name!r} is over {MAX_CELL_CHARS} chars"))
        values[column.field] = value
    return ParsedRow(number, values)


def _encoding_message(column: str) -> str:
    return f"column {column!r} is not valid text in the file's character set (UTF-8 unless the charset says)"


def ndjson_rows(
    text: str, mapping: Mapping[str, str | None] | None = None, custom_keys: Sequence[str] = ()
) -> Iterator[ParsedRow]:
    """One JSON object per line, with the members of POST /v1/leads (or a column spelling of them)."""
    for number, line in enumerate(text.split("\n"), start=1):  # U+2028 may stand inside a JSON string
        if not line.strip():
            continue
        if _SURROGATE.search(line):
            yield ParsedRow(number, error=("invalid_encoding", "is not valid UTF-8"))
            continue
        try:
            value = _decoder.decode(line)
        except (msgspec.DecodeError, RecursionError) as exc:
            yield ParsedRow(number, error=("malformed_json", f"is not valid JSON: {exc}"))
            continue
        if not isinstance(value, dict):
            yield ParsedRow(number, error=("malformed_json", "must be a JSON object"))
            continue
        yield ParsedRow(number, _renamed(value, mapping or {}, custom_keys))


def _renamed(value: dict[str, Any], mapping: Mapping[str, str | None], custom_keys: Sequence[str]) -> dict[str, Any]:
    """An NDJSON object's members by field: mapped, or by their spelling; an unknown member keeps its name, so
    that validation names it (unknown_field)."""
    renamed: dict[str, Any] = {}
    for key, member in value.items():
        field = mapping[key] if key in mapping else (field_of(key, custom_keys) or key)
        if field is not None and member is not None:
            renamed[field] = member
    return renamed


def count_rows(rows: Iterator[ParsedRow], limit: int) -> int | None:
    """How many lead rows there are, or None as soon as there are more than `limit`."""
    count = 0
    for _ in rows:
        count += 1
        if count > limit:
            return None
    return count
