"""The OpenAPI words of `POST /v1/leads/{id}/erase`: what erasure does and does not reach, and an example."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from litestar.openapi.spec import Example, OpenAPIResponse, Operation, RequestBody

from leadstore.documents import lead_document
from leadstore.domain.state import Lead, erased

ERASE_DESCRIPTION = """\
Erases the person behind a lead (GDPR article 17, CCPA): `LeadErased` is appended and, in the same
transaction, the lead's data key is destroyed, its email reservation removed (the address is free for a new
lead) and the stored responses of its idempotency keys lose their personal values. From then on every
reader (the lead, `as_of`, its events, `GET /v1/events`, exports, replays, NATS republishing, webhooks)
shows `null` for its personal fields (names, email, phone, title, description, notes, message,
source_page_url, mailing_address, custom values, and the `ip` and `user_agent` of its requests) and
`erased: true`; its non-personal history (status, score, source, assignment, team, conversion, times, who
acted) stays. Erasing it again returns the erased lead and writes nothing; any other write to it is 409
`lead_erased`. A lead with events written before encryption at rest is 409 `erasure_unavailable`: its
plaintext can only go with a fresh copy of the log (`leadstore export`, then `leadstore import --encrypt`
into a new database). Subscribers and webhooks receive `LeadErased` and must erase their own copies.
Admins only."""

REQUEST = {"reason": "GDPR art. 17 request #2026-118"}
USER = UUID("0193a5e1-0000-7000-8000-000000000002")
# An erased lead as the route answers it: built by the domain, so the example has every member of the document.
ERASED: dict[str, Any] = lead_document(
    erased(
        Lead(
            id=UUID("0193a5f0-7c3e-7b1a-9d2e-4f5a6b7c8d9e"),
            account_id=UUID("0193a5e1-0000-7000-8000-000000000001"),
            created_by=USER,
            assigned_to=USER,
            status="qualified",
            company="Acme Corp",
            score=40,
            source="website",
            version=5,
            created_at=datetime(2026, 11, 21, 10, 30, 0, 123000, tzinfo=UTC),
            updated_at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
        )
    )
)


@dataclass
class EraseOperation(Operation):
    """The erase route's operation, with examples of its request and of the erased lead it answers (added to
    the generated responses, so the success response keeps its documented headers)."""

    def __post_init__(self) -> None:
        ok = (self.responses or {}).get("200")
        if isinstance(ok, OpenAPIResponse) and ok.content and "application/json" in ok.content:
            ok.content["application/json"].examples = {"erased": Example(summary="An erased lead", value=ERASED)}
        body = self.request_body
        if isinstance(body, RequestBody) and "application/json" in body.content:
            body.content["application/json"].examples = {"gdpr": Example(summary="A GDPR request", value=REQUEST)}
