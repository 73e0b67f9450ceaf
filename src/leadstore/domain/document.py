"""The public representation of a lead (API.md's Lead object), built from the folded state."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec

from leadstore.domain.state import Lead, full_name


def timestamp(value: datetime) -> str:
    """RFC 3339 UTC with milliseconds and a `Z`: `2026-11-21T10:30:00.123Z`."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def lead_document(lead: Lead) -> dict[str, Any]:
    """The Lead object of API.md, as JSON builtins, with keys in a stable order."""
    fields: dict[str, Any] = msgspec.to_builtins(lead)
    doc: dict[str, Any] = {"id": fields.pop("id"), "object": "lead", "account_id": fields.pop("account_id")}
    doc["first_name"] = fields.pop("first_name")
    doc["last_name"] = fields.pop("last_name")
    doc["full_name"] = full_name(lead.first_name, lead.last_name)
    doc.update(fields)
    doc["converted_at"] = None if lead.converted_at is None else timestamp(lead.converted_at)
    doc["created_at"] = timestamp(lead.created_at)
    doc["updated_at"] = timestamp(lead.updated_at)
    return doc
