"""Merges over HTTP (issue 14): merge leads into one, and undo a merge. Each writes every lead involved in one
transaction (leadstore.merging); If-Match applies to the survivor, and Idempotency-Key as on every write."""

from __future__ import annotations

from litestar import Controller, post
from litestar.datastructures import ResponseHeader
from uuid_utils.compat import uuid7

from leadstore.domain.commands import MergeLeads, UnmergeLead
from leadstore.handler import Idempotency, Outcome
from leadstore.http import commands
from leadstore.http.bodies import documented_body
from leadstore.http.context import AnyRequest, Services, body_object, convert_body, member_can_see
from leadstore.http.merge_schemas import MergeInput, UnmergeInput
from leadstore.http.openapi import WRITE_HEADERS, WRITE_PARAMETERS, WRITE_PROBLEMS, LeadId, problems
from leadstore.http.params import path_id as parse_lead_id
from leadstore.http.params import reject_unknown_query
from leadstore.http.writes import LeadResponse, LeadWriter
from leadstore.merging import MergeCommand, MergeHandler

MERGE_EVENT = ResponseHeader(
    name="Leadstore-Merge-Event-Id",
    description="The id of the survivor's LeadMerged event: send it to /unmerge to undo this merge.",
    documentation_only=True,
)


class MergeRoutes(Controller):
    path = "/v1/leads"
    tags = ["Leads"]
    parameters = WRITE_PARAMETERS
    response_headers = WRITE_HEADERS

    @post(
        "/{lead_id:str}/merge",
        status_code=200,
        operation_id="mergeLead",
        dependencies=documented_body(MergeInput),
        response_headers=[MERGE_EVENT],
        responses=problems(*WRITE_PROBLEMS),
        summary="Merge leads into this one",
    )
    async def merge_lead(self, request: AnyRequest, services: Services, lead_id: LeadId) -> LeadResponse:
        """The leads `from` are merged into this one (the survivor), in one transaction: it gets a LeadMerged
        event (which leads, which field came from which lead, the values that changed) and takes the fields
        `fields` names; each merged lead gets LeadMergedInto and is closed to writes (409 `lead_merged`), stays
        readable by id with `merged_into`, leaves the default list (`GET /v1/leads?merged=true` lists them), and
        its email stays reserved by the survivor. A member merges only leads they can see (others are 404).
        Answers the survivor. 409 `lead_merged` when a lead named is already merged, `lead_erased` when one
        (or this one) was erased; 422 when `from` is empty,
        longer than 10, repeats a lead or names this one, or a field is not mergeable or comes from a lead not
        in the merge."""
        reject_unknown_query(request)
        writer, target = LeadWriter(request, services), parse_lead_id(lead_id)
        body = convert_body(await body_object(request), MergeInput)
        cmd = MergeLeads(
            lead_id=target,
            actor=writer.principal.actor,
            now=commands.now(),
            sources=body.sources,
            fields=body.fields,
            merge_event_id=uuid7(),
        )
        return await _respond(writer, services, cmd, {"leadstore-merge-event-id": str(cmd.merge_event_id)})

    @post(
        "/{lead_id:str}/unmerge",
        status_code=200,
        operation_id="unmergeLead",
        dependencies=documented_body(UnmergeInput),
        responses=problems(*WRITE_PROBLEMS),
        summary="Undo a merge into this lead",
    )
    async def unmerge_lead(self, request: AnyRequest, services: Services, lead_id: LeadId) -> LeadResponse:
        """Undo the merge `merge_event_id` with new events (history is never rewritten): each merged lead gets
        LeadUnmerged, is open to writes again and gets its email reservation back; this lead gets LeadUnmerged
        with the values the merge changed restored. A field this lead changed again after the merge keeps its
        newer value (the event lists it in `kept`): an undo never throws away a later edit. 409
        `already_unmerged` the second time; 422 (`merge_event_id`: `unknown_merge`) for an id that is not a
        merge into this lead; 409 `duplicate_email` when a merged lead's address was taken meanwhile, and
        `lead_erased` when this lead or a merged one was erased (its values can not be given back)."""
        reject_unknown_query(request)
        writer, target = LeadWriter(request, services), parse_lead_id(lead_id)
        body = convert_body(await body_object(request), UnmergeInput)
        cmd = UnmergeLead(
            lead_id=target, actor=writer.principal.actor, now=commands.now(), merge_event_id=body.merge_event_id
        )
        return await _respond(writer, services, cmd, {})


async def _respond(writer: LeadWriter, services: Services, cmd: MergeCommand, headers: dict[str, str]) -> LeadResponse:
    handler = MergeHandler(services.pool, services.handler.store, services.handler.metrics)

    async def execute(keyed: Idempotency | None) -> Outcome:
        return await handler.execute(
            cmd,
            account_id=writer.account_id,
            metadata=writer.metadata(),
            visible=member_can_see(writer.principal),
            expected_version=writer.expected_version,
            idempotency=keyed,
        )

    response = await writer.respond(execute, 200, headers)
    return response
