"""Domain errors: each has a stable machine `code`; callers map the codes to their own answers."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec


class FieldError(msgspec.Struct, frozen=True):
    """One bad field of a request: which, a stable code, and a message for people."""

    field: str
    code: str
    message: str


class LeadstoreError(Exception):
    """Base of every error with a stable code."""

    code = "error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class ValidationFailed(LeadstoreError):
    code = "validation_failed"

    def __init__(self, errors: list[FieldError]) -> None:
        fields = ", ".join(e.field for e in errors)
        super().__init__(f"{len(errors)} invalid field(s): {fields}")
        self.errors = errors


class LeadNotFound(LeadstoreError):
    code = "not_found"

    def __init__(self, lead_id: UUID) -> None:
        super().__init__(f"lead {lead_id} not found")
        self.lead_id = lead_id


class DuplicateEmail(LeadstoreError):
    code = "duplicate_email"

    def __init__(self, email: str) -> None:
        super().__init__(f"a lead with email {email!r} already exists in this account")
        self.errors = [FieldError("email", "duplicate_email", "already used by another lead")]


class VersionConflict(LeadstoreError):
    code = "version_conflict"

    def __init__(self, stream_id: UUID, expected: int, actual: int) -> None:
        super().__init__(f"stream {stream_id} is at version {actual}, expected {expected}")
        self.expected = expected
        self.actual = actual


class InvalidTransition(LeadstoreError):
    code = "invalid_transition"


class AlreadyConverted(LeadstoreError):
    code = "already_converted"

    def __init__(self, lead_id: UUID) -> None:
        super().__init__(f"lead {lead_id} is already converted")


class TeamRequired(LeadstoreError):
    code = "team_required"

    def __init__(self) -> None:
        super().__init__("this account has teams: team_id is required")
        self.errors = [FieldError("team_id", "team_required", "required when the account has teams")]


class SourceRequired(LeadstoreError):
    code = "source_required"

    def __init__(self, allowed: list[str]) -> None:
        super().__init__(f"the team's lead sources are {', '.join(allowed)}: source must be one of them")
        self.errors = [FieldError("source", "source_required", f"must be one of {', '.join(allowed)}")]


# --- merges (issue 14)
class LeadIsMerged(LeadstoreError):
    """A write to a lead merged into another: it is closed to writes until the merge is undone."""

    code = "lead_merged"

    def __init__(self, lead_id: UUID, into: UUID) -> None:
        super().__init__(f"lead {lead_id} was merged into lead {into}: write to that lead, or undo the merge")
        self.lead_id = lead_id
        self.into = into


class AlreadyUnmerged(LeadstoreError):
    """An unmerge of a merge that was undone already."""

    code = "already_unmerged"

    def __init__(self, merge_event_id: UUID) -> None:
        super().__init__(f"the merge {merge_event_id} was already undone")


# --- end of merges


# --- erasure (issue 13) ---


class LeadWasErased(LeadstoreError):
    """A command on a lead whose person was erased: nothing can be written to it any more."""

    code = "lead_erased"

    def __init__(self, lead_id: UUID) -> None:
        super().__init__(f"lead {lead_id} was erased: it can not be changed any more")
        self.lead_id = lead_id


class ErasureUnavailable(LeadstoreError):
    """The lead's stream holds personal data written in plaintext (before encryption at rest), which an
    append-only log can not remove: the way out is a fresh, encrypted copy of the log."""

    code = "erasure_unavailable"

    def __init__(self, lead_id: UUID) -> None:
        super().__init__(
            f"lead {lead_id} has events written before encryption at rest, whose personal data is stored in "
            "plaintext and can not be erased in place: copy the log with `leadstore export`, then "
            "`leadstore import --encrypt` it into a new database, and erase the lead there"
        )
        self.lead_id = lead_id


# --- end erasure ---
