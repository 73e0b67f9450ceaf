"""Admin configuration of the pipeline: statuses, lead sources, teams (members, rotation), custom fields."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, get, patch, post, put
from litestar.params import Parameter

from leadstore.domain.errors import FieldError, ValidationFailed
from leadstore.http.audit_record import event_metadata
from leadstore.http.auth import admin_only
from leadstore.http.bodies import documented_body
from leadstore.http.config_schemas import (
    KEY_PATTERN,
    CustomFieldInput,
    CustomFieldList,
    CustomFieldOut,
    CustomFieldPatch,
    RotationInput,
    RotationOut,
    SourceInput,
    SourceList,
    SourceOut,
    SourcePatch,
    StatusInput,
    StatusList,
    StatusOrder,
    StatusOut,
    StatusPatch,
    TeamInput,
    TeamList,
    TeamOut,
    TeamPatch,
)
from leadstore.http.context import AnyRequest, Services, body_object, convert_body, principal_of
from leadstore.http.errors import NotFound
from leadstore.http.openapi import BODY_PROBLEMS, TeamId, problems
from leadstore.http.params import path_id
from leadstore.store import config, people
from leadstore.store.account_log import AdminChange, lock_account
from leadstore.store.db import Conn

Row = dict[str, Any]
CHOICE_TYPES = ("choice", "multi_choice")


def account(request: AnyRequest) -> UUID:
    return principal_of(request).account_id


def admin_change(request: AnyRequest, services: Services) -> AdminChange:
    """This request's administrative change: its account, and the actor and request its events record."""
    principal = principal_of(request)
    return AdminChange(principal.account_id, event_metadata(request, principal, services.settings.trusted_proxies))


def created(row: Row | None, field: str, value: Any) -> Row:
    """The inserted row; a 422 on `field` when its key already existed."""
    if row is None:
        raise ValidationFailed([FieldError(field, "already_exists", f"{value!r} already exists in this account")])
    return row


# A key that breaks the key rule names nothing that can exist: 422 naming `key`, before any query.
KeyInPath = Annotated[str, Parameter(description="The key.", pattern=KEY_PATTERN)]


def found(row: Row | None, what: str) -> Row:
    if row is None:
        raise NotFound(f"no such {what} in this account")
    return row


async def check_team(conn: Conn, account_id: UUID, team_id: UUID | None) -> None:
    if team_id is not None and not await config.list_teams(conn, account_id, team_id):
        raise ValidationFailed([FieldError("team_id", "unknown_team", "is not a team of this account")])


async def check_members(conn: Conn, account_id: UUID, members: list[UUID]) -> None:
    """ValidationFailed unless every member is an active user; inside the change's transaction, whose account
    lock it takes first, so that a deactivation waiting on that lock can not slip between check and write."""
    await lock_account(conn, account_id)
    known = await people.active_users(conn, account_id, members)
    message = "is not an active user of this account"
    errors = [FieldError(f"members[{i}]", "unknown_user", message) for i, u in enumerate(members) if u not in known]
    if errors:
        raise ValidationFailed(errors)


def check_choices(field_type: str, choices: list[str] | None) -> None:
    if choices is None:
        return
    if field_type in CHOICE_TYPES and (not choices or len(set(choices)) != len(choices)):
        message = "must list at least one choice, each once"
        raise ValidationFailed([FieldError("choices", "invalid", message)])
    if field_type not in CHOICE_TYPES and choices:
        raise ValidationFailed([FieldError("choices", "invalid", f"a {field_type} field has no choices")])


# Every role may read the configuration, so that any client can discover valid keys; admins change it.
class StatusRoutes(Controller):
    path = "/v1/statuses"
    tags = ["Statuses"]

    @get("/", operation_id="listStatuses", responses=problems(), summary="List statuses")
    async def list_statuses(self, request: AnyRequest, services: Services) -> StatusList:
        async with services.pool.acquire() as conn:
            return msgspec.convert({"data": await config.list_statuses(conn, account(request))}, StatusList)

    @post(
        "/",
        guards=[admin_only],
        operation_id="createStatus",
        dependencies=documented_body(StatusInput),
        responses=problems(*BODY_PROBLEMS),
        summary="Create a status",
    )
    async def create_status(self, request: AnyRequest, services: Services) -> StatusOut:
        body = convert_body(await body_object(request), StatusInput)
        async with services.pool.acquire() as conn:
            row = await config.create_status(
                conn, admin_change(request, services), body.key, body.label, body.kind, body.color
            )
        return msgspec.convert(created(row, "key", body.key), StatusOut)

    @patch(
        "/{key:str}",
        operation_id="updateStatus",
        guards=[admin_only],
        dependencies=documented_body(StatusPatch),
        responses=problems(*BODY_PROBLEMS, 404),
        summary="Change a status",
    )
    async def rename_status(self, request: AnyRequest, services: Services, key: KeyInPath) -> StatusOut:
        """Change a status's label or color."""
        raw = await body_object(request)
        convert_body(raw, StatusPatch)
        async with services.pool.acquire() as conn:
            row = await config.update_status(conn, admin_change(request, services), key, raw)
        return msgspec.convert(found(row, "status"), StatusOut)

    @post(
        "/reorder",
        operation_id="reorderStatuses",
        summary="Reorder the statuses",
        guards=[admin_only],
        status_code=200,
        dependencies=documented_body(StatusOrder),
        responses=problems(*BODY_PROBLEMS),
    )
    async def reorder_statuses(self, request: AnyRequest, services: Services) -> StatusList:
        """Put the statuses in a new pipeline order."""
        body = convert_body(await body_object(request), StatusOrder)
        async with services.pool.acquire() as conn, conn.transaction():
            await lock_account(conn, account(request))
            current = {row["key"]: row["kind"] for row in await config.list_statuses(conn, account(request))}
            if sorted(body.keys) != sorted(current) or current[body.keys[0]] != "open":
                message = "must list every status key once, starting with an open status"
                raise ValidationFailed([FieldError("keys", "invalid", message)])
            rows = await config.reorder_statuses(conn, admin_change(request, services), body.keys)
        return msgspec.convert({"data": rows}, StatusList)


class SourceRoutes(Controller):
    path = "/v1/sources"
    tags = ["Sources"]

    @get("/", operation_id="listSources", responses=problems(), summary="List lead sources")
    async def list_sources(self, request: AnyRequest, services: Services) -> SourceList:
        async with services.pool.acquire() as conn:
            return msgspec.convert({"data": await config.list_sources(conn, account(request))}, SourceList)

    @post(
        "/",
        guards=[admin_only],
        operation_id="createSource",
        dependencies=documented_body(SourceInput),
        responses=problems(*BODY_PROBLEMS),
        summary="Create a source",
    )
    async def create_source(self, request: AnyRequest, services: Services) -> SourceOut:
        body = convert_body(await body_object(request), SourceInput)
        async with services.pool.acquire() as conn:
            await check_team(conn, account(request), body.team_id)
            row = await config.create_source(conn, admin_change(request, services), body.key, body.label, body.team_id)
        return msgspec.convert(created(row, "key", body.key), SourceOut)

    @patch(
        "/{key:str}",
        operation_id="updateSource",
        guards=[admin_only],
        dependencies=documented_body(SourcePatch),
        responses=problems(*BODY_PROBLEMS, 404),
        summary="Change a source",
    )
    async def change_source(self, request: AnyRequest, services: Services, key: KeyInPath) -> SourceOut:
        """Change a source's label or team (null: a source of every team)."""
        raw = await body_object(request)
        body = convert_body(raw, SourcePatch)
        async with services.pool.acquire() as conn:
            await check_team(conn, account(request), body.team_id)
            row = await config.update_source(conn, admin_change(request, services), key, _sent(raw, body))
        return msgspec.convert(found(row, "source"), SourceOut)


def _sent(raw: Row, body: msgspec.Struct) -> Row:
    """The converted values of the fields the client sent (absent fields do not change)."""
    return {name: getattr(body, name) for name in raw}


class TeamRoutes(Controller):
    path = "/v1/teams"
    tags = ["Teams"]

    @get("/", operation_id="listTeams", responses=problems(), summary="List teams")
    async def list_teams(self, request: AnyRequest, services: Services) -> TeamList:
        async with services.pool.acquire() as conn:
            return msgspec.convert({"data": await config.list_teams(conn, account(request))}, TeamList)

    @post(
        "/",
        guards=[admin_only],
        operation_id="createTeam",
        dependencies=documented_body(TeamInput),
        responses=problems(*BODY_PROBLEMS),
        summary="Create a team",
    )
    async def create_team(self, request: AnyRequest, services: Services) -> TeamOut:
        body = convert_body(await body_object(request), TeamInput)
        async with services.pool.acquire() as conn, conn.transaction():
            await check_members(conn, account(request), body.members)
            row = await config.create_team(
                conn, admin_change(request, services), body.name, body.rotation, body.members
            )
        return msgspec.convert(row, TeamOut)

    @patch(
        "/{team_id:str}",
        operation_id="updateTeam",
        guards=[admin_only],
        dependencies=documented_body(TeamPatch),
        responses=problems(*BODY_PROBLEMS, 404),
        summary="Change a team",
    )
    async def change_team(self, request: AnyRequest, services: Services, team_id: TeamId) -> TeamOut:
        """Rename, switch rotation, or set the members."""
        raw = await body_object(request)
        body = convert_body(raw, TeamPatch)
        async with services.pool.acquire() as conn, conn.transaction():
            await check_members(conn, account(request), body.members or [])
            row = await config.update_team(
                conn, admin_change(request, services), path_id(team_id, "team"), _sent(raw, body)
            )
        return msgspec.convert(found(row, "team"), TeamOut)


class CustomFieldRoutes(Controller):
    path = "/v1/custom-fields"
    tags = ["Custom fields"]

    @get("/", operation_id="listCustomFields", responses=problems(), summary="List custom fields")
    async def list_fields(self, request: AnyRequest, services: Services) -> CustomFieldList:
        async with services.pool.acquire() as conn:
            return msgspec.convert({"data": await config.list_custom_fields(conn, account(request))}, CustomFieldList)

    @post(
        "/",
        operation_id="createCustomField",
        guards=[admin_only],
        dependencies=documented_body(CustomFieldInput),
        responses=problems(*BODY_PROBLEMS),
        summary="Create a custom field",
    )
    async def create_field(self, request: AnyRequest, services: Services) -> CustomFieldOut:
        """Create a custom field; leads then carry its value under `custom.<key>`."""
        body = convert_body(await body_object(request), CustomFieldInput)
        check_choices(body.type, body.choices)
        async with services.pool.acquire() as conn:
            row = await config.create_custom_field(conn, admin_change(request, services), msgspec.to_builtins(body))
        return msgspec.convert(created(row, "key", body.key), CustomFieldOut)

    @patch(
        "/{key:str}",
        operation_id="updateCustomField",
        guards=[admin_only],
        dependencies=documented_body(CustomFieldPatch),
        responses=problems(*BODY_PROBLEMS, 404),
        summary="Change a custom field",
    )
    async def change_field(self, request: AnyRequest, services: Services, key: KeyInPath) -> CustomFieldOut:
        """Change a custom field's label, choices or required flag."""
        raw = await body_object(request)
        body = convert_body(raw, CustomFieldPatch)
        async with services.pool.acquire() as conn, conn.transaction():
            fields = {row["key"]: row for row in await config.list_custom_fields(conn, account(request))}
            check_choices(found(fields.get(key), "custom field")["type"], body.choices)
            row = await config.update_custom_field(conn, admin_change(request, services), key, _sent(raw, body))
        return msgspec.convert(found(row, "custom field"), CustomFieldOut)


class RotationRoutes(Controller):
    """The account's default rotation: leads written with no team and no assignee take a turn in it."""

    path = "/v1/rotation"
    tags = ["Rotation"]

    @get("/", operation_id="getRotation", responses=problems(), summary="Get the default rotation")
    async def get_rotation(self, request: AnyRequest, services: Services) -> RotationOut:
        """Every role may read it."""
        async with services.pool.acquire() as conn:
            return msgspec.convert(await config.get_rotation(conn, account(request)), RotationOut)

    @put(
        "/",
        guards=[admin_only],
        operation_id="setRotation",
        dependencies=documented_body(RotationInput),
        responses=problems(*BODY_PROBLEMS),
        summary="Set the default rotation",
    )
    async def put_rotation(self, request: AnyRequest, services: Services) -> RotationOut:
        """Turn the default rotation on or off and set its members, in rotation order."""
        body = convert_body(await body_object(request), RotationInput)
        async with services.pool.acquire() as conn, conn.transaction():
            await check_members(conn, account(request), body.members)
            row = await config.put_rotation(conn, admin_change(request, services), body.enabled, body.members)
        return msgspec.convert(row, RotationOut)


ConfigRoutes = [StatusRoutes, SourceRoutes, TeamRoutes, CustomFieldRoutes, RotationRoutes]
