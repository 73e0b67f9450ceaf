"""The account rules the lead decider applies: status kinds, the team rule and single-value checks."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from leadstore.domain import field_checks
from leadstore.domain.errors import (
    InvalidTransition,
    SourceRequired,
    TeamRequired,
)
from leadstore.domain.field_checks import InvalidValueError
from leadstore.domain.rules import Rules, StatusKind
from leadstore.domain.state import Lead


def status_kind(rules: Rules, status: str) -> StatusKind:
    """A status's kind; one the account no longer has counts as open."""
    return next((rule.kind for rule in rules.statuses if rule.key == status), "open")


def known_status(value: Any, rules: Rules) -> str:
    """A status key as a body names it, which must be one of the account's (InvalidValueError if not)."""
    if not isinstance(value, str):
        raise InvalidValueError("invalid_type", "must be the key of one of the account's statuses")
    keys = [rule.key for rule in rules.statuses]
    if value not in keys:
        raise InvalidValueError("unknown_status", f"must be one of {', '.join(keys)}")
    return value


def known_user(user_id: UUID, rules: Rules) -> UUID:
    """A user a command names, which must be an active user of the account (InvalidValueError if not)."""
    if user_id not in rules.known_users:
        raise InvalidValueError("unknown_user", "is not an active user of this account")
    return user_id


def won_status(rules: Rules) -> str:
    """The status a converted lead takes: the account's first of kind won."""
    won = next((rule.key for rule in rules.statuses if rule.kind == "won"), None)
    if won is None:
        raise InvalidTransition("the account has no won status to convert a lead into")
    return won


def require_open(lead: Lead, rules: Rules, action: str) -> None:
    """Refuse to `action` a closed (won or lost) or archived lead."""
    kind = status_kind(rules, lead.status)
    if kind != "open":
        raise InvalidTransition(f"lead {lead.id} is closed ({lead.status}, {kind}): reopen it to {action}")
    if lead.archived:
        raise InvalidTransition(f"lead {lead.id} is archived: restore it to {action}")


def require_team_and_source(rules: Rules, team_id: UUID | None, source: str | None) -> None:
    """The team rule: an account with teams needs a team; a team with its own sources needs one of them."""
    if not rules.teams:
        return
    if team_id is None:
        raise TeamRequired()
    own_sources = [rule.key for rule in rules.sources if rule.team_id == team_id]
    if own_sources and source not in own_sources:
        raise SourceRequired(own_sources)


def require_known_user(rules: Rules, user_id: UUID | None) -> None:
    if user_id is not None:
        field_checks.checked("assigned_to", known_user, user_id, rules)


def checked_reason(reason: str | None) -> str | None:
    """A command's free-text reason: at most 10,000 characters, several lines allowed, no control character."""
    if reason is None:
        return None
    return field_checks.checked("reason", lambda: field_checks.text(reason, 10_000, multiline=True))
