"""`leadstore import-leads`: a file imported straight into the database by the command line, no server running."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from leadstore.bootstrap import Container
from leadstore.http.testing import add_user
from leadstore.store.accounts import NewAccount


async def _leadstore(database_url: str, *args: str) -> tuple[int, str, str]:
    env = {**os.environ, "LEADSTORE_DATABASE_URL": database_url, "LEADSTORE_LEASE_SECONDS": "2"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "leadstore.cli",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_import_leads_shows_progress_and_a_summary_and_exits_1_with_the_failed_rows(
    container: Container, database_url: str, account: NewAccount, tmp_path: Path
) -> None:
    good = tmp_path / "leads.csv"
    good.write_text(
        "firstName,email\n" + "".join(f"Lead{n},cli{n}-{account.account_id}@example.com\n" for n in range(300))
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("firstName,email\nAnn,not-an-email\nBob,bob@example.com\n")
    member_id, _ = await add_user(container, account.account_id, "member")

    ok = await _leadstore(database_url, "import-leads", str(good), "--account", str(account.account_id))
    again = await _leadstore(database_url, "import-leads", str(good), "--account", str(account.account_id))
    failed = await _leadstore(
        database_url, "import-leads", str(bad), "--account", str(account.account_id), "--as-user", str(member_id)
    )
    refused = await _leadstore(
        database_url, "import-leads", str(bad), "--account", str(account.account_id), "--mapping", '{"nope": "x"}'
    )
    async with container.pool.acquire() as conn:
        bob_by = await conn.fetchval(
            "SELECT data ->> 'created_by' FROM events e JOIN lead_emails m ON m.lead_id = e.stream_id"
            " WHERE m.account_id = $1 AND m.email_lower = 'bob@example.com' AND e.type = 'LeadCreated'",
            account.account_id,
        )

    code, out, err = ok
    assert code == 0, err
    assert "300 rows, 300 created, 0 updated, 0 skipped as duplicates, 0 failed" in out
    assert "rows/s" in err and "ETA" in err and "300/300 rows" in err
    assert again[0] == 0 and "0 created, 0 updated, 300 skipped as duplicates" in again[1]
    code, out, _ = failed
    assert code == 1 and "1 created" in out and "1 failed" in out and "row 2: email: invalid_email" in out
    assert bob_by == str(member_id)
    assert refused[0] == 2 and "mapping.nope" in refused[2]
