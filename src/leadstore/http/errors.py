"""Errors as RFC 9457 problem details: the one table from error type to HTTP status, and the handler."""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
import asyncpg.exceptions._base as asyncpg_base
import msgspec
from litestar import Request, Response
from litestar import exceptions as framework

from leadstore.domain.errors import (
    AlreadyConverted,
    AlreadyUnmerged,
    DuplicateEmail,
    ErasureUnavailable,
    FieldError,
    InvalidTransition,
    LeadIsMerged,
    LeadNotFound,
    LeadstoreError,
    LeadWasErased,
    SourceRequired,
    TeamRequired,
    ValidationFailed,
    VersionConflict,
)
from leadstore.http.reading import ClientDisconnected, RequestTimeout
from leadstore.http.tracing import request_id
from leadstore.imports.submit import TooManyRows
from leadstore.limits import RateLimited
from leadstore.store.command_writes import StaleRules, TurnMoved
from leadstore.store.db import CONNECTION_LOST
from leadstore.store.encryption import DataKeyGone
from leadstore.store.lead_list.query import ListRebuilding

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class MalformedBody(LeadstoreError):
    code = "validation_failed"

    def __init__(self, reason: str) -> None:
        super().__init__(f"the request body is not a JSON object: {reason}")
        self.errors = [FieldError("body", "malformed_json", reason)]


class Unauthorized(LeadstoreError):
    code = "unauthorized"


class Forbidden(LeadstoreError):
    code = "forbidden"


class NotFound(LeadstoreError):
    code = "not_found"


class MethodNotAllowed(LeadstoreError):
    code = "method_not_allowed"


class UnsupportedMediaType(LeadstoreError):
    code = "unsupported_media_type"


class IdempotencyConflict(LeadstoreError):
    code = "idempotency_conflict"

    def __init__(self) -> None:
        super().__init__("this Idempotency-Key was used within 24 hours with another request body")
        self.errors = [FieldError("Idempotency-Key", "idempotency_conflict", "already used with another body")]


class PayloadTooLarge(LeadstoreError):
    code = "payload_too_large"


class ProjectionLagging(LeadstoreError):
    code = "projection_lagging"

    def __init__(self, detail: str, *, retry_after: int = 1) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class Unavailable(LeadstoreError):
    code = "unavailable"

    def __init__(self, detail: str, *, retry_after: int = 1) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class InternalError(LeadstoreError):
    code = "internal_error"


# The one table from error type to HTTP status (STYLE.md rule 3).
HTTP_STATUS: dict[type[LeadstoreError], int] = {
    MalformedBody: 400,
    Unauthorized: 401,
    Forbidden: 403,
    LeadNotFound: 404,
    NotFound: 404,
    MethodNotAllowed: 405,
    DuplicateEmail: 409,
    InvalidTransition: 409,
    AlreadyConverted: 409,
    LeadIsMerged: 409,  # merges (issue 14)
    AlreadyUnmerged: 409,
    LeadWasErased: 409,
    ErasureUnavailable: 409,
    RequestTimeout: 408,
    VersionConflict: 412,
    PayloadTooLarge: 413,
    TooManyRows: 413,
    UnsupportedMediaType: 415,
    ValidationFailed: 422,
    TeamRequired: 422,
    SourceRequired: 422,
    IdempotencyConflict: 422,
    RateLimited: 429,
    ClientDisconnected: 499,  # nginx's "client closed request": logged, never read by the client
    InternalError: 500,
    ProjectionLagging: 503,
    ListRebuilding: 503,
    Unavailable: 503,
}

# Client-side encoding errors (asyncpg's own DataError, an InterfaceError) and PostgreSQL's class 22.
_REFUSED_INPUT = (asyncpg_base.DataError, asyncpg.DataError)
_UNAVAILABLE: tuple[type[Exception], ...] = (
    *CONNECTION_LOST,  # a fast shutdown or a restart of PostgreSQL, a refused connection
    asyncpg.TooManyConnectionsError,
    asyncpg.TransactionRollbackError,  # a deadlock or serialization failure still there after the retries
    StaleRules,  # the account's configuration kept changing under a command through all its retries
    TurnMoved,  # a rotation kept turning under a command through all its retries
)


class ProblemOut(msgspec.Struct, kw_only=True):
    type: str
    title: str
    status: int
    detail: str
    code: str
    request_id: str
    errors: list[FieldError]


def status_of(error: LeadstoreError) -> int:
    """The HTTP status of a domain or HTTP error, by the first of its classes in the table."""
    return next((HTTP_STATUS[cls] for cls in type(error).__mro__ if cls in HTTP_STATUS), 500)


def as_leadstore_error(exc: Exception) -> LeadstoreError:
    """Our error for anything raised while serving a request (framework, database, bug)."""
    match exc:
        case LeadstoreError():
            return exc
        case framework.NotAuthorizedException():
            return Unauthorized("a valid API key is required: Authorization: Bearer <api_key>")
        case framework.PermissionDeniedException():
            return Forbidden(exc.detail)
        case framework.NotFoundException():
            return NotFound("no such resource")
        case framework.MethodNotAllowedException():
            return MethodNotAllowed(exc.detail)
        case framework.HTTPException(status_code=413):
            return PayloadTooLarge("the request body is larger than the server accepts")
        case framework.ValidationException():
            return ValidationFailed(_parameter_errors(exc.extra))
        case framework.HTTPException(status_code=400):
            return MalformedBody(exc.detail)
        case DataKeyGone():
            # the lanes decide again under the stream lock and refuse with LeadWasErased first; a writer that
            # reaches the store anyway (the key destroyed between its read and its write) is refused the same way
            return LeadWasErased(exc.lead_id)
        case _ if isinstance(exc, _REFUSED_INPUT):
            # A value the database cannot take (a NUL character, a number or date out of its range) that
            # validation let through: still the client's input, so 422, never a 500 or a retryable 503.
            log.warning("the database refused a value that validation accepted: %s", type(exc).__name__)
            message = "a value is out of range or holds a character the database cannot store (such as NUL)"
            return ValidationFailed([FieldError("request", "invalid", message)])
        case _ if isinstance(exc, _UNAVAILABLE):
            return Unavailable("the database is unavailable; retry later")
    log.error("unexpected error serving a request", exc_info=exc)
    return InternalError("an unexpected error occurred; it has been logged")


def _parameter_errors(extra: Any) -> list[FieldError]:
    items = extra if isinstance(extra, list) else []
    found = [
        FieldError(str(item.get("key", "query")), "invalid", str(item.get("message", "is invalid")))
        for item in items
        if isinstance(item, dict)
    ]
    return found or [FieldError("query", "invalid", "a parameter is invalid")]


def problem(error: LeadstoreError, rid: str) -> Response[ProblemOut]:
    """The problem-details response for an error."""
    status, body, headers = problem_parts(error, rid)
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def problem_parts(error: LeadstoreError, rid: str) -> tuple[int, ProblemOut, dict[str, str]]:
    """The status, body and headers of an error's problem details."""
    status = status_of(error)
    body = ProblemOut(
        type=f"urn:leadstore:problem:{error.code}",
        title=error.code.replace("_", " ").capitalize(),
        status=status,
        detail=error.detail,
        code=error.code,
        request_id=rid,
        errors=list(getattr(error, "errors", [])),
    )
    headers = {"WWW-Authenticate": 'Bearer realm="leadstore"'} if status == 401 else {}
    if status == 408:  # the rest of a body that came too slowly is not worth reading: uvicorn then closes
        headers["Connection"] = "close"
    if (retry_after := getattr(error, "retry_after", None)) is not None:
        headers["Retry-After"] = str(retry_after)
    return status, body, headers


def handle_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[ProblemOut]:
    """Litestar's exception handler for every exception type."""
    return problem(as_leadstore_error(exc), request_id(request.scope))
