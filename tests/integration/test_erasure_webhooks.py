"""Erasure reaches webhooks (issue 13): LeadErased is delivered, so receivers can erase their copies, and a
delivery made after an erasure carries none of the person's values."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import UUID

import pytest

from leadstore.bootstrap import Container
from leadstore.domain.commands import EraseLead
from leadstore.store.accounts import NewAccount
from tests.integration.helpers import META, admin, create_cmd, now
from tests.integration.test_webhook_delivery import (
    add_webhook,
    all_delivered,
    delivering,
    log_events,
    quick,
    until,
    written,
)
from tests.webhook_receiver import Receiver


@pytest.fixture
async def added(container: Container) -> AsyncIterator[list[UUID]]:
    """The webhooks the test adds; deleted afterwards, so no later worker delivers to them."""
    webhooks: list[UUID] = []
    yield webhooks
    async with container.pool.acquire() as conn:
        await conn.execute("UPDATE webhooks SET deleted_at = now() WHERE id = ANY($1::uuid[])", webhooks)


async def test_lead_erased_reaches_webhooks_and_no_delivery_after_it_carries_a_personal_value(
    container: Container, account: NewAccount, added: list[UUID]
) -> None:
    tag = account.account_id.hex[:10]
    person = [f"Wilhelmina{tag}", f"Erasedotter{tag}", f"w.{tag}@example.com"]
    async with Receiver() as only_erasures, Receiver() as everything:
        erasures_hook, _ = await add_webhook(container, account, added, only_erasures.url, ("LeadErased",))
        all_hook, _ = await add_webhook(container, account, added, everything.url)
        async with (
            delivering(container, quick(container), erasures_hook),
            delivering(container, quick(container), all_hook) as deliverer,
        ):
            before = len(await log_events(container, account))
            created = await container.handler.execute(
                create_cmd(account, first_name=person[0], last_name=person[1], email=person[2]),
                account_id=account.account_id,
                metadata=META,
            )
            lead_id = created.lead.id
            erase = EraseLead(lead_id=lead_id, actor=admin(account), now=now(), reason="request #7")
            await container.handler.execute(erase, account_id=account.account_id, metadata=META)
            events = await written(container, account, before, 2)
            await all_delivered(container, erasures_hook, events[1:], 20)
            await all_delivered(container, all_hook, events, 20)
            # redelivered after the erasure (POST /v1/webhooks/{id}/replay): read from the log as it is now
            everything.received.clear()
            async with container.pool.acquire() as conn:
                await conn.execute("UPDATE webhooks SET replay_after = '0.0' WHERE id = $1", all_hook)
            deliverer.wake()
            await until(lambda: any(r.json()["type"] == "LeadErased" for r in everything.received), 20)

    [erased] = [r.json() for r in only_erasures.received]
    assert (erased["type"], erased["lead_id"], erased["version"]) == ("LeadErased", str(lead_id), 2)
    assert erased["data"] == {"reason": "request #7"}
    of_the_lead = [r.json()["type"] for r in everything.received if r.json()["lead_id"] == str(lead_id)]
    assert of_the_lead == ["LeadCreated", "LeadErased"]
    bodies = b"".join(r.body for r in everything.received).decode().lower()
    assert [value for value in person if value.lower() in bodies] == []
