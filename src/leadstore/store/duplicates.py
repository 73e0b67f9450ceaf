"""Duplicate candidates (issue 14), found in the lead list read model (projections/lead_list.py, version 5):

- `email`: the same address, compared lower-cased;
- `phone`: the same number, as stored (every phone is normalised to E.164 when written);
- `name_company`: a similar full name (pg_trgm similarity at least `pg_trgm.similarity_threshold`, 0.3 by
  default, through the trigram index on `name_lower`) at the same company (`company`, case-insensitively,
  or `company_id`).

Each reason is found through an index of its own (a UNION of four probes), so one lead's candidates cost
a handful of index lookups whatever the account's size. The score (0..100) adds 60 for the email, 50 for
the phone and up to 50 for the name (50 x its similarity), capped at 100. Merged leads are never
candidates; an erased lead's personal fields are null, so it matches nothing.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from uuid import UUID

import msgspec

from leadstore.domain.state import Lead
from leadstore.store.db import Conn

REASONS = ("email", "phone", "name_company")
MAX_CANDIDATES = 50
PAIRS_BATCH = 500  # leads whose candidates one statement of the pairs walk looks up
MAX_SCANNED = 5_000  # leads a page of the pairs walk looks through at most; past it, a short page
_LAST_ID = UUID(int=2**128 - 1)


def _matching(x: str, y: str) -> str:
    """The reasons and score of lead `y` as a duplicate of `x` ({x}/{y} are a table alias or, for x, a
    placeholder-filled row), as SQL select items."""
    name_company = (
        f"({y}.name_lower % {x}name_lower AND ({y}.company_lower = {x}company_lower OR {y}.company_id = {x}company_id))"
    )
    return f"""coalesce({y}.email_lower = {x}email_lower, false) AS by_email,
       coalesce({y}.phone = {x}phone, false) AS by_phone,
       coalesce({name_company}, false) AS by_name_company,
       least(100,
           CASE WHEN {y}.email_lower = {x}email_lower THEN 60 ELSE 0 END
           + CASE WHEN {y}.phone = {x}phone THEN 50 ELSE 0 END
           + CASE WHEN {name_company} THEN round(50 * similarity({y}.name_lower, {x}name_lower))::int ELSE 0 END
       ) AS score"""


def _probes(x: str, account: str, *, name_index: bool = True) -> str:
    """The ids of the leads matching `x` by any reason: one index probe per reason. Without `name_index`,
    the name is compared on the leads of the same company only (the trigram index is not asked): cheaper
    for the many leads of a page of pairs, as long as companies hold hundreds of leads, not millions."""
    name = "name_lower" if name_index else "(name_lower || '')"  # an expression no index holds
    return f"""
    SELECT id FROM lead_list WHERE account_id = {account} AND email_lower = {x}email_lower
    UNION SELECT id FROM lead_list WHERE account_id = {account} AND phone = {x}phone
    UNION SELECT id FROM lead_list
        WHERE account_id = {account} AND company_lower = {x}company_lower AND {name} % {x}name_lower
    UNION SELECT id FROM lead_list
        WHERE account_id = {account} AND company_id = {x}company_id AND {name} % {x}name_lower"""


# $1 account, $2 the lead, $3 email_lower, $4 phone, $5 name_lower, $6 company_lower, $7 company_id,
# $8 the member whose leads alone are visible (null: every lead), $9 limit
_ONE = "($3::text) AS email_lower, ($4::text) AS phone, ($5::text) AS name_lower, ($6::text) AS company_lower"
CANDIDATES = f"""
WITH x AS (SELECT {_ONE}, ($7::text) AS company_id),
hits AS (SELECT id FROM x, LATERAL ({_probes("x.", "$1")}) AS found)
SELECT * FROM (
    SELECT y.id, y.doc::text AS doc, {_matching("x.", "y")}
    FROM x, hits JOIN lead_list y ON y.id = hits.id
    WHERE y.account_id = $1 AND y.id <> $2 AND y.merged_into IS NULL
      AND ($8::uuid IS NULL OR y.assigned_to = $8 OR y.created_by = $8)) AS scored
WHERE by_email OR by_phone OR by_name_company
ORDER BY score DESC, id
LIMIT $9"""
# The pairs walk: the next leads of the account by id (live, visible), from $2
NEXT_LEADS = """
SELECT id FROM lead_list
WHERE account_id = $1 AND id >= $2 AND merged_into IS NULL
  AND ($3::uuid IS NULL OR assigned_to = $3 OR created_by = $3)
ORDER BY id LIMIT $4"""
# ...and the pairs (a, b) with a among them ($2), b after a, after the cursor's pair ($3, $4)
PAIRS = f"""
SELECT * FROM (
    SELECT x.id AS a, y.id AS b, x.doc::text AS a_doc, y.doc::text AS b_doc, {_matching("x.", "y")}
    FROM lead_list x
    CROSS JOIN LATERAL ({_probes("x.", "$1", name_index=False)}) AS hits
    JOIN lead_list y ON y.id = hits.id
    WHERE x.id = ANY($2::uuid[]) AND y.account_id = $1 AND y.id > x.id AND y.merged_into IS NULL
      AND (x.id, y.id) > ($3::uuid, $4::uuid)
      AND ($5::uuid IS NULL OR y.assigned_to = $5 OR y.created_by = $5)) AS scored
WHERE by_email OR by_phone OR by_name_company
ORDER BY a, b"""


class Candidate(msgspec.Struct, frozen=True):
    doc: msgspec.Raw
    score: int
    reasons: list[str]


class Pair(msgspec.Struct, frozen=True):
    lead_ids: tuple[UUID, UUID]
    docs: tuple[msgspec.Raw, msgspec.Raw]
    score: int
    reasons: list[str]


class PairsPage(msgspec.Struct, frozen=True):
    pairs: list[Pair]
    next_cursor: str | None


class InvalidPairsCursor(ValueError):
    """A cursor this server did not make."""


def name_key(first_name: str | None, last_name: str | None) -> str | None:
    """What names are compared by: the full name, lower-cased (None when the lead has none)."""
    name = " ".join(part for part in (first_name, last_name) if part).strip().lower()
    return name or None


def company_key(company: str | None) -> str | None:
    """What companies are compared by: the name, trimmed and lower-cased."""
    key = (company or "").strip().lower()
    return key or None


def _reasons(row: Any) -> list[str]:
    return [reason for reason in REASONS if row[f"by_{reason}"]]


async def candidates(conn: Conn, lead: Lead, visible_to: UUID | None, limit: int) -> list[Candidate]:
    """The lead's duplicate candidates in its account, best first (at most `limit`)."""
    rows = await conn.fetch(
        CANDIDATES,
        lead.account_id,
        lead.id,
        lead.email.lower() if lead.email else None,
        lead.phone,
        name_key(lead.first_name, lead.last_name),
        company_key(lead.company),
        lead.company_id,
        visible_to,
        min(limit, MAX_CANDIDATES),
    )
    return [Candidate(msgspec.Raw(row["doc"].encode()), row["score"], _reasons(row)) for row in rows]


async def pairs(conn: Conn, account_id: UUID, visible_to: UUID | None, cursor: str | None, limit: int) -> PairsPage:
    """A page of the account's candidate pairs, each once (as `(a, b)` with a < b), ordered by (a, b). A page
    looks through at most MAX_SCANNED leads: it may come back short, with a cursor to go on from."""
    after = _decode(cursor) if cursor else (UUID(int=0), UUID(int=0))
    found: list[Pair] = []
    start, scanned = after[0], 0
    while scanned < MAX_SCANNED:
        ids = [row["id"] for row in await conn.fetch(NEXT_LEADS, account_id, start, visible_to, PAIRS_BATCH)]
        scanned += len(ids)
        if ids:
            rows = await conn.fetch(PAIRS, account_id, ids, *after, visible_to)
            found += [
                Pair(
                    (row["a"], row["b"]),
                    (msgspec.Raw(row["a_doc"].encode()), msgspec.Raw(row["b_doc"].encode())),
                    row["score"],
                    _reasons(row),
                )
                for row in rows
            ]
        if len(found) > limit:
            last = found[limit - 1]
            return PairsPage(found[:limit], _encode(last.lead_ids))
        if len(ids) < PAIRS_BATCH:
            return PairsPage(found, None)
        if ids[-1] == _LAST_ID:
            return PairsPage(found, None)
        start = UUID(int=ids[-1].int + 1)
    # looked through enough for one request: go on after the last lead looked at
    resume = (UUID(int=start.int - 1), _LAST_ID)
    return PairsPage(found, _encode(resume))


def _encode(pair: tuple[UUID, UUID]) -> str:
    raw = msgspec.json.encode([str(pair[0]), str(pair[1])])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(token: str) -> tuple[UUID, UUID]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        a, b = msgspec.json.decode(raw, type=tuple[UUID, UUID])
    except (binascii.Error, ValueError, msgspec.DecodeError, msgspec.ValidationError):
        raise InvalidPairsCursor("is not a cursor returned by this API") from None
    return a, b
