"""Issue 13 figures: what an erasure costs through the write lane, next to an archive (another one-event command
on an existing lead) measured in the same run, with the account holding few or many idempotency records (the
erasure rewrites the lead's stored responses, which it finds among the account's records of the last 24 h).

python -m bench.erase_bench [--leads 400] [--writers 8] [--rounds 3] [--records 0,20000]

Each round takes fresh leads (created beforehand, not measured) and runs `--writers` concurrent commands on them
until each has had one: ArchiveLead rounds and EraseLead rounds alternate. Erasures/s over archives/s is the
ratio reported, for each count of idempotency records in the account (bodies shaped like lead documents of other
leads, so every record is a candidate the erasure has to look at).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID

from uuid_utils.compat import uuid7

from bench.common import METADATA, benchmark_database, machine
from leadstore.bootstrap import Container
from leadstore.domain.commands import Actor, ArchiveLead, Command, CreateLead, EraseLead
from leadstore.store.accounts import NewAccount

RECORDS = """
INSERT INTO idempotency_keys (account_id, key, request_hash, status, headers, body)
SELECT $1, 'bench-' || n, '\\x00'::bytea, 200, '{}'::jsonb,
       convert_to('{"id":"' || gen_random_uuid() || '","object":"lead","first_name":"Bench","email":"b'
                  || n || '@example.com"}', 'UTF8')
FROM generate_series($2::integer + 1, $3::integer) AS n"""


def fields(n: int) -> dict[str, object]:
    return {"first_name": "Bench", "last_name": f"Lead {n}", "email": f"erase{n}@example.com", "phone": "+15552345678"}


async def create_leads(container: Container, account: NewAccount, count: int, base: int) -> list[UUID]:
    actor = Actor(user_id=account.user_id, role="admin")
    ids: list[UUID] = []
    for n in range(base, base + count):
        cmd = CreateLead(
            lead_id=uuid7(), account_id=account.account_id, actor=actor, now=datetime.now(UTC), fields=fields(n)
        )
        ids.append((await container.handler.execute(cmd, account_id=account.account_id, metadata=METADATA)).lead.id)
    return ids


async def commands_per_second(
    container: Container, account: NewAccount, leads: list[UUID], make: Callable[[UUID], Command], writers: int
) -> float:
    """Commands/s with `writers` concurrent writers, one command per lead."""
    queue = iter(leads)

    async def writer() -> None:
        for lead_id in queue:
            await container.handler.execute(make(lead_id), account_id=account.account_id, metadata=METADATA)

    started = time.perf_counter()
    await asyncio.gather(*(writer() for _ in range(writers)))
    return len(leads) / (time.perf_counter() - started)


async def measure(args: argparse.Namespace, records: int, container: Container, account: NewAccount) -> None:
    actor = Actor(user_id=account.user_id, role="admin")
    commands: dict[str, Callable[[UUID], Command]] = {
        "archive": lambda lead: ArchiveLead(lead_id=lead, actor=actor, now=datetime.now(UTC), reason="bench"),
        "erase": lambda lead: EraseLead(lead_id=lead, actor=actor, now=datetime.now(UTC), reason="bench"),
    }
    rates: dict[str, list[float]] = {"archive": [], "erase": []}
    for n, kind in enumerate(itertools.islice(itertools.cycle(commands), 2 * args.rounds)):
        leads = await create_leads(container, account, args.leads, (records + 1) * 10_000_000 + n * args.leads)
        rates[kind].append(await commands_per_second(container, account, leads, commands[kind], args.writers))
    archive, erase = (statistics.median(rates[kind]) for kind in ("archive", "erase"))
    print(f"{records:,} idempotency records in the account, {args.leads} leads a round, {args.writers} writers:")
    print(f"  archives/s: median {archive:,.0f}  (rounds: {', '.join(f'{r:,.0f}' for r in rates['archive'])})")
    print(f"  erasures/s: median {erase:,.0f}  (rounds: {', '.join(f'{r:,.0f}' for r in rates['erase'])})")
    print(f"  erase / archive: {erase / archive:.3f}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=400, help="leads (commands) per round")
    parser.add_argument("--writers", type=int, default=8, help="concurrent writers")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per command, alternating")
    parser.add_argument("--records", default="0,20000", help="idempotency records in the account, comma-separated")
    args = parser.parse_args()
    print(f"machine: {machine()} (other work on the machine shares its cores)")
    async with benchmark_database(fast=True) as (container, account):
        stored = 0
        for records in sorted(int(r) for r in args.records.split(",")):
            async with container.pool.acquire() as conn:
                await conn.execute(RECORDS, account.account_id, stored, records)
            stored = max(stored, records)
            await measure(args, records, container, account)


if __name__ == "__main__":
    asyncio.run(main())
