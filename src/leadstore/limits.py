"""Request limits: each API key's budget, and failed authentications per client address. Both draw from
buckets that every API process of a deployment shares (store.rate_limits), with as little I/O per request as
that allows: a process that learns a bucket is empty refuses locally until it has refilled."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar
from uuid import UUID

from leadstore.domain.errors import LeadstoreError
from leadstore.store.rate_limits import Budget, Grant

log = logging.getLogger(__name__)

T = TypeVar("T")
LEASE_SECONDS = 1.0  # leased tokens not spent by then lapse, so no process sits on a share of the budget
MAX_KEPT = 10_000  # leases and local refusals kept per process before lapsed ones are dropped
IPV6_PREFIX = 64  # one IPv6 client commonly holds a whole /64: its addresses share one budget of failures


class Buckets(Protocol):
    """Where the shared buckets are kept (PostgresBuckets; a fake in unit tests)."""

    async def take(self, bucket: str, budget: Budget, want: int) -> Grant: ...

    async def give_back(self, bucket: str, budget: Budget, tokens: int) -> None: ...


class RateLimited(LeadstoreError):
    """A request over a limit: `kind` names which (key or address), `retry_after` is whole seconds, at least 1."""

    code = "rate_limited"
    REASONS = {
        "key": "this API key is over its request budget",
        "address": "too many failed authentications from this address",
    }

    def __init__(self, kind: str, wait_seconds: float) -> None:
        self.kind = kind
        self.retry_after = max(1, math.ceil(wait_seconds))
        super().__init__(f"{self.REASONS[kind]}; retry after {self.retry_after} s")


class _Until:
    """Names this process refuses without asking the shared bucket, each until a monotonic time."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self._until)

    def refuse(self, name: str, kind: str) -> None:
        until = self._until.get(name)
        if until is None:
            return
        left = until - time.monotonic()
        if left <= 0:
            del self._until[name]
            return
        raise RateLimited(kind, left)

    def add(self, name: str, seconds: float) -> None:
        now = time.monotonic()
        if len(self._until) >= MAX_KEPT:
            self._until = {n: u for n, u in self._until.items() if u > now}
        self._until[name] = now + seconds


class _Lease:
    __slots__ = ("expires", "tokens")

    def __init__(self, tokens: int) -> None:
        self.tokens = tokens
        self.expires = time.monotonic() + LEASE_SECONDS


class KeyBudgets:
    """Each API key's request budget. A process leases a slice of tokens from the key's shared bucket at a
    time and spends them locally: one statement per `lease` requests, never more admitted than the bucket
    gave. A slice is at most a tenth of the burst, so processes share a key's budget fairly; what a slice
    left unspent when it lapsed goes back to the bucket before the next one is taken."""

    def __init__(self, buckets: Buckets, budget: Budget, lease: int) -> None:
        self.buckets = buckets
        self.budget = budget
        self.lease = max(1, min(lease, budget.burst // 10))
        self._leases: dict[str, _Lease] = {}
        self._empty = _Until()

    async def spend(self, api_key_id: UUID | None) -> None:
        """Spend one request of the key's budget; RateLimited when it is spent."""
        if not self.budget.limited or api_key_id is None:
            return
        name = f"key:{api_key_id}"
        if self._spend_leased(name):
            return
        self._empty.refuse(name, "key")
        if unspent := self._lapsed(name):
            # else a key used about once a lease pays a whole slice a request, far beyond its budget
            await self.buckets.give_back(name, self.budget, unspent)
        grant = await self.buckets.take(name, self.budget, self.lease)
        if grant.tokens == 0:
            if self._spend_leased(name):  # leased by a concurrent request of this process meanwhile
                return
            self._empty.add(name, grant.wait_seconds)
            raise RateLimited("key", grant.wait_seconds)
        self._keep(name, grant.tokens - 1)

    def _spend_leased(self, name: str) -> bool:
        lease = self._leases.get(name)
        if lease is None or lease.tokens < 1 or lease.expires < time.monotonic():
            return False
        lease.tokens -= 1
        return True

    def _lapsed(self, name: str) -> int:
        """The unspent tokens of the key's lapsed lease, which is dropped; 0 when it has none."""
        lease = self._leases.get(name)
        if lease is None or lease.expires >= time.monotonic():
            return 0
        del self._leases[name]
        return lease.tokens

    def _keep(self, name: str, tokens: int) -> None:
        lease = self._leases.get(name)
        if lease is not None and lease.expires >= time.monotonic():
            lease.tokens += tokens
            return
        if len(self._leases) >= MAX_KEPT:
            now = time.monotonic()
            self._leases = {n: kept for n, kept in self._leases.items() if kept.expires >= now}
        self._leases[name] = _Lease(tokens)


def address_bucket(address: str) -> str:
    """The bucket of a client address's failures: the address itself, or the /64 of an IPv6 one."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return f"address:{address}"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return f"address:{parsed.ipv4_mapped}"
        return f"address:{ipaddress.IPv6Network((parsed, IPV6_PREFIX), strict=False)}"
    return f"address:{parsed}"


class AddressFailures:
    """Failed authentications per client address. Every check of a key against the database is paid for
    with a token of the address's bucket, given back when the key is valid: so what runs out is failures,
    and once it has, no process of the deployment checks another key from that address until it refills.
    Concurrent checks of one key from one address are one check (one token, one query)."""

    def __init__(self, buckets: Buckets, per_minute: int) -> None:
        self.buckets = buckets
        self.budget = Budget(per_minute / 60, per_minute)
        self._blocked = _Until()
        self._checks: dict[tuple[str, bytes], asyncio.Task[Any]] = {}

    def refuse_blocked(self, address: str) -> None:
        """RateLimited, without I/O, when this process knows the address has run out."""
        if self.budget.limited and self._blocked:  # else no parse of the address (14 us for an IPv6 one)
            self._blocked.refuse(address_bucket(address), "address")

    async def failed(self, address: str) -> None:
        """A failure that needed no check (no key, or a malformed one) takes its token; RateLimited if none is left."""
        if self.budget.limited:
            await self._take(address_bucket(address))

    async def checked(self, address: str, digest: bytes, check: Callable[[], Awaitable[T | None]]) -> T | None:
        """`check()` (a key look-up: None when the key is not valid), paid for as above."""
        if not self.budget.limited:
            return await check()
        flight = (address, digest)
        task = self._checks.get(flight)
        if task is None:
            task = asyncio.create_task(self._check(address_bucket(address), check))
            self._checks[flight] = task
            task.add_done_callback(lambda done: self._landed(flight, done))
        result: T | None = await asyncio.shield(task)
        return result

    def _landed(self, flight: tuple[str, bytes], task: asyncio.Task[Any]) -> None:
        self._checks.pop(flight, None)
        if not task.cancelled():
            task.exception()  # retrieved here too: every request waiting for it may have gone

    async def _check(self, name: str, check: Callable[[], Awaitable[T | None]]) -> T | None:
        await self._take(name)
        result = await check()
        if result is not None:
            await self.buckets.give_back(name, self.budget, 1)
        return result

    async def _take(self, name: str) -> None:
        self._blocked.refuse(name, "address")
        grant = await self.buckets.take(name, self.budget, 1)
        if grant.tokens == 0:
            self._blocked.add(name, grant.wait_seconds)
            log.warning("refusing %s for %.0f s: too many failed authentications", name, grant.wait_seconds)
            raise RateLimited("address", grant.wait_seconds)


class RequestLimits:
    """The limits an API process applies: per key (`per_second`, `burst`) and failures per address a minute."""

    def __init__(self, buckets: Buckets, *, per_second: float, burst: int, lease: int, failures_per_minute: int):
        self.keys = KeyBudgets(buckets, Budget(per_second, burst), lease)
        self.failures = AddressFailures(buckets, failures_per_minute)
