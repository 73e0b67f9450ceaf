"""Lead commands over HTTP: create, merge-patch, assign, convert, archive, restore. Each appends events."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, patch, post
from litestar.params import QueryParameter

from leadstore.http import commands
from leadstore.http.auth import admin_only
from leadstore.http.bodies import documented_body
from leadstore.http.context import AnyRequest, Services, body_object, convert_body
from leadstore.http.erasure_docs import ERASE_DESCRIPTION, EraseOperation
from leadstore.http.openapi import (
    LOCATION,
    WRITE_HEADERS,
    WRITE_PARAMETERS,
    WRITE_PROBLEMS,
    LeadId,
    problems,
)
from leadstore.http.params import path_id as parse_lead_id
from leadstore.http.params import reject_unknown_query
from leadstore.http.schemas import AssignInput, ConvertInput, EraseInput, LeadInput, LeadPatch, ReasonInput
from leadstore.http.writes import LeadResponse, LeadWriter

SKIP_TEAM = "Lift the team rule: no team_id needed, and any of the account's sources allowed."


class LeadCommands(Controller):
    path = "/v1/leads"
    tags = ["leads"]
    parameters = WRITE_PARAMETERS
    response_headers = WRITE_HEADERS

    @post(
        "/",
        dependencies=documented_body(LeadInput),
        response_headers=[LOCATION],
        responses=problems(*WRITE_PROBLEMS),
        summary="Create a lead",
    )
    async def create_lead(
        self,
        request: AnyRequest,
        services: Services,
        skip_team_requirement: Annotated[bool, QueryParameter(description=SKIP_TEAM)] = False,
    ) -> LeadResponse:
        """CreateLead. With no `assigned_to` and a team whose rotation is on, the team's next active member
        gets the lead (a LeadAssigned event with `by_rotation`)."""
        reject_unknown_query(request, "skip_team_requirement")
        writer = LeadWriter(request, services)
        body = await body_object(request)
        actor = writer.principal.actor
        return await writer.create(commands.create_lead(writer.account_id, actor, body, skip_team_requirement))

    @patch(
        "/{lead_id:str}",
        dependencies=documented_body(LeadPatch),
        responses=problems(*WRITE_PROBLEMS),
        summary="Change a lead (JSON merge patch)",
    )
    async def patch_lead(
        self,
        request: AnyRequest,
        services: Services,
        lead_id: LeadId,
        skip_team_requirement: Annotated[bool, QueryParameter(description=SKIP_TEAM)] = False,
    ) -> LeadResponse:
        """Fields become one LeadUpdated, `status` a LeadStatusChanged (a LeadConverted when it is a won
        status) and `assigned_to` a LeadAssigned: all of them or none are recorded. A reopen is recorded
        first, any other status change last. Moving the lead to a rotating team without naming
        `assigned_to` takes a rotation turn there. Sending the current values records nothing."""
        reject_unknown_query(request, "skip_team_requirement")
        writer, target = LeadWriter(request, services), parse_lead_id(lead_id)
        body = await body_object(request)
        return await writer.execute(commands.patch(target, writer.principal.actor, body, skip_team_requirement))

    @post(
        "/{lead_id:str}/assign",
        status_code=200,
        dependencies=documented_body(AssignInput),
        responses=problems(*WRITE_PROBLEMS),
        summary="Assign a lead",
    )
    async def assign_lead(self, request: AnyRequest, services: Services, lead_id: LeadId) -> LeadResponse:
        """AssignLead to a user, to nobody, or by the round-robin rotation of the lead's team."""
        reject_unknown_query(request)
        writer, target = LeadWriter(request, services), parse_lead_id(lead_id)
        raw = await body_object(request)
        body = convert_body(raw, AssignInput)
        return await writer.execute(commands.assign(target, writer.principal.actor, body, raw))

    @post(
        "/{lead_id:str}/convert",
        status_code=200,
        dependencies=documented_body(ConvertInput),
        responses=problems(*WRITE_PROBLEMS),
        summary="Convert a lead",
    )
    async def convert_lead(self, request: AnyRequest, services: Services, lead_id: LeadId) -> LeadResponse:
        """ConvertLead: sets is_converted, converted_at, customer_id and the account's won status."""
        reject_unknown_query(request)
        writer, target = LeadWriter(request, services), parse_lead_id(lead_id)
        body = convert_body(await body_object(request, optional=True), ConvertInput)
        return await writer.execute(commands.convert(target, writer.principal.actor, body))

    @post(
        "/{lead_id:str}/archive",
        status_code=200,
        dependencies=documented_body(ReasonInput),
        responses=problems(*WRITE_PROBLEMS),
        summary="Archive a lead",
    )
    async def archive_lead(self, request: AnyRequest, services: Services, lead_id: LeadId) -> LeadResponse:
        """ArchiveLead: archived leads leave the default list (`archived=true` lists them)."""
        reject_unknown_query(request)
        writer, target = LeadWriter(request, services), parse_lead_id(lead_id)
        body = convert_body(await body_object(request, optional=True), ReasonInput)
        return await writer.execute(commands.archive(target, writer.principal.actor, body))

    @post(
        "/{lead_id:str}/restore",
        status_code=200,
        dependencies=documented_body(ReasonInput),
        responses=problems(*WRITE_PROBLEMS),
        summary="Restore an archived lead",
    )
    async def restore_lead(self, request: AnyRequest, services: Services, lead_id: LeadId) -> LeadResponse:
        """RestoreLead: the lead is live again."""
        reject_unknown_query(request)
        writer, target = LeadWriter(request, services), parse_lead_id(lead_id)
        body = convert_body(await body_object(request, optional=True), ReasonInput)
        return await writer.execute(commands.archive(target, writer.principal.actor, body, restore=True))

    # --- erasure (issue 13) ---
    @post(
        "/{lead_id:str}/erase",
        status_code=200,
        guards=[admin_only],
        dependencies=documented_body(EraseInput),
        responses=problems(*WRITE_PROBLEMS),
        summary="Erase the person behind a lead",
        description=ERASE_DESCRIPTION,
        operation_id="eraseLead",
        operation_class=EraseOperation,
    )
    async def erase_lead(self, request: AnyRequest, services: Services, lead_id: LeadId) -> LeadResponse:
        """EraseLead (admins): LeadErased is appended and the lead's personal values are gone everywhere."""
        reject_unknown_query(request)
        writer, target = LeadWriter(request, services), parse_lead_id(lead_id)
        body = convert_body(await body_object(request), EraseInput)
        return await writer.execute(commands.erase(target, writer.principal.actor, body))
