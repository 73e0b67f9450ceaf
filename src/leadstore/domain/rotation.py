"""Round-robin rotation as policy: which rotation a command takes a turn in, and whose turn it is. Pure.

The lane reads the rotation's pointer (under its lock when it must), asks `pick_turn`, and hands the turn
to `decide`; the write that records the assignment moves the pointer to `Turn.next_pointer`.
"""

from __future__ import annotations

import contextlib
from typing import Any
from uuid import UUID

from leadstore.domain.commands import AssignLead, Command, CreateLead, UpdateLead
from leadstore.domain.rules import Rotation, Rules, Turn
from leadstore.domain.state import Lead


def rotation_for(cmd: Command, lead: Lead | None, rules: Rules) -> Rotation | None:
    """The rotation `cmd` takes a turn in, if any: a lead written with no assignee gets its team's turn
    (the account's default rotation when it has no team); a PATCH that moves a lead to another team
    without naming `assigned_to` takes a turn there; `/assign {"rotation": true}` takes one in the lead's."""
    match cmd:
        case CreateLead(fields=fields) if fields.get("assigned_to") is None:
            return _rotation_of(rules, _team_id(fields.get("team_id")), default=True)
        case UpdateLead(changes=changes) if lead and "team_id" in changes and "assigned_to" not in changes:
            team_id = _team_id(changes["team_id"])
            return None if team_id is None or team_id == lead.team_id else _rotation_of(rules, team_id)
        case AssignLead(rotation=True) if lead is not None:
            return _rotation_of(rules, lead.team_id, default=True)
        case _:
            return None


def pick_turn(rotation: Rotation, pointer: int, holder: UUID | None) -> Turn | None:
    """The member whose turn it is at `pointer`; a turn hands a lead on, so it skips `holder`, the lead's
    current assignee, unless nobody else is left. None when the rotation has no active member."""
    members = rotation.members
    if not members:
        return None
    turn = pointer % len(members)
    if members[turn] == holder and len(members) > 1:
        turn = (turn + 1) % len(members)
    return Turn(rotation.team_id, members[turn], pointer, (turn + 1) % len(members))


def _rotation_of(rules: Rules, team_id: UUID | None, *, default: bool = False) -> Rotation | None:
    if team_id is None:
        rotation = rules.default_rotation
        return Rotation(None, rotation.members) if default and rotation.enabled else None
    team = rules.team(team_id)
    return Rotation(team.id, team.members) if team is not None and team.rotation else None


def _team_id(raw: Any) -> UUID | None:
    """A team id as a body holds it; None when absent or not an id (validation reports that)."""
    if isinstance(raw, UUID):
        return raw
    with contextlib.suppress(ValueError, TypeError, AttributeError):
        return UUID(raw) if raw else None
    return None
