"""The access log: one line per request on `leadstore.access` (route template, status, duration, request id,
account), never a key, header value or query value, and no second line from uvicorn."""

from __future__ import annotations

import copy
import logging
from typing import Any

import httpx
import msgspec
import pytest

from leadstore.bootstrap import Container
from leadstore.http.testing import serve
from leadstore.store.accounts import NewAccount
from tests.integration.helpers import client, create

SECRET_QUERY = "Zanzibar-3141"
SECRET_HEADER = "Quagga-2718"


def access_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "leadstore.access"]


async def test_each_request_is_one_access_line_with_route_status_duration_and_ids(
    container: Container, account: NewAccount, caplog: pytest.LogCaptureFixture
) -> None:
    logging_on = copy.copy(container)
    logging_on.settings = msgspec.structs.replace(container.settings, access_log=True)
    async with serve(logging_on) as url, client(url, account.api_key, **{"X-Note": SECRET_HEADER}) as http:
        lead = await create(http)
        caplog.clear()
        with caplog.at_level(logging.INFO):
            read = await http.get(f"/v1/leads/{lead['id']}", params={"as_of": "2020-01-01T00:00:00Z"})
            listed = await http.get("/v1/leads", params={"q": SECRET_QUERY})
            unmatched = await httpx.AsyncClient(base_url=url).get(f"/nowhere/{SECRET_QUERY}")
    lines = access_lines(caplog)
    fields: list[dict[str, Any]] = [
        {name: getattr(line, name) for name in ("method", "route", "status", "request_id", "account_id")}
        for line in lines
    ]
    account_id = str(account.account_id)
    assert fields == [
        {"method": "GET", "route": "/v1/leads/{lead_id}", "status": 404, "request_id": read.headers["x-request-id"]}
        | {"account_id": account_id},
        {"method": "GET", "route": "/v1/leads", "status": 200, "request_id": listed.headers["x-request-id"]}
        | {"account_id": account_id},
        {"method": "GET", "route": "-", "status": 404, "request_id": unmatched.headers["x-request-id"]}
        | {"account_id": None},
    ]
    assert all(isinstance(line.duration_ms, float) and line.duration_ms >= 0 for line in lines)  # type: ignore[attr-defined]
    assert f"GET /v1/leads 200 {lines[1].duration_ms:.1f}ms request_id=" in lines[1].getMessage()  # type: ignore[attr-defined]
    logged = "".join(record.getMessage() + str(vars(record)) for record in caplog.records if record.name != "httpx")
    assert SECRET_QUERY not in logged and SECRET_HEADER not in logged and account.api_key[4:12] not in logged
    assert not [record for record in caplog.records if record.name.startswith("uvicorn.access")]


async def test_the_access_log_is_off_unless_turned_on(
    api: str, account: NewAccount, caplog: pytest.LogCaptureFixture
) -> None:
    async with client(api, account.api_key) as http:
        with caplog.at_level(logging.INFO):
            assert (await http.get("/v1/statuses")).status_code == 200
    assert access_lines(caplog) == []
