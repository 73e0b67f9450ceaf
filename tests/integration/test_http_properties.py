"""Property: every create or patch body is accepted and stored exactly, or refused naming a field. Never a 500."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from leadstore.bootstrap import Container
from leadstore.http.testing import serve
from leadstore.store.accounts import create_account
from leadstore.store.events import Checkpoint

CUSTOM_FIELDS = [
    {"key": "tier", "label": "Tier", "type": "choice", "choices": ["gold", "silver"]},
    {"key": "tags", "label": "Tags", "type": "multi_choice", "choices": ["a", "b", "c"]},
    {"key": "size", "label": "Size", "type": "number"},
    {"key": "vip", "label": "VIP", "type": "boolean"},
    {"key": "since", "label": "Since", "type": "date"},
    {"key": "memo", "label": "Memo", "type": "text"},
]
DEFAULTS: dict[str, Any] = {"score": 0, "do_not_call": False, "email_opt_out": False, "marketing_attribution": []}
DEFAULTS |= {"custom": {}}
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ME = "<the account's user>"

# Text fields refuse control and format characters, line breaks in single-line fields, and blank values.
plain = st.text(st.characters(exclude_categories=["Cs", "Cc", "Cf", "Zl", "Zp"]), max_size=20).filter(
    lambda text: text == "" or not text.isspace()
)
emails = st.from_regex(r"[a-zA-Z0-9]{1,12}(\.[a-z0-9]{1,5})?@[a-z]{1,10}\.(com|org|DE)", fullmatch=True)
urls = st.from_regex(r"https?://[a-z]{1,8}\.(com|io)(/[a-zA-Z0-9_-]{0,8})?(\?q=[a-z0-9]{1,4})?", fullmatch=True)
SAFE = 2**53 - 1  # custom numbers are float64-safe
numbers = st.one_of(st.integers(-SAFE, SAFE), st.floats(-SAFE, SAFE))
codes = st.sampled_from(["US", "de", "gb", "Fr", "jp"])


def nullable(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


VALID: dict[str, st.SearchStrategy[Any]] = {
    **{field: nullable(plain) for field in ["first_name", "last_name", "title", "department", "company"]},
    **{field: nullable(plain) for field in ["company_id", "description", "notes", "message"]},
    "email": nullable(emails),
    "phone": nullable(st.sampled_from(["+1-555-234-5678", "+44 20 7946 0958", "+49 30 1234567", "+15552345678"])),
    "source": nullable(st.sampled_from(["website", "partner", "other"])),
    "status": st.sampled_from(["new", "contacted", "qualified"]),
    "score": nullable(st.integers(0, 100)),
    "preferred_contact": nullable(st.sampled_from(["email", "phone", "sms", "any"])),
    "source_page_url": nullable(urls),
    "marketing_attribution": nullable(st.lists(plain, max_size=4)),
    "mailing_address": nullable(
        st.fixed_dictionaries(
            {},
            optional={
                **dict.fromkeys(["street", "city", "state", "postal_code"], nullable(plain)),
                "country": nullable(codes),
            },
        )
    ),
    "country": nullable(codes),
    "do_not_call": nullable(st.booleans()),
    "email_opt_out": nullable(st.booleans()),
    "custom": nullable(
        st.fixed_dictionaries(
            {},
            optional={
                "tier": nullable(st.sampled_from(["gold", "silver"])),
                "tags": st.lists(st.sampled_from(["a", "b", "c"]), unique=True),
                "size": numbers,
                "vip": st.booleans(),
                "since": st.dates().map(lambda day: day.isoformat()),
                "memo": plain,
            },
        )
    ),
    "assigned_to": st.sampled_from([None, ME]),
}
INVALID: dict[str, st.SearchStrategy[Any]] = {
    **{
        field: st.sampled_from(["x" * 256, "nul\x00", "\x1b]0;t\x07", "a\u202eb", " ", "\u200b", "a\nb", 7, ["a"]])
        for field in ["first_name", "last_name", "title"]
    },
    "company_id": st.sampled_from(["x" * 65, 12]),
    "notes": st.sampled_from(["x" * 10_001, False]),
    "email": st.sampled_from(["nope", "a@", "@b.com", 5]),
    "phone": st.sampled_from(["abc", "12", "+1 555 234 5678 ext. 12", True]),
    "source": st.sampled_from(["nope", 3]),
    "status": st.sampled_from(["nope", 1]),
    "score": st.sampled_from([-1, 101, "5", True, 1.5]),
    "preferred_contact": st.sampled_from(["fax", 1]),
    "source_page_url": st.sampled_from(["ftp://x.y", "example.com", "https://", "http://exa mple.com"]),
    "marketing_attribution": st.sampled_from([["x"] * 51, "tag", [1], ["a" * 256]]),
    "mailing_address": st.sampled_from(["Main St", {"planet": "x"}, {"country": "XX"}, {"city": 5}, [1]]),
    "country": st.sampled_from(["XX", "usa", 5]),
    "do_not_call": st.sampled_from([1, "true"]),
    "custom": st.sampled_from(
        [
            {"tier": "bronze"},
            {"unknown": 1},
            {"size": "big"},
            {"size": SAFE + 1},
            {"since": "2026-02-30"},
            {"tags": ["a", "a"]},
            [1],
        ]
    ),
    "team_id": st.one_of(st.uuids().map(str), st.just("team")),
    "assigned_to": st.one_of(st.uuids().map(str), st.just("me")),
    "bogus": plain,
    "version": st.integers(),
}


@st.composite
def bodies(draw: st.DrawFn, *, status_nullable: bool = True) -> dict[str, Any]:
    """A valid body, with up to two fields then made invalid."""
    valid = dict(VALID) | ({"status": nullable(VALID["status"])} if status_nullable else {})
    body: dict[str, Any] = draw(st.fixed_dictionaries({}, optional=valid))
    for field in draw(st.lists(st.sampled_from(sorted(INVALID)), max_size=2, unique=True)):
        body[field] = draw(INVALID[field])
    return body


@dataclass
class Session:
    """One account's client, its admin's id, and where its event feed was last read."""

    http: httpx.AsyncClient
    user_id: str
    feed: str = "0.0"
    lead: str = ""

    def resolved(self, body: dict[str, Any]) -> dict[str, Any]:
        return {key: self.user_id if value == ME else value for key, value in body.items()}

    async def new_events(self, written: httpx.Response) -> list[dict[str, Any]]:
        """The account's lead events since the last call, up to the write `written` made when it made one (the feed
        shows an event only once every older transaction has ended, so a fresh write may show a moment later)."""
        position = written.headers.get("leadstore-position") if written.status_code < 300 else None
        last = Checkpoint.parse(position) if position else None
        events: list[dict[str, Any]] = []
        for _ in range(500):
            page = (await self.http.get("/v1/events", params={"after": self.feed, "limit": 1000})).json()
            self.feed, events = page["next_cursor"], events + [e for e in page["data"] if e["lead_id"]]
            if last is None or Checkpoint.parse(self.feed) >= last:
                return events
            await asyncio.sleep(0.02)
        raise AssertionError(f"the feed never reached {position}")


@pytest.fixture(scope="module")
async def session(container: Container) -> AsyncIterator[Session]:
    async with container.pool.acquire() as conn:
        account = await create_account(conn, "properties", "props@example.com")
    headers = {"Authorization": f"Bearer {account.api_key}"}
    async with serve(container) as url, httpx.AsyncClient(base_url=url, headers=headers, timeout=20) as http:
        for field in CUSTOM_FIELDS:
            assert (await http.post("/v1/custom-fields", json=field)).status_code == 201
        yield Session(http, str(account.user_id))


def numbers_equal(left: Any, right: Any) -> bool:
    """JSON equality, numbers compared as numbers: PostgreSQL's jsonb keeps a custom number's decimal value but
    writes it its own way (1e20 comes back as 100000000000000000000)."""
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(numbers_equal(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(numbers_equal(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, int | float) and isinstance(right, int | float) and bool not in (type(left), type(right)):
        return float(left) == float(right)
    return bool(left == right and type(left) is type(right))


def expected_value(field: str, sent: Any, before: dict[str, Any] | None) -> Any:
    """What a lead holds after `field` was written with `sent` (merging into `before` for a patch)."""
    if sent is None:
        return DEFAULTS.get(field)
    if field == "country":
        return sent.upper()
    if field == "mailing_address":
        merged = dict((before or {}).get("mailing_address") or {})
        merged.update({k: (v.upper() if k == "country" else v) for k, v in sent.items() if v is not None})
        return {k: v for k, v in merged.items() if k not in sent or sent[k] is not None}
    if field == "custom":
        merged = dict((before or {}).get("custom") or {}) | sent
        return {k: v for k, v in merged.items() if v is not None}
    return sent


def assert_stored_exactly(body: dict[str, Any], lead: dict[str, Any], before: dict[str, Any] | None = None) -> None:
    for field, sent in body.items():
        if field == "phone":
            assert (sent is None and lead["phone"] is None) or re.fullmatch(r"\+[0-9]{4,15}", lead["phone"])
        else:
            assert numbers_equal(lead[field], expected_value(field, sent, before)), (field, sent, lead[field])


def assert_refusal_names_fields(response: httpx.Response, body: dict[str, Any]) -> None:
    problem = response.json()
    assert problem["errors"], problem
    for error in problem["errors"]:
        root = re.split(r"[.\[]", error["field"])[0]
        assert root in body or (error["field"] == "first_name" and error["code"] == "required"), error


@SETTINGS
@given(body=bodies())
async def test_create_bodies_are_stored_exactly_or_refused_naming_a_field(
    session: Session, body: dict[str, Any]
) -> None:
    http, body = session.http, session.resolved(body)
    response = await http.post("/v1/leads", json=body)
    events = await session.new_events(response)
    event(f"create {response.status_code}")

    assert response.status_code in (201, 409, 422), response.text
    if response.status_code == 201:
        lead = response.json()
        assert numbers_equal((await http.get(f"/v1/leads/{lead['id']}")).json(), lead)
        assert_stored_exactly({k: v for k, v in body.items() if k != "status" or v is not None}, lead)
        assert [e["type"] for e in events] == ["LeadCreated"]
    else:
        assert response.status_code == 422 or response.json()["code"] == "duplicate_email"
        assert_refusal_names_fields(response, body)
        assert events == []


@SETTINGS
@given(body=bodies(status_nullable=False))
async def test_patch_bodies_are_merged_exactly_or_refused_naming_a_field(
    session: Session, body: dict[str, Any]
) -> None:
    http, body = session.http, session.resolved(body)
    created = await http.post("/v1/leads", json={"first_name": "Base", "mailing_address": {"city": "Rome"}})
    base = created.json()
    await session.new_events(created)
    response = await http.patch(f"/v1/leads/{base['id']}", json=body)
    events = await session.new_events(response)
    event(f"patch {response.status_code}")

    assert response.status_code in (200, 409, 422), response.text
    if response.status_code == 200:
        lead = response.json()
        assert numbers_equal((await http.get(f"/v1/leads/{base['id']}")).json(), lead)
        assert_stored_exactly(body, lead, base)
        assert lead["version"] == base["version"] + len(events)
    else:
        code = response.json()["code"]
        assert response.status_code == 422 or code == "duplicate_email", code
        assert_refusal_names_fields(response, body)
        assert events == []


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
ENDPOINTS = ["POST /v1/leads", "PATCH {lead}", "POST {lead}/assign", "POST {lead}/convert", "POST {lead}/archive"]


@SETTINGS
@given(
    endpoint=st.sampled_from(ENDPOINTS),
    body=st.one_of(json_values.map(lambda v: json.dumps(v).encode()), st.binary(max_size=40)),
)
async def test_no_body_yields_a_server_error(session: Session, endpoint: str, body: bytes) -> None:
    http = session.http
    if not session.lead:
        target = await http.post("/v1/leads", json={"first_name": "Target"})
        session.lead = target.json()["id"]
        await session.new_events(target)
    method, path = endpoint.format(lead=f"/v1/leads/{session.lead}").split(" ")
    response = await http.request(method, path, content=body, headers={"Content-Type": "application/json"})
    events = await session.new_events(response)

    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
        assert events == []
