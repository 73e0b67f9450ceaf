"""A lead's history for people: who changed what, when and from where; and the lead as it was at a time."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from leadstore.documents import as_of_bound, lead_document, timestamp
from leadstore.domain.events import EVENT_TYPES, load_event
from leadstore.domain.state import EventMeta, Lead, erased, evolve
from leadstore.store.db import Conn
from leadstore.store.events import RecordedEvent, fold_recorded, read_stream

# Stamped by every event or derived from other fields: never "what changed".
NOT_CHANGES = frozenset({"id", "object", "account_id", "version", "updated_at", "created_at", "full_name"})


class FieldChange(msgspec.Struct, frozen=True):
    field: str
    before: Any
    after: Any


class Entry(msgspec.Struct, frozen=True, kw_only=True):
    """One event of the timeline: its version, type, time, actor, request, field changes and note."""

    version: int
    type: str
    occurred_at: datetime
    actor: dict[str, Any]
    request: dict[str, Any]
    changes: list[FieldChange]
    note: str | None = None


async def lead_as_of(conn: Conn, lead_id: UUID, at: datetime) -> dict[str, Any] | None:
    """The lead document as it was at `at` (the events that occurred by then); None if it did not exist yet.

    The same fold as the API's `GET /v1/leads/{id}?as_of=`.
    """
    history = await read_stream(conn, lead_id)
    bound = as_of_bound(at)
    lead = fold_recorded([event for event in history if event.occurred_at <= bound])
    if lead is not None and any(event.type == "LeadErased" for event in history):
        lead = erased(lead)  # an erased person is gone from the lead's past too
    return None if lead is None else lead_document(lead)


def timeline(events: list[RecordedEvent]) -> list[Entry]:
    """The entries of a stream's events, each with the fields it changed (diffing the lead before and after)."""
    entries: list[Entry] = []
    lead: Lead | None = None
    before: dict[str, Any] = {}
    for event in events:
        if event.type in EVENT_TYPES:
            meta = EventMeta(event.stream_id, event.version, event.occurred_at)
            lead = evolve(lead, load_event(event.type, event.data), meta)
            after = lead_document(lead)
            changes = list(_diff(before, after, creating=event.version == 1))
        else:  # written by a newer leadstore: show its data as it is
            after, changes = before, [FieldChange(k, None, v) for k, v in sorted(event.data.items())]
        entries.append(
            Entry(
                version=event.version,
                type=event.type,
                occurred_at=event.occurred_at,
                actor=event.metadata.get("actor") or {},
                request=event.metadata.get("request") or {},
                changes=changes,
                note=_note(event.data),
            )
        )
        before = after
    return entries


def _diff(before: dict[str, Any], after: dict[str, Any], *, creating: bool) -> Iterator[FieldChange]:
    """Changed fields, dicts (custom, mailing_address) one level down; a creation lists its non-empty values."""
    for name in after:
        if name in NOT_CHANGES:
            continue
        old, new = before.get(name), after[name]
        if isinstance(old, dict) or isinstance(new, dict):
            old, new = old or {}, new or {}
            for key in sorted(old.keys() | new.keys()):
                if old.get(key) != new.get(key):
                    yield FieldChange(f"{name}.{key}", old.get(key), new.get(key))
        elif creating and new not in (None, "", [], False, 0):
            yield FieldChange(name, None, new)
        elif not creating and old != new:
            yield FieldChange(name, old, new)


def _note(data: dict[str, Any]) -> str | None:
    parts = [f"reason: {data['reason']}"] if data.get("reason") else []
    parts += ["by rotation"] if data.get("by_rotation") else []
    return "; ".join(parts) or None


def render(lead_id: UUID, entries: list[Entry]) -> list[str]:
    """The timeline as lines of text, oldest first (a value may hold a line break: print each line escaped)."""
    lines = [f"lead {lead_id}: {len(entries)} event(s)"]
    for entry in entries:
        lines.append(f"v{entry.version}  {timestamp(entry.occurred_at)}  {entry.type}")
        lines.append(f"    by {_who(entry.actor)}")
        lines.append(f"    via {_where(entry.request)}")
        lines += [f"    {c.field}: {_value(c.before)} -> {_value(c.after)}" for c in entry.changes]
        lines += [f"    ({entry.note})"] if entry.note else []
    return lines


def _who(actor: dict[str, Any]) -> str:
    user = f"user {actor.get('user_id') or 'unknown'}"
    user += f" <{actor['email']}>" if actor.get("email") else ""
    return user + (f" with key {actor['api_key_id']}" if actor.get("api_key_id") else "")


def _where(request: dict[str, Any]) -> str:
    call = " ".join(str(request[k]) for k in ("method", "path") if request.get(k)) or "no HTTP request"
    call += f" from {request['ip']}" if request.get("ip") else ""
    return call + (f" (request {request['id']})" if request.get("id") else "")


def _value(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)
