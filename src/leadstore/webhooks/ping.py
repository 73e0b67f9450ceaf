"""A test ping to an endpoint (`POST /v1/webhooks/{id}/test`): signed and sent by the deliveries' own code,
answered synchronously; it writes nothing."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import msgspec
from uuid_utils.compat import uuid7

from leadstore.documents import timestamp
from leadstore.webhooks.sender import Attempt, new_client, post, signed_headers
from leadstore.webhooks.shared import DeliveryContext
from leadstore.webhooks.store import Endpoint

_encoder = msgspec.json.Encoder()


class PingResult(msgspec.Struct, kw_only=True):
    """What the receiver made of the ping."""

    delivered: bool
    status: int | None
    error: str | None
    duration_ms: int


async def ping(context: DeliveryContext, endpoint: Endpoint) -> PingResult:
    """Send `{"type": "WebhookTest", ...}` to the endpoint, signed with its secrets, through the delivery path."""
    message_id = str(uuid7())
    body = _encoder.encode(
        {
            "id": message_id,
            "type": "WebhookTest",
            "webhook_id": str(endpoint.id),
            "account_id": str(endpoint.account_id),
            "occurred_at": timestamp(datetime.now(UTC)),
            "data": {},
        }
    )
    headers = signed_headers(context.secrets(endpoint), message_id, message_id, body)
    started = time.monotonic()
    async with new_client(1) as client:
        allow_private = context.settings.webhooks_allow_private
        attempt: Attempt = await post(client, endpoint.url, body, headers, allow_private=allow_private)
    elapsed = int((time.monotonic() - started) * 1000)
    return PingResult(delivered=attempt.delivered, status=attempt.status, error=attempt.error, duration_ms=elapsed)
