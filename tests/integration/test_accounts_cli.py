"""`leadstore accounts create`: an account with its defaults and a working admin key, shown once."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid

from leadstore.bootstrap import Container
from leadstore.store.accounts import authenticate, create_account, hash_key

COUNTS = """
SELECT (SELECT count(*) FROM statuses WHERE account_id = $1) AS statuses,
       (SELECT count(*) FROM sources WHERE account_id = $1) AS sources,
       (SELECT count(*) FROM users WHERE account_id = $1 AND role = 'admin') AS admins"""


async def _leadstore(database_url: str, *args: str) -> tuple[int, str, str]:
    env = {**os.environ, "LEADSTORE_DATABASE_URL": database_url}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "leadstore.cli",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_accounts_create_prints_a_key_that_authenticates_and_keeps_only_its_hash(
    container: Container, database_url: str
) -> None:
    name = f"Acme {uuid.uuid4().hex[:6]}"
    code, out, _ = await _leadstore(
        database_url, "accounts", "create", name, "--admin-email", "ops@acme.example", "--json"
    )

    assert code == 0
    created = json.loads(out)
    async with container.pool.acquire() as conn:
        principal = await authenticate(conn, created["api_key"])
        counts = await conn.fetchrow(COUNTS, uuid.UUID(created["account_id"]))
        stored = await conn.fetchval(
            "SELECT key_hash FROM api_keys WHERE account_id = $1", uuid.UUID(created["account_id"])
        )
    assert principal is not None and str(principal.account_id) == created["account_id"]
    assert principal.actor.role == "admin" and str(principal.actor.user_id) == created["user_id"]
    assert counts is not None and dict(counts) == {"statuses": 5, "sources": 7, "admins": 1}
    assert stored == hash_key(created["api_key"]) and created["api_key"].encode() not in stored


async def test_accounts_create_refuses_a_bad_email_and_writes_nothing(container: Container, database_url: str) -> None:
    name = f"Bad {uuid.uuid4().hex[:6]}"
    code, _, err = await _leadstore(database_url, "accounts", "create", name, "--admin-email", "not-an-address")

    assert code != 0 and "--admin-email" in err
    async with container.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM accounts WHERE name = $1", name) == 0


async def test_concurrent_account_creations_each_get_their_own_defaults_and_key(container: Container) -> None:
    async def create(i: int) -> tuple[uuid.UUID, str]:
        async with container.pool.acquire() as conn:
            new = await create_account(conn, f"parallel {i}", f"admin{i}@example.com")
        return new.account_id, new.api_key

    created = await asyncio.gather(*(create(i) for i in range(20)))

    assert len({account for account, _ in created}) == len({key for _, key in created}) == 20
    async with container.pool.acquire() as conn:
        for account_id, key in created:
            counts = await conn.fetchrow(COUNTS, account_id)
            assert counts is not None and dict(counts) == {"statuses": 5, "sources": 7, "admins": 1}
            principal = await authenticate(conn, key)
            assert principal is not None and principal.account_id == account_id


async def test_accounts_create_refuses_control_and_invisible_names(container: Container, database_url: str) -> None:
    for name in ("\u001b]0;owned\u0007", "Acme\nInc", "\u200b", "", "a\u202eb"):
        code, _, err = await _leadstore(database_url, "accounts", "create", name, "--admin-email", "ops@acme.example")

        assert code != 0 and "account name" in err, name
        async with container.pool.acquire() as conn:
            assert await conn.fetchval("SELECT count(*) FROM accounts WHERE name = $1", name) == 0
