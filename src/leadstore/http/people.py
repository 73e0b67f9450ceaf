"""Admin management of users (create, list, deactivate) and API keys (issue, list, revoke)."""

from __future__ import annotations

import msgspec
from litestar import Controller, get, post

from leadstore.domain import field_checks
from leadstore.domain.errors import FieldError, ValidationFailed
from leadstore.http.auth import admin_only
from leadstore.http.bodies import documented_body
from leadstore.http.config_routes import account, admin_change, created, found
from leadstore.http.config_schemas import (
    ApiKeyCreated,
    ApiKeyInput,
    ApiKeyList,
    ApiKeyOut,
    UserInput,
    UserList,
    UserOut,
)
from leadstore.http.context import AnyRequest, Services, body_object, convert_body, principal_of
from leadstore.http.openapi import BODY_PROBLEMS, KeyId, UserId, problems
from leadstore.http.params import path_id
from leadstore.store import people
from leadstore.store.account_log import lock_account


class UserRoutes(Controller):
    path = "/v1/users"
    tags = ["Users"]

    @get("/", operation_id="listUsers", responses=problems(), summary="List users")
    async def list_users(self, request: AnyRequest, services: Services) -> UserList:
        """Admins see every user whole; other roles the active users' id, name and role."""
        async with services.pool.acquire() as conn:
            rows = await people.list_users(conn, account(request))
        if principal_of(request).actor.role != "admin":
            rows = [{"id": row["id"], "name": row["name"], "role": row["role"]} for row in rows if row["active"]]
        return msgspec.convert({"data": rows}, UserList)

    @post(
        "/",
        guards=[admin_only],
        operation_id="createUser",
        dependencies=documented_body(UserInput),
        responses=problems(*BODY_PROBLEMS),
        summary="Create a user",
    )
    async def create_user(self, request: AnyRequest, services: Services) -> UserOut:
        """A user of the account; give them a key with POST /v1/api-keys."""
        body = convert_body(await body_object(request), UserInput, {"email": field_checks.email})
        async with services.pool.acquire() as conn:
            row = await people.create_user(conn, admin_change(request, services), body.email, body.name, body.role)
        return msgspec.convert(created(row, "email", body.email), UserOut)

    @post(
        "/{user_id:str}/deactivate",
        operation_id="deactivateUser",
        guards=[admin_only],
        status_code=200,
        responses=problems(404, 409),
        summary="Deactivate a user",
    )
    async def deactivate_user(self, request: AnyRequest, services: Services, user_id: UserId) -> UserOut:
        """Their keys stop working at once for writes in every process, and for reads within a second; they
        leave rotations; their leads stay theirs."""
        target = path_id(user_id, "user")
        if target == principal_of(request).actor.user_id:
            raise ValidationFailed([FieldError("user_id", "self", "you cannot deactivate yourself")])
        async with services.pool.acquire() as conn:
            row = await people.deactivate_user(conn, admin_change(request, services), target)
        services.principals.forget()  # other processes: within a second (and every write)
        return msgspec.convert(found(row, "user"), UserOut)


class ApiKeyRoutes(Controller):
    path = "/v1/api-keys"
    tags = ["API keys"]
    guards = [admin_only]

    @get("/", operation_id="listApiKeys", responses=problems(), summary="List API keys")
    async def list_keys(self, request: AnyRequest, services: Services) -> ApiKeyList:
        """Every key of the account, revoked ones included; never the keys themselves."""
        async with services.pool.acquire() as conn:
            return msgspec.convert({"data": await people.list_api_keys(conn, account(request))}, ApiKeyList)

    @post(
        "/",
        operation_id="createApiKey",
        dependencies=documented_body(ApiKeyInput),
        responses=problems(*BODY_PROBLEMS),
        summary="Issue an API key",
    )
    async def issue_key(self, request: AnyRequest, services: Services) -> ApiKeyCreated:
        """A new key for a user (default: yourself). The key is in this response only."""
        body = convert_body(await body_object(request, optional=True), ApiKeyInput)
        user_id = body.user_id or principal_of(request).actor.user_id
        async with services.pool.acquire() as conn, conn.transaction():
            await lock_account(conn, account(request))  # a deactivation waiting on it is seen by the check
            if not await people.active_users(conn, account(request), [user_id]):
                raise ValidationFailed([FieldError("user_id", "unknown_user", "is not an active user of this account")])
            row, key = await people.issue_api_key(conn, admin_change(request, services), user_id, body.name)
        return msgspec.convert(row | {"key": key}, ApiKeyCreated)

    @post(
        "/{key_id:str}/revoke",
        operation_id="revokeApiKey",
        status_code=200,
        responses=problems(404),
        summary="Revoke an API key",
    )
    async def revoke_key(self, request: AnyRequest, services: Services, key_id: KeyId) -> ApiKeyOut:
        """The key stops working at once for writes in every process, and for reads within a second.
        Revoking twice changes nothing."""
        async with services.pool.acquire() as conn:
            row = await people.revoke_api_key(conn, admin_change(request, services), path_id(key_id, "API key"))
        services.principals.forget()
        return msgspec.convert(found(row, "API key"), ApiKeyOut)


People = [UserRoutes, ApiKeyRoutes]
