"""What `leadstore verify` says of personal data at rest (issue 13): which leads still hold plaintext (events
written before encryption, which erasure can not reach), which are erased (sealed, their data key gone), and
any sealed value that does not open with its lead's key (altered, even under a recomputed hash).

Plaintext and erased leads are facts, not faults: only a value that does not open, or a data key no configured
KEK opens, fails the check.
"""

from __future__ import annotations

from uuid import UUID

import msgspec

from leadstore.store import encryption
from leadstore.store.db import Conn
from leadstore.store.encryption import MARK, KekMissing

SHOWN = 20  # lead ids listed per kind

UNSEALED = """
SELECT stream_id, data, metadata FROM events WHERE stream_type = 'lead' AND NOT (metadata ? 'enc')"""
SEALED_LEADS = """
SELECT count(DISTINCT stream_id) FROM events WHERE stream_type = 'lead' AND metadata ? 'enc'"""
ERASED = """
SELECT DISTINCT e.stream_id FROM events e
WHERE e.stream_type = 'lead' AND e.metadata ? 'enc'
  AND NOT EXISTS (SELECT 1 FROM lead_keys k WHERE k.lead_id = e.stream_id)
ORDER BY e.stream_id"""
# The sealed events in position order, a batch at a time ($1: after this position).
SEALED_EVENTS = """
SELECT position, event_id, stream_id, data, metadata FROM events
WHERE stream_type = 'lead' AND metadata ? 'enc' AND position > $1 ORDER BY position LIMIT $2"""


class SealingReport(msgspec.Struct, frozen=True):
    sealed_leads: int
    plaintext_leads: list[UUID]  # every lead with plaintext personal values (ids, sorted)
    erased_leads: list[UUID]
    problems: list[str]
    total_problems: int
    opened: bool = True  # False without a KEK: sealed values were not checked

    @property
    def ok(self) -> bool:
        return self.total_problems == 0

    def lines(self) -> list[str]:
        """What verify prints."""
        erased = len(self.erased_leads)
        head = f"personal data: {self.sealed_leads:,} leads sealed, {erased:,} of them erased"
        out = [head + (", ok" if self.ok else f", {self.total_problems} problem(s):")]
        out += [f"  {problem}" for problem in self.problems]
        if self.total_problems > len(self.problems):
            out.append(f"  ... and {self.total_problems - len(self.problems)} more")
        if not self.opened:
            out.append("  sealed values not opened: no LEADSTORE_KEK to open their data keys with")
        if erased:
            out.append(f"  erased (sealed values unreadable, by design): {_ids(self.erased_leads)}")
        if self.plaintext_leads:
            out.append(
                f"personal data: {len(self.plaintext_leads):,} leads hold plaintext personal data from before "
                "encryption (erasure can not reach them: `leadstore export`, then `leadstore import --encrypt` "
                f"into a new database): {_ids(self.plaintext_leads)}"
            )
        return out


def _ids(ids: list[UUID]) -> str:
    shown = ", ".join(str(i) for i in ids[:SHOWN])
    return shown + (f" and {len(ids) - SHOWN:,} more" if len(ids) > SHOWN else "")


async def check_sealing(conn: Conn, *, batch_size: int = 2000, limit: int = 50) -> SealingReport:
    """Scan the lead events: plaintext ones, erased leads, and every sealed value opened with its key."""
    plaintext: set[UUID] = set()
    async with conn.transaction():
        async for row in conn.cursor(UNSEALED, prefetch=batch_size):
            if row["stream_id"] not in plaintext and encryption.has_plaintext(row["data"], row["metadata"]):
                plaintext.add(row["stream_id"])
    erased = [row["stream_id"] for row in await conn.fetch(ERASED)]
    problems: list[str] = []
    total = 0
    after = 0
    unreadable: set[UUID] = set()
    opened = encryption.installed() is not None
    while opened and (rows := await conn.fetch(SEALED_EVENTS, after, batch_size)):
        after = rows[-1]["position"]
        try:
            keys = await encryption.lead_keys(conn, {row["stream_id"] for row in rows})
        except (KekMissing, ValueError):
            keys = await _keys_one_by_one(conn, {row["stream_id"] for row in rows}, unreadable, problems, limit)
        for row in rows:
            key = keys.get(row["stream_id"])
            if key is None or not row["metadata"].get(MARK):
                continue
            failures: list[str] = []
            encryption.open_event_parts(key.aead, row["event_id"], row["data"], row["metadata"], failures)
            for label in failures:
                total += 1
                if len(problems) < limit:
                    problems.append(
                        f"event {row['event_id']} (stream {row['stream_id']}): its sealed value {label} "
                        "does not open with the lead's key (altered?)"
                    )
    total += len(unreadable)
    sealed_leads: int = await conn.fetchval(SEALED_LEADS)
    return SealingReport(sealed_leads, sorted(plaintext), erased, problems, total, opened)


async def _keys_one_by_one(
    conn: Conn, lead_ids: set[UUID], unreadable: set[UUID], problems: list[str], limit: int
) -> dict[UUID, encryption.DataKey]:
    """The keys of a batch one lead at a time, naming each that no configured KEK opens."""
    keys = {}
    for lead_id in lead_ids:
        try:
            keys.update(await encryption.lead_keys(conn, [lead_id]))
        except (KekMissing, ValueError) as exc:
            if lead_id not in unreadable and len(problems) < limit:
                problems.append(str(exc))
            unreadable.add(lead_id)
    return keys
