"""What the service logs, at DEBUG, over a realistic session (leads with names, emails, phones and notes,
searches, refusals, a bogus key, a revoked key) holds no API key and no personal field; the access lines carry
the request id, the account, the route, the status and the duration."""

from __future__ import annotations

import copy
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import msgspec
import pytest

from leadstore.bootstrap import Container
from leadstore.http.testing import projecting, serve
from leadstore.logging_config import JsonFormatter
from leadstore.store.accounts import NewAccount
from tests.integration.helpers import client

PEOPLE = [
    {
        "first_name": "Marguerite",
        "last_name": "Okonkwo-Villanueva",
        "email": "marguerite.okonkwo@lumenworks.example",
        "phone": "+1 415 555 0134",
        "notes": "Prefers calls after four; budget approved by Dariusz",
    },
    {
        "first_name": "Thelonius",
        "last_name": "Brackenridge",
        "email": "t.brackenridge@harbourline.example",
        "phone": "+44 20 7946 0321",
        "company": "Harbourline Freight",
        "notes": "Met at the Rotterdam fair",
    },
]
NEW_EMAIL, NEW_PHONE = "marguerite@okonkwo-family.example", "+1 212 555 0187"
USER = {"email": "quillon.ferraby@lumenworks.example", "name": "Quillon Ferraby", "role": "member"}
SEARCHED = "Okonkw"
BOGUS_KEY = "lsk_Zq8VwXb3kP0mLr5TnY2cHs7dJf4gA9eU1iO6uQx"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Every record of every logger of the service, at DEBUG, as JSON lines (the test's HTTP client aside)."""
    lines = io.StringIO()
    handler = logging.StreamHandler(lines)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(lambda record: not record.name.startswith(("httpx", "httpcore")))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield lines
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def session(api: str, account: NewAccount) -> list[str]:
    """A day's requests of an account; the keys they used (the admin's, a member's revoked on the way)."""
    async with client(api, account.api_key) as admin:
        leads = [(await admin.post("/v1/leads", json=person)).json() for person in PEOPLE]
        first = f"/v1/leads/{leads[0]['id']}"
        await admin.patch(first, json={"email": NEW_EMAIL, "phone": NEW_PHONE, "notes": "Call her mobile"})
        await admin.patch(first, json={"email": "marguerite at lumenworks"})  # 422
        await admin.post("/v1/leads", json={"first_name": "Marguerite", "email": NEW_EMAIL})  # 409
        await admin.post("/v1/leads", content=b'{"first_name": "Marguerite", "email": ', headers=JSON)  # 400
        await admin.get("/v1/leads", params={"q": SEARCHED, "email": PEOPLE[1]["email"]})
        await admin.patch(first, json={"last_name": "Okonkwo"}, headers={"If-Match": '"1"'})  # 412
        user = (await admin.post("/v1/users", json=USER)).json()
        issued = (await admin.post("/v1/api-keys", json={"user_id": user["id"], "name": "laptop"})).json()
        async with client(api, issued["key"]) as member:
            await member.get("/v1/leads")
            await admin.post(f"/v1/api-keys/{issued['id']}/revoke")
            await member.get("/v1/leads")  # 401: revoked
            await member.post("/v1/leads", json={"first_name": "Thelonius"})
    async with httpx.AsyncClient(base_url=api) as anonymous:
        await anonymous.get("/v1/leads", headers={"Authorization": f"Bearer {BOGUS_KEY}"})
        await anonymous.get("/v1/leads", headers={"Authorization": f"Basic {account.api_key}"})
        await anonymous.get(f"/v1/leads?api_key={account.api_key}")
    return [account.api_key, issued["key"], BOGUS_KEY]


JSON = {"Content-Type": "application/json"}


def personal_values() -> list[str]:
    """Every personal value sent, with the forms it may be stored in (E.164 phones, the digits alone)."""
    values: list[Any] = [NEW_EMAIL, NEW_PHONE, SEARCHED, *USER.values()]
    for person in PEOPLE:
        values += [value for key, value in person.items() if key != "company"]
    phones = [value for value in values if value.startswith("+")]
    values += [phone.replace(" ", "") for phone in phones] + [phone.replace(" ", "")[-7:] for phone in phones]
    return [value for value in values if value not in ("member",)]


async def test_a_realistic_session_logs_no_key_and_no_personal_field(
    container: Container, account: NewAccount, captured: io.StringIO
) -> None:
    logging_on = copy.copy(container)
    logging_on.settings = msgspec.structs.replace(container.settings, access_log=True)
    async with serve(logging_on) as api, projecting(container):
        keys = await session(api, account)

    text = captured.getvalue()
    secrets = [*keys, *(key[4:16] for key in keys), *personal_values()]
    assert [secret for secret in secrets if secret.lower() in text.lower()] == []
    access = [entry for entry in map(json.loads, text.splitlines()) if entry["logger"] == "leadstore.access"]
    assert len(access) == 17
    assert all({"request_id", "account_id", "route", "status", "duration_ms"} <= entry.keys() for entry in access)
    assert {entry["status"] for entry in access} >= {200, 201, 400, 401, 409, 412, 422}
    assert {entry["account_id"] for entry in access} >= {str(account.account_id), None}


async def test_webhook_secrets_are_never_logged(
    container: Container, account: NewAccount, captured: io.StringIO
) -> None:
    logging_on = copy.copy(container)
    logging_on.settings = msgspec.structs.replace(container.settings, access_log=True)
    async with serve(logging_on) as api, client(api, account.api_key) as admin:
        hook = (await admin.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/", "event_types": ["*"]})).json()
        rotated = (await admin.post(f"/v1/webhooks/{hook['id']}/rotate-secret")).json()
        await admin.get(f"/v1/webhooks/{hook['id']}")

    text = captured.getvalue()
    assert hook["secret"].startswith("whsec_") and rotated["secret"].startswith("whsec_")
    assert "whsec_" not in text and hook["secret"][6:20] not in text and rotated["secret"][6:20] not in text
    assert f"/v1/webhooks/{hook['id']}/rotate-secret" in text or "/v1/webhooks" in text  # the requests were logged
