"""The audit trail records headers by an allow-list and never a credential, wherever a client puts one."""

from __future__ import annotations

import copy
from typing import Any

import msgspec

from leadstore.bootstrap import Container
from leadstore.http.testing import serve
from leadstore.store.accounts import NewAccount
from tests.integration.helpers import client, create

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJlLXZhbHVl"


async def recorded_request(url: str, key: str, **headers: str) -> dict[str, Any]:
    async with client(url, key, **headers) as http:
        lead = await create(http)
        events = (await http.get(f"/v1/leads/{lead['id']}/events")).json()["data"]
    request: dict[str, Any] = events[0]["request"]
    return request


async def test_secrets_in_headers_off_the_mask_list_never_reach_the_trail(api: str, account: NewAccount) -> None:
    headers = {
        "User-Agent": f"script/1.0 {account.api_key}",
        "Referer": "https://app.example/callback?access_token=abc123#frag",
        "X-Jwt": JWT,
        "Cookie2": "sid=abc",
        "Forwarded": "for=198.51.100.9;secret=hunter2",
        "Cf-Access-Jwt-Assertion": JWT,
        "X-Debug": "Bearer zzz-top-secret",
        "Origin": "https://app.example",
    }
    request = await recorded_request(api, account.api_key, **headers)

    recorded = msgspec.json.encode(request).decode()
    for secret in (account.api_key, "abc123", JWT, "sid=abc", "hunter2", "zzz-top-secret"):
        assert secret not in recorded
    assert request["user_agent"] == "script/1.0 ***" and request["headers"]["user-agent"] == "script/1.0 ***"
    assert request["headers"]["referer"] == "https://app.example/callback"
    assert request["headers"]["origin"] == "https://app.example"
    assert request["headers"]["cf-access-jwt-assertion"] == "***" and request["headers"]["x-jwt"] == "***"
    assert "x-debug" not in request["headers"] and "forwarded" not in request["headers"]


async def test_forwarding_headers_are_recorded_only_when_a_trusted_proxy_sent_them(
    api: str, container: Container, account: NewAccount
) -> None:
    forwarded = {"X-Forwarded-For": "203.0.113.77", "X-Forwarded-Proto": "https"}
    direct = await recorded_request(api, account.api_key, **forwarded)
    behind_a_proxy = copy.copy(container)
    behind_a_proxy.settings = msgspec.structs.replace(container.settings, trusted_proxies="127.0.0.0/8")
    async with serve(behind_a_proxy) as url:
        proxied = await recorded_request(url, account.api_key, **forwarded)

    assert "x-forwarded-for" not in direct["headers"] and direct["ip"] == "127.0.0.1"
    assert proxied["headers"]["x-forwarded-for"] == "203.0.113.77" and proxied["ip"] == "203.0.113.77"
    assert proxied["headers"]["x-forwarded-proto"] == "https"
