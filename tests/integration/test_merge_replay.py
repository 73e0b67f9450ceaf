"""Merge events in the read model (issue 14): the lead list a projector built while merges and unmerges were
written equals a fresh replay of the log (`leadstore verify`), and the log's chain holds across them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from uuid_utils.compat import uuid7

from leadstore.bootstrap import Container, bootstrap
from leadstore.domain.commands import Actor, MergeLeads, UnmergeLead
from leadstore.merging import MergeHandler
from leadstore.settings import Settings
from leadstore.store.accounts import NewAccount, create_account
from tests.integration.helpers import META, NewDatabase, create_cmd, now, run_cli, settle


@pytest.fixture
async def own(fresh_database: NewDatabase) -> AsyncIterator[Container]:
    settings = Settings(database_url=await fresh_database(), nats_url="")
    container = await bootstrap(settings, run_migrations=True)
    yield container
    await container.close()


async def test_the_lead_list_after_merges_and_unmerges_equals_a_fresh_replay(
    own: Container, capsys: pytest.CaptureFixture[str]
) -> None:
    async with own.pool.acquire() as conn:
        account: NewAccount = await create_account(conn, "merges", "admin@example.com")
    actor, merges = Actor(user_id=account.user_id, role="admin"), MergeHandler(own.pool)
    ids = []
    for i in range(6):
        cmd = create_cmd(account, first_name=f"Lead {i}", email=f"lead{i}@example.com", title=f"T{i}", score=i)
        ids.append((await own.handler.execute(cmd, account_id=account.account_id, metadata=META)).lead.id)
    await settle(own.runner("lead_list"))  # the projector sees the leads before and after the merges
    first = MergeLeads(
        lead_id=ids[0],
        actor=actor,
        now=now(),
        sources=[ids[1], ids[2]],
        fields={"title": ids[1], "score": ids[2]},
        merge_event_id=uuid7(),
    )
    await merges.execute(first, account_id=account.account_id, metadata=META)
    second = MergeLeads(
        lead_id=ids[3], actor=actor, now=now(), sources=[ids[4]], fields={"email": ids[4]}, merge_event_id=uuid7()
    )
    await merges.execute(second, account_id=account.account_id, metadata=META)
    await settle(own.runner("lead_list"))
    undo = UnmergeLead(lead_id=ids[0], actor=actor, now=now(), merge_event_id=first.merge_event_id)
    await merges.execute(undo, account_id=account.account_id, metadata=META)
    await settle(own.runner("lead_list"))

    async with own.pool.acquire() as conn:
        merged = await conn.fetch("SELECT id, merged_into FROM lead_list WHERE merged_into IS NOT NULL")
    assert [(row["id"], row["merged_into"]) for row in merged] == [(ids[4], ids[3])]
    assert await run_cli(own.settings, "verify") == 0
    out = capsys.readouterr().out
    assert "lead_list: 6 rows, ok" in out and "verify: all holds" in out
