"""The merge decider, given/when/then: the states of the leads involved, a merge or unmerge, the events of each
stream (or the error) it must give; and the fold of those events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import msgspec
import pytest

from leadstore.cli.tail import line
from leadstore.domain.commands import Actor, EraseLead, MergeLeads, UnmergeLead, UpdateLead
from leadstore.domain.errors import (
    AlreadyUnmerged,
    DuplicateEmail,
    InvalidTransition,
    LeadIsMerged,
    LeadNotFound,
    LeadWasErased,
    ValidationFailed,
)
from leadstore.domain.events import (
    Change,
    LeadCreated,
    LeadErased,
    LeadEvent,
    LeadMerged,
    LeadMergedInto,
    LeadStatusChanged,
    LeadUnmerged,
    LeadUpdated,
    load_event,
)
from leadstore.domain.lead import decide
from leadstore.domain.merge import MergeRecord, decide_merge, decide_unmerge, merge_record
from leadstore.domain.rules import Context, Rules, StatusRule
from leadstore.domain.state import EventMeta, Lead, evolve, fold
from leadstore.publishing import PublishedEvent

ACCOUNT_ID, ALICE = uuid4(), uuid4()
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
RULES = Rules(
    statuses=[StatusRule("new", "open"), StatusRule("converted", "won"), StatusRule("lost", "lost")],
    known_users=frozenset({ALICE}),
)
ACTOR = Actor(user_id=ALICE, role="admin")
MERGE_ID = uuid4()


def lead(*more: LeadEvent, **fields: Any) -> Lead:
    """A lead created with `fields`, then the events `more`."""
    created = LeadCreated(account_id=ACCOUNT_ID, created_by=ALICE, status="new", **fields)
    lead_id = uuid4()
    found = fold(lead_id, [(e, n, NOW + timedelta(minutes=n)) for n, e in enumerate((created, *more), start=1)])
    assert found is not None
    return found


def merging(survivor: Lead, *sources: Lead, **fields: Lead) -> MergeLeads:
    return MergeLeads(
        lead_id=survivor.id,
        actor=ACTOR,
        now=NOW,
        sources=[s.id for s in sources],
        fields={name: origin.id for name, origin in fields.items()},
        merge_event_id=MERGE_ID,
    )


def applied(state: Lead, events: list[LeadEvent]) -> Lead:
    for n, event in enumerate(events, start=state.version + 1):
        state = evolve(state, event, EventMeta(state.id, n, NOW + timedelta(hours=n)))
    return state


def test_a_merge_gives_the_survivor_the_chosen_fields_and_closes_the_others() -> None:
    survivor = lead(first_name="Ann", email="ann@example.com", score=10)
    other = lead(first_name="Anne", phone="+15552345678", title="CTO", score=10)
    third = lead(first_name="A.")
    cmd = merging(survivor, other, third, phone=other, title=other, score=other, first_name=survivor)

    events = decide_merge(cmd, survivor, {other.id: other, third.id: third}, RULES)

    changes = {"phone": Change(None, "+15552345678"), "title": Change(None, "CTO")}
    fields = {"phone": other.id, "title": other.id, "score": other.id, "first_name": survivor.id}
    assert events == {
        survivor.id: [LeadMerged(merged=[other.id, third.id], fields=fields, changes=changes)],
        other.id: [LeadMergedInto(into=survivor.id, merge_event_id=MERGE_ID)],
        third.id: [LeadMergedInto(into=survivor.id, merge_event_id=MERGE_ID)],
    }
    after = applied(survivor, events[survivor.id])
    assert after.phone == "+15552345678" and after.title == "CTO" and after.email == "ann@example.com"
    assert applied(other, events[other.id]).merged_into == survivor.id


def test_a_merged_lead_refuses_every_lead_command() -> None:
    merged = lead(LeadMergedInto(into=(into := uuid4())), first_name="Gone")
    with pytest.raises(LeadIsMerged) as info:
        decide(UpdateLead(lead_id=merged.id, actor=ACTOR, now=NOW, changes={"notes": "x"}), merged, Context(RULES))
    assert info.value.code == "lead_merged" and info.value.into == into


@pytest.mark.parametrize(
    ("sources", "fields", "field"),
    [
        ([], {}, "from"),
        (["self"], {}, "from"),
        (["a", "a"], {}, "from"),
        (["a"] * 11, {}, "from"),
        (["a"], {"status": "a"}, "fields.status"),
        (["a"], {"created_by": "a"}, "fields.created_by"),
        (["a"], {"title": "b"}, "fields.title"),
    ],
)
def test_bad_merge_requests_are_refused(sources: list[str], fields: dict[str, str], field: str) -> None:
    survivor, a, b = lead(first_name="S"), lead(first_name="A"), lead(first_name="B")
    ids = {"self": survivor.id, "a": a.id, "b": b.id}
    cmd = MergeLeads(
        lead_id=survivor.id,
        actor=ACTOR,
        now=NOW,
        sources=[ids[s] for s in sources],
        fields={name: ids[origin] for name, origin in fields.items()},
        merge_event_id=MERGE_ID,
    )
    with pytest.raises(ValidationFailed) as info:
        decide_merge(cmd, survivor, {a.id: a, b.id: b}, RULES)
    assert field in {error.field for error in info.value.errors}


def test_a_merge_of_missing_or_merged_leads_is_refused() -> None:
    survivor, other = lead(first_name="S"), lead(first_name="O")
    with pytest.raises(LeadNotFound):
        decide_merge(merging(survivor, other), survivor, {other.id: None}, RULES)
    with pytest.raises(LeadNotFound):
        decide_merge(merging(survivor, other), None, {other.id: other}, RULES)
    gone = lead(LeadMergedInto(into=uuid4()), first_name="G")
    with pytest.raises(LeadIsMerged):
        decide_merge(merging(survivor, gone), survivor, {gone.id: gone}, RULES)
    with pytest.raises(LeadIsMerged):
        decide_merge(merging(gone, other), gone, {other.id: other}, RULES)


def test_a_closed_survivor_takes_no_values_but_may_absorb_leads() -> None:
    won = lead(LeadStatusChanged(from_="new", to="converted"), first_name="W")
    other = lead(first_name="O", title="CTO")
    with pytest.raises(InvalidTransition):
        decide_merge(merging(won, other, title=other), won, {other.id: other}, RULES)
    assert decide_merge(merging(won, other), won, {other.id: other}, RULES)[won.id] == [LeadMerged(merged=[other.id])]


def test_an_unmerge_restores_the_survivor_and_reopens_the_merged_leads() -> None:
    survivor = lead(first_name="Ann", score=10)
    other = lead(first_name="Anne", score=80, title="CTO")
    merged = decide_merge(merging(survivor, other, score=other, title=other), survivor, {other.id: other}, RULES)
    survivor_after, other_after = applied(survivor, merged[survivor.id]), applied(other, merged[other.id])
    record = MergeRecord(merged[survivor.id][0])  # type: ignore[arg-type]
    cmd = UnmergeLead(lead_id=survivor.id, actor=ACTOR, now=NOW, merge_event_id=MERGE_ID)

    events = decide_unmerge(cmd, survivor_after, record, {other.id: other_after}, RULES)

    restore = {"score": Change(80, 10), "title": Change("CTO", None)}
    assert events == {
        survivor.id: [LeadUnmerged(merge_event_id=MERGE_ID, changes=restore)],
        other.id: [LeadUnmerged(merge_event_id=MERGE_ID)],
    }
    stamps = ("version", "updated_at")
    for before, after, own in ((survivor, survivor_after, survivor.id), (other, other_after, other.id)):
        undone = applied(after, events[own])
        assert msgspec.structs.replace(undone, **{s: getattr(before, s) for s in stamps}) == before


def test_an_unmerge_keeps_fields_changed_since_the_merge() -> None:
    survivor, other = lead(first_name="S", title="Intern"), lead(first_name="O", title="CEO", notes="n")
    merged = decide_merge(merging(survivor, other, title=other, notes=other), survivor, {other.id: other}, RULES)
    later = applied(applied(survivor, merged[survivor.id]), [LeadUpdated({"title": Change("CEO", "Founder")})])
    record = MergeRecord(merged[survivor.id][0])  # type: ignore[arg-type]
    cmd = UnmergeLead(lead_id=survivor.id, actor=ACTOR, now=NOW, merge_event_id=MERGE_ID)

    events = decide_unmerge(cmd, later, record, {other.id: applied(other, merged[other.id])}, RULES)

    assert events[survivor.id] == [
        LeadUnmerged(merge_event_id=MERGE_ID, changes={"notes": Change("n", None)}, kept=["title"])
    ]


def test_unmerging_twice_or_an_unknown_merge_is_refused() -> None:
    survivor, other = lead(first_name="S"), lead(first_name="O")
    cmd = UnmergeLead(lead_id=survivor.id, actor=ACTOR, now=NOW, merge_event_id=MERGE_ID)
    with pytest.raises(ValidationFailed) as info:
        decide_unmerge(cmd, survivor, None, {}, RULES)
    assert info.value.errors[0].field == "merge_event_id"
    done = MergeRecord(LeadMerged(merged=[other.id]), undone=True)
    with pytest.raises(AlreadyUnmerged):
        decide_unmerge(cmd, survivor, done, {other.id: other}, RULES)


def test_the_merge_record_is_found_in_the_survivors_events() -> None:
    merge, unmerge = LeadMerged(merged=[uuid4()]), LeadUnmerged(merge_event_id=MERGE_ID)
    history: list[tuple[UUID, LeadEvent]] = [(uuid4(), LeadUpdated({})), (MERGE_ID, merge)]
    assert merge_record(history, MERGE_ID) == MergeRecord(merge)
    assert merge_record([*history, (uuid4(), unmerge)], MERGE_ID) == MergeRecord(merge, undone=True)
    assert merge_record(history, uuid4()) is None


def test_merge_events_round_trip_through_their_stored_shape() -> None:
    event = LeadMerged(merged=[uuid4()], fields={"title": uuid4()}, changes={"title": Change(None, "CTO")})
    data = msgspec.to_builtins(event)
    data.pop("type")
    assert set(data) == {"merged", "fields", "changes"} and data["changes"] == {"title": {"from": None, "to": "CTO"}}
    assert load_event("LeadMerged", msgspec.json.decode(msgspec.json.encode(data))) == event


def test_an_unmerge_never_leaves_two_leads_with_one_address() -> None:
    survivor, other = lead(first_name="S", email="s@example.com"), lead(first_name="O", email="o@example.com")
    merged = decide_merge(merging(survivor, other), survivor, {other.id: other}, RULES)
    later = applied(
        applied(survivor, merged[survivor.id]), [LeadUpdated({"email": Change("s@example.com", "O@example.com")})]
    )
    record = MergeRecord(merged[survivor.id][0])  # type: ignore[arg-type]
    cmd = UnmergeLead(lead_id=survivor.id, actor=ACTOR, now=NOW, merge_event_id=MERGE_ID)
    with pytest.raises(DuplicateEmail):
        decide_unmerge(cmd, later, record, {other.id: applied(other, merged[other.id])}, RULES)


@pytest.mark.parametrize(
    ("data", "shown"),
    [
        ({"merged": ["a1", "b2"], "fields": {"title": "a1"}}, "merged a1, b2 (fields: title)"),
        ({"merged": "\x1b[2J", "fields": []}, "merged "),
    ],
)
def test_tail_summarises_a_merge_on_one_escaped_line(data: dict[str, Any], shown: str) -> None:
    event = PublishedEvent(
        id=uuid4(),
        type="LeadMerged",
        lead_id=uuid4(),
        account_id=uuid4(),
        version=2,
        position="1.1",
        occurred_at=NOW,
        data=data,
    )
    printed = line(event)
    assert shown in printed and "\x1b" not in printed.replace("\\x1b", "")


def test_an_erased_lead_takes_part_in_no_merge_or_unmerge_but_a_merged_one_can_be_erased() -> None:
    survivor, other = lead(first_name="S"), lead(first_name="O")
    erased = lead(LeadErased(reason="r"), first_name="E")
    cases: list[tuple[MergeLeads, Lead, dict[UUID, Lead | None]]] = [
        (merging(survivor, erased), survivor, {erased.id: erased}),
        (merging(erased, other), erased, {other.id: other}),
        (merging(survivor, other, erased), survivor, {other.id: other, erased.id: erased}),
    ]
    for cmd, into, sources in cases:
        with pytest.raises(LeadWasErased) as info:
            decide_merge(cmd, into, sources, RULES)
        assert info.value.code == "lead_erased" and info.value.lead_id == erased.id

    merged = decide_merge(merging(survivor, other, first_name=other), survivor, {other.id: other}, RULES)
    survivor_after, other_after = applied(survivor, merged[survivor.id]), applied(other, merged[other.id])
    erase = EraseLead(lead_id=other.id, actor=ACTOR, now=NOW, reason="GDPR request")
    erasure = decide(erase, other_after, Context(RULES))
    assert erasure == [LeadErased(reason="GDPR request")]
    gone = applied(other_after, erasure)
    assert gone.erased and gone.merged_into == survivor.id and gone.first_name is None
    record = MergeRecord(merged[survivor.id][0])  # type: ignore[arg-type]
    unmerge = UnmergeLead(lead_id=survivor.id, actor=ACTOR, now=NOW, merge_event_id=MERGE_ID)
    with pytest.raises(LeadWasErased):
        decide_unmerge(unmerge, survivor_after, record, {other.id: gone}, RULES)
    erased_survivor = applied(survivor_after, [LeadErased(reason="r")])
    with pytest.raises(LeadWasErased):
        decide_unmerge(unmerge, erased_survivor, record, {other.id: other_after}, RULES)
    with pytest.raises(LeadWasErased):  # an erased merged lead takes no other command
        decide(UpdateLead(lead_id=other.id, actor=ACTOR, now=NOW, changes={"notes": "x"}), gone, Context(RULES))
