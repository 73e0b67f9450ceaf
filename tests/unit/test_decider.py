"""The lead decider, given/when/then: events so far, a command, the events (or error) it must give."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID, uuid4

import msgspec
import pytest

from leadstore.domain.commands import (
    Actor,
    ArchiveLead,
    AssignLead,
    Command,
    ConvertLead,
    CreateLead,
    RestoreLead,
    Role,
    UpdateLead,
)
from leadstore.domain.errors import (
    AlreadyConverted,
    InvalidTransition,
    LeadNotFound,
    LeadstoreError,
    SourceRequired,
    TeamRequired,
    ValidationFailed,
)
from leadstore.domain.events import (
    Change,
    LeadArchived,
    LeadAssigned,
    LeadConverted,
    LeadCreated,
    LeadEvent,
    LeadRestored,
    LeadStatusChanged,
    LeadUpdated,
    MailingAddress,
)
from leadstore.domain.lead import decide
from leadstore.domain.rotation import pick_turn, rotation_for
from leadstore.domain.rules import (
    Context,
    CustomFieldRule,
    DefaultRotation,
    Rotation,
    Rules,
    SourceRule,
    StatusRule,
    TeamRule,
    Turn,
)
from leadstore.domain.state import EventMeta, Lead, evolve, fold

E = TypeVar("E", bound=LeadstoreError)

LEAD_ID = uuid4()
ACCOUNT_ID = uuid4()
ALICE, BOB = uuid4(), uuid4()
SALES, PARTNERS = uuid4(), uuid4()
NOW = datetime(2026, 11, 21, 10, 30, tzinfo=UTC)
STATUSES = [
    StatusRule("new", "open"),
    StatusRule("contacted", "open"),
    StatusRule("qualified", "open"),
    StatusRule("converted", "won"),
    StatusRule("lost", "lost"),
]
RULES = Rules(
    statuses=STATUSES,
    sources=[SourceRule("website"), SourceRule("referral"), SourceRule("partner_portal", team_id=PARTNERS)],
    custom_fields=[CustomFieldRule("budget", "number"), CustomFieldRule("tier", "choice", ["a", "b"])],
    known_users=frozenset({ALICE, BOB}),
)
TEAM_RULES = Rules(
    statuses=STATUSES,
    sources=RULES.sources,
    teams=[TeamRule(SALES, rotation=True), TeamRule(PARTNERS)],
    known_users=RULES.known_users,
)


# --- given / when / then ---------------------------------------------------------------------------


# A command with the context the lane would decide it in (the default rules when a builder names none).
Call = Command | tuple[Command, Context]


class _When:
    def __init__(self, lead: Lead | None, call: Call) -> None:
        self.lead = lead
        self.cmd, self.context = call if isinstance(call, tuple) else (call, Context(RULES))

    def then(self, *expected: LeadEvent) -> None:
        assert decide(self.cmd, self.lead, self.context) == list(expected)

    def raises(self, error: type[E]) -> E:
        with pytest.raises(error) as info:
            decide(self.cmd, self.lead, self.context)
        return info.value


class _Given:
    def __init__(self, events: tuple[LeadEvent, ...]) -> None:
        history = [(event, n, NOW + timedelta(minutes=n)) for n, event in enumerate(events, start=1)]
        self.lead = fold(LEAD_ID, history)

    def when(self, call: Call) -> _When:
        return _When(self.lead, call)


def given(*events: LeadEvent) -> _Given:
    return _Given(events)


# --- commands and events -----------------------------------------------------------------------------


def actor(role: Role = "member") -> Actor:
    return Actor(user_id=ALICE, role=role)


def create(rules: Rules = RULES, skip_team_requirement: bool = False, turn: Turn | None = None, **fields: Any) -> Call:
    cmd = CreateLead(
        lead_id=LEAD_ID,
        account_id=ACCOUNT_ID,
        actor=actor(),
        now=NOW,
        fields=fields,
        skip_team_requirement=skip_team_requirement,
    )
    return cmd, Context(rules, turn)


def update(
    rules: Rules = RULES, role: Role = "member", turn: Turn | None = None, skip: bool = False, **changes: Any
) -> Call:
    cmd = UpdateLead(lead_id=LEAD_ID, actor=actor(role), now=NOW, changes=changes, skip_team_requirement=skip)
    return cmd, Context(rules, turn)


def change_status(status: str, role: Role = "member") -> Call:
    return update(role=role, status=status)


def assign(user_id: UUID | None) -> AssignLead:
    return AssignLead(lead_id=LEAD_ID, actor=actor(), now=NOW, assigned_to=user_id)


def turn_of(member: UUID, team_id: UUID | None = SALES) -> Turn:
    return Turn(team_id, member, pointer=0, next_pointer=1)


def by_rotation(member: UUID | None) -> Call:
    cmd = AssignLead(lead_id=LEAD_ID, actor=actor(), now=NOW, rotation=True)
    return cmd, Context(RULES, None if member is None else turn_of(member))


def convert(customer_id: str | None = None, rules: Rules = RULES) -> Call:
    return ConvertLead(lead_id=LEAD_ID, actor=actor(), now=NOW, customer_id=customer_id), Context(rules)


def archive(reason: str | None = None) -> ArchiveLead:
    return ArchiveLead(lead_id=LEAD_ID, actor=actor(), now=NOW, reason=reason)


def restore(reason: str | None = None) -> RestoreLead:
    return RestoreLead(lead_id=LEAD_ID, actor=actor(), now=NOW, reason=reason)


def created(**fields: Any) -> LeadCreated:
    values: dict[str, Any] = {"status": "new", "first_name": "Ada", **fields}
    return LeadCreated(account_id=ACCOUNT_ID, created_by=ALICE, **values)


LOST = LeadStatusChanged(from_="new", to="lost")
CONVERTED = LeadConverted(customer_id=None, converted_at=NOW, status="converted", from_status="new")


def field_errors(error: ValidationFailed) -> set[tuple[str, str]]:
    return {(e.field, e.code) for e in error.errors}


# --- CreateLead --------------------------------------------------------------------------------------


def test_create_emits_lead_created_with_cleaned_fields_and_first_status() -> None:
    given().when(create(first_name="Ada", phone="+1-555-234-5678", country="us", assigned_to=str(BOB))).then(
        created(phone="+15552345678", country="US", assigned_to=BOB)
    )


def test_create_takes_an_open_status_when_given() -> None:
    given().when(create(first_name="Ada", status="qualified")).then(created(status="qualified"))


@pytest.mark.parametrize(("status", "code"), [("lost", "invalid_status"), ("won-ish", "unknown_status")])
def test_create_refuses_a_closed_or_unknown_status(status: str, code: str) -> None:
    error = given().when(create(first_name="Ada", status=status)).raises(ValidationFailed)
    assert field_errors(error) == {("status", code)}


def test_create_needs_a_name_email_phone_or_company() -> None:
    error = given().when(create(title="CTO")).raises(ValidationFailed)
    assert field_errors(error) == {("first_name", "required")}
    assert "company" in error.errors[0].message


def test_create_of_an_existing_lead_is_refused() -> None:
    given(created()).when(create(first_name="Ada")).raises(InvalidTransition)


def test_create_in_an_account_with_teams_requires_a_team() -> None:
    given().when(create(TEAM_RULES, first_name="Ada")).raises(TeamRequired)


def test_create_for_a_team_with_own_sources_requires_one_of_them() -> None:
    error = given().when(create(TEAM_RULES, first_name="Ada", team_id=str(PARTNERS), source="website"))
    assert error.raises(SourceRequired).errors[0].message == "must be one of partner_portal"


def test_create_for_a_team_with_own_sources_accepts_its_source() -> None:
    cmd = create(TEAM_RULES, first_name="Ada", team_id=str(PARTNERS), source="partner_portal")
    given().when(cmd).then(created(team_id=PARTNERS, source="partner_portal"))


def test_create_for_a_team_without_own_sources_accepts_any_known_source() -> None:
    cmd = create(TEAM_RULES, first_name="Ada", team_id=str(SALES), source="referral")
    given().when(cmd).then(created(team_id=SALES, source="referral"))


def test_skip_team_requirement_lifts_the_team_and_source_rules() -> None:
    given().when(create(TEAM_RULES, skip_team_requirement=True, first_name="Ada")).then(created())


def test_unknown_team_source_and_user_are_all_listed_even_when_skipping_the_team_rule() -> None:
    fields: dict[str, Any] = {"first_name": "Ada", "team_id": str(SALES), "source": "fax", "assigned_to": str(uuid4())}
    cmd = create(skip_team_requirement=True, **fields)
    error = given().when(cmd).raises(ValidationFailed)
    expected = {("team_id", "unknown_team"), ("source", "unknown_source"), ("assigned_to", "unknown_user")}
    assert field_errors(error) == expected


def test_field_errors_are_raised_before_the_team_rule() -> None:
    error = given().when(create(TEAM_RULES, first_name="Ada", email="nope")).raises(ValidationFailed)
    assert field_errors(error) == {("email", "invalid_email")}


# --- UpdateLead --------------------------------------------------------------------------------------


def test_update_emits_only_the_fields_that_really_change() -> None:
    given(created(score=10, company="Acme")).when(update(first_name="Ada", score=20, company="Acme")).then(
        LeadUpdated({"score": Change(from_=10, to=20)})
    )


def test_update_without_a_real_change_emits_nothing() -> None:
    given(created(company="Acme")).when(update(first_name="Ada", company="Acme")).then()


def test_update_null_clears_a_field_and_resets_defaults() -> None:
    given(created(company="Acme", score=40, do_not_call=True, custom={"budget": 5})).when(
        update(company=None, score=None, do_not_call=None, custom=None)
    ).then(
        LeadUpdated(
            {
                "company": Change(from_="Acme", to=None),
                "score": Change(from_=40, to=0),
                "do_not_call": Change(from_=True, to=False),
                "custom": Change(from_={"budget": 5}, to={}),
            }
        )
    )


def test_update_merges_the_mailing_address_key_by_key() -> None:
    address = MailingAddress(street="1 Main St", city="Oslo", country="NO")
    given(created(mailing_address=address)).when(update(mailing_address={"city": "Bergen", "street": None})).then(
        LeadUpdated(
            {
                "mailing_address": Change(
                    from_={"street": "1 Main St", "city": "Oslo", "country": "NO"},
                    to={"city": "Bergen", "country": "NO"},
                )
            }
        )
    )


def test_update_merges_custom_values_and_a_null_member_removes_its_key() -> None:
    given(created(custom={"budget": 5, "tier": "a"})).when(update(custom={"budget": None, "tier": "b"})).then(
        LeadUpdated({"custom": Change(from_={"budget": 5, "tier": "a"}, to={"tier": "b"})})
    )


def test_update_counts_an_int_becoming_a_float_as_a_change_but_not_key_order() -> None:
    lead = given(created(custom={"budget": 5, "tier": "a"}))
    lead.when(update(custom={"tier": "a", "budget": 5})).then()
    lead.when(update(custom={"budget": 5.5})).then(
        LeadUpdated({"custom": Change(from_={"budget": 5, "tier": "a"}, to={"budget": 5.5, "tier": "a"})})
    )


@pytest.mark.parametrize("key", ["customer_id", "id", "is_converted", "version", "created_at"])
def test_update_refuses_keys_it_cannot_write(key: str) -> None:
    changes: dict[str, Any] = {key: "x"}
    error = given(created()).when(update(**changes)).raises(ValidationFailed)
    assert field_errors(error) == {(key, "read_only")}


def test_update_cannot_remove_the_last_identity_field() -> None:
    error = given(created(company="Acme")).when(update(first_name=None, company="")).raises(ValidationFailed)
    assert field_errors(error) == {("first_name", "required")}


def test_update_to_a_known_team_records_the_team_as_a_string_and_folds_back_to_a_uuid() -> None:
    event = LeadUpdated({"team_id": Change(from_=None, to=str(SALES))})
    given(created()).when(update(TEAM_RULES, team_id=str(SALES))).then(event)
    lead = fold(LEAD_ID, [(created(), 1, NOW), (event, 2, NOW)])
    assert lead is not None and lead.team_id == SALES


def test_update_to_an_unknown_team_or_source_is_refused() -> None:
    error = given(created()).when(update(team_id=str(SALES), source="fax")).raises(ValidationFailed)
    assert field_errors(error) == {("team_id", "unknown_team"), ("source", "unknown_source")}


def test_update_of_a_missing_lead_is_not_found() -> None:
    given().when(update(first_name="Ada")).raises(LeadNotFound)


@pytest.mark.parametrize("closing", [LOST, CONVERTED], ids=["lost", "converted"])
def test_closed_lead_cannot_be_updated(closing: LeadEvent) -> None:
    given(created(), closing).when(update(company="Acme")).raises(InvalidTransition)


def test_archived_lead_cannot_be_updated() -> None:
    given(created(), LeadArchived()).when(update(company="Acme")).raises(InvalidTransition)


# --- ChangeStatus ------------------------------------------------------------------------------------


def test_any_member_can_close_an_open_lead_as_lost() -> None:
    given(created()).when(change_status("lost")).then(LeadStatusChanged(from_="new", to="lost"))


def test_change_to_the_current_status_emits_nothing() -> None:
    given(created(status="contacted")).when(change_status("contacted")).then()


def test_change_to_an_unknown_status_is_a_validation_error() -> None:
    error = given(created()).when(change_status("won-ish")).raises(ValidationFailed)
    assert field_errors(error) == {("status", "unknown_status")}


def test_converted_lead_cannot_change_status() -> None:
    given(created(), CONVERTED).when(change_status("contacted")).raises(InvalidTransition)


def test_member_cannot_reopen_a_lost_lead() -> None:
    given(created(), LOST).when(change_status("contacted")).raises(InvalidTransition)


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_admin_or_manager_can_reopen_a_closed_lead(role: Role) -> None:
    given(created(), LOST).when(change_status("contacted", role=role)).then(
        LeadStatusChanged(from_="lost", to="contacted")
    )
    given(created(), CONVERTED).when(change_status("new", role=role)).then(
        LeadStatusChanged(from_="converted", to="new", reopened_from_won=True)
    )


def test_reopening_is_only_into_an_open_status() -> None:
    given(created(), CONVERTED).when(change_status("lost", role="admin")).raises(InvalidTransition)


def test_archived_lead_cannot_change_status() -> None:
    given(created(), LeadArchived()).when(change_status("contacted")).raises(InvalidTransition)


def test_a_status_the_account_no_longer_has_counts_as_open() -> None:
    given(created(status="legacy")).when(change_status("new")).then(LeadStatusChanged(from_="legacy", to="new"))


def test_change_status_of_a_missing_lead_is_not_found() -> None:
    given().when(change_status("contacted")).raises(LeadNotFound)


# --- AssignLead --------------------------------------------------------------------------------------


def test_assign_records_from_and_to() -> None:
    given(created(assigned_to=ALICE)).when(assign(BOB)).then(LeadAssigned(from_=ALICE, to=BOB))


def test_unassign_records_none() -> None:
    given(created(assigned_to=ALICE)).when(assign(None)).then(LeadAssigned(from_=ALICE, to=None))


def test_assign_to_the_current_assignee_emits_nothing() -> None:
    given(created(assigned_to=BOB)).when(assign(BOB)).then()


def test_assign_to_an_unknown_user_is_a_validation_error() -> None:
    error = given(created()).when(assign(uuid4())).raises(ValidationFailed)
    assert field_errors(error) == {("assigned_to", "unknown_user")}


@pytest.mark.parametrize("closing", [LOST, CONVERTED, LeadArchived()], ids=["lost", "converted", "archived"])
def test_closed_or_archived_lead_cannot_be_assigned(closing: LeadEvent) -> None:
    given(created(), closing).when(assign(BOB)).raises(InvalidTransition)


def test_assign_of_a_missing_lead_is_not_found() -> None:
    given().when(assign(BOB)).raises(LeadNotFound)


# --- ConvertLead -------------------------------------------------------------------------------------


def test_convert_records_the_won_status_time_and_customer() -> None:
    given(created(status="qualified")).when(convert("cus_123")).then(
        LeadConverted(customer_id="cus_123", converted_at=NOW, status="converted", from_status="qualified")
    )


def test_convert_twice_is_already_converted() -> None:
    given(created(), CONVERTED).when(convert()).raises(AlreadyConverted)


def test_a_reopen_recorded_before_reopened_from_won_existed_keeps_the_conversion() -> None:
    reopened = LeadStatusChanged(from_="converted", to="new")
    given(created(), CONVERTED, reopened).when(convert()).raises(AlreadyConverted)


def test_a_lost_lead_cannot_be_converted() -> None:
    given(created(), LOST).when(convert()).raises(InvalidTransition)


def test_an_archived_lead_cannot_be_converted() -> None:
    given(created(), LeadArchived()).when(convert()).raises(InvalidTransition)


@pytest.mark.parametrize(
    ("customer_id", "code"),
    [("", "invalid"), ("c" * 256, "too_long"), ("c\x00", "invalid_character"), (" ", "blank")],
)
def test_convert_refuses_a_bad_customer_id(customer_id: str, code: str) -> None:
    error = given(created()).when(convert(customer_id)).raises(ValidationFailed)
    assert field_errors(error) == {("customer_id", code)}


def test_convert_needs_a_won_status_in_the_account() -> None:
    no_won = Rules(statuses=[StatusRule("new", "open"), StatusRule("lost", "lost")])
    given(created()).when(convert(rules=no_won)).raises(InvalidTransition)


def test_convert_of_a_missing_lead_is_not_found() -> None:
    given().when(convert()).raises(LeadNotFound)


# --- ArchiveLead / RestoreLead ----------------------------------------------------------------------


def test_archive_records_the_reason() -> None:
    given(created()).when(archive("duplicate")).then(LeadArchived("duplicate"))


def test_a_closed_lead_can_be_archived() -> None:
    given(created(), LOST).when(archive()).then(LeadArchived())


def test_archiving_an_archived_lead_emits_nothing() -> None:
    given(created(), LeadArchived()).when(archive()).then()


def test_restore_records_the_reason() -> None:
    given(created(), LeadArchived()).when(restore("mistake")).then(LeadRestored("mistake"))


def test_restoring_a_lead_that_is_not_archived_emits_nothing() -> None:
    given(created()).when(restore()).then()


@pytest.mark.parametrize("cmd", [archive(), restore()], ids=["archive", "restore"])
def test_archive_or_restore_of_a_missing_lead_is_not_found(cmd: Command) -> None:
    given().when(cmd).raises(LeadNotFound)


# --- evolve / fold -----------------------------------------------------------------------------------


def test_fold_of_no_events_is_no_lead() -> None:
    assert fold(LEAD_ID, []) is None


def test_fold_stamps_id_version_and_times() -> None:
    later = NOW + timedelta(hours=1)
    lead = fold(LEAD_ID, [(created(), 1, NOW), (LeadArchived(), 2, later)])
    assert lead is not None
    assert (lead.id, lead.version, lead.created_at, lead.updated_at) == (LEAD_ID, 2, NOW, later)
    assert lead.archived is True


def test_evolve_applies_conversion_and_restoration() -> None:
    lead = fold(LEAD_ID, [(created(), 1, NOW), (CONVERTED, 2, NOW), (LeadArchived(), 3, NOW)])
    lead = evolve(lead, LeadRestored(), EventMeta(LEAD_ID, 4, NOW))
    assert (lead.is_converted, lead.converted_at, lead.status, lead.archived) == (True, NOW, "converted", False)


def test_evolve_converts_changed_json_back_to_field_types() -> None:
    changes = {
        "mailing_address": Change(from_=None, to={"city": "Oslo"}),
        "assigned_to": Change(from_=None, to=str(BOB)),
        "added_by_a_newer_version": Change(from_=None, to=1),
    }
    lead = fold(LEAD_ID, [(created(), 1, NOW), (LeadUpdated(changes), 2, NOW)])
    assert lead is not None
    assert (lead.mailing_address, lead.assigned_to) == (MailingAddress(city="Oslo"), BOB)


def test_a_stream_must_start_with_lead_created() -> None:
    with pytest.raises(ValueError, match="LeadCreated"):
        evolve(None, LeadArchived(), EventMeta(LEAD_ID, 1, NOW))


# --- the write lane's rules (issue 8) ------------------------------------------------------------------


def test_reopening_a_converted_lead_undoes_its_conversion() -> None:
    events = (created(), CONVERTED, LeadStatusChanged(from_="converted", to="new", reopened_from_won=True))
    lead = given(*events).lead
    assert lead is not None
    assert (lead.is_converted, lead.converted_at, lead.customer_id, lead.status) == (False, None, None, "new")
    given(*events).when(convert("C-2")).then(
        LeadConverted(customer_id="C-2", converted_at=NOW, status="converted", from_status="new")
    )


def test_a_reopen_from_lost_is_not_marked_as_from_won() -> None:
    given(created(), LOST).when(change_status("new", role="admin")).then(LeadStatusChanged(from_="lost", to="new"))


def test_a_patch_into_a_won_status_is_a_conversion_with_its_customer_id() -> None:
    given(created()).when(update(status="converted", customer_id="C-9")).then(
        LeadConverted(customer_id="C-9", converted_at=NOW, status="converted", from_status="new")
    )


def test_a_patch_into_a_won_status_of_a_converted_lead_is_already_converted() -> None:
    given(created(), CONVERTED).when(update(status="converted")).raises(AlreadyConverted)


def test_a_patch_into_a_won_status_of_a_lost_lead_is_refused() -> None:
    given(created(), LOST).when(update(status="converted", role="admin")).raises(InvalidTransition)


def test_a_patch_edits_then_assigns_then_closes_an_open_lead() -> None:
    given(created()).when(update(notes="x", assigned_to=str(BOB), status="lost")).then(
        LeadUpdated({"notes": Change(from_=None, to="x")}),
        LeadAssigned(from_=None, to=BOB),
        LeadStatusChanged(from_="new", to="lost"),
    )


def test_a_patch_reopens_first_then_edits_a_closed_lead() -> None:
    given(created(), LOST).when(update(role="manager", notes="x", status="new", assigned_to=str(BOB))).then(
        LeadStatusChanged(from_="lost", to="new"),
        LeadUpdated({"notes": Change(from_=None, to="x")}),
        LeadAssigned(from_=None, to=BOB),
    )


def test_a_patch_lists_its_status_assignee_and_field_errors_together() -> None:
    error = given(created()).when(update(status=3, assigned_to="me", score=101, nope=1)).raises(ValidationFailed)
    assert {field for field, _ in field_errors(error)} == {"status", "assigned_to", "score", "nope"}


def test_a_patch_of_the_team_follows_the_team_rule() -> None:
    lead = given(created(team_id=SALES, source="website"))
    lead.when(update(TEAM_RULES, team_id=str(PARTNERS))).raises(SourceRequired)
    lead.when(update(TEAM_RULES, team_id=None)).raises(TeamRequired)
    lead.when(update(TEAM_RULES, skip=True, team_id=None)).then(LeadUpdated({"team_id": Change(str(SALES), None)}))
    lead.when(update(TEAM_RULES, team_id=str(PARTNERS), source="partner_portal")).then(
        LeadUpdated({"team_id": Change(str(SALES), str(PARTNERS)), "source": Change("website", "partner_portal")})
    )


def test_a_patch_of_the_source_alone_follows_the_team_rule() -> None:
    given(created(team_id=PARTNERS, source="partner_portal")).when(update(TEAM_RULES, source="website")).raises(
        SourceRequired
    )


def test_a_patch_that_moves_a_lead_to_a_rotating_team_assigns_the_turn() -> None:
    given(created()).when(update(TEAM_RULES, turn=turn_of(BOB), team_id=str(SALES))).then(
        LeadUpdated({"team_id": Change(None, str(SALES))}), LeadAssigned(from_=None, to=BOB, by_rotation=True)
    )


def test_a_create_with_a_turn_and_no_assignee_is_assigned_by_rotation() -> None:
    given().when(create(TEAM_RULES, turn=turn_of(BOB), first_name="Ada", team_id=str(SALES))).then(
        created(team_id=SALES), LeadAssigned(from_=None, to=BOB, by_rotation=True)
    )


def test_a_create_without_a_turn_is_not_assigned() -> None:
    given().when(create(TEAM_RULES, first_name="Ada", team_id=str(SALES))).then(created(team_id=SALES))


def test_assign_by_rotation_records_the_turn() -> None:
    given(created(assigned_to=ALICE)).when(by_rotation(BOB)).then(LeadAssigned(from_=ALICE, to=BOB, by_rotation=True))


def test_assign_by_rotation_without_a_rotation_is_refused() -> None:
    error = given(created()).when(by_rotation(None)).raises(ValidationFailed)
    assert field_errors(error) == {("rotation", "no_rotation")}


REQUIRED = Rules(statuses=STATUSES, custom_fields=[CustomFieldRule("tier", "choice", ["a", "b"], required=True)])


@pytest.mark.parametrize("patch", [{"custom": {"tier": None}}, {"custom": None}, {"custom.tier": None}])
def test_a_required_custom_field_cannot_be_cleared(patch: dict[str, Any]) -> None:
    error = given(created(custom={"tier": "a"})).when(update(REQUIRED, **patch)).raises(ValidationFailed)
    assert field_errors(error) == {("custom.tier", "required")}


def test_a_removed_choice_stays_until_its_field_changes_and_cannot_be_set() -> None:
    narrowed = Rules(statuses=STATUSES, custom_fields=[CustomFieldRule("tier", "choice", ["b"])])
    lead = given(created(custom={"tier": "a"}))
    lead.when(update(narrowed, notes="x")).then(LeadUpdated({"notes": Change(from_=None, to="x")}))
    error = lead.when(update(narrowed, custom={"tier": "a"})).raises(ValidationFailed)
    assert field_errors(error) == {("custom.tier", "invalid_choice")}


def test_a_top_level_custom_member_is_the_same_as_custom() -> None:
    five: dict[str, Any] = {"custom.budget": 5}  # a dotted member: no keyword argument can name it
    seven: dict[str, Any] = {"custom.budget": 7}
    given().when(create(first_name="Ada", **five)).then(created(custom={"budget": 5}))
    given(created()).when(update(**seven)).then(LeadUpdated({"custom": Change({}, {"budget": 7})}))


def test_a_company_id_alone_identifies_a_lead() -> None:
    given().when(create(company_id="c-1", notes="hi")).then(
        LeadCreated(account_id=ACCOUNT_ID, created_by=ALICE, status="new", company_id="c-1", notes="hi")
    )


# --- rotation policy ---------------------------------------------------------------------------------

CAROL = uuid4()
ROTATING = Rules(
    statuses=STATUSES,
    teams=[TeamRule(SALES, rotation=True, members=(ALICE, BOB, CAROL)), TeamRule(PARTNERS, members=(BOB,))],
    default_rotation=DefaultRotation(enabled=True, members=(CAROL, ALICE)),
)


def test_pick_turn_goes_round_the_members_and_hands_a_lead_on() -> None:
    rotation = Rotation(SALES, (ALICE, BOB, CAROL))
    assert [pick_turn(rotation, pointer, None).member for pointer in range(4)] == [ALICE, BOB, CAROL, ALICE]  # type: ignore[union-attr]
    assert pick_turn(rotation, 1, BOB) == Turn(SALES, CAROL, pointer=1, next_pointer=0)
    assert pick_turn(Rotation(SALES, (BOB,)), 0, BOB) == Turn(SALES, BOB, pointer=0, next_pointer=0)
    assert pick_turn(Rotation(SALES, ()), 0, None) is None


def test_a_new_lead_without_assignee_takes_its_teams_turn_or_the_accounts() -> None:
    new = CreateLead(lead_id=LEAD_ID, account_id=ACCOUNT_ID, actor=actor(), now=NOW, fields={"team_id": str(SALES)})
    assert rotation_for(new, None, ROTATING) == Rotation(SALES, (ALICE, BOB, CAROL))
    no_team = msgspec.structs.replace(new, fields={"first_name": "Ada"})
    assert rotation_for(no_team, None, ROTATING) == Rotation(None, (CAROL, ALICE))
    assigned = msgspec.structs.replace(new, fields={"team_id": str(SALES), "assigned_to": str(BOB)})
    assert rotation_for(assigned, None, ROTATING) is None
    not_rotating = msgspec.structs.replace(new, fields={"team_id": str(PARTNERS)})
    assert rotation_for(not_rotating, None, ROTATING) is None


def test_a_patch_takes_a_turn_only_when_it_moves_the_lead_to_another_team_without_an_assignee() -> None:
    lead = given(created(team_id=PARTNERS)).lead
    moved = UpdateLead(lead_id=LEAD_ID, actor=actor(), now=NOW, changes={"team_id": str(SALES)})
    assert rotation_for(moved, lead, ROTATING) == Rotation(SALES, (ALICE, BOB, CAROL))
    named = msgspec.structs.replace(moved, changes={"team_id": str(SALES), "assigned_to": None})
    assert rotation_for(named, lead, ROTATING) is None
    stays = given(created(team_id=SALES)).lead
    assert rotation_for(moved, stays, ROTATING) is None


def test_assign_by_rotation_takes_the_leads_team_turn_or_the_accounts() -> None:
    cmd = AssignLead(lead_id=LEAD_ID, actor=actor(), now=NOW, rotation=True)
    assert rotation_for(cmd, given(created(team_id=SALES)).lead, ROTATING) == Rotation(SALES, (ALICE, BOB, CAROL))
    assert rotation_for(cmd, given(created()).lead, ROTATING) == Rotation(None, (CAROL, ALICE))
    assert rotation_for(cmd, given(created()).lead, RULES) is None
