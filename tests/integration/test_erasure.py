"""Erasure (issue 13): POST /v1/leads/{id}/erase removes a person from every place leadstore keeps them,
atomically and once, while the lead's non-personal history stays; an erased lead takes no more writes."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import nats
import pytest
from nats.js.errors import NotFoundError
from uuid_utils.compat import uuid7

from leadstore.bootstrap import Container, bootstrap
from leadstore.domain.commands import EraseLead, UpdateLead
from leadstore.domain.errors import LeadWasErased
from leadstore.embedded_nats import EmbeddedNats
from leadstore.handler import LeadCommandHandler
from leadstore.http.testing import add_user, serve
from leadstore.publishing import STREAM
from leadstore.publishing.delivery import decoder
from leadstore.settings import Settings
from leadstore.store import events as store
from leadstore.store.accounts import NewAccount, create_account
from leadstore.store.db import Conn
from leadstore.store.lead_store import LeadSession, PostgresLeadStore, PostgresSession
from tests.integration.helpers import (
    FAST_PUBLISHING,
    META,
    admin,
    assert_problem,
    client,
    create,
    create_cmd,
    now,
    run_cli,
    settle,
    stored_count,
)

REASON = {"reason": "GDPR art. 17 request #118"}
# every table of the database, to be read whole
TABLES = """
SELECT table_schema, table_name FROM information_schema.tables
WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')"""
LEAD_EVENTS = "SELECT type, version FROM events WHERE stream_id = $1 ORDER BY version"


class Person:
    """A lead's personal values, unique to one test, so that finding one anywhere means it leaked."""

    def __init__(self) -> None:
        tag = uuid7().hex[-10:]
        self.first_name, self.last_name = f"Zelda{tag}", f"Quuxley{tag}"
        self.email = f"zelda.{tag}@example.com"
        self.phone = f"+1202{random.randint(230, 989)}{random.randint(0, 9999):04d}"
        self.notes, self.street = f"met at the fair {tag}", f"{tag} Erasure Lane"
        self.user_agent = f"erasure-test/{tag}"
        self.hobby = f"collects {tag} engines"  # a custom value: personal too

    def fields(self) -> dict[str, Any]:
        return {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "email": self.email,
            "phone": self.phone,
            "title": "Countess",
            "notes": self.notes,
            "mailing_address": {"street": self.street, "city": "London", "country": "GB"},
            "company": "Analytical Engines",
            "score": 40,
            "source": "website",
        }

    def values(self) -> list[str]:
        return [
            self.first_name,
            self.last_name,
            self.email,
            self.phone,
            self.notes,
            self.street,
            self.user_agent,
            self.hobby,
        ]

    def found_in(self, text: str) -> list[str]:
        """The values `text` holds, as they are or hex-encoded (a bytea column cast to text)."""
        lowered = text.lower()
        return [v for v in self.values() if v.lower() in lowered or v.encode().hex() in lowered]


@pytest.fixture
async def own(own_database: str, restartable_nats: EmbeddedNats) -> AsyncIterator[Container]:
    """A container over a database and a NATS server of this test's own: every table is scanned whole, the
    read model replayed and the whole log published afresh."""
    settings = Settings(database_url=own_database, nats_url=restartable_nats.url, projection_poll_seconds=0.05)
    container = await bootstrap(settings, publishing=FAST_PUBLISHING)
    yield container
    await container.close()


async def erase(http: httpx.AsyncClient, lead_id: str, **headers: str) -> httpx.Response:
    return await http.post(f"/v1/leads/{lead_id}/erase", json=REASON, headers=headers)


async def leaks(container: Container, person: Person) -> list[str]:
    """`table: value` for each personal value found in any row of any table, the events included."""
    found = []
    async with container.pool.acquire() as conn:
        for schema, table in await conn.fetch(TABLES):
            for row in await conn.fetch(f'SELECT t::text AS row FROM "{schema}"."{table}" t'):
                found += [f"{table}: {value}" for value in person.found_in(row["row"])]
    return found


async def feed_text(http: httpx.AsyncClient) -> str:
    """The account's whole event feed (GET /v1/events), as the text of its pages."""
    pages, after = [], None
    while True:
        response = await http.get("/v1/events", params={"limit": 1000} | ({"after": after} if after else {}))
        assert response.status_code == 200, response.text
        pages.append(response.text)
        if not response.json()["has_more"]:
            return "".join(pages)
        after = response.json()["next_cursor"]


async def published_bodies(container: Container, account: NewAccount, server: EmbeddedNats) -> list[bytes]:
    """Every message the publisher sends of the account's lead events, published afresh from the log's start."""
    assert container.publisher is not None
    logged = await _logged(container, account)
    stop = asyncio.Event()
    task = asyncio.create_task(container.publisher.run(stop))
    try:
        await until_async(lambda: _stored(server.url, account.account_id), logged)
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)
    connection = await nats.connect(server.reader_url)
    try:
        subscription = await connection.jetstream().pull_subscribe(f"leads.{account.account_id}.*", stream=STREAM)
        messages: list[bytes] = []
        while len(messages) < logged:
            messages += [m.data for m in await subscription.fetch(logged - len(messages), timeout=15)]
    finally:
        await connection.close()
    return messages


async def _stored(nats_url: str, account_id: UUID) -> int:
    try:
        return await stored_count(nats_url, account_id)
    except NotFoundError:  # the publisher has not made the stream yet
        return 0


async def until_async(count: Callable[[], Awaitable[int]], target: int, within: float = 30) -> None:
    """Wait until `count()` reaches `target`."""
    deadline = asyncio.get_running_loop().time() + within
    while await count() < target:
        assert asyncio.get_running_loop().time() < deadline, "the publisher never published the whole log"
        await asyncio.sleep(0.1)


async def _logged(container: Container, account: NewAccount) -> int:
    async with container.pool.acquire() as conn:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM events WHERE account_id = $1 AND stream_type = 'lead'", account.account_id
        )
    return count


async def test_no_personal_value_of_an_erased_lead_is_left_anywhere(
    own: Container, restartable_nats: EmbeddedNats, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    async with own.pool.acquire() as conn:
        account = await create_account(conn, "erasure", "admin@example.com")
    person = Person()
    async with serve(own) as api, client(api, account.api_key, **{"User-Agent": person.user_agent}) as http:
        async with client(api, account.api_key) as configuring:  # an admin event: not the person's user agent
            hobby = {"key": "hobby", "label": "Hobby", "type": "text"}
            assert (await configuring.post("/v1/custom-fields", json=hobby)).status_code == 201
        lead = await create(http, **person.fields(), custom={"hobby": person.hobby})
        keyed = {"Idempotency-Key": f"k-{uuid7().hex}"}  # its stored response holds the lead's document
        changed = await http.patch(f"/v1/leads/{lead['id']}", json={"notes": person.notes + "!"}, headers=keyed)
        assert changed.status_code == 200, changed.text
        assert (await http.patch(f"/v1/leads/{lead['id']}", json={"status": "contacted"})).status_code == 200
        async with client(api, account.api_key) as bystanders:  # not the person's user agent
            other = await create(bystanders, first_name="Bystander", email=f"by.{uuid7().hex[-8:]}@example.com")
        assert person.found_in((await http.get(f"/v1/leads/{lead['id']}")).text)  # the test can see a leak

        erased = await erase(http, lead["id"])
        assert erased.status_code == 200, erased.text
        await settle(own.runner("lead_list"))

        doc = erased.json()
        assert doc["erased"] is True and doc["version"] == 4
        assert all(doc[f] is None for f in ("first_name", "last_name", "email", "phone", "title", "notes"))
        assert (doc["mailing_address"], doc["custom"], doc["full_name"]) == (None, {}, "")
        assert (doc["status"], doc["score"], doc["source"], doc["company"]) == (
            "contacted",
            40,
            "website",
            "Analytical Engines",
        )
        replayed = await http.patch(f"/v1/leads/{lead['id']}", json={"notes": person.notes + "!"}, headers=keyed)
        assert replayed.headers["idempotent-replayed"] == "true" and not person.found_in(replayed.text)
        for path in (f"/v1/leads/{lead['id']}", f"/v1/leads/{lead['id']}/events", "/v1/leads?limit=200"):
            assert not person.found_in((await http.get(path)).text), path
        assert not person.found_in(await feed_text(http))
        assert (await http.get(f"/v1/leads/{other['id']}")).json()["first_name"] == "Bystander"

    assert await leaks(own, person) == []  # every table, the raw event rows included

    assert await run_cli(own.settings, "export") == 0
    exported = capsysbinary.readouterr().out
    assert exported.count(b"\n") >= 6 and not person.found_in(exported.decode())

    for audit in ([], ["--json"], ["--at", lead["created_at"]]):  # leadstore audit, each way
        assert await run_cli(own.settings, "audit", lead["id"], *audit) == 0
        printed = capsysbinary.readouterr().out.decode()
        assert (printed.strip() and "LeadErased" in printed) or '"erased": true' in printed, audit
        assert not person.found_in(printed), audit

    assert await run_cli(own.settings, "replay") == 0
    assert await leaks(own, person) == []
    assert await run_cli(own.settings, "verify") == 0

    bodies = await published_bodies(own, account, restartable_nats)
    assert [decoder.decode(b).type for b in bodies].count("LeadErased") == 1
    assert not person.found_in(b"".join(bodies).decode())


def _doc_without_personal(doc: dict[str, Any]) -> None:
    assert doc["erased"] is True
    assert all(doc[f] is None for f in ("first_name", "last_name", "email", "phone", "notes", "mailing_address"))


async def test_the_company_stays_and_an_erased_leads_history_keeps_its_non_personal_facts(
    api: str, container: Container, account: NewAccount
) -> None:
    person = Person()
    async with client(api, account.api_key) as http:
        lead = await create(http, **person.fields())
        born = lead["created_at"]
        await http.post(f"/v1/leads/{lead['id']}/assign", json={"assigned_to": str(account.user_id)})
        await http.patch(f"/v1/leads/{lead['id']}", json={"status": "qualified", "score": 70})
        await http.post(f"/v1/leads/{lead['id']}/archive", json={"reason": "cold"})
        erased = (await erase(http, lead["id"])).json()
        events = (await http.get(f"/v1/leads/{lead['id']}/events")).json()["data"]
        then = await http.get(f"/v1/leads/{lead['id']}", params={"as_of": born})

    _doc_without_personal(erased)
    assert (erased["company"], erased["assigned_to"], erased["archived"]) == (
        "Analytical Engines",
        str(account.user_id),
        True,
    )
    assert (erased["status"], erased["score"], erased["created_by"]) == ("qualified", 70, str(account.user_id))
    types = [e["type"] for e in events]
    assert types == ["LeadCreated", "LeadAssigned", "LeadUpdated", "LeadStatusChanged", "LeadArchived", "LeadErased"]
    assert events[-1]["data"] == REASON and [e["version"] for e in events] == [1, 2, 3, 4, 5, 6]
    assert events[0]["data"]["status"] == "new" and events[0]["data"]["score"] == 40
    assert events[3]["data"]["to"] == "qualified" and events[1]["data"]["to"] == str(account.user_id)
    assert not person.found_in(str(events))  # the personal values of the log read as null (encryption at rest)

    assert then.status_code == 200 and then.json()["version"] == 1
    _doc_without_personal(then.json())
    assert (then.json()["status"], then.json()["score"], then.json()["company"]) == ("new", 40, "Analytical Engines")


async def test_erasure_is_idempotent_and_bad_requests_write_nothing(
    api: str, container: Container, account: NewAccount
) -> None:
    async with client(api, account.api_key) as http:
        lead = await create(http, **Person().fields())
        bad = {
            "unknown": await http.post(f"/v1/leads/{lead['id']}/erase", json={"reason": "x", "why": "y"}),
            "missing": await http.post(f"/v1/leads/{lead['id']}/erase", json={}),
            "blank": await http.post(f"/v1/leads/{lead['id']}/erase", json={"reason": "  "}),
            "long": await http.post(f"/v1/leads/{lead['id']}/erase", json={"reason": "x" * 1_001}),
            "control": await http.post(f"/v1/leads/{lead['id']}/erase", json={"reason": "a\x1b[2Jb"}),
            "not_json": await http.post(f"/v1/leads/{lead['id']}/erase", content=b"{"),
        }
        unknown_lead = await erase(http, str(UUID(int=13)))
        untouched = await http.get(f"/v1/leads/{lead['id']}")
        first = await erase(http, lead["id"])
        second = await erase(http, lead["id"])
        keyed = {"Idempotency-Key": f"erase-{uuid7().hex}"}
        third, replay = await erase(http, lead["id"], **keyed), await erase(http, lead["id"], **keyed)
        async with container.pool.acquire() as conn:
            events = [tuple(r) for r in await conn.fetch(LEAD_EVENTS, UUID(lead["id"]))]

    assert_problem(bad["unknown"], 422, "validation_failed", "why")
    assert_problem(bad["missing"], 422, "validation_failed", "reason")
    for name in ("blank", "long", "control"):
        assert_problem(bad[name], 422, "validation_failed", "reason")
    assert bad["not_json"].status_code in (400, 415)
    assert_problem(unknown_lead, 404, "not_found")
    assert untouched.json()["erased"] is False and untouched.json()["version"] == 1

    assert first.status_code == second.status_code == third.status_code == replay.status_code == 200
    assert first.json() == second.json() == third.json() == replay.json()
    assert first.headers["etag"] == second.headers["etag"] == '"2"'
    assert first.headers["leadstore-position"] == second.headers["leadstore-position"]
    assert replay.headers["idempotent-replayed"] == "true"
    assert events == [("LeadCreated", 1), ("LeadErased", 2)]  # erased once, whatever the repeats


async def test_concurrent_erasures_of_one_lead_append_one_lead_erased(
    api: str, container: Container, account: NewAccount
) -> None:
    async with client(api, account.api_key) as http:
        lead = await create(http, **Person().fields())
        answers = await asyncio.gather(*(erase(http, lead["id"]) for _ in range(12)))
    async with container.pool.acquire() as conn:
        events = [tuple(r) for r in await conn.fetch(LEAD_EVENTS, UUID(lead["id"]))]
    assert [a.status_code for a in answers] == [200] * 12
    assert all(a.json() == answers[0].json() for a in answers) and answers[0].json()["version"] == 2
    assert events == [("LeadCreated", 1), ("LeadErased", 2)]


async def test_only_an_admin_of_the_account_can_erase(api: str, container: Container, account: NewAccount) -> None:
    _, member_key = await add_user(container, account.account_id, "member")
    _, manager_key = await add_user(container, account.account_id, "manager")
    async with container.pool.acquire() as conn:
        stranger = await create_account(conn, "another", "admin@example.com")
    async with client(api, member_key) as member:
        own_lead = await create(member, **Person().fields())  # a member's own lead: still admins only
        async with client(api, account.api_key) as http:
            lead = await create(http, **Person().fields())
            async with client(api, manager_key) as manager, client(api, stranger.api_key) as other:
                refused = {
                    "member": await erase(member, own_lead["id"]),
                    "manager": await erase(manager, lead["id"]),
                    "stranger": await erase(other, lead["id"]),
                }
            versions = [(await http.get(f"/v1/leads/{t['id']}")).json()["version"] for t in (lead, own_lead)]
    assert_problem(refused["member"], 403, "forbidden")
    assert_problem(refused["manager"], 403, "forbidden")
    assert_problem(refused["stranger"], 404, "not_found")
    assert versions == [1, 1]  # nothing written


async def test_an_erased_email_is_free_again_and_exactly_one_of_many_creates_takes_it(
    api: str, container: Container, account: NewAccount
) -> None:
    person = Person()
    async with client(api, account.api_key) as http:
        lead = await create(http, **person.fields())
        taken = await http.post("/v1/leads", json={"email": person.email.upper()})
        assert_problem(taken, 409, "duplicate_email", "email")
        assert (await erase(http, lead["id"])).status_code == 200

        spellings = [person.email, person.email.upper(), person.email.title()] * 8
        creates = await asyncio.gather(*(http.post("/v1/leads", json={"email": e}) for e in spellings))
        listed = await http.get("/v1/leads", params={"email": person.email})

    winners = [r for r in creates if r.status_code == 201]
    assert len(winners) == 1, [r.status_code for r in creates]
    for response in creates:
        if response.status_code != 201:
            assert_problem(response, 409, "duplicate_email", "email")
    async with container.pool.acquire() as conn:
        owner = await conn.fetchval(
            "SELECT lead_id FROM lead_emails WHERE account_id = $1 AND email_lower = $2",
            account.account_id,
            person.email.lower(),
        )
    assert str(owner) == winners[0].json()["id"]
    assert listed.status_code == 200


WRITERS = 24


async def _race(http: httpx.AsyncClient, manager: httpx.AsyncClient, lead_id: str, user: str) -> list[httpx.Response]:
    """WRITERS writes of four kinds (score, assignee, notes, status) and one erasure (last), started together."""
    start = asyncio.Event()

    async def write(n: int) -> httpx.Response:
        await start.wait()
        await asyncio.sleep(random.random() * 0.06)
        match n % 4:
            case 0:
                return await manager.patch(f"/v1/leads/{lead_id}", json={"score": n + 1})
            case 1:
                return await http.post(
                    f"/v1/leads/{lead_id}/assign", json={"assigned_to": user if n % 8 == 1 else None}
                )
            case 2:
                return await http.patch(f"/v1/leads/{lead_id}", json={"notes": f"note {n}"})
            case _:
                status = "contacted" if n % 8 == 3 else "qualified"
                return await manager.patch(f"/v1/leads/{lead_id}", json={"status": status})

    async def erasure() -> httpx.Response:
        await start.wait()
        await asyncio.sleep(0.03)
        return await erase(http, lead_id)

    tasks = [asyncio.create_task(write(n)) for n in range(WRITERS)] + [asyncio.create_task(erasure())]
    start.set()
    return list(await asyncio.gather(*tasks))


async def test_writes_racing_an_erasure_land_before_it_or_are_refused(
    api: str, container: Container, account: NewAccount
) -> None:
    """Many writers (patches, assignments, status changes) race one erasure: each write either commits before
    LeadErased (its version precedes it) or is 409 lead_erased; none lands after it, none is lost or doubled."""
    _, manager_key = await add_user(container, account.account_id, "manager")
    landed_total = refused_total = 0
    async with client(api, account.api_key) as http, client(api, manager_key) as manager:
        for _round in range(4):
            lead = await create(http, **Person().fields())
            *responses, erased = await _race(http, manager, lead["id"], str(account.user_id))
            after = await http.patch(f"/v1/leads/{lead['id']}", json={"score": 1})
            async with container.pool.acquire() as conn:
                events = [tuple(r) for r in await conn.fetch(LEAD_EVENTS, UUID(lead["id"]))]

            assert erased.status_code == 200, erased.text
            erased_at = erased.json()["version"]
            assert events[-1] == ("LeadErased", erased_at)
            assert [version for _, version in events] == list(range(1, erased_at + 1))  # contiguous, no doubles
            landed = [r for r in responses if r.status_code == 200]
            for response in responses:
                if response.status_code != 200:
                    assert_problem(response, 409, "lead_erased")
            versions = [int(r.headers["etag"].strip('"')) for r in landed]
            assert all(version < erased_at for version in versions)
            # every event between the creation and the erasure is some landed write's (a write that changed
            # nothing, such as assigning the current assignee, lands with the version it found)
            assert {v for _, v in events[1:-1]} <= set(versions)
            assert_problem(after, 409, "lead_erased")
            landed_total, refused_total = landed_total + len(landed), refused_total + WRITERS - len(landed)
    assert landed_total and refused_total, (landed_total, refused_total)  # the race was run, both ways


async def test_the_openapi_document_describes_the_erase_route(api: str) -> None:
    async with httpx.AsyncClient(base_url=api) as http:
        schema = (await http.get("/schema/openapi.json")).json()
    operation = schema["paths"]["/v1/leads/{lead_id}/erase"]["post"]
    assert operation["operationId"] == "eraseLead" and operation["tags"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body["$ref"].endswith("EraseInput")
    assert operation["requestBody"]["content"]["application/json"]["examples"]
    assert {"200", "403", "404", "409", "422"} <= operation["responses"].keys()
    assert operation["responses"]["409"]["content"]["application/problem+json"]
    answered = operation["responses"]["200"]
    assert answered["content"]["application/json"]["examples"]
    assert {"ETag", "Leadstore-Position"} <= answered.get("headers", {}).keys(), answered.get("headers")
    lead_schema = schema["components"]["schemas"]["LeadOut"]
    assert lead_schema["properties"]["erased"]["type"] == "boolean"
    assert "LeadErased" in str(schema["components"]["schemas"]["EventOut"])


async def test_the_list_shows_an_erased_lead_with_its_row_erased(
    api: str, container: Container, account: NewAccount
) -> None:
    person = Person()
    async with client(api, account.api_key) as http:
        lead = await create(http, **person.fields())
        erased = await erase(http, lead["id"])
        await settle(container.runner("lead_list"))
        by_status = await http.get("/v1/leads", params={"status": "new", "limit": 200})
        by_email = await http.get("/v1/leads", params={"email": person.email})
        by_phone = await http.get("/v1/leads", params={"phone": person.phone})
        by_name = await http.get("/v1/leads", params={"q": person.first_name})
    assert erased.status_code == 200
    [row] = [doc for doc in by_status.json()["data"] if doc["id"] == lead["id"]]
    assert row == erased.json()
    for found in (by_email, by_phone, by_name):
        assert found.status_code == 200 and found.json()["data"] == []
    async with container.pool.acquire() as conn:
        stored = await conn.fetchrow("SELECT lead_list::text AS row FROM lead_list WHERE id = $1", UUID(lead["id"]))
    assert stored is not None and person.found_in(stored["row"]) == []


class ErasedBetweenEventsAndKey(PostgresSession):
    """A lock-free session whose first stream read is split where an erasure may commit: the lead's events are
    read, `erase` runs and commits, then the data keys are read (as `PostgresSession.read_stream` does it,
    in two statements)."""

    def __init__(self, conn: Conn, erase: Callable[[], Awaitable[object]] | None) -> None:
        super().__init__(conn, locked=False)
        self.erase = erase

    async def read_stream(self, lead_id: UUID) -> list[store.RecordedEvent]:
        if self.erase is None:
            return await super().read_stream(lead_id)
        rows = await self.conn.fetch(store.READ_STREAM, lead_id, None)
        await self.erase()
        self.erase = None
        return await store.open_events(self.conn, rows, self.keys)


class InterleavedStore(PostgresLeadStore):
    """The real store, but its first lock-free session is an ErasedBetweenEventsAndKey."""

    def __init__(self, pool: asyncpg.Pool, erase: Callable[[], Awaitable[object]]) -> None:
        super().__init__(pool)
        self.erase: Callable[[], Awaitable[object]] | None = erase

    @contextlib.asynccontextmanager
    async def session(self, *, locked: bool, hold_rules: bool = False) -> AsyncIterator[LeadSession]:
        if locked or self.erase is None:
            async with super().session(locked=locked, hold_rules=hold_rules) as session:
                yield session
            return
        erase, self.erase = self.erase, None
        async with self.pool.acquire() as conn:
            yield ErasedBetweenEventsAndKey(conn, erase)


async def test_a_command_that_read_the_lead_before_its_erasure_and_its_key_after_is_refused_not_failed(
    container: Container, account: NewAccount
) -> None:
    """A lock-free command may read a lead's events before an erasure commits and its data key after it: its
    decision stands on the lead before erasure, with no key to seal its events. The lane decides again under
    the stream's lock: 409 lead_erased, nothing written after LeadErased."""
    created = await container.handler.execute(
        create_cmd(account, **Person().fields()), account_id=account.account_id, metadata=META
    )
    lead_id = created.lead.id
    erasure = EraseLead(lead_id=lead_id, actor=admin(account), now=now(), reason="request #3")

    async def erase() -> object:
        return await container.handler.execute(erasure, account_id=account.account_id, metadata=META)

    lane = LeadCommandHandler(InterleavedStore(container.pool, erase))
    late = UpdateLead(lead_id=lead_id, actor=admin(account), now=now(), changes={"notes": "late"})
    with pytest.raises(LeadWasErased):
        await lane.execute(late, account_id=account.account_id, metadata=META)
    async with container.pool.acquire() as conn:
        events = [tuple(r) for r in await conn.fetch(LEAD_EVENTS, lead_id)]
    assert events == [("LeadCreated", 1), ("LeadErased", 2)]
    assert lane.retries == 1  # it did read across the erasure, and decided again
