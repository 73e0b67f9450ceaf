"""POST /v1/webhooks/{id}/test (admins): a signed ping to the endpoint, answered with what the receiver said."""

from __future__ import annotations

from litestar import post

from leadstore.http.auth import admin_only
from leadstore.http.config_routes import account
from leadstore.http.context import AnyRequest, Services
from leadstore.http.errors import NotFound, Unavailable
from leadstore.http.openapi import WebhookId, problems
from leadstore.http.params import path_id, refuse_query_parameters
from leadstore.webhooks import store
from leadstore.webhooks.ping import PingResult, ping
from leadstore.webhooks.secrets import SecretBox
from leadstore.webhooks.shared import DeliveryContext

DESCRIPTION = """\
Sends `{"type": "WebhookTest", "id", "webhook_id", "account_id", "occurred_at", "data": {}}` to the endpoint,
signed as every delivery is (its `webhook-id` is the ping's `id`), with the same timeouts and address checks,
and answers with the receiver's status, or why there was none. A disabled endpoint is pinged too; nothing is
recorded in its delivery log."""


@post(
    "/v1/webhooks/{webhook_id:str}/test",
    guards=[admin_only],
    status_code=200,
    operation_id="testWebhook",
    tags=["Webhooks"],
    summary="Send a test ping",
    description=DESCRIPTION,
    responses=problems(404),
    before_request=refuse_query_parameters,
)
async def ping_webhook(request: AnyRequest, services: Services, webhook_id: WebhookId) -> PingResult:
    """Ping the endpoint now and report the receiver's answer."""
    target = path_id(webhook_id, "webhook")
    async with services.pool.acquire() as conn:
        endpoint = await store.endpoint(conn, target, account(request))
    if endpoint is None:
        raise NotFound("no such webhook in this account")
    settings = services.settings
    box = SecretBox.from_settings(settings.secrets_key, settings.secrets_key_file)
    if box is None:
        raise Unavailable("webhook secrets can not be opened: LEADSTORE_SECRETS_KEY is not set")
    return await ping(DeliveryContext(settings, box), endpoint)
