"""Merges, erasure and encryption at rest together (issues 13 and 14): what a merge takes is sealed with the
survivor's data key, an erased lead takes part in no merge and is nobody's duplicate, an erased merged lead
can not be unmerged, and erasing a survivor frees every address it holds. Imported leads are sealed too."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from uuid_utils.compat import uuid7

from leadstore.bootstrap import Container
from leadstore.http.testing import projecting, serve
from leadstore.store.accounts import NewAccount
from tests.integration.helpers import assert_problem, client, create
from tests.integration.imports_helpers import finished, import_worker, lead_by_email, queued

REASON = {"reason": "GDPR art. 17 request #7"}
RAW_ROWS = "SELECT e::text AS row FROM events e WHERE stream_id = $1 ORDER BY version"
UNCHANGED_BY_UNDO = ("version", "updated_at")
ROUNDS = 8


@pytest.fixture(scope="module")
async def api(container: Container) -> AsyncIterator[str]:
    async with serve(container) as url, projecting(container):
        yield url


def tagged() -> str:
    return uuid7().hex[-10:]


async def lead(http: httpx.AsyncClient, lead_id: str) -> dict[str, Any]:
    response = await http.get(f"/v1/leads/{lead_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def merge(http: httpx.AsyncClient, into: str, sources: list[str], **fields: str) -> httpx.Response:
    return await http.post(f"/v1/leads/{into}/merge", json={"from": sources, "fields": fields})


async def unmerge(http: httpx.AsyncClient, survivor: str, merge_event_id: str) -> httpx.Response:
    return await http.post(f"/v1/leads/{survivor}/unmerge", json={"merge_event_id": merge_event_id})


async def erase(http: httpx.AsyncClient, lead_id: str) -> httpx.Response:
    return await http.post(f"/v1/leads/{lead_id}/erase", json=REASON)


async def raw_rows(container: Container, lead_id: str) -> str:
    """The lead's stored event rows (data, metadata and all), as text."""
    async with container.pool.acquire() as conn:
        return "\n".join(row["row"] for row in await conn.fetch(RAW_ROWS, lead_id))


async def versions(container: Container, *lead_ids: str) -> list[int]:
    async with container.pool.acquire() as conn:
        return [await conn.fetchval("SELECT count(*) FROM events WHERE stream_id = $1", i) for i in lead_ids]


async def projected(http: httpx.AsyncClient, response: httpx.Response) -> None:
    """Wait until the lead list has applied the write that answered `response`."""
    position = response.headers["leadstore-position"]
    assert (await http.get("/v1/leads", params={"min_position": position, "limit": 1})).status_code == 200


async def all_pairs(http: httpx.AsyncClient) -> list[list[str]]:
    """Every candidate pair of the account (GET /v1/duplicates, page by page)."""
    pairs: list[list[str]] = []
    params: dict[str, Any] = {"limit": 100}
    for _ in range(100):
        page = (await http.get("/v1/duplicates", params=params)).json()
        pairs += [pair["lead_ids"] for pair in page["data"]]
        if not page["has_more"]:
            return pairs
        params["cursor"] = page["next_cursor"]
    raise AssertionError("the walk did not end")


def without_stamps(document: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key not in UNCHANGED_BY_UNDO}


async def test_a_merge_seals_what_it_takes_with_the_survivors_key_and_unmerge_opens_it(
    api: str, container: Container, account: NewAccount
) -> None:
    tag = tagged()
    agent = f"merge-crypto-test/{tag}"
    taken = [f"Zoe{tag}", f"zoe.{tag}@example.org", f"Quill{tag}", agent]
    async with client(api, account.api_key, **{"User-Agent": agent}) as http:
        survivor = await create(http, first_name=f"Ann{tag}", email=f"ann.{tag}@example.com", company="Acme")
        other = await create(
            http, first_name=f"Zoe{tag}", last_name=f"Quill{tag}", email=f"zoe.{tag}@example.org", score=5
        )
        before = {doc["id"]: await lead(http, doc["id"]) for doc in (survivor, other)}

        merged = await merge(
            http, survivor["id"], [other["id"]], email=other["id"], first_name=other["id"], last_name=other["id"]
        )
        assert merged.status_code == 200, merged.text
        assert (merged.json()["first_name"], merged.json()["email"]) == (f"Zoe{tag}", f"zoe.{tag}@example.org")
        stored = await raw_rows(container, survivor["id"])
        assert "LeadMerged" in stored  # the rows are there, and none of the values they carry is readable
        assert [value for value in taken if value.lower() in stored.lower()] == []
        assert [value for value in taken if value.lower() in (await raw_rows(container, other["id"])).lower()] == []

        now = await lead(http, survivor["id"])
        assert (now["first_name"], now["last_name"]) == (f"Zoe{tag}", f"Quill{tag}")
        history = (await http.get(f"/v1/leads/{survivor['id']}/events")).json()["data"]
        assert history[-1]["type"] == "LeadMerged"
        assert history[-1]["data"]["changes"]["email"] == {"from": f"ann.{tag}@example.com", "to": taken[1]}
        assert history[-1]["request"]["user_agent"] == agent

        undone = await unmerge(http, survivor["id"], merged.headers["leadstore-merge-event-id"])
        assert undone.status_code == 200, undone.text
        for lead_id, was in before.items():
            assert without_stamps(await lead(http, lead_id)) == without_stamps(was)
        stored = await raw_rows(container, survivor["id"])
        assert "LeadUnmerged" in stored and [value for value in taken if value.lower() in stored.lower()] == []


async def test_an_erased_lead_is_merged_neither_way_nor_anybodys_duplicate(
    api: str, container: Container, account: NewAccount
) -> None:
    tag = tagged()
    person: dict[str, Any] = {"first_name": f"Erin{tag}", "last_name": "Doe", "company": f"Dupe Co {tag}"}
    async with client(api, account.api_key) as http:
        kept = await create(http, **person)
        gone = await create(http, **person)
        third = await create(http, **person)
        listed = await http.post("/v1/leads", json=person)
        await projected(http, listed)
        found = (await http.get(f"/v1/leads/{kept['id']}/duplicates")).json()["data"]
        assert {item["lead"]["id"] for item in found} >= {gone["id"], third["id"]}

        erased = await erase(http, gone["id"])
        assert erased.status_code == 200, erased.text
        counts = await versions(container, kept["id"], gone["id"])
        assert_problem(await merge(http, kept["id"], [gone["id"]]), 409, "lead_erased")
        assert_problem(await merge(http, gone["id"], [kept["id"]]), 409, "lead_erased")
        assert_problem(await merge(http, kept["id"], [third["id"], gone["id"]]), 409, "lead_erased")
        assert await versions(container, kept["id"], gone["id"]) == counts  # nothing written

        await projected(http, erased)
        found = (await http.get(f"/v1/leads/{kept['id']}/duplicates")).json()["data"]
        assert gone["id"] not in {item["lead"]["id"] for item in found} and third["id"] in {
            item["lead"]["id"] for item in found
        }
        assert (await http.get(f"/v1/leads/{gone['id']}/duplicates")).json()["data"] == []
        pairs = await all_pairs(http)
        assert [kept["id"], third["id"]] in pairs or [third["id"], kept["id"]] in pairs
        assert not [pair for pair in pairs if gone["id"] in pair]
    async with container.pool.acquire() as conn:
        row = await conn.fetchrow("SELECT name_lower, company_lower FROM lead_list WHERE id = $1", gone["id"])
    assert row is not None and tuple(row) == (None, None)


async def test_an_erased_merged_lead_frees_its_address_and_its_merge_can_not_be_undone(
    api: str, container: Container, account: NewAccount
) -> None:
    tag = tagged()
    own, theirs = f"sam.{tag}@example.com", f"mia.{tag}@example.com"
    async with client(api, account.api_key) as http:
        survivor = await create(http, first_name="Sam", email=own)
        other = await create(http, first_name=f"Mia{tag}", email=theirs, phone="+1 555 234 5678")
        merged = await merge(http, survivor["id"], [other["id"]], first_name=other["id"])
        assert merged.status_code == 200, merged.text
        assert_problem(await http.post("/v1/leads", json={"email": theirs}), 409, "duplicate_email")

        erased = await erase(http, other["id"])
        assert erased.status_code == 200, erased.text
        doc = erased.json()
        assert doc["erased"] and doc["merged_into"] == survivor["id"] and doc["email"] is None
        assert (await erase(http, other["id"])).json()["version"] == doc["version"]  # idempotent still

        counts = await versions(container, survivor["id"], other["id"])
        undone = await unmerge(http, survivor["id"], merged.headers["leadstore-merge-event-id"])
        assert_problem(undone, 409, "lead_erased")
        assert await versions(container, survivor["id"], other["id"]) == counts
        # the survivor keeps what it took (its own values now, sealed with its own key), and its address
        assert (await lead(http, survivor["id"]))["first_name"] == f"Mia{tag}"
        assert_problem(await http.post("/v1/leads", json={"email": own.upper()}), 409, "duplicate_email")
        # the erased person's address is free, and no longer stored anywhere as a reservation
        assert (await http.post("/v1/leads", json={"email": theirs})).status_code == 201


async def test_an_erased_survivor_loses_what_it_took_and_frees_every_address_it_held(
    api: str, container: Container, account: NewAccount
) -> None:
    tag = tagged()
    own, theirs, third = (f"{name}.{tag}@example.com" for name in ("ray", "kim", "lou"))
    async with client(api, account.api_key) as http:
        survivor = await create(http, first_name="Ray", email=own)
        other = await create(http, first_name=f"Kim{tag}", email=theirs, notes=f"met {tag}")
        inner = await create(http, first_name="Lou", email=third)
        first = await merge(http, other["id"], [inner["id"]])  # Lou's address moves to Kim, then to Ray
        assert first.status_code == 200, first.text
        merged = await merge(http, survivor["id"], [other["id"]], first_name=other["id"], notes=other["id"])
        assert merged.status_code == 200, merged.text

        erased = await erase(http, survivor["id"])
        assert erased.status_code == 200, erased.text
        assert (erased.json()["first_name"], erased.json()["notes"], erased.json()["email"]) == (None, None, None)
        history = (await http.get(f"/v1/leads/{survivor['id']}/events")).text
        assert f"Kim{tag}" not in history and f"met {tag}" not in history
        stored = await raw_rows(container, survivor["id"])
        assert f"kim{tag}" not in stored.lower() and own not in stored.lower()

        for email in (own, theirs, third):
            assert (await http.post("/v1/leads", json={"email": email})).status_code == 201, email
        undone = await unmerge(http, survivor["id"], merged.headers["leadstore-merge-event-id"])
        assert_problem(undone, 409, "lead_erased")
        assert (await lead(http, other["id"]))["merged_into"] == survivor["id"]
        assert (await erase(http, other["id"])).status_code == 200  # its person can be erased too


async def test_merges_racing_the_erasure_of_a_merged_lead_land_before_it_or_are_refused(
    api: str, container: Container, account: NewAccount
) -> None:
    async with client(api, account.api_key) as http:
        for _ in range(ROUNDS):
            tag = tagged()
            survivor = await create(http, first_name="Ada", email=f"ada.{tag}@example.com")
            other = await create(http, first_name=f"Bo{tag}", email=f"bo.{tag}@example.com")
            jobs = [merge(http, survivor["id"], [other["id"]], first_name=other["id"]), erase(http, other["id"])]
            random.shuffle(jobs)
            answers = await asyncio.gather(*jobs)
            merged = next(a for a in answers if a.request.url.path.endswith("/merge"))
            assert (next(a for a in answers if a is not merged)).status_code == 200  # erasure always lands
            now = await lead(http, other["id"])
            assert now["erased"] is True
            events = (await http.get(f"/v1/leads/{other['id']}/events")).json()["data"]
            types = [event["type"] for event in events]
            if merged.status_code == 200:  # the merge first: the erasure of the merged lead after it
                assert types == ["LeadCreated", "LeadMergedInto", "LeadErased"] and now["merged_into"]
                assert (await lead(http, survivor["id"]))["first_name"] == f"Bo{tag}"
            else:
                assert_problem(merged, 409, "lead_erased")
                assert types == ["LeadCreated", "LeadErased"] and now["merged_into"] is None
                assert (await lead(http, survivor["id"]))["version"] == 1
            # either way the erased person's address is free
            assert (await http.post("/v1/leads", json={"email": f"bo.{tag}@example.com"})).status_code == 201


async def test_an_imported_leads_events_hold_no_plaintext(api: str, container: Container, account: NewAccount) -> None:
    tag = tagged()
    email, name = f"imported.{tag}@example.com", f"Imogen{tag}"
    async with client(api, account.api_key) as http, import_worker(container):
        done = await finished(http, await queued(http, f"first_name,email,phone\r\n{name},{email},+15552345678\r\n"))
        assert done["created"] == 1, done
        imported = await lead_by_email(container, http, account.account_id, email)
    assert imported["first_name"] == name
    stored = await raw_rows(container, imported["id"])
    assert "LeadCreated" in stored and email not in stored.lower() and name.lower() not in stored.lower()
    assert "5552345678" not in stored
