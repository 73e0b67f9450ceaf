"""A 10,000-row import with 300 bad rows and 200 duplicates, run by `leadstore worker` processes: exactly the good
rows are created, every bad row is reported, a worker killed mid-import (SIGKILL) is followed by one that
resumes and ends in the same state, even when the saved progress is lost; uploading the file again creates
nothing new. Also: two imports at once and POST /v1/leads with overlapping emails lose and duplicate nothing."""

from __future__ import annotations

import asyncio
import random
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from leadstore.bootstrap import Container, bootstrap
from leadstore.http.testing import add_user, serve
from leadstore.settings import Settings
from leadstore.store import events as store
from leadstore.store.accounts import NewAccount, create_account
from tests.integration.helpers import client
from tests.integration.imports_helpers import finished, import_worker, queued
from tests.integration.workers import WorkerProcess

ROWS, BAD, DUPLICATES = 10_000, 300, 200
BAD_KINDS: list[tuple[str, str | None]] = [  # (first_name, email, phone, score), and the field reported
    ("Bad{n},user{n}@,,", "email"),
    ("Bad{n},bad{n}@example.com,12,", "phone"),
    ("Bad{n},bad{n}@example.com,,lots", "score"),
    (",,,{n}", "first_name"),
    ('"Bad{n}"x,bad{n}@example.com,,', None),  # not valid CSV
]
WORKER = {"lease_seconds": "1.5", "import_poll_seconds": "0.2", "import_chunk_rows": "100", "import_concurrency": "16"}
PRE_EXISTING = DUPLICATES // 2


def big_file() -> tuple[bytes, dict[int, str | None], list[str]]:
    """The CSV, its bad rows (row number -> field reported) and the emails that exist before the import."""
    rng = random.Random(14)
    kinds = ["good"] * (ROWS - BAD - DUPLICATES) + ["bad"] * BAD + ["dup_file"] * PRE_EXISTING
    kinds += ["dup_account"] * (DUPLICATES - PRE_EXISTING)
    rng.shuffle(kinds)
    lines, bad = ["first_name,email,phone,score"], {}
    good_emails: list[str] = []
    existing: list[str] = []
    for n, kind in enumerate(kinds):
        row = n + 2  # the header is row 1
        if kind == "bad":
            cells, field = BAD_KINDS[n % len(BAD_KINDS)]
            lines.append(cells.format(n=n % 100))
            bad[row] = field
        elif kind == "dup_file" and good_emails:
            lines.append(f"Again{n},{rng.choice(good_emails).upper()},,")
        elif kind == "dup_account" or kind == "dup_file":
            email = f"existing{n}@example.com"
            existing.append(email)
            lines.append(f"Known{n},{email},,")
        else:
            email = f"lead{n}@example.com"
            good_emails.append(email)
            lines.append(f"Lead{n},{email},+1-555-{n % 1000:03d}-{n % 10000:04d},{n % 101}")
    return ("\r\n".join(lines) + "\r\n").encode(), bad, existing


@pytest.fixture
async def node(own_database: str) -> AsyncIterator[Container]:
    built = await bootstrap(Settings(database_url=own_database, nats_url="", rate_limit_per_second=0))
    yield built
    await built.close()


async def progress(http: httpx.AsyncClient, import_id: str) -> dict[str, Any]:
    body: dict[str, Any] = (await http.get(f"/v1/imports/{import_id}")).json()
    return body


async def test_a_killed_worker_is_resumed_and_the_import_ends_with_exactly_the_good_rows(
    node: Container, own_database: str
) -> None:
    body, bad, existing = big_file()
    async with node.pool.acquire() as conn:
        tenant = await create_account(conn, "import test", "admin@example.com")
    first: WorkerProcess | None = None
    second: WorkerProcess | None = None
    started = time.monotonic()
    try:
        async with serve(node) as url, client(url, tenant.api_key) as http:
            for email in existing:
                assert (await http.post("/v1/leads", json={"email": email})).status_code == 201
            import_id = await queued(http, body)
            first = await WorkerProcess.start(own_database, "", **WORKER)
            async with asyncio.timeout(120):
                while (await progress(http, import_id))["done"] < 2_000:  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
            first.send(signal.SIGKILL)
            await first.proc.wait()
            at_kill = await progress(http, import_id)
            async with node.pool.acquire() as conn:  # the worst case: every saved step of progress is lost too
                await conn.execute(
                    "UPDATE imports SET cursor = 0, done = 0, created = 0, updated = 0, skipped = 0, failed = 0,"
                    " errors = '[]' WHERE id = $1",
                    import_id,
                )
            second = await WorkerProcess.start(own_database, "", **WORKER)
            result = await finished(http, import_id, within=240)
            elapsed = time.monotonic() - started
            again = await finished(http, await queued(http, body), within=240)
    finally:
        for worker in (first, second):
            if worker is not None:
                await worker.stop()
    async with node.pool.acquire() as conn:
        created = await conn.fetchval(
            "SELECT count(*) FROM events WHERE account_id = $1 AND type = 'LeadCreated'", tenant.account_id
        )
        emails = await conn.fetchval("SELECT count(*) FROM lead_emails WHERE account_id = $1", tenant.account_id)
        by_import = await conn.fetchval(
            "SELECT count(*) FROM events WHERE account_id = $1 AND type = 'LeadCreated'"
            " AND metadata -> 'request' -> 'import' ->> 'id' = $2",
            tenant.account_id,
            import_id,
        )

    good = ROWS - BAD - DUPLICATES
    print(f"10,000 rows imported in {elapsed:.1f}s with a kill at {at_kill['done']} rows")
    assert 2_000 <= at_kill["done"] < ROWS and at_kill["state"] == "running"
    assert result["state"] == "done" and second.logged(f"import:{import_id} running from row 0")
    assert (result["rows"], result["done"], result["created"]) == (ROWS, ROWS, good)
    assert (result["skipped"], result["failed"], result["updated"]) == (DUPLICATES, BAD, 0)
    assert {(e["row"], e["field"]) for e in result["errors"]} == set(bad.items())
    assert [e["row"] for e in result["errors"]] == sorted(bad)  # one error each, in row order
    assert by_import == good and created == good + len(existing) and emails == created
    assert (again["created"], again["skipped"], again["failed"]) == (0, ROWS - BAD, BAD)


async def test_two_imports_and_single_creates_at_once_keep_one_lead_per_email_and_rotation_fair(
    container: Container, account: NewAccount
) -> None:
    members = [(await add_user(container, account.account_id, "member"))[0] for _ in range(3)]
    emails = [f"person{n}@example.com" for n in range(600)]
    files = [emails[:400], emails[200:]]
    singles = emails[100:500]
    answers: Counter[int] = Counter()

    async def post_singles(http: httpx.AsyncClient, share: list[str]) -> None:
        for email in share:
            answers[(await http.post("/v1/leads", json={"email": email.upper()})).status_code] += 1

    async with serve(container) as url, client(url, account.api_key) as http:
        rotation = await http.put("/v1/rotation", json={"enabled": True, "members": [str(m) for m in members]})
        assert rotation.status_code == 200, rotation.text
        async with import_worker(container, import_runs=2, import_chunk_rows=50):
            ids = [await queued(http, "email\n" + "".join(f"{e}\n" for e in f)) for f in files]
            await asyncio.gather(*(post_singles(http, singles[n::8]) for n in range(8)))
            results = [await finished(http, i) for i in ids]
    async with container.pool.acquire() as conn:
        # the events opened as every reader opens them: their email is sealed at rest (issue 13)
        created = [
            event.data
            for event in await store.open_events(
                conn,
                await conn.fetch(
                    f"SELECT {store.EVENT_COLUMNS} FROM events WHERE account_id = $1 AND type = 'LeadCreated'",
                    account.account_id,
                ),
            )
        ]
        turns = await conn.fetch(
            "SELECT data ->> 'to' AS member FROM events WHERE account_id = $1 AND type = 'LeadAssigned'"
            " ORDER BY transaction_id, position",
            account.account_id,
        )
        reserved = await conn.fetchval("SELECT count(*) FROM lead_emails WHERE account_id = $1", account.account_id)

    assert sorted(e["email"].lower() for e in created) == sorted(emails)  # one lead per email, none lost
    assert reserved == len(emails)
    assert sum(r["created"] for r in results) + answers[201] == len(emails)
    assert sum(r["skipped"] for r in results) + answers[409] == sum(map(len, files)) + len(singles) - len(emails)
    assert all(r["failed"] == 0 and r["state"] == "done" for r in results)
    spread = Counter(t["member"] for t in turns)
    assert len(turns) == len(emails) and max(spread.values()) - min(spread.values()) <= 1
