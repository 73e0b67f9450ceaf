"""The client address the audit trail records: the connection's peer, unless a trusted proxy forwarded it."""

from __future__ import annotations

import copy
from typing import Any

import msgspec
import pytest

from leadstore.bootstrap import Container
from leadstore.http.server import trusted_proxies
from leadstore.http.testing import serve
from leadstore.store.accounts import NewAccount
from tests.integration.helpers import client, create

FORGED = {"X-Forwarded-For": "203.0.113.77", "Forwarded": "for=198.51.100.9"}


async def recorded_address(url: str, key: str) -> Any:
    async with client(url, key, **FORGED) as http:
        lead = await create(http)
        events = (await http.get(f"/v1/leads/{lead['id']}/events")).json()["data"]
    return events[0]["request"]["ip"]


async def test_forwarding_headers_from_an_untrusted_client_are_not_believed(api: str, account: NewAccount) -> None:
    assert await recorded_address(api, account.api_key) == "127.0.0.1"


async def test_forwarding_headers_from_a_trusted_proxy_are_believed(container: Container, account: NewAccount) -> None:
    behind_a_proxy = copy.copy(container)
    behind_a_proxy.settings = msgspec.structs.replace(container.settings, trusted_proxies="10.0.0.1, 127.0.0.0/8")
    async with serve(behind_a_proxy) as url:
        assert await recorded_address(url, account.api_key) == "203.0.113.77"


def test_trusted_proxies_are_addresses_or_networks() -> None:
    assert trusted_proxies(" 10.0.0.1 ,, 192.168.0.0/16,::1 ") == ["10.0.0.1", "192.168.0.0/16", "::1"]
    with pytest.raises(ValueError, match=r"proxy\.internal"):
        trusted_proxies("10.0.0.1, proxy.internal")
