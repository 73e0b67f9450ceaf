"""Lead writes over HTTP: If-Match, Idempotency-Key (recorded in the command's transaction), the response."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any, cast
from uuid import UUID

import msgspec
from litestar import Response

from leadstore.documents import DOCUMENT_ONLY, lead_document
from leadstore.domain.commands import Command, CreateLead
from leadstore.domain.errors import FieldError, LeadstoreError, ValidationFailed
from leadstore.handler import Idempotency, Outcome
from leadstore.http.audit_record import event_metadata
from leadstore.http.context import AnyRequest, Services, member_can_see, principal_of
from leadstore.http.errors import IdempotencyConflict, Unauthorized
from leadstore.http.schemas import LeadOut
from leadstore.store import idempotency
from leadstore.store.command_writes import KeyRevoked
from leadstore.store.idempotency import KeyTaken

LeadResponse = Response[LeadOut]

# `*`, or a version as ETag sends it (`"3"`, also weak or unquoted); matched whole, and stated in OpenAPI.
IF_MATCH_PATTERN = r'^\s*(?:\*|(?:W/)?"?([0-9]{1,9})"?)\s*$'
_IF_MATCH = re.compile(IF_MATCH_PATTERN)
_KEY = re.compile(r"\A[\x21-\x7e]{1,255}\Z")
_encoder = msgspec.json.Encoder()


def if_match(sent: str | None) -> int | None:
    """The version an `If-Match: "<version>"` header expects (None when absent or `*`)."""
    matched = None if sent is None else _IF_MATCH.fullmatch(sent)
    if sent is not None and matched is None:
        raise ValidationFailed([FieldError("If-Match", "invalid", 'must be a lead version as sent in ETag: "3"')])
    return None if matched is None or matched.group(1) is None else int(matched.group(1))


def idempotency_key(sent: str | None) -> str | None:
    """The Idempotency-Key header, when sent and usable as a key."""
    if sent is not None and not _KEY.match(sent):
        message = "must be 1 to 255 visible ASCII characters"
        raise ValidationFailed([FieldError("Idempotency-Key", "invalid", message)])
    return sent


class LeadWriter:
    """One write request on leads: who acts, their visibility, If-Match, idempotency and the response."""

    def __init__(self, request: AnyRequest, services: Services) -> None:
        self.request = request
        self.container = services
        self.principal = principal_of(request)
        self.key = idempotency_key(request.headers.get("idempotency-key"))
        self.expected_version = if_match(request.headers.get("if-match"))

    @property
    def account_id(self) -> UUID:
        return self.principal.account_id

    async def execute(self, cmd: Command) -> LeadResponse:
        """Run a command on an existing lead and answer 200 with it."""
        return await self._run(cmd, self.expected_version, 200, {})

    async def create(self, cmd: CreateLead) -> LeadResponse:
        """Create a lead and answer 201 with it and its Location (If-Match does not apply)."""
        return await self._run(cmd, None, 201, {"location": f"/v1/leads/{cmd.lead_id}"})

    async def _run(self, cmd: Command, expected: int | None, status: int, headers: dict[str, str]) -> LeadResponse:
        """Run the command once per idempotency key and answer with the lead, ETag and position."""

        async def execute(keyed: Idempotency | None) -> Outcome:
            return await self.container.handler.execute(
                cmd,
                account_id=self.account_id,
                metadata=self.metadata(),
                visible=member_can_see(self.principal),
                expected_version=expected,
                idempotency=keyed,
            )

        return await self.respond(execute, status, headers)

    def metadata(self) -> dict[str, Any]:
        """The request's audit metadata, recorded with every event the write appends."""
        return event_metadata(self.request, self.principal, self.container.settings.trusted_proxies)

    async def respond(
        self, execute: Callable[[Idempotency | None], Awaitable[Outcome]], status: int, headers: dict[str, str]
    ) -> LeadResponse:
        """Run `execute` once per idempotency key (it records the response with its write) and answer with
        the lead it returns, its ETag and the position."""
        fingerprint = await self._fingerprint()
        if (replayed := await self._replay(fingerprint)) is not None:
            return replayed
        keyed = None if self.key is None else Idempotency(self.key, fingerprint, status, headers)
        try:
            outcome = await execute(keyed)
        except (LeadstoreError, KeyTaken) as exc:
            # a concurrent request with the same key may have won: answer as it did
            if (replayed := await self._replay(fingerprint)) is not None:
                return replayed
            raise IdempotencyConflict() if isinstance(exc, KeyTaken) else _in_document_terms(exc) from None
        except KeyRevoked:
            raise Unauthorized("the API key is unknown, revoked, or its user is deactivated") from None
        lead = outcome.lead
        answer = headers | {"etag": f'"{lead.version}"', "leadstore-position": outcome.checkpoint.token()}
        body = outcome.response.body if outcome.response else _encoder.encode(lead_document(lead))
        return _response(idempotency.StoredResponse(fingerprint, status, answer, body))

    async def _fingerprint(self) -> bytes:
        if self.key is None:
            return b""
        request = self.request
        body = await request.body()
        actor = str(self.principal.actor.user_id)  # another user's key never replays them a lead they may not see
        return idempotency.request_hash(actor, request.method, request.url.path, request.url.query or "", body)

    async def _replay(self, fingerprint: bytes) -> LeadResponse | None:
        if self.key is None:
            return None
        async with self.container.pool.acquire() as conn:
            stored = await idempotency.find(conn, self.account_id, self.key)
        if stored is None:
            return None
        if stored.request_hash != fingerprint:
            raise IdempotencyConflict()
        return _response(stored, replayed=True)


def _in_document_terms(error: LeadstoreError) -> LeadstoreError:
    """The domain's refusal as a client of the Lead document reads it: a document member that no lead field
    holds (`object`, `full_name`), sent back in a body, is read-only rather than unknown."""
    if not isinstance(error, ValidationFailed) or not any(e.field in DOCUMENT_ONLY for e in error.errors):
        return error
    read_only = FieldError("", "read_only", "is set by the server and cannot be written")
    return ValidationFailed(
        [msgspec.structs.replace(read_only, field=e.field) if e.field in DOCUMENT_ONLY else e for e in error.errors]
    )


def _response(stored: idempotency.StoredResponse, *, replayed: bool = False) -> LeadResponse:
    headers = dict(stored.headers) | ({"idempotent-replayed": "true"} if replayed else {})
    response = Response(stored.body, status_code=stored.status, headers=headers, media_type="application/json")
    return cast("LeadResponse", response)
