"""The lead list: one row per lead with the columns every filter and sort of GET /v1/leads uses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import msgspec

from leadstore.documents import lead_document
from leadstore.domain.events import LEAD_STREAM, load_event
from leadstore.domain.state import EventMeta, Lead, evolve
from leadstore.store.db import Conn
from leadstore.store.duplicates import company_key, name_key
from leadstore.store.events import Checkpoint, RecordedEvent
from leadstore.store.lead_list.ranges import range_keys
from leadstore.store.lead_list.search import lead_words

SELECT_DOCS = 'SELECT id, doc FROM "{table}" WHERE id = ANY($1::uuid[])'
UPSERT = """
INSERT INTO "{table}" (id, account_id, status, assigned_to, team_id, source, company_id, score, is_converted,
    archived, email_lower, created_by, created_at, updated_at, search, version, doc, changed_tx, changed_pos,
    phone, custom, custom_ranges, merged_into, name_lower, company_lower, search_words)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22,
    $23, $24, $25, array_to_tsvector($26::text[]))
ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, assigned_to = EXCLUDED.assigned_to,
    team_id = EXCLUDED.team_id, source = EXCLUDED.source, company_id = EXCLUDED.company_id,
    score = EXCLUDED.score, is_converted = EXCLUDED.is_converted, archived = EXCLUDED.archived,
    email_lower = EXCLUDED.email_lower, updated_at = EXCLUDED.updated_at, search = EXCLUDED.search,
    version = EXCLUDED.version, doc = EXCLUDED.doc, changed_tx = EXCLUDED.changed_tx,
    changed_pos = EXCLUDED.changed_pos, phone = EXCLUDED.phone, custom = EXCLUDED.custom,
    custom_ranges = EXCLUDED.custom_ranges, merged_into = EXCLUDED.merged_into, name_lower = EXCLUDED.name_lower,
    company_lower = EXCLUDED.company_lower, search_words = EXCLUDED.search_words"""


class LeadList:
    name = "lead_list"
    # 2: trigram index on search; 3: changed_tx/changed_pos, for cursor walks on mutable sorts;
    # 4: phone, custom and custom_ranges, for the phone and custom-field filters
    # 5: merged_into (merged leads leave the default list), name_lower and company_lower with their indexes,
    #    for duplicate candidates (leadstore.store.duplicates)
    # 6: `erased` in the document (erasure, issue 13: LeadErased nulls the row's personal columns, search,
    #    name_lower and company_lower, so an erased lead is never a duplicate candidate)
    # 7: search_words and its full-text index, for `q` (leadstore.store.lead_list.search)
    version = 7

    def create_statements(self, table: str) -> list[str]:
        return [
            f"""CREATE TABLE "{table}" (
                id uuid PRIMARY KEY, account_id uuid NOT NULL, status text NOT NULL, assigned_to uuid,
                team_id uuid, source text, company_id text, score integer NOT NULL,
                is_converted boolean NOT NULL, archived boolean NOT NULL, email_lower text,
                created_by uuid NOT NULL, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL,
                search text NOT NULL, version integer NOT NULL, doc json NOT NULL,
                changed_tx xid8 NOT NULL, changed_pos bigint NOT NULL,
                phone text, custom jsonb NOT NULL, custom_ranges text[] NOT NULL,
                merged_into uuid, name_lower text, company_lower text, search_words tsvector)""",
            f'CREATE INDEX "{table}_created" ON "{table}" (account_id, created_at, id)',
            f'CREATE INDEX "{table}_updated" ON "{table}" (account_id, updated_at, id)',
            f'CREATE INDEX "{table}_score" ON "{table}" (account_id, score, id)',
            f'CREATE INDEX "{table}_status" ON "{table}" (account_id, status, created_at, id)',
            f'CREATE INDEX "{table}_assigned" ON "{table}" (account_id, assigned_to, created_at, id)',
            f'CREATE INDEX "{table}_team" ON "{table}" (account_id, team_id, created_at, id)',
            f'CREATE INDEX "{table}_email" ON "{table}" (account_id, email_lower)',
            f'CREATE INDEX "{table}_company" ON "{table}" (account_id, company_id)',
            # substring similarity of name, email and company (trigrams): the `q` of schema versions before 5
            f'CREATE INDEX "{table}_search" ON "{table}" USING gin (search gin_trgm_ops)',
            # q: the words of leadstore.store.lead_list.search. Not led by the account: that entry's posting list
            # (every lead of the account) made each search of a big account read far more (bench/search_bench.py)
            f'CREATE INDEX "{table}_search_words" ON "{table}" USING gin (search_words)',
            # the log checkpoint of each lead's last applied event: which leads changed since a walk began
            f'CREATE INDEX "{table}_changed" ON "{table}" (account_id, changed_tx, changed_pos)',
            # The custom filters' plans rest on these columns' statistics (how many leads hold a value, or a
            # range's buckets): sampled 10 times finer than by default, as one value may be 0.1% of the leads.
            f'ALTER TABLE "{table}" ALTER COLUMN custom SET STATISTICS 1000, '
            "ALTER COLUMN custom_ranges SET STATISTICS 1000",
            f'CREATE INDEX "{table}_phone" ON "{table}" (account_id, phone) WHERE phone IS NOT NULL',
            # custom.<key>=<value> (containment); the account in the index keeps other tenants' leads out of it
            f'CREATE INDEX "{table}_custom" ON "{table}" USING gin (account_id, custom jsonb_path_ops)',
            # custom.<key>.min/.max: the buckets of leadstore.store.lead_list.ranges
            f'CREATE INDEX "{table}_custom_ranges" ON "{table}" USING gin (account_id, custom_ranges)',
            # duplicates (issue 14): similar names through trigrams, and the company they must share
            f'CREATE INDEX "{table}_name_trgm" ON "{table}" USING gin (name_lower gin_trgm_ops)',
            f'CREATE INDEX "{table}_company_lower" ON "{table}" (account_id, company_lower) '
            "WHERE company_lower IS NOT NULL",
        ]

    def row_key(self) -> str:
        return "id"

    async def apply(self, conn: Conn, table: str, events: Sequence[RecordedEvent]) -> None:
        lead_events = [e for e in events if e.stream_type == LEAD_STREAM]
        ids = list({e.stream_id for e in lead_events})
        rows = await conn.fetch(SELECT_DOCS.format(table=table), ids)
        leads: dict[UUID, Lead | None] = {r["id"]: msgspec.convert(r["doc"], Lead, strict=False) for r in rows}
        changed: dict[UUID, Checkpoint] = {}
        for event in lead_events:
            lead = leads.get(event.stream_id)
            if lead is not None and event.version <= lead.version:
                continue  # already applied: a replayed batch must not apply twice
            meta = EventMeta(event.stream_id, event.version, event.occurred_at)
            leads[event.stream_id] = evolve(lead, load_event(event.type, event.data), meta)
            changed[event.stream_id] = event.checkpoint
        upserts = [_row(leads[i], at) for i, at in changed.items() if leads[i]]
        await conn.executemany(UPSERT.format(table=table), upserts)


def _row(lead: Lead | None, changed: Checkpoint) -> tuple[Any, ...]:
    assert lead is not None
    doc = lead_document(lead)
    search = " ".join(filter(None, (doc["full_name"], lead.email, lead.company))).lower()
    return (
        lead.id,
        lead.account_id,
        lead.status,
        lead.assigned_to,
        lead.team_id,
        lead.source,
        lead.company_id,
        lead.score,
        lead.is_converted,
        lead.archived,
        lead.email.lower() if lead.email else None,
        lead.created_by,
        lead.created_at,
        lead.updated_at,
        search,
        lead.version,
        doc,
        changed.transaction_id,
        changed.position,
        lead.phone,
        lead.custom,
        range_keys(lead.custom),
        lead.merged_into,
        # an erased lead is nobody's duplicate: its company (not personal) stays in the document only
        None if lead.erased else name_key(lead.first_name, lead.last_name),
        None if lead.erased else company_key(lead.company),
        lead_words(doc["full_name"], lead.email, lead.company, lead.phone, lead.custom),
    )


projection = LeadList()
