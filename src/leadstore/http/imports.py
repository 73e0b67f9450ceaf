"""Bulk imports over HTTP: upload a CSV or NDJSON file (202, run by the workers), follow it, list them.

Admins and managers import into the whole account and see every import; a member's import creates leads
as theirs, may assign them only to the member, updates only leads the member can see, and a member sees only
their own imports (others are 404, as another account's are)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import QueryParameter

from leadstore.domain.errors import FieldError, ValidationFailed
from leadstore.http.audit_record import event_metadata
from leadstore.http.bodies import documented_text_body
from leadstore.http.context import AnyRequest, Services, principal_of
from leadstore.http.errors import NotFound, PayloadTooLarge, UnsupportedMediaType
from leadstore.http.openapi import id_in_path, problems
from leadstore.http.params import path_id, reject_unknown_query
from leadstore.imports.submit import MEDIA_TYPES, Format, ImportOptions, parse_mapping, submit
from leadstore.store import imports as store
from leadstore.store.accounts import Principal

ImportId = Annotated[str, id_in_path("import")]
ON_DUPLICATE = (
    "What a row whose email the account already has (in any case) does: `skip` it (the default), or `update` "
    "that lead with the row's non-empty cells (a member's import updates only leads the member can see; "
    "others fail with `duplicate_email`). `create_anyway` is refused: emails are unique per account."
)
MAPPING = (
    'A JSON object of column name to lead field (`{"E-mail": "email", "Cust. no": "custom.customer_no", '
    '"Internal": null}`): a mapped column fills that field, one mapped to null is ignored. Columns left out '
    "are mapped by their spelling (snake_case, camelCase and the common CRM spellings: `firstName`, "
    "`leadSource`, `phone_number`, `assigned_user_id`, `custom.KEY`, ...). Any column that fills no field and "
    "is not mapped makes the upload 422, listing each such column, so that no data is silently dropped."
)
SKIP_TEAM = "Lift the team rule for every row: no team_id needed, and any of the account's sources allowed."
BODY = (
    "The file, up to 50 MiB and 100,000 lead rows (413 beyond, nothing stored). `text/csv`: a header row, "
    "then one lead a row; UTF-8 (a BOM is fine) unless `charset` says otherwise; `,`, `;` or tab separated; "
    "quoted cells may hold line breaks; empty cells are absent values; a list cell is `a;b` or a JSON array. "
    "`application/x-ndjson`: one JSON object a line, with the members of POST /v1/leads. Rows are numbered "
    "as a spreadsheet numbers them (the header is row 1) or, for NDJSON, by line."
)
CSV_EXAMPLE = Example(
    summary="A CSV export from another CRM",
    value="firstName,lastName,email,phone_number,leadSource,company_name,custom.industry\r\n"
    "Sarah,Johnson,sarah@example.com,+1-555-234-5678,website,Acme,retail\r\n"
    'Tom,"O\'Brien, Jr.",tom@example.com,,referral,Globex,\r\n',
)
PROGRESS_EXAMPLE = {
    "id": "0192f1c4-6c1e-7a3b-9c1d-2f3e4a5b6c7d",
    "object": "import",
    "state": "done",
    "rows": 3,
    "done": 3,
    "created": 1,
    "updated": 0,
    "skipped": 1,
    "failed": 1,
    "errors": [{"row": 4, "field": "email", "code": "invalid_email", "message": "The email address is not valid."}],
    "failure": None,
    "created_at": "2026-11-21T10:30:00.123Z",
    "finished_at": "2026-11-21T10:30:01.456Z",
}
_QUEUED = {"state": "queued", "done": 0, "created": 0, "skipped": 0, "failed": 0, "errors": [], "finished_at": None}
_DUPLICATE_ENUM = {"enum": ["skip", "update"]}
LIMIT_DESCRIPTION = "Imports a page, 1..100."
CURSOR_DESCRIPTION = "The previous page's `next_cursor`."


class ImportList(msgspec.Struct, kw_only=True):
    object: str = "list"
    data: list[store.ImportProgress]
    has_more: bool
    next_cursor: str | None


def _owner_filter(principal: Principal) -> UUID | None:
    """Whose imports the principal sees: a member only their own; admins and managers the account's."""
    return principal.actor.user_id if principal.actor.role == "member" else None


def _media_type(request: AnyRequest) -> tuple[Format, str | None]:
    """The upload's format (csv or ndjson) and charset, from Content-Type; 415 for anything else."""
    raw = request.headers.get("content-type", "")
    media_type, _, params = raw.partition(";")
    file_format = MEDIA_TYPES.get(media_type.strip().lower())
    if file_format is None:
        raise UnsupportedMediaType("send the file as text/csv or application/x-ndjson")
    charset = None
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"')
    return file_format, charset


async def _body(request: AnyRequest, limit: int) -> bytes:
    """The upload, read up to `limit` bytes (413 past it, without reading the rest)."""
    declared = request.headers.get("content-length", "")
    too_large = PayloadTooLarge(f"the file is larger than {limit // (1024 * 1024)} MiB: split it into several imports")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _cursor(text: str | None) -> tuple[datetime, UUID] | None:
    if text is None:
        return None
    try:
        at, _, last = base64.urlsafe_b64decode(text.encode()).decode().partition("|")
        return datetime.fromisoformat(at), UUID(last)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed([FieldError("cursor", "invalid", "must be a next_cursor this list returned")]) from None


class ImportRoutes(Controller):
    path = "/v1/imports"
    tags = ["imports"]

    @post(
        "/",
        operation_id="createImport",
        status_code=202,
        request_max_body_size=None,  # the route reads its body itself, up to LEADSTORE_IMPORT_MAX_BYTES
        dependencies=documented_text_body("text/csv", BODY, [CSV_EXAMPLE]),
        responses={
            202: ResponseSpec(
                data_container=store.ImportProgress,
                description="Accepted: the import is queued; follow it at its `Location` header, /v1/imports/{id}.",
                examples=[Example(summary="Queued", value=PROGRESS_EXAMPLE | _QUEUED)],
            ),
            **problems(400, 413, 415, 422),
        },
        summary="Import leads from a CSV or NDJSON file",
    )
    async def create_import(
        self,
        request: AnyRequest,
        services: Services,
        on_duplicate: Annotated[str, QueryParameter(description=ON_DUPLICATE, schema_extra=_DUPLICATE_ENUM)] = "skip",
        mapping: Annotated[str | None, QueryParameter(description=MAPPING)] = None,
        skip_team_requirement: Annotated[bool, QueryParameter(description=SKIP_TEAM)] = False,
    ) -> Response[store.ImportProgress]:
        """Checks the whole upload at once (options, header row, mapping, size, row count), stores it and
        answers 202 with the queued import; the workers then write each row as POST /v1/leads would (every
        rule applies), recording the import's id and the row's number in the events' request metadata."""
        reject_unknown_query(request, "on_duplicate", "mapping", "skip_team_requirement")
        principal, settings = principal_of(request), services.settings
        file_format, charset = _media_type(request)
        options = ImportOptions(
            on_duplicate=on_duplicate, mapping=parse_mapping(mapping), skip_team_requirement=skip_team_requirement
        )
        body = await _body(request, settings.import_max_bytes)
        async with services.pool.acquire() as conn:
            queued = await submit(
                conn,
                account_id=principal.account_id,
                actor=principal.actor,
                body=body,
                file_format=file_format,
                charset=charset,
                options=options,
                metadata=event_metadata(request, principal, settings.trusted_proxies),
                max_rows=settings.import_max_rows,
            )
        return Response(queued, status_code=202, headers={"location": f"/v1/imports/{queued.id}"})

    @get(
        "/{import_id:str}",
        operation_id="getImport",
        responses={
            200: ResponseSpec(
                data_container=store.ImportProgress,
                description="The import: its state, counts and the first 1,000 row errors.",
                examples=[Example(summary="Done, with one bad row", value=PROGRESS_EXAMPLE)],
            ),
            **problems(404),
        },
        summary="Follow an import",
    )
    async def get_import(self, request: AnyRequest, services: Services, import_id: ImportId) -> store.ImportProgress:
        """State (queued, running, done or failed), rows in the file, rows done so far and their outcomes
        (created, updated, skipped as duplicates, failed), and the first 1,000 row errors in row order."""
        reject_unknown_query(request)
        principal = principal_of(request)
        async with services.pool.acquire() as conn:
            found = await store.find(conn, path_id(import_id, "import"), principal.account_id, _owner_filter(principal))
        if found is None:
            raise NotFound(f"import {import_id} not found")
        return found

    @get("/", operation_id="listImports", responses=problems(422), summary="List imports")
    async def list_imports(
        self,
        request: AnyRequest,
        services: Services,
        limit: Annotated[int, QueryParameter(ge=1, le=100, description=LIMIT_DESCRIPTION)] = 20,
        cursor: Annotated[str | None, QueryParameter(description=CURSOR_DESCRIPTION)] = None,
    ) -> ImportList:
        """The account's imports (a member's own), newest first."""
        reject_unknown_query(request, "limit", "cursor", integers=("limit",))
        principal = principal_of(request)
        async with services.pool.acquire() as conn:
            found = await store.page(conn, principal.account_id, _owner_filter(principal), _cursor(cursor), limit + 1)
        data, more = found[:limit], len(found) > limit
        last = data[-1] if data and more else None
        token = None if last is None else base64.urlsafe_b64encode(f"{last.created_at.isoformat()}|{last.id}".encode())
        return ImportList(data=data, has_more=more, next_cursor=None if token is None else token.decode())
