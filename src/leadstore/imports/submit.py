"""Taking an upload: check it whole before anything is stored (options, header row, mapping, size and row
count), then store it queued and wake the workers. The HTTP route and `leadstore import-leads` both use it."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

import msgspec
from uuid_utils.compat import uuid7

from leadstore.domain.commands import Actor
from leadstore.domain.errors import FieldError, LeadstoreError, ValidationFailed
from leadstore.imports.columns import Column, UnknownColumns, resolve
from leadstore.imports.parsing import BadFile, count_rows, csv_header, csv_rows, decode, ndjson_rows
from leadstore.imports.worker import NOTIFY_CHANNEL
from leadstore.store import imports as store
from leadstore.store.db import Conn
from leadstore.store.rules import load_rules

Format = Literal["csv", "ndjson"]
MEDIA_TYPES: dict[str, Format] = {"text/csv": "csv", "application/csv": "csv", "application/x-ndjson": "ndjson"}
MEDIA_TYPES |= {"application/ndjson": "ndjson", "application/jsonl": "ndjson", "application/json-lines": "ndjson"}
DUPLICATE_CHOICES = ("skip", "update")
_mapping_decoder = msgspec.json.Decoder(dict[str, str | None])


class TooManyRows(LeadstoreError):
    """More lead rows than an import takes (413 payload_too_large over HTTP)."""

    code = "payload_too_large"


class ImportOptions(msgspec.Struct, frozen=True, kw_only=True):
    on_duplicate: str = "skip"
    mapping: dict[str, str | None] | None = None
    skip_team_requirement: bool = False


def parse_mapping(text: str | None) -> dict[str, str | None] | None:
    """The `mapping` option: a JSON object of column name to field name (null: ignore the column)."""
    if text is None or not text.strip():
        return None
    try:
        return _mapping_decoder.decode(text)
    except msgspec.DecodeError as exc:
        message = f'must be a JSON object of column to field, such as {{"E-mail": "email", "Notes2": null}}: {exc}'
        raise ValidationFailed([FieldError("mapping", "invalid", message)]) from None


def check_duplicates_option(value: str) -> Literal["skip", "update"]:
    if value == "create_anyway":
        message = "emails are unique in an account, so rows whose email exists can only be skipped or update it"
        raise ValidationFailed([FieldError("on_duplicate", "invalid_choice", message)])
    if value not in DUPLICATE_CHOICES:
        raise ValidationFailed([FieldError("on_duplicate", "invalid_choice", "must be skip or update")])
    return "update" if value == "update" else "skip"


async def submit(
    conn: Conn,
    *,
    account_id: UUID,
    actor: Actor,
    body: bytes,
    file_format: Format,
    charset: str | None,
    options: ImportOptions,
    metadata: dict[str, Any],
    max_rows: int,
) -> store.ImportProgress:
    """Check and store an upload, queued for the workers; ValidationFailed or TooManyRows write nothing."""
    on_duplicate = check_duplicates_option(options.on_duplicate)
    try:
        text = decode(body, charset)
        custom_keys = [rule.key for rule in (await load_rules(conn, account_id)).custom_fields]
        columns, rows = _read(text, file_format, options.mapping, custom_keys, max_rows)
    except BadFile as exc:
        raise ValidationFailed([FieldError("body", "invalid_file", str(exc))]) from None
    new = store.NewImport(
        id=uuid7(),
        account_id=account_id,
        user_id=actor.user_id,
        role=actor.role,
        api_key_id=actor.api_key_id,
        email=actor.email,
        format=file_format,
        charset=(charset or "utf-8").lower(),
        columns=[msgspec.to_builtins(c) for c in columns],
        on_duplicate=on_duplicate,
        skip_team_requirement=options.skip_team_requirement,
        metadata=metadata,
        body=body,
        rows=rows,
    )
    async with conn.transaction():
        await store.insert(conn, new)
        await conn.execute("SELECT pg_notify($1, $2)", NOTIFY_CHANNEL, str(new.id))
    found = await store.find(conn, new.id, account_id)
    assert found is not None
    return found


def _read(
    text: str, file_format: Format, mapping: dict[str, str | None] | None, custom_keys: list[str], max_rows: int
) -> tuple[list[Column], int]:
    """The file's columns (CSV: every header resolved; NDJSON: the mapping) and its number of lead rows."""
    if file_format == "ndjson":
        columns = _resolved(list(mapping or {}), mapping, custom_keys)
        rows = count_rows(ndjson_rows(text), max_rows)
    else:
        headers = csv_header(text)
        if missing := sorted(set(mapping or {}) - set(headers)):
            message = "is in the mapping but not in the file's header row"
            raise ValidationFailed([FieldError(f"mapping.{name}", "unknown_column", message) for name in missing])
        columns = _resolved(headers, mapping, custom_keys)
        rows = count_rows(csv_rows(text, columns), max_rows)
    if rows is None:
        raise TooManyRows(f"the file has more than {max_rows} lead rows: split it into several imports")
    return columns, rows


def _resolved(headers: list[str], mapping: dict[str, str | None] | None, custom_keys: list[str]) -> list[Column]:
    try:
        return resolve(headers, mapping, custom_keys)
    except UnknownColumns as exc:
        raise ValidationFailed([FieldError(name, code, message) for name, code, message in exc.problems]) from None
