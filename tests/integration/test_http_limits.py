"""Request limits: each key's budget and failed authentications per client address, held across API
processes (two containers, two served apps, one database), with 429 `rate_limited` and `Retry-After`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from leadstore.bootstrap import Container, bootstrap
from leadstore.http.testing import serve
from leadstore.settings import Settings
from leadstore.store.accounts import NewAccount
from tests.integration.helpers import assert_problem, client

UNKNOWN_KEY = "lsk_Zq8vXw3PnR5tLk2HyBd7MfJc9GsT4aVe1uNo6iQp0Wx"


@contextlib.asynccontextmanager
async def api_process(container: Container, **limits: Any) -> AsyncIterator[str]:
    """Another API process of the deployment: a container of its own on the same database, served."""
    settings = Settings(database_url=container.settings.database_url, pool_max_size=4, **limits)
    built = await bootstrap(settings)  # `container` has migrated the database
    try:
        async with serve(built) as url:
            yield url
    finally:
        await built.close()


def forwarded_from(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


def an_address() -> str:
    """A client address of this test's own: buckets live in the shared test database."""
    return f"198.51.{random.randrange(256)}.{random.randrange(1, 255)}"


async def test_a_key_over_its_budget_is_refused_until_its_bucket_refills(
    container: Container, account: NewAccount
) -> None:
    process = api_process(container, rate_limit_per_second=1, rate_limit_burst=3)
    async with process as url, client(url, account.api_key) as http:
        responses = await asyncio.gather(*(http.get("/v1/statuses") for _ in range(5)))
        statuses = sorted(response.status_code for response in responses)
        refused = next(response for response in responses if response.status_code == 429)
        assert statuses == [200, 200, 200, 429, 429]
        assert_problem(refused, 429, "rate_limited")
        assert refused.headers["retry-after"] == "1"
        await asyncio.sleep(int(refused.headers["retry-after"]))
        assert (await http.get("/v1/statuses")).status_code == 200


async def test_two_api_processes_share_one_keys_budget(container: Container, account: NewAccount) -> None:
    budget = {"rate_limit_per_second": 0.1, "rate_limit_burst": 3}
    async with (
        api_process(container, **budget) as first,
        api_process(container, **budget) as second,
        client(first, account.api_key) as one,
        client(second, account.api_key) as other,
    ):
        statuses = [(await http.get("/v1/statuses")).status_code for http in (one, other) * 3]
        refused = await other.get("/v1/statuses")
    assert statuses == [200, 200, 200, 429, 429, 429]  # each process alone would have let 3 through
    assert_problem(refused, 429, "rate_limited")
    assert 1 <= int(refused.headers["retry-after"]) <= 10


async def test_failed_authentications_are_limited_per_address_across_processes(
    container: Container, account: NewAccount
) -> None:
    limits = {"auth_failures_per_minute": 3, "trusted_proxies": "127.0.0.0/8"}
    address, elsewhere = an_address(), an_address()
    async with api_process(container, **limits) as first, api_process(container, **limits) as second:
        async with client(first, UNKNOWN_KEY, **forwarded_from(address)) as one:
            assert [(await one.get("/v1/statuses")).status_code for _ in range(2)] == [401, 401]
        async with client(second, UNKNOWN_KEY, **forwarded_from(address)) as other:
            assert (await other.get("/v1/statuses")).status_code == 401
            refused = await other.get("/v1/statuses")
        # the key is not even checked now: a valid one is refused too, in either process
        async with client(first, account.api_key, **forwarded_from(address)) as valid:
            blocked = await valid.get("/v1/statuses")
        async with client(second, account.api_key, **forwarded_from(elsewhere)) as valid:
            other_address = await valid.get("/v1/statuses")
        async with httpx.AsyncClient(base_url=first) as anonymous:
            exposed = (await anonymous.get("/metrics")).text
    assert_problem(refused, 429, "rate_limited")
    assert int(refused.headers["retry-after"]) >= 1
    assert_problem(blocked, 429, "rate_limited")
    assert other_address.status_code == 200
    assert 'leadstore_auth_failures_total{reason="unknown_key"} 2.0' in exposed
    assert 'leadstore_rate_limited_total{kind="address"} 1.0' in exposed


async def test_a_valid_key_does_not_use_up_its_addresss_failure_budget(
    container: Container, account: NewAccount
) -> None:
    limits = {"auth_failures_per_minute": 1, "trusted_proxies": "127.0.0.0/8"}
    async with (
        api_process(container, **limits) as url,
        client(url, account.api_key, **forwarded_from(an_address())) as http,
    ):
        statuses = set()
        for _ in range(4):  # past the principal cache's second: the key is checked again, and given back
            statuses |= {r.status_code for r in await asyncio.gather(*(http.get("/v1/statuses") for _ in range(5)))}
            await asyncio.sleep(0.4)
    assert statuses == {200}


async def test_failed_authentications_are_logged_and_counted_without_the_key(
    container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    address = an_address()
    process = api_process(container, trusted_proxies="127.0.0.0/8")
    async with process as url, httpx.AsyncClient(base_url=url, headers=forwarded_from(address)) as http:
        with caplog.at_level(logging.INFO):
            await http.get("/v1/statuses")
            await http.get("/v1/statuses", headers={"Authorization": "Token " + UNKNOWN_KEY})
            await http.get("/v1/statuses", headers={"Authorization": "Bearer " + UNKNOWN_KEY})
        exposed = (await http.get("/metrics")).text
    failures = [record for record in caplog.records if "authentication failed" in record.getMessage()]
    assert [getattr(record, "reason", None) for record in failures] == ["missing", "malformed", "unknown_key"]
    assert all(getattr(record, "address", None) == address for record in failures)
    assert all(address in record.getMessage() for record in failures)
    logged = caplog.text + "".join(str(vars(record)) for record in caplog.records)
    assert not any(UNKNOWN_KEY[at : at + 6] in logged for at in range(len(UNKNOWN_KEY) - 5))
    for reason in ("missing", "malformed", "unknown_key"):
        assert f'leadstore_auth_failures_total{{reason="{reason}"}} 1.0' in exposed
