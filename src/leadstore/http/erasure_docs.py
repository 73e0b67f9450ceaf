"""The OpenAPI words of `POST /v1/leads/{id}/erase`: what erasure does and does not reach, and an example."""

from __future__ import annotations

from typing import Any

from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example

from leadstore.http.openapi import WRITE_PROBLEMS, problems
from leadstore.http.schemas import LeadOut

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

ERASED_LEAD_EXAMPLE: dict[str, Any] = {
    "id": "0193a5f0-7c3e-7b1a-9d2e-4f5a6b7c8d9e",
    "object": "lead",
    "account_id": "0193a5e1-0000-7000-8000-000000000001",
    "first_name": None,
    "last_name": None,
    "full_name": "",
    "email": None,
    "phone": None,
    "title": None,
    "company": "Acme Corp",
    "status": "qualified",
    "score": 40,
    "source": "website",
    "custom": {},
    "mailing_address": None,
    "assigned_to": "0193a5e1-0000-7000-8000-000000000002",
    "is_converted": False,
    "archived": False,
    "created_by": "0193a5e1-0000-7000-8000-000000000002",
    "version": 5,
    "created_at": "2026-11-21T10:30:00.123Z",
    "updated_at": "2026-12-01T09:00:00.000Z",
    "erased": True,
}


def erase_responses() -> dict[int, ResponseSpec]:
    """The erased lead (with an example) and the problems a write can answer."""
    erased = ResponseSpec(
        data_container=LeadOut,
        description="The erased lead: personal fields null, `erased: true`.",
        examples=[Example(summary="An erased lead", value=ERASED_LEAD_EXAMPLE)],
    )
    return problems(*WRITE_PROBLEMS) | {200: erased}
