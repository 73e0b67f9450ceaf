"""Erasure in the lead decider, given/when/then (issue 13): EraseLead, LeadErased, and an erased lead."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from leadstore.cli.tail import summary
from leadstore.domain.commands import EraseLead, UpdateLead
from leadstore.domain.errors import LeadNotFound, LeadWasErased, ValidationFailed
from leadstore.domain.events import (
    Change,
    LeadAssigned,
    LeadErased,
    LeadStatusChanged,
    LeadUpdated,
    MailingAddress,
)
from leadstore.domain.personal import CUSTOM, PERSONAL_FIELDS
from leadstore.domain.state import EventMeta, erased, evolve
from leadstore.publishing.delivery import PublishedEvent
from tests.unit.test_decider import (
    BOB,
    CONVERTED,
    LEAD_ID,
    NOW,
    Call,
    actor,
    archive,
    assign,
    by_rotation,
    change_status,
    convert,
    create,
    created,
    field_errors,
    given,
    restore,
    update,
)

PERSON: dict[str, Any] = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.com",
    "phone": "+15552345678",
    "title": "Countess",
    "description": "met at the fair",
    "notes": "likes engines",
    "message": "call me",
    "source_page_url": "https://example.com/engines",
    "mailing_address": MailingAddress(street="12 St James's Sq", city="London", country="GB"),
    "custom": {"budget": 1000},
}
ADA = created(company="Analytical Engines", score=40, source="website", assigned_to=BOB, **PERSON)


def erase(reason: str = "GDPR art. 17 request #118") -> EraseLead:
    return EraseLead(lead_id=LEAD_ID, actor=actor("admin"), now=NOW, reason=reason)


def test_erase_emits_lead_erased_with_its_reason() -> None:
    given(ADA).when(erase("request #118")).then(LeadErased(reason="request #118"))


def test_erase_of_an_unknown_lead_is_not_found() -> None:
    given().when(erase()).raises(LeadNotFound)


@pytest.mark.parametrize("reason", ["", "   ", "x" * 1_001, "bad\x00reason", "bidi\u202etext"])
def test_an_erasure_needs_a_sane_reason(reason: str) -> None:
    error = given(ADA).when(erase(reason)).raises(ValidationFailed)
    assert {field for field, _ in field_errors(error)} == {"reason"}


def test_an_erasure_reason_may_span_lines() -> None:
    given(ADA).when(erase("request #118\nby post")).then(LeadErased(reason="request #118\nby post"))


def test_erasing_an_erased_lead_again_changes_nothing() -> None:
    given(ADA, LeadErased(reason="first")).when(erase("again")).then()


def test_a_closed_or_archived_lead_can_be_erased() -> None:
    given(ADA, CONVERTED).when(erase()).then(LeadErased(reason="GDPR art. 17 request #118"))
    given(ADA, LeadStatusChanged(from_="new", to="lost")).when(erase("x")).then(LeadErased(reason="x"))


@pytest.mark.parametrize(
    "call",
    [
        update(first_name="Ada"),
        update(score=10),
        change_status("contacted"),
        assign(None),
        by_rotation(BOB),
        convert(),
        archive(),
        restore(),
        create(first_name="Ada"),
    ],
)
def test_every_other_command_on_an_erased_lead_is_refused(call: Call) -> None:
    error = given(ADA, LeadErased(reason="gone")).when(call).raises(LeadWasErased)
    assert error.code == "lead_erased"


def test_an_erased_lead_refuses_even_a_patch_that_would_change_nothing() -> None:
    patch = UpdateLead(lead_id=LEAD_ID, actor=actor("admin"), now=NOW, changes={})
    given(ADA, LeadErased(reason="gone")).when(patch).raises(LeadWasErased)


def test_evolving_lead_erased_nulls_every_personal_field_and_keeps_the_rest() -> None:
    history = (
        ADA,
        LeadUpdated({"notes": Change(from_="likes engines", to="likes looms")}),
        LeadStatusChanged(from_="new", to="contacted"),
        LeadAssigned(from_=BOB, to=None),
        LeadErased(reason="gone"),
    )
    lead = given(*history).lead
    assert lead is not None and lead.erased
    assert all(getattr(lead, name, None) is None for name in PERSONAL_FIELDS) and getattr(lead, CUSTOM) == {}
    assert lead.custom == {}
    assert (lead.company, lead.score, lead.source, lead.status, lead.assigned_to) == (
        "Analytical Engines",
        40,
        "website",
        "contacted",
        None,
    )
    assert (lead.version, lead.created_by, lead.archived, lead.is_converted) == (5, ADA.created_by, False, False)


def test_an_erased_lead_as_of_its_past_shows_no_personal_value() -> None:
    before = given(ADA).lead
    assert before is not None and not before.erased and before.email == "ada@example.com"
    then = erased(before)
    assert then.erased and then.email is None and then.first_name is None and then.custom == {}
    assert (then.version, then.score, then.company) == (1, 40, "Analytical Engines")


def test_lead_erased_is_stamped_like_every_event() -> None:
    lead = given(ADA).lead
    later = NOW.replace(year=2027)
    after = evolve(lead, LeadErased(reason="gone"), EventMeta(LEAD_ID, 2, later))
    assert (after.version, after.updated_at, after.created_at) == (2, later, lead.created_at if lead else None)


def test_subscribers_read_lead_erased_as_the_domain_event_and_tail_names_it() -> None:
    published = PublishedEvent(
        id=uuid4(),
        type="LeadErased",
        lead_id=LEAD_ID,
        account_id=uuid4(),
        version=7,
        position="1.1",
        occurred_at=NOW,
        data={"reason": "request #118"},
    )
    assert published.lead_event() == LeadErased(reason="request #118")
    assert summary(published) == "personal data erased (reason: request #118)"
