"""Request limits without a socket: the shared buckets faked in memory."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import pytest

from leadstore.limits import LEASE_SECONDS, AddressFailures, KeyBudgets, RateLimited, address_bucket
from leadstore.store.rate_limits import Budget, Grant


class CountedBuckets:
    """Buckets that never refill: each holds `tokens`, and every statement a process would send is counted."""

    def __init__(self, tokens: int) -> None:
        self.tokens: dict[str, int] = {}
        self.start = tokens
        self.takes = 0
        self.given_back = 0

    async def take(self, bucket: str, budget: Budget, want: int) -> Grant:
        self.takes += 1
        await asyncio.sleep(0)  # a round trip: other requests run meanwhile
        left = self.tokens.setdefault(bucket, self.start)
        granted = min(want, left)
        self.tokens[bucket] = left - granted
        return Grant(granted, 0.0 if left - granted >= 1 else 2.5)

    async def give_back(self, bucket: str, budget: Budget, tokens: int) -> None:
        self.given_back += tokens
        self.tokens[bucket] += tokens


async def test_a_process_leases_a_slice_of_a_keys_tokens_and_spends_it_locally() -> None:
    buckets = CountedBuckets(tokens=200)
    budgets = KeyBudgets(buckets, Budget(100, 200), lease=10)
    key = uuid4()
    for _ in range(25):
        await budgets.spend(key)
    assert buckets.takes == 3
    assert buckets.tokens[f"key:{key}"] == 170


async def test_a_slice_is_at_most_a_tenth_of_the_burst() -> None:
    buckets = CountedBuckets(tokens=3)
    budgets = KeyBudgets(buckets, Budget(1, 3), lease=10)
    key = uuid4()
    await budgets.spend(key)
    assert buckets.tokens[f"key:{key}"] == 2  # another process may still spend the other two


async def test_concurrent_requests_are_never_admitted_beyond_what_the_bucket_gave() -> None:
    buckets = CountedBuckets(tokens=15)
    budgets = KeyBudgets(buckets, Budget(100, 200), lease=10)
    key = uuid4()
    outcomes = await asyncio.gather(*(budgets.spend(key) for _ in range(40)), return_exceptions=True)
    assert sum(outcome is None for outcome in outcomes) == 15
    assert all(isinstance(outcome, RateLimited) for outcome in outcomes if outcome is not None)


async def test_a_lapsed_slice_gives_its_unspent_tokens_back(monkeypatch: pytest.MonkeyPatch) -> None:
    # one request a second and a bit, well inside a budget of 1 a second: each new slice must not cost the
    # bucket the nine tokens the lapsed one never spent, or the key is refused after ten requests
    buckets = CountedBuckets(tokens=100)
    budgets = KeyBudgets(buckets, Budget(1, 100), lease=10)
    key = uuid4()
    now = 1000.0
    monkeypatch.setattr("leadstore.limits.time.monotonic", lambda: now)
    for _ in range(30):
        await budgets.spend(key)
        now += LEASE_SECONDS + 0.1
    assert buckets.tokens[f"key:{key}"] == 100 - 30 - 9  # spent, and the rest of the live slice


async def test_an_empty_bucket_is_refused_locally_until_it_refills() -> None:
    buckets = CountedBuckets(tokens=1)
    budgets = KeyBudgets(buckets, Budget(0.4, 10), lease=1)
    key = uuid4()
    await budgets.spend(key)
    with pytest.raises(RateLimited) as first:
        await budgets.spend(key)
    takes = buckets.takes
    with pytest.raises(RateLimited) as again:
        await budgets.spend(key)
    assert buckets.takes == takes  # no statement while this process knows the bucket is empty
    assert (first.value.kind, first.value.retry_after, again.value.retry_after) == ("key", 3, 3)


async def test_no_budget_means_no_limit() -> None:
    buckets = CountedBuckets(tokens=0)
    for budget in (Budget(0, 200), Budget(100, 0)):
        await KeyBudgets(buckets, budget, lease=10).spend(uuid4())
    await AddressFailures(buckets, per_minute=0).failed("192.0.2.1")
    assert buckets.takes == 0


async def test_concurrent_checks_of_one_key_from_one_address_are_one_check() -> None:
    buckets = CountedBuckets(tokens=2)
    failures = AddressFailures(buckets, per_minute=2)
    looked_up = 0

    async def look_up() -> str:
        nonlocal looked_up
        looked_up += 1
        await asyncio.sleep(0.01)
        return "principal"

    results = await asyncio.gather(*(failures.checked("192.0.2.7", b"digest", look_up) for _ in range(10)))
    assert results == ["principal"] * 10
    assert (looked_up, buckets.takes, buckets.given_back) == (1, 1, 1)


async def test_an_address_out_of_failures_is_refused_before_any_check() -> None:
    buckets = CountedBuckets(tokens=2)
    failures = AddressFailures(buckets, per_minute=2)

    async def unknown_key() -> str | None:
        return None

    assert await failures.checked("192.0.2.9", b"one", unknown_key) is None
    await failures.failed("192.0.2.9")
    with pytest.raises(RateLimited) as refused:
        await failures.checked("192.0.2.9", b"two", unknown_key)
    with pytest.raises(RateLimited):
        failures.refuse_blocked("192.0.2.9")
    failures.refuse_blocked("192.0.2.10")
    assert (refused.value.kind, refused.value.retry_after) == ("address", 3)


def test_retry_after_is_whole_seconds_and_at_least_one() -> None:
    assert [RateLimited("key", wait).retry_after for wait in (0.0, 0.2, 1.0, 1.01, 9.5)] == [1, 1, 1, 2, 10]


def test_an_ipv6_clients_addresses_share_the_budget_of_their_64() -> None:
    assert (
        address_bucket("2001:db8:1:2:aaaa::1") == address_bucket("2001:db8:1:2:bbbb::9") == "address:2001:db8:1:2::/64"
    )
    assert address_bucket("2001:db8:1:3::1") != address_bucket("2001:db8:1:2::1")
    assert address_bucket("::ffff:192.0.2.7") == address_bucket("192.0.2.7") == "address:192.0.2.7"
    assert address_bucket("unknown") == "address:unknown"
