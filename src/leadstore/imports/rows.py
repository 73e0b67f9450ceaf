"""One row of an import through the write lane: a CreateLead, or for `on_duplicate=update` on an email the
account already has, an UpdateLead of that lead. Every rule of POST /v1/leads applies; the row's idempotency
key (`import:<id>:<row>`) makes its write happen once however often the row is run (a resume, a re-run).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID

import msgspec
from uuid_utils.compat import uuid7

from leadstore.domain.commands import Actor, Command, CreateLead, UpdateLead
from leadstore.domain.errors import DuplicateEmail, LeadNotFound, LeadstoreError
from leadstore.domain.rules import CustomFieldRule
from leadstore.domain.state import Lead
from leadstore.handler import Idempotency, LeadCommandHandler
from leadstore.imports.parsing import ParsedRow
from leadstore.imports.values import lead_body
from leadstore.store import idempotency
from leadstore.store.db import Conn
from leadstore.store.idempotency import KeyTaken
from leadstore.store.imports import RowError

Outcome = Literal["created", "updated", "skipped", "failed"]
CREATED, UPDATED = 201, 200  # the statuses a row's idempotency record stores, as POST and PATCH answer
DONE_ROWS = """
SELECT key, status FROM idempotency_keys
WHERE account_id = $1 AND key = ANY($2::text[]) AND created_at > now() - interval '24 hours'"""
LEAD_BY_EMAIL = "SELECT lead_id FROM lead_emails WHERE account_id = $1 AND email_lower = lower($2)"
NOT_YOURS = "a lead with this email exists, and this import may not change it"
ONLY_YOURSELF = "a member may assign the leads they import only to themselves"


class RowResult(msgspec.Struct, frozen=True):
    outcome: Outcome
    errors: list[RowError] = []


class ImportJob(msgspec.Struct, frozen=True, kw_only=True):
    """What every row of one import shares: who imports, how, and what their events record."""

    id: UUID
    account_id: UUID
    actor: Actor
    on_duplicate: Literal["skip", "update"]
    skip_team_requirement: bool
    metadata: dict[str, Any]
    typed: bool  # NDJSON rows hold JSON values; CSV cells are text

    def row_key(self, number: int) -> str:
        return f"import:{self.id}:{number}"

    def visible(self, lead: Lead) -> bool:
        """A member's import changes only leads assigned to or created by them, as the API lets them."""
        me = self.actor.user_id
        return self.actor.role != "member" or lead.assigned_to == me or lead.created_by == me


async def done_rows(conn: Conn, job: ImportJob, numbers: list[int]) -> dict[int, Outcome]:
    """The rows among `numbers` whose write already happened (a run before a kill), with its outcome."""
    keys = {job.row_key(n): n for n in numbers}
    found = await conn.fetch(DONE_ROWS, job.account_id, list(keys))
    return {keys[r["key"]]: ("created" if r["status"] == CREATED else "updated") for r in found}


class RowWriter:
    """Runs rows of one import through the lane."""

    def __init__(self, handler: LeadCommandHandler, pool: Any, job: ImportJob) -> None:
        self.handler, self.pool, self.job = handler, pool, job

    async def write(self, row: ParsedRow, custom_fields: list[CustomFieldRule]) -> RowResult:
        """The row's outcome; only the lane's transient refusals after its retries and KeyRevoked raise."""
        job = self.job
        if row.error is not None:
            return _failed(row.number, [(None, *row.error)])
        body = lead_body(row.cells, custom_fields, typed=job.typed)
        if job.actor.role == "member" and "assigned_to" in body and body["assigned_to"] != str(job.actor.user_id):
            return _failed(row.number, [("assigned_to", "forbidden", ONLY_YOURSELF)])
        create = CreateLead(
            lead_id=uuid7(),
            account_id=job.account_id,
            actor=job.actor,
            now=datetime.now(UTC),
            fields=body,
            skip_team_requirement=job.skip_team_requirement,
        )
        try:
            return await self._run(row.number, create, CREATED)
        except DuplicateEmail as exc:
            if (done := await self._done(row.number)) is not None:
                return done  # this row's own create, by a run that lost its lease a moment ago
            if job.on_duplicate == "skip":
                return RowResult("skipped")
            return await self._update(row.number, body, exc)
        except LeadstoreError as exc:
            return _failed(row.number, _field_errors(exc))

    async def _update(self, number: int, body: dict[str, Any], duplicate: DuplicateEmail) -> RowResult:
        async with self.pool.acquire() as conn:
            lead_id = await conn.fetchval(LEAD_BY_EMAIL, self.job.account_id, body.get("email"))
        if lead_id is None:  # its lead was erased or changed its email a moment ago
            return _failed(number, _field_errors(duplicate))
        update = UpdateLead(
            lead_id=lead_id,
            actor=self.job.actor,
            now=datetime.now(UTC),
            changes=body,
            skip_team_requirement=self.job.skip_team_requirement,
        )
        try:
            return await self._run(number, update, UPDATED)
        except LeadNotFound:
            return _failed(number, [("email", "duplicate_email", NOT_YOURS)])
        except LeadstoreError as exc:
            return _failed(number, _field_errors(exc))

    async def _run(self, number: int, cmd: Command, status: int) -> RowResult:
        job = self.job
        key = job.row_key(number)
        fingerprint = idempotency.request_hash(str(job.actor.user_id), "IMPORT", str(job.id), str(number), b"")
        request = job.metadata.get("request", {}) | {"import": {"id": str(job.id), "row": number}}
        try:
            await self.handler.execute(
                cmd,
                account_id=job.account_id,
                metadata=job.metadata | {"request": request},
                visible=job.visible,
                idempotency=Idempotency(key, fingerprint, status, {}, b'{"lead_id":"%s"}' % str(cmd.lead_id).encode()),
            )
        except KeyTaken:
            done = await self._done(number)
            assert done is not None, "an idempotency key taken and not found"
            return done
        return RowResult("created" if status == CREATED else "updated")

    async def _done(self, number: int) -> RowResult | None:
        async with self.pool.acquire() as conn:
            found = await done_rows(conn, self.job, [number])
        return RowResult(found[number]) if number in found else None


def _failed(number: int, problems: list[tuple[str | None, str, str]]) -> RowResult:
    return RowResult("failed", [RowError(number, field, code, message) for field, code, message in problems])


def _field_errors(exc: LeadstoreError) -> list[tuple[str | None, str, str]]:
    listed = getattr(exc, "errors", None) or []
    if listed:
        return [(e.field, e.code, e.message) for e in listed]
    return [(None, exc.code, exc.detail)]
