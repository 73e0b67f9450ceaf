"""Issue 8 figure: the sequence create, status, status, convert through leadstore vs the `eventsourcing` library.

(A) eventsourcing's Application on its PostgreSQL persistence module (psycopg, the library's defaults) with a
    Lead aggregate. Each step is its own command, as the library's users write one: `repository.get` folds the
    lead from its stored events, a method triggers the event, `app.save` records it.
(B) leadstore's command handler running the same four commands as the HTTP API does (`leadstore_sequence`).

Fair setup: the same number of concurrent writers on each side, `--writers` (16): threads for the synchronous
library, each with a connection of a pool of that size; asyncio tasks on one uvloop event loop for leadstore, on
an asyncpg pool of that size. One process, one embedded PostgreSQL server with durable settings, one database
(the library's tables beside leadstore's). The two sides run in alternating timed rounds, so that checkpoints
and autovacuum land on both alike, and each reports the median of its rounds. Requires `pip install -e .[bench]`
(`make bench` does).

python -m bench.eventsourcing_bench [--seconds 20] [--writers 16]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID, uuid4

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from bench.common import benchmark_database, machine
from leadstore.bootstrap import Container
from leadstore.cli import event_loop_factory
from leadstore.domain.commands import Actor, Command
from leadstore.http import commands
from leadstore.http.schemas import ConvertInput
from leadstore.store.accounts import NewAccount

ROUNDS = 4
STATUSES = ("contacted", "qualified")
METADATA = {"actor": {"user_id": None}, "request": {"id": "bench", "method": "PATCH", "path": "/v1/leads"}}


async def leadstore_sequence(container: Container, account: NewAccount, n: int) -> None:
    """(B) Create lead `n`, move it to contacted, then qualified, then convert it: four commands."""
    actor, account_id = Actor(user_id=account.user_id, role="admin"), account.account_id
    create = commands.create_lead(account_id, actor, lead_fields(n), skip_team_requirement=False)
    await container.handler.execute(create, account_id=account_id, metadata=METADATA)
    lead_id = create.lead_id
    steps: list[Command] = [commands.patch(lead_id, actor, {"status": status}, False) for status in STATUSES]
    steps.append(commands.convert(lead_id, actor, ConvertInput(customer_id=f"cus_{n}")))
    for step in steps:
        await container.handler.execute(step, account_id=account_id, metadata=METADATA)


def lead_fields(n: int) -> dict[str, Any]:
    return {
        "first_name": "Bench",
        "last_name": f"Lead {n}",
        "email": f"lead{n}-{uuid4().hex[:12]}@example.com",  # numbers restart every round
        "company": "Acme",
        "source": "website",
        "score": n % 100,
    }


class Lead(Aggregate):
    """(A) A lead as an eventsourcing user writes one: commands check, `@event` methods record and apply."""

    @event("Created")
    def __init__(self, first_name: str, last_name: str, email: str, company: str, source: str, score: int) -> None:
        self.first_name, self.last_name, self.email = first_name, last_name, email
        self.company, self.source, self.score = company, source, score
        self.status = "new"
        self.customer_id: str | None = None
        self.converted_at: datetime | None = None

    def change_status(self, status: str) -> None:
        if self.converted_at is not None:
            raise ValueError(f"lead {self.id} is converted")
        if status != self.status:
            self.status_changed(status)

    @event("StatusChanged")
    def status_changed(self, status: str) -> None:
        self.status = status

    def convert(self, customer_id: str, now: datetime) -> None:
        if self.converted_at is not None:
            raise ValueError(f"lead {self.id} is already converted")
        self.converted(customer_id, now)

    @event("Converted")
    def converted(self, customer_id: str, converted_at: datetime) -> None:
        self.customer_id, self.converted_at, self.status = customer_id, converted_at, "converted"


class Leads(Application[UUID]):
    """(A) One method per command: load the lead from its events, change it, save its new events."""

    def create_lead(self, fields: dict[str, Any]) -> UUID:
        lead = Lead(**fields)
        self.save(lead)
        return lead.id

    def change_status(self, lead_id: UUID, status: str) -> None:
        lead: Lead = self.repository.get(lead_id)
        lead.change_status(status)
        self.save(lead)

    def convert(self, lead_id: UUID, customer_id: str) -> None:
        lead: Lead = self.repository.get(lead_id)
        lead.convert(customer_id, datetime.now(UTC))
        self.save(lead)


def eventsourcing_sequence(app: Leads, n: int) -> None:
    """(A) The same four commands through the library's application."""
    lead_id = app.create_lead(lead_fields(n))
    for status in STATUSES:
        app.change_status(lead_id, status)
    app.convert(lead_id, f"cus_{n}")


def postgres_env(database_url: str, connections: int) -> dict[str, str]:
    """The library's settings for the database at `database_url`, with a pool of exactly `connections`."""
    url = urlsplit(database_url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": url.path.lstrip("/"),
        "POSTGRES_HOST": url.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(url.port or 5432),
        "POSTGRES_USER": url.username or "postgres",
        "POSTGRES_PASSWORD": url.password or "",
        "POSTGRES_POOL_SIZE": str(connections),
        "POSTGRES_MAX_OVERFLOW": "0",
        "CREATE_TABLE": "y",
    }


def threaded_rate(writers: int, seconds: float, sequence: Callable[[int], None]) -> float:
    """Sequences per second of `writers` threads each running `sequence` until `seconds` have passed."""
    numbers, deadline = itertools.count(), time.perf_counter() + seconds

    def loop() -> int:
        done = 0
        while time.perf_counter() < deadline:
            sequence(next(numbers))
            done += 1
        return done

    started = time.perf_counter()
    with ThreadPoolExecutor(writers) as pool:
        futures = [pool.submit(loop) for _ in range(writers)]
        done = sum(future.result() for future in futures)
    return done / (time.perf_counter() - started)


async def task_rate(writers: int, seconds: float, sequence: Callable[[int], Awaitable[None]]) -> float:
    """Sequences per second of `writers` asyncio tasks each running `sequence` until `seconds` have passed."""
    numbers, deadline = itertools.count(), time.perf_counter() + seconds

    async def loop() -> int:
        done = 0
        while time.perf_counter() < deadline:
            await sequence(next(numbers))
            done += 1
        return done

    started = time.perf_counter()
    done = sum(await asyncio.gather(*(loop() for _ in range(writers))))
    return done / (time.perf_counter() - started)


async def compare(writers: int, seconds: float) -> tuple[list[float], list[float]]:
    """(eventsourcing sequences/s, leadstore sequences/s) of each of the alternating rounds."""
    async with benchmark_database(pool_size=writers) as (container, account):
        app = Leads(env=postgres_env(container.settings.database_url, writers))
        try:
            library, ours = [], []
            for _ in range(ROUNDS):
                run_library = partial(eventsourcing_sequence, app)
                library.append(await asyncio.to_thread(threaded_rate, writers, seconds / ROUNDS, run_library))
                ours.append(await task_rate(writers, seconds / ROUNDS, partial(leadstore_sequence, container, account)))
        finally:
            app.close()
    return library, ours


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0, help="time for each side, split into rounds")
    parser.add_argument("--writers", type=int, default=16, help="concurrent writers on each side")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    library, ours = await compare(args.writers, args.seconds)
    print(f"sequences/s of create, status, status, convert; median of {ROUNDS} alternating rounds (range)")
    print(f"(A) eventsourcing + PostgreSQL, {args.writers} threads: {_median(library)}")
    print(f"(B) leadstore handler, {args.writers} tasks:             {_median(ours)}")
    print(f"B / A: {statistics.median(ours) / statistics.median(library):.2f}")


def _median(rates: list[float]) -> str:
    return f"{statistics.median(rates):,.1f} ({min(rates):,.1f}-{max(rates):,.1f})"


if __name__ == "__main__":
    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:  # the loop leadstore's commands run on
        runner.run(main())
