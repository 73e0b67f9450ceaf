"""Admin management of webhook endpoints: create, list, get, change, delete, rotate the secret, the delivery
log and replay requests. Delivering is the webhook worker's part (`leadstore.webhooks`)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any, get_args
from uuid import UUID

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.params import QueryParameter

from leadstore.domain.errors import FieldError, ValidationFailed
from leadstore.domain.field_checks import checked
from leadstore.http.auth import admin_only
from leadstore.http.bodies import documented_body
from leadstore.http.config_routes import account, admin_change, found
from leadstore.http.context import AnyRequest, Services, body_object, convert_body
from leadstore.http.errors import Unavailable
from leadstore.http.openapi import BODY_PROBLEMS, id_in_path, problems
from leadstore.http.params import path_id, position, refuse_query_parameters, reject_unknown_query
from leadstore.http.webhook_schemas import (
    FIELD_CHECKS,
    DeliveryPage,
    ReplayInput,
    ReplayOut,
    State,
    WebhookInput,
    WebhookList,
    WebhookOut,
    WebhookPatch,
    WebhookWithSecret,
)
from leadstore.store import checkpoints, webhooks
from leadstore.store.config import Row
from leadstore.store.events import TOKEN_PATTERN, Checkpoint
from leadstore.webhooks.addresses import AddressRefused, resolve
from leadstore.webhooks.secrets import SecretBox, new_secret

WebhookId = Annotated[str, id_in_path("webhook")]
RESOLVE_SECONDS = 5
NO_KEY = "webhook secrets can not be stored: the operator has not set LEADSTORE_SECRETS_KEY (or _FILE)"
STATE = "Only the deliveries in this state."
STATES: dict[str, Any] = {"enum": list(get_args(State))}  # checked by the handler, which names the parameter
AFTER = "The previous page's `next_cursor` (a delivery's position): deliveries older than it."


def sealing(services: Services) -> SecretBox:
    """The box that seals signing secrets; 503 `unavailable` when the deployment has no secrets key."""
    if services.secrets is None:
        raise Unavailable(NO_KEY, retry_after=3600)
    return services.secrets


async def check_address(services: Services, url: str) -> None:
    """Unless the deployment allows private addresses, 422 when the URL's host resolves to one (or nowhere)."""
    if services.settings.webhooks_allow_private:
        return
    try:
        async with asyncio.timeout(RESOLVE_SECONDS):
            await resolve(url, allow_private=False)
    except AddressRefused as exc:
        code = "unresolvable" if "does not resolve" in str(exc) else "private_address"
        raise ValidationFailed([FieldError("url", code, str(exc))]) from None
    except TimeoutError:
        message = f"the host did not resolve within {RESOLVE_SECONDS} s"
        raise ValidationFailed([FieldError("url", "unresolvable", message)]) from None


def delivery(row: Row, account_id: UUID) -> Row:
    """A delivery row as the API shows it: the lead's id (null for the account's own events), a position token."""
    lead_id = None if row["stream_id"] == account_id else row["stream_id"]
    token = Checkpoint(row["transaction_id"], row["position"]).token()
    return row | {"lead_id": lead_id, "position": token}


class WebhookRoutes(Controller):
    path = "/v1/webhooks"
    tags = ["Webhooks"]
    guards = [admin_only]

    @get(
        "/",
        operation_id="listWebhooks",
        before_request=refuse_query_parameters,
        responses=problems(),
        summary="List webhook endpoints",
    )
    async def list_webhooks(self, request: AnyRequest, services: Services) -> WebhookList:
        """Every endpoint of the account; never their secrets."""
        async with services.pool.acquire() as conn:
            return msgspec.convert({"data": await webhooks.list_webhooks(conn, account(request))}, WebhookList)

    @post(
        "/",
        before_request=refuse_query_parameters,
        operation_id="createWebhook",
        dependencies=documented_body(WebhookInput),
        responses=problems(*BODY_PROBLEMS),
        summary="Create a webhook endpoint",
    )
    async def create_webhook(self, request: AnyRequest, services: Services) -> WebhookWithSecret:
        """The answer holds the signing `secret`, this once; 503 `unavailable` when the deployment has no
        LEADSTORE_SECRETS_KEY to store it with."""
        body = convert_body(await body_object(request), WebhookInput, FIELD_CHECKS)
        box = sealing(services)
        await check_address(services, body.url)
        webhook_id, secret = webhooks.new_webhook_id(), new_secret()
        change = admin_change(request, services)
        async with services.pool.acquire() as conn:
            values = msgspec.to_builtins(body)
            row = await webhooks.create_webhook(conn, change, webhook_id, values, box.seal(webhook_id, secret))
        return msgspec.convert(row | {"secret": secret}, WebhookWithSecret)

    @get(
        "/{webhook_id:str}",
        operation_id="getWebhook",
        before_request=refuse_query_parameters,
        responses=problems(404),
        summary="Get a webhook endpoint",
    )
    async def get_webhook(self, request: AnyRequest, services: Services, webhook_id: WebhookId) -> WebhookOut:
        """An endpoint, with why and when deliveries turned it off, if they did."""
        async with services.pool.acquire() as conn:
            row = await webhooks.get_webhook(conn, account(request), path_id(webhook_id, "webhook"))
        return msgspec.convert(found(row, "webhook"), WebhookOut)

    @patch(
        "/{webhook_id:str}",
        operation_id="updateWebhook",
        summary="Change a webhook endpoint",
        before_request=refuse_query_parameters,
        dependencies=documented_body(WebhookPatch),
        responses=problems(*BODY_PROBLEMS, 404),
    )
    async def change_webhook(self, request: AnyRequest, services: Services, webhook_id: WebhookId) -> WebhookOut:
        """Change the url, event types, description or active flag; `active: true` resumes a disabled
        endpoint where its deliveries stopped."""
        target = path_id(webhook_id, "webhook")
        raw = await body_object(request)
        body = convert_body(raw, WebhookPatch, FIELD_CHECKS)
        if body.url is not None:
            await check_address(services, body.url)
        sent = {name: getattr(body, name) for name in raw}
        async with services.pool.acquire() as conn:
            row = await webhooks.update_webhook(conn, admin_change(request, services), target, sent)
        return msgspec.convert(found(row, "webhook"), WebhookOut)

    @delete(
        "/{webhook_id:str}",
        operation_id="deleteWebhook",
        before_request=refuse_query_parameters,
        responses=problems(404),
        summary="Delete a webhook endpoint",
    )
    async def delete_webhook(self, request: AnyRequest, services: Services, webhook_id: WebhookId) -> None:
        """Deliveries stop; the endpoint is 404 from now on."""
        async with services.pool.acquire() as conn:
            deleted = await webhooks.delete_webhook(conn, admin_change(request, services), path_id(webhook_id))
        found({} if deleted else None, "webhook")

    @post(
        "/{webhook_id:str}/rotate-secret",
        operation_id="rotateWebhookSecret",
        before_request=refuse_query_parameters,
        status_code=200,
        responses=problems(404),
        summary="Rotate the signing secret",
    )
    async def rotate_secret(self, request: AnyRequest, services: Services, webhook_id: WebhookId) -> WebhookWithSecret:
        """A new `secret`, in this answer only; for 24 hours deliveries carry signatures by both secrets."""
        target, box = path_id(webhook_id, "webhook"), sealing(services)
        secret, now = new_secret(), datetime.now(UTC)
        async with services.pool.acquire() as conn:
            row = await webhooks.rotate_secret(
                conn, admin_change(request, services), target, box.seal(target, secret), now
            )
        row = found(row, "webhook")
        return msgspec.convert(
            row | {"secret": secret, "previous_secret_expires_at": row["previous_expires_at"]}, WebhookWithSecret
        )

    @get(
        "/{webhook_id:str}/deliveries",
        operation_id="listWebhookDeliveries",
        responses=problems(404),
        summary="The delivery log",
    )
    async def deliveries(
        self,
        request: AnyRequest,
        services: Services,
        webhook_id: WebhookId,
        delivery_state: Annotated[
            str | None, QueryParameter(name="state", description=STATE, schema_extra=STATES)
        ] = None,
        after: Annotated[str | None, QueryParameter(description=AFTER, schema_extra={"pattern": TOKEN_PATTERN})] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
    ) -> DeliveryPage:
        """The endpoint's deliveries, newest first, optionally of one state."""
        reject_unknown_query(request, "state", "after", "limit", integers=("limit",))
        target, account_id = path_id(webhook_id, "webhook"), account(request)
        cursor = None if after is None else checked("after", position, after)
        if delivery_state not in (None, *get_args(State)):
            raise ValidationFailed([FieldError("state", "invalid", f"must be one of {', '.join(get_args(State))}")])
        async with services.pool.acquire() as conn:
            found(await webhooks.get_webhook(conn, account_id, target), "webhook")
            rows = await webhooks.list_deliveries(conn, target, delivery_state, cursor, limit)
        data = [delivery(row, account_id) for row in rows]
        next_cursor = data[-1]["position"] if data else None
        page = {"data": data, "has_more": len(rows) == limit, "next_cursor": next_cursor}
        return msgspec.convert(page, DeliveryPage)

    @post(
        "/{webhook_id:str}/replay",
        operation_id="replayWebhook",
        before_request=refuse_query_parameters,
        status_code=202,
        dependencies=documented_body(ReplayInput),
        responses=problems(*BODY_PROBLEMS, 404),
        summary="Redeliver from a position",
    )
    async def replay(self, request: AnyRequest, services: Services, webhook_id: WebhookId) -> ReplayOut:
        """Every matching event after `after` is delivered again, in order; the webhook worker applies it."""
        target = path_id(webhook_id, "webhook")
        after = checked("after", position, convert_body(await body_object(request), ReplayInput).after)
        async with services.pool.acquire() as conn:
            found(await webhooks.get_webhook(conn, account(request), target), "webhook")
            if not await checkpoints.log_reaches(conn, account(request), after):
                message = "is beyond the last event of this account: pass an event's position"
                raise ValidationFailed([FieldError("after", "beyond_head", message)])
            row = await webhooks.request_replay(conn, admin_change(request, services), target, after)
        found(row, "webhook")
        return ReplayOut(webhook_id=target, after=after.token())
