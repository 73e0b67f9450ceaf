"""The OpenAPI words of `POST /v1/leads/{id}/erase`: what erasure does and does not reach, and an example."""

from __future__ import annotations

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
