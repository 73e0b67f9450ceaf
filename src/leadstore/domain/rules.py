"""What a decision needs from the world: the account's rules and, when a command takes one, a rotation turn.

The lane loads these and hands them to `decide` as its context; commands carry intent only.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

import msgspec

StatusKind = Literal["open", "won", "lost"]
FieldType = Literal["text", "number", "boolean", "date", "datetime", "choice", "multi_choice"]


class StatusRule(msgspec.Struct, frozen=True):
    key: str
    kind: StatusKind


class SourceRule(msgspec.Struct, frozen=True):
    key: str
    team_id: UUID | None = None


class TeamRule(msgspec.Struct, frozen=True):
    """A team; `members` are its active members in rotation order."""

    id: UUID
    rotation: bool = False
    members: tuple[UUID, ...] = ()


class CustomFieldRule(msgspec.Struct, frozen=True):
    key: str
    type: FieldType
    choices: list[str] = msgspec.field(default_factory=list)
    required: bool = False


class DefaultRotation(msgspec.Struct, frozen=True):
    """The account's rotation for leads with no team; `members` are its active members in order."""

    enabled: bool = False
    members: tuple[UUID, ...] = ()


class Rules(msgspec.Struct, frozen=True):
    """The account's configuration as the decider needs it, at configuration `version`.

    `statuses` are in pipeline order; `known_users` are the account's active users.
    """

    statuses: list[StatusRule]
    sources: list[SourceRule] = msgspec.field(default_factory=list)
    teams: list[TeamRule] = msgspec.field(default_factory=list)
    custom_fields: list[CustomFieldRule] = msgspec.field(default_factory=list)
    known_users: frozenset[UUID] = frozenset()
    default_rotation: DefaultRotation = DefaultRotation()
    version: int = 0

    def team(self, team_id: UUID | None) -> TeamRule | None:
        return next((team for team in self.teams if team.id == team_id), None)


class Rotation(msgspec.Struct, frozen=True):
    """A rotation a command takes a turn in: a team's, or the account's default one (`team_id` None)."""

    team_id: UUID | None
    members: tuple[UUID, ...]


class Turn(msgspec.Struct, frozen=True):
    """A turn of a rotation: whose it is, the pointer it was taken at, and where the pointer goes next."""

    team_id: UUID | None
    member: UUID
    pointer: int
    next_pointer: int


class Context(msgspec.Struct, frozen=True):
    """The decider's second argument: the rules, and the turn the lane took when the command wanted one."""

    rules: Rules
    turn: Turn | None = None
