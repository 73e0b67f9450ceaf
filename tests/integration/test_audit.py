"""`leadstore audit`: the readable timeline, the Event envelopes, and the lead as it was at any time."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from uuid_utils.compat import uuid7

from leadstore.bootstrap import Container
from leadstore.documents import lead_document, timestamp
from leadstore.domain.commands import Command
from leadstore.http import testing
from leadstore.store import events as store
from leadstore.store.accounts import NewAccount
from tests.integration.helpers import create_cmd, now, run_cli, update_cmd


def request_metadata(account: NewAccount, method: str, path: str) -> dict[str, Any]:
    """Metadata shaped as the HTTP layer records it (API.md, Event)."""
    actor = {"user_id": str(account.user_id), "email": "admin@example.com", "api_key_id": "0190a1b2-key"}
    request = {"id": "req_1", "method": method, "path": path, "ip": "203.0.113.9", "user_agent": "curl/8"}
    return {"actor": actor, "request": request | {"headers": {"authorization": "***"}}}


def commands(account: NewAccount) -> list[Callable[[UUID, datetime], Command]]:
    """A lead's life: created, a field changed, its status moved, two more fields changed."""
    return [
        lambda _, at: create_cmd(account, email="sarah@example.com", company="Acme", at=at),
        lambda lead_id, at: update_cmd(account, lead_id, company="Acme Inc", at=at),
        lambda lead_id, at: update_cmd(account, lead_id, status="contacted", at=at),
        lambda lead_id, at: update_cmd(account, lead_id, score=40, last_name="Lee", at=at),
    ]


async def lead_with_history(container: Container, account: NewAccount) -> tuple[UUID, list[dict[str, Any]]]:
    """A lead changed by four commands 10 ms apart (as_of has millisecond precision); its id and the document
    after each command."""
    lead_id, start = uuid7(), now() - timedelta(seconds=1)
    documents = []
    for number, make in enumerate(commands(account)):
        command = make(lead_id, start + number * timedelta(milliseconds=10))
        lead_id = command.lead_id
        metadata = request_metadata(
            account, "PATCH" if number else "POST", f"/v1/leads/{lead_id}" if number else "/v1/leads"
        )
        outcome = await container.handler.execute(command, account_id=account.account_id, metadata=metadata)
        documents.append(lead_document(outcome.lead))
    return lead_id, documents


async def test_audit_prints_who_when_where_and_what_changed(
    container: Container, account: NewAccount, capsys: pytest.CaptureFixture[str]
) -> None:
    lead_id, documents = await lead_with_history(container, account)

    assert await run_cli(container.settings, "audit", str(lead_id)) == 0

    out = capsys.readouterr().out
    assert out.startswith(f"lead {lead_id}: 4 event(s)\nv1  {documents[0]['created_at']}  LeadCreated\n")
    assert f"by user {account.user_id} <admin@example.com> with key 0190a1b2-key" in out
    assert "via POST /v1/leads from 203.0.113.9 (request req_1)" in out
    assert f"via PATCH /v1/leads/{lead_id} from 203.0.113.9" in out
    for line in ('email: null -> "sarah@example.com"', 'company: "Acme" -> "Acme Inc"', 'status: "new" -> "contacted"'):
        assert f"    {line}\n" in out
    assert '    score: 0 -> 40\n    last_name: null -> "Lee"\n' in out or 'last_name: null -> "Lee"\n    score' in out


async def test_audit_json_prints_the_event_envelopes(
    container: Container, account: NewAccount, capsys: pytest.CaptureFixture[str]
) -> None:
    lead_id, _ = await lead_with_history(container, account)

    assert await run_cli(container.settings, "audit", str(lead_id), "--json") == 0

    envelopes = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["version"] for e in envelopes] == [1, 2, 3, 4]
    assert [e["type"] for e in envelopes] == ["LeadCreated", "LeadUpdated", "LeadStatusChanged", "LeadUpdated"]
    assert envelopes[1]["data"] == {"changes": {"company": {"from": "Acme", "to": "Acme Inc"}}}
    assert envelopes[0]["request"]["ip"] == "203.0.113.9" and envelopes[0]["lead_id"] == str(lead_id)


async def test_audit_of_an_unknown_lead_fails(container: Container, capsys: pytest.CaptureFixture[str]) -> None:
    assert await run_cli(container.settings, "audit", "01900000-0000-7000-8000-000000000000") == 1
    assert "no lead" in capsys.readouterr().err


async def test_at_shows_the_lead_as_each_command_left_it(
    container: Container, account: NewAccount, capsys: pytest.CaptureFixture[str]
) -> None:
    lead_id, documents = await lead_with_history(container, account)
    capsys.readouterr()

    assert await run_cli(container.settings, "audit", str(lead_id), "--at", "2000-01-01") == 1
    for document in documents:
        # the time as the API shows it (milliseconds): the event shown then is part of the lead then
        assert await run_cli(container.settings, "audit", str(lead_id), "--at", document["updated_at"]) == 0
        assert json.loads(capsys.readouterr().out) == document


async def test_at_and_the_api_as_of_agree_at_every_point_of_a_history(
    container: Container, account: NewAccount, capsys: pytest.CaptureFixture[str]
) -> None:
    lead_id, documents = await lead_with_history(container, account)
    async with container.pool.acquire() as conn:
        times = [
            r["occurred_at"] for r in await conn.fetch("SELECT occurred_at FROM events WHERE stream_id = $1", lead_id)
        ]
    points = {
        t + delta for t in times for delta in (timedelta(0), timedelta(microseconds=-1000), timedelta(microseconds=400))
    }
    headers = {"Authorization": f"Bearer {account.api_key}"}
    async with testing.serve(container) as url, httpx.AsyncClient(base_url=url, headers=headers) as client:
        for point in sorted(points):
            shown = timestamp(point)
            response = await client.get(f"/v1/leads/{lead_id}", params={"as_of": shown})
            code = await run_cli(container.settings, "audit", str(lead_id), "--at", shown)
            cli = json.loads(capsys.readouterr().out) if code == 0 else None
            assert (response.status_code, code) in ((200, 0), (404, 1)), shown
            assert cli == (response.json() if code == 0 else None), shown
    assert cli == documents[-1]


TERMINAL_TITLE = "\u001b]0;owned\u0007"
FORGED_LINE = "Acme\nv9  2026-01-01T00:00:00.000Z  LeadConverted"
OBEYED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")  # newline aside


async def lead_with_hostile_text(container: Container, account: NewAccount) -> UUID:
    """A lead whose history holds text written before control characters were refused, and a request path of
    raw bytes: values a terminal would obey if printed as they are."""
    metadata = request_metadata(account, "PATCH", "/v1/leads/\x9b2J\u202e")
    outcome = await container.handler.execute(create_cmd(account), account_id=account.account_id, metadata=metadata)
    changes = {"first_name": {"from": "Sarah", "to": TERMINAL_TITLE}, "company": {"from": None, "to": FORGED_LINE}}
    async with container.pool.acquire() as conn, conn.transaction():
        await store.append(
            conn,
            account_id=account.account_id,
            stream_id=outcome.lead.id,
            stream_type="lead",
            expected_version=1,
            events=[store.NewEvent(type="LeadUpdated", data={"changes": changes}, metadata=metadata)],
            occurred_at=now(),
        )
    return outcome.lead.id


async def test_audit_escapes_what_it_prints_from_data(
    container: Container, account: NewAccount, capsys: pytest.CaptureFixture[str]
) -> None:
    lead_id = await lead_with_hostile_text(container, account)

    assert await run_cli(container.settings, "audit", str(lead_id)) == 0
    text = capsys.readouterr().out
    assert await run_cli(container.settings, "audit", str(lead_id), "--json") == 0
    lines = capsys.readouterr().out.splitlines()
    assert await run_cli(container.settings, "audit", str(lead_id), "--at", timestamp(now())) == 0
    document = capsys.readouterr().out

    assert OBEYED.search(text) is None and OBEYED.search(document) is None
    assert 'first_name: "Sarah" -> "\\u001b]0;owned\\u0007"' in text and "via PATCH /v1/leads/\\x9b2J\\u202e" in text
    assert "Acme\\nv9" in text and not any(line.startswith("v9") for line in text.splitlines())
    envelopes = [json.loads(line) for line in lines]
    assert len(envelopes) == 2 and envelopes[1]["data"]["changes"]["company"]["to"] == FORGED_LINE
    assert all(OBEYED.search(line) is None for line in lines)
    assert json.loads(document)["first_name"] == TERMINAL_TITLE
