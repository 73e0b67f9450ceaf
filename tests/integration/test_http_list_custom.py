"""GET /v1/leads filtered by custom-field values and phone, over a real socket with the projector running."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from leadstore.bootstrap import Container
from leadstore.http.testing import projecting, serve
from leadstore.store.accounts import NewAccount
from tests.integration.helpers import client


@pytest.fixture(scope="module")
async def api(container: Container) -> AsyncIterator[str]:
    async with serve(container) as url, projecting(container):
        yield url


async def define(http: httpx.AsyncClient, key: str, kind: str, choices: list[str] | None = None) -> None:
    body: dict[str, Any] = {"key": key, "label": key, "type": kind, **({"choices": choices} if choices else {})}
    response = await http.post("/v1/custom-fields", json=body)
    assert response.status_code == 201, response.text


async def test_a_datetime_custom_field_keeps_its_value_in_utc(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        await define(http, "last_contacted", "datetime")
        fields = (await http.get("/v1/custom-fields")).json()["data"]
        created = await http.post(
            "/v1/leads", json={"first_name": "Ada", "custom": {"last_contacted": "2026-11-21T12:30:00.5+02:00"}}
        )
        refused = await http.post("/v1/leads", json={"first_name": "Ada", "custom": {"last_contacted": "2026-11-21"}})

    assert fields == [
        {"key": "last_contacted", "label": "last_contacted", "type": "datetime", "choices": [], "required": False}
    ]
    assert created.status_code == 201, created.text
    assert created.json()["custom"] == {"last_contacted": "2026-11-21T10:30:00.500Z"}
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "custom.last_contacted"
