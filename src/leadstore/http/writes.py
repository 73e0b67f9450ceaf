"""Lead writes over HTTP: If-Match, Idempotency-Key (recorded in the command's transaction), the response."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any, cast
from uuid import UUID

import msgspec
from litestar import Response

from leadstore.domain.commands import CreateLead
from leadstore.domain.document import lead_document
from leadstore.domain.errors import FieldError, LeadstoreError, ValidationFailed
from leadstore.handler import AfterAppend, Outcome, Plan
from leadstore.http.context import AnyRequest, event_metadata, member_can_see, principal_of
from leadstore.http.errors import IdempotencyConflict
from leadstore.http.schemas import LeadOut
from leadstore.store import idempotency
from leadstore.store.db import Conn

Run = Callable[[AfterAppend], Awaitable[Outcome]]
LeadResponse = Response[LeadOut]

_ETAG = re.compile(r'\A\s*(?:W/)?"?([0-9]{1,9})"?\s*\Z')
_KEY = re.compile(r"\A[\x21-\x7e]{1,255}\Z")
_encoder = msgspec.json.Encoder()


def if_match(sent: str | None) -> int | None:
    """The version an `If-Match: "<version>"` header expects (None when absent or `*`)."""
    if sent is None or sent.strip() == "*":
        return None
    matched = _ETAG.match(sent)
    if matched is None:
        raise ValidationFailed([FieldError("If-Match", "invalid", 'must be a lead version as sent in ETag: "3"')])
    return int(matched.group(1))


def idempotency_key(sent: str | None) -> str | None:
    """The Idempotency-Key header, when sent and usable as a key."""
    if sent is not None and not _KEY.match(sent):
        message = "must be 1 to 255 visible ASCII characters"
        raise ValidationFailed([FieldError("Idempotency-Key", "invalid", message)])
    return sent


class LeadWriter:
    """One write request on leads: who acts, their visibility, If-Match, idempotency and the response."""

    def __init__(self, request: AnyRequest) -> None:
        self.request = request
        self.container = request.app.state.container
        self.principal = principal_of(request)
        self.key = idempotency_key(request.headers.get("idempotency-key"))
        self.expected_version = if_match(request.headers.get("if-match"))

    @property
    def account_id(self) -> UUID:
        return self.principal.account_id

    def options(self) -> dict[str, Any]:
        """The handler's keyword arguments every write shares."""
        return {
            "account_id": self.account_id,
            "metadata": event_metadata(self.request, self.principal),
            "visible": member_can_see(self.principal),
            "expected_version": self.expected_version,
        }

    async def execute_plan(self, lead_id: UUID, plan: Plan) -> LeadResponse:
        """Run a plan of commands on one lead and answer 200 with the lead."""
        options = self.options()
        return await self.respond(
            lambda after: self.container.handler.execute_many(lead_id, plan, **options, after_append=after)
        )

    async def create(self, cmd: CreateLead) -> LeadResponse:
        """Create a lead and answer 201 with it and its Location (If-Match does not apply)."""
        options = self.options() | {"expected_version": None}
        return await self.respond(
            lambda after: self.container.handler.execute(cmd, **options, after_append=after), status=201, location=True
        )

    async def respond(self, run: Run, *, status: int = 200, location: bool = False) -> LeadResponse:
        """Run the command(s) once per idempotency key and answer with the lead, ETag and position."""
        fingerprint = await self._fingerprint()
        if (replayed := await self._replay(fingerprint)) is not None:
            return replayed
        answer: list[idempotency.StoredResponse] = []

        async def after_append(conn: Conn, outcome: Outcome) -> None:
            answer.append(self._answer(outcome, status, location, fingerprint))
            if self.key is not None:
                await idempotency.record(conn, self.account_id, self.key, answer[-1])

        try:
            await run(after_append)
        except (LeadstoreError, idempotency.KeyTaken) as exc:
            # a concurrent request with the same key may have won: answer as it did
            if (replayed := await self._replay(fingerprint)) is not None:
                return replayed
            raise IdempotencyConflict() if isinstance(exc, idempotency.KeyTaken) else exc from None
        return _response(answer[-1])

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

    def _answer(self, outcome: Outcome, status: int, location: bool, fingerprint: bytes) -> idempotency.StoredResponse:
        lead = outcome.lead
        headers = {"etag": f'"{lead.version}"', "leadstore-position": outcome.position.token()}
        if location:
            headers["location"] = f"/v1/leads/{lead.id}"
        return idempotency.StoredResponse(fingerprint, status, headers, _encoder.encode(lead_document(lead)))


def _response(stored: idempotency.StoredResponse, *, replayed: bool = False) -> LeadResponse:
    headers = dict(stored.headers) | ({"idempotent-replayed": "true"} if replayed else {})
    response = Response(stored.body, status_code=stored.status, headers=headers, media_type="application/json")
    return cast("LeadResponse", response)
