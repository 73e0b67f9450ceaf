"""Authentication (Bearer API keys), the X-Account-Id check and role guards, for every /v1 route."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from uuid import UUID

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from leadstore.http.context import PRINCIPAL_KEY
from leadstore.http.errors import Forbidden, Unauthorized
from leadstore.store.accounts import Principal

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
    """Guard of every /v1 route: resolve the key to its user and account, or refuse with 401/403."""
    key = bearer_key(connection)
    container = connection.app.state.container
    principal = await container.principals.principal(container.pool, key)
    if principal is None:
        raise Unauthorized("the API key is unknown, revoked, or its user is deactivated")
    check_account_header(connection, principal)
    connection.scope["state"][PRINCIPAL_KEY] = principal


async def admin_only(connection: AnyConnection, _: BaseRouteHandler) -> None:
    """Guard of configuration and feed routes (after `authenticated`)."""
    principal = connection.scope["state"].get(PRINCIPAL_KEY)
    if not isinstance(principal, Principal) or principal.actor.role != "admin":
        raise Forbidden("this endpoint is for admins of the account")
