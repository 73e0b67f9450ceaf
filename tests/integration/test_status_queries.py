"""The status queries of /ready and /metrics stay cheap however long the log: they walk the commit-order index,
in the plan a prepared statement is given after its first runs (the generic plan) too."""

from __future__ import annotations

import asyncpg

from leadstore.store.status import READERS

# 40,000 test events in 8 transactions, so that the planner weighs a log of some size
FILL = """
INSERT INTO events (event_id, account_id, stream_id, stream_type, version, type, data, occurred_at)
SELECT gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 'test', 1, 'TestHappened', '{}', now()
FROM generate_series(1, 5000)"""


async def test_the_readers_status_never_scans_the_events_table(own_database: str) -> None:
    conn = await asyncpg.connect(own_database)
    try:
        for _ in range(8):
            await conn.execute(FILL)
        await conn.execute("INSERT INTO checkpoints (name) VALUES ('lead_list'); ANALYZE events")
        await conn.execute("SET plan_cache_mode = force_generic_plan")
        await conn.execute(f"PREPARE readers_status(text[]) AS {READERS}")
        plan = "\n".join(row[0] for row in await conn.fetch("EXPLAIN EXECUTE readers_status('{lead_list}')"))
    finally:
        await conn.close()

    assert "Seq Scan on events" not in plan and "Bitmap Heap Scan on events" not in plan, plan
    assert plan.count("using events_commit_order on events") == 2, plan
