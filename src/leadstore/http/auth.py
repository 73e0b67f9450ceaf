"""Authentication (Bearer API keys), the X-Account-Id check, the request limits and role guards, for every
/v1 route. A failed authentication is logged (its reason and the client address, never any part of the key)
and counted; the limits' refusals are counted."""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Any
from uuid import UUID

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from leadstore.bootstrap import Container
from leadstore.http.context import PRINCIPAL_KEY
from leadstore.http.errors import Forbidden, Unauthorized
from leadstore.http.tracing import request_id
from leadstore.limits import RateLimited
from leadstore.store.accounts import Principal, hash_key

log = logging.getLogger(__name__)

AnyConnection = ASGIConnection[Any, Any, Any, Any]
MAX_KEY_LENGTH = 200


def bearer_key(connection: AnyConnection) -> str:
    """The API key of `Authorization: Bearer <key>`, or of `Basic base64(<key>:)` (the key as the user name,
    an empty password, as Stripe and Close accept); Unauthorized when absent or malformed."""
    scheme, _, credentials = connection.headers.get("authorization", "").partition(" ")
    credentials = credentials.strip()
    key = _basic_user(credentials) if scheme.lower() == "basic" else credentials
    if scheme.lower() not in ("bearer", "basic") or not key or len(key) > MAX_KEY_LENGTH:
        raise Unauthorized("send an API key as Authorization: Bearer <api_key> (or Basic, the key as user name)")
    return key


def _basic_user(credentials: str) -> str:
    """The user name of Basic credentials with an empty password; "" for anything else."""
    if len(credentials) > 2 * MAX_KEY_LENGTH:
        return ""
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        return ""
    user, colon, password = decoded.partition(":")
    return user if colon and not password else ""


def check_account_header(connection: AnyConnection, principal: Principal) -> None:
    """X-Account-Id is optional; when sent it must name the key's account."""
    sent = connection.headers.get("x-account-id")
    if sent is None:
        return
    try:
        named = UUID(sent.strip())
    except ValueError:
        named = None
    if named != principal.account_id:
        raise Forbidden("X-Account-Id does not name the account of this API key")


async def authenticated(connection: AnyConnection, _: BaseRouteHandler) -> None:
    """Guard of every /v1 route: the client address's failure limit, then the key resolved to its user and
    account (or 401/403), then the key's request budget; 429 from either limit."""
    container: Container = connection.app.state.container
    try:
        principal = await _principal(connection, container, client_address(connection))
        check_account_header(connection, principal)
        await container.limits.keys.spend(principal.actor.api_key_id)
    except RateLimited as refused:
        container.metrics.rate_limited.labels(kind=refused.kind).inc()
        raise
    connection.scope["state"][PRINCIPAL_KEY] = principal


async def _principal(connection: AnyConnection, container: Container, address: str) -> Principal:
    failures = container.limits.failures
    failures.refuse_blocked(address)
    try:
        key = bearer_key(connection)
    except Unauthorized:
        await failures.failed(address)
        _failed(connection, container, address, "malformed" if "authorization" in connection.headers else "missing")
        raise
    principal = container.principals.cached(key)
    if principal is None:
        principal = await failures.checked(
            address, hash_key(key), lambda: container.principals.principal(container.pool, key)
        )
    if principal is None:
        _failed(connection, container, address, "unknown_key")
        raise Unauthorized("the API key is unknown, revoked, or its user is deactivated")
    return principal


def client_address(connection: AnyConnection) -> str:
    """The client's address as the server determined it (forwarded only by LEADSTORE_TRUSTED_PROXIES)."""
    client = connection.client
    return client.host if client and client.host else "unknown"


def _failed(connection: AnyConnection, container: Container, address: str, reason: str) -> None:
    container.metrics.auth_failures.labels(reason=reason).inc()
    rid = request_id(connection.scope)
    fields = {"reason": reason, "address": address, "request_id": rid}
    log.warning("authentication failed: %s from %s (request %s)", reason, address, rid, extra=fields)


async def admin_only(connection: AnyConnection, _: BaseRouteHandler) -> None:
    """Guard of configuration and feed routes (after `authenticated`)."""
    principal = connection.scope["state"].get(PRINCIPAL_KEY)
    if not isinstance(principal, Principal) or principal.actor.role != "admin":
        raise Forbidden("this endpoint is for admins of the account")
