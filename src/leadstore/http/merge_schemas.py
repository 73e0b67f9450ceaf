"""Bodies and answers of the merge and duplicates routes (issue 14), as the OpenAPI document shows them."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from litestar.openapi.spec import Example
from msgspec import Meta

from leadstore.domain.merge import MAX_SOURCES
from leadstore.http.schemas import LeadOut

SURVIVOR = "0192f7a4-1b2c-7d3e-8f40-5a6b7c8d9e0f"
DUPLICATE = "0192f7a4-2c3d-7e4f-9051-6b7c8d9e0f1a"
FIELDS_DOC = (
    "Per lead field, the lead whose value the survivor takes: this lead's id or one of `from`. Fields not "
    "named keep the survivor's value (its assignee and team too: name `assigned_to` or `team_id` to take "
    "another lead's). Any field of a lead but `status` may be named."
)


class MergeInput(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Merge the leads `from` into this one (the survivor). Each merged lead keeps its data, is closed to
    writes (409 `lead_merged`) and answers GET with `merged_into`; its email stays reserved (by the survivor)
    until the merge is undone."""

    sources: Annotated[
        list[UUID],
        Meta(
            min_length=1,
            max_length=MAX_SOURCES,
            description=f"1 to {MAX_SOURCES} distinct lead ids, not this lead's.",
            examples=[[DUPLICATE]],
        ),
    ] = msgspec.field(name="from")
    fields: Annotated[
        dict[str, UUID], Meta(description=FIELDS_DOC, examples=[{"phone": DUPLICATE, "title": DUPLICATE}])
    ] = msgspec.field(default_factory=dict)


class UnmergeInput(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Undo a merge into this lead: each merged lead opens again (with its email back) and this lead gets
    back the values the merge changed, except fields changed again since the merge, which keep their newer
    value (listed in the LeadUnmerged event's `kept`)."""

    merge_event_id: Annotated[
        UUID,
        Meta(
            description="The id of this lead's LeadMerged event (the `Leadstore-Merge-Event-Id` of the merge).",
            examples=["0192f7a5-0000-7000-8000-000000000001"],
        ),
    ]


Reason = Literal["email", "phone", "name_company"]
REASONS_DOC = (
    "Why: `email` (same address, any case), `phone` (same number after E.164 normalisation), `name_company` "
    "(similar full name, by trigram similarity, at the same company or company_id)."
)
SCORE_DOC = "0..100: 60 for the email, 50 for the phone, up to 50 for the name (50 x similarity), capped at 100."


class DuplicateOut(msgspec.Struct, kw_only=True):
    object: Literal["duplicate"] = "duplicate"
    lead: LeadOut
    score: Annotated[int, Meta(ge=0, le=100, description=SCORE_DOC)]
    reasons: Annotated[list[Reason], Meta(description=REASONS_DOC)]


class DuplicateList(msgspec.Struct, kw_only=True):
    object: Literal["list"] = "list"
    data: list[DuplicateOut]
    has_more: Annotated[bool, Meta(description="Always false: the best `limit` candidates are the answer.")]
    next_cursor: None = None


class DuplicatePairOut(msgspec.Struct, kw_only=True):
    object: Literal["duplicate_pair"] = "duplicate_pair"
    lead_ids: Annotated[list[UUID], Meta(min_length=2, max_length=2, description="The two leads, lower id first.")]
    leads: Annotated[list[LeadOut], Meta(description="The two leads, in the order of lead_ids.")]
    score: Annotated[int, Meta(ge=0, le=100, description=SCORE_DOC)]
    reasons: Annotated[list[Reason], Meta(description=REASONS_DOC)]


class DuplicatePairPage(msgspec.Struct, kw_only=True):
    object: Literal["list"] = "list"
    data: list[DuplicatePairOut]
    has_more: bool
    next_cursor: Annotated[
        str | None,
        Meta(description="Pass as `cursor` for the next page; null at the end. A page may hold fewer than `limit`."),
    ]


def _lead_example(lead_id: str, first_name: str, phone: str) -> dict[str, Any]:
    return {
        "id": lead_id,
        "object": "lead",
        "first_name": first_name,
        "last_name": "Smith",
        "full_name": f"{first_name} Smith",
        "phone": phone,
        "company": "Acme Inc",
        "status": "new",
        "merged_into": None,
        "version": 1,
    }


def duplicates_example() -> Example:
    """A lead's candidates, as GET /v1/leads/{id}/duplicates answers (leads abridged)."""
    lead = _lead_example(DUPLICATE, "Jonathon", "+15552345678")
    item = {"object": "duplicate", "lead": lead, "score": 89, "reasons": ["phone", "name_company"]}
    value = {"object": "list", "data": [item], "has_more": False, "next_cursor": None}
    return Example(summary="One candidate, by phone and by name at the same company (leads abridged)", value=value)


def pairs_example() -> Example:
    """A page of the account's pairs, as GET /v1/duplicates answers (leads abridged)."""
    leads = [_lead_example(SURVIVOR, "Jonathan", "+15552345678"), _lead_example(DUPLICATE, "Jonathon", "+15552345678")]
    pair = {"object": "duplicate_pair", "lead_ids": [SURVIVOR, DUPLICATE], "leads": leads, "score": 89}
    pair["reasons"] = ["phone", "name_company"]
    value = {"object": "list", "data": [pair], "has_more": True, "next_cursor": "WyIwMTkyZjdhNC0yYzNkIl0"}
    return Example(summary="A page of one pair (leads abridged)", value=value)
