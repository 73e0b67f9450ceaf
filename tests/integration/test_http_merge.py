"""Merges over a real socket (issue 14): what a merge does to every lead involved, undoing it, refusals,
visibility, and merges racing each other and lead writes."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from typing import Any

import httpx
from uuid_utils.compat import uuid7

from leadstore.bootstrap import Container
from leadstore.http.testing import add_user
from leadstore.store.accounts import NewAccount, create_account
from tests.integration.helpers import assert_problem, client, create, events_of

ROUNDS = 20
UNCHANGED_BY_UNDO = ("version", "updated_at")


def racing_client(api: str, key: str) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=40)
    return httpx.AsyncClient(base_url=api, headers={"Authorization": f"Bearer {key}"}, timeout=60, limits=limits)


async def merge(http: httpx.AsyncClient, into: str, sources: list[str], **fields: str) -> httpx.Response:
    return await http.post(f"/v1/leads/{into}/merge", json={"from": sources, "fields": fields})


async def lead(http: httpx.AsyncClient, lead_id: str) -> dict[str, Any]:
    response = await http.get(f"/v1/leads/{lead_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def events(http: httpx.AsyncClient, lead_id: str) -> list[dict[str, Any]]:
    body: list[dict[str, Any]] = (await http.get(f"/v1/leads/{lead_id}/events")).json()["data"]
    return body


def without_stamps(document: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key not in UNCHANGED_BY_UNDO}


async def test_a_merge_takes_fields_closes_the_merged_leads_and_an_unmerge_gives_everything_back(
    api: str, account: NewAccount
) -> None:
    async with client(api, account.api_key) as http:
        survivor = await create(
            http, first_name="Ann", last_name="Lee", email="ann@example.com", company="Acme", score=10
        )
        other = await create(
            http,
            first_name="Anne",
            last_name="Lee",
            email="Anne.Lee@Example.org",
            phone="+1 555 234 5678",
            title="CTO",
            custom={},
            mailing_address={"city": "Oslo", "country": "no"},
        )
        third = await create(http, first_name="A.", last_name="Lee", notes="met at the fair", score=70)
        before = {doc["id"]: await lead(http, doc["id"]) for doc in (survivor, other, third)}

        merged = await merge(
            http,
            survivor["id"],
            [other["id"], third["id"]],
            title=other["id"],
            phone=other["id"],
            mailing_address=other["id"],
            score=third["id"],
            email=other["id"],
        )
        assert merged.status_code == 200, merged.text
        merge_event_id = merged.headers["leadstore-merge-event-id"]
        after = merged.json()
        assert after["title"] == "CTO" and after["phone"] == "+15552345678" and after["score"] == 70
        assert after["email"] == "Anne.Lee@Example.org" and after["mailing_address"]["city"] == "Oslo"
        assert after["first_name"] == "Ann" and after["merged_into"] is None and after["version"] == 2
        assert merged.headers["etag"] == '"2"' and merged.headers["leadstore-position"]

        log = await events(http, survivor["id"])
        assert log[-1]["type"] == "LeadMerged" and log[-1]["id"] == merge_event_id
        data = log[-1]["data"]
        assert data["merged"] == [other["id"], third["id"]]
        assert data["fields"]["score"] == third["id"] and data["fields"]["title"] == other["id"]
        assert data["changes"]["score"] == {"from": 10, "to": 70}
        assert set(data["changes"]) == {"title", "phone", "mailing_address", "score", "email"}

        for merged_away in (other, third):
            now = await lead(http, merged_away["id"])
            assert now["merged_into"] == survivor["id"]
            assert without_stamps(now) == without_stamps(before[merged_away["id"]]) | {"merged_into": survivor["id"]}
            last = (await events(http, merged_away["id"]))[-1]
            assert last["type"] == "LeadMergedInto"
            assert last["data"] == {"into": survivor["id"], "merge_event_id": merge_event_id}
            path = f"/v1/leads/{merged_away['id']}"
            assert_problem(await http.patch(path, json={"notes": "late"}), 409, "lead_merged")
            assert_problem(await http.post(f"{path}/archive"), 409, "lead_merged")
            assert_problem(await http.post(f"{path}/assign", json={"assigned_to": None}), 409, "lead_merged")

        # every address of the merge stays reserved: the survivor's own and the merged lead's
        for email in ("ann@example.com", "anne.lee@example.org", "ANNE.LEE@EXAMPLE.ORG"):
            assert_problem(await http.post("/v1/leads", json={"email": email}), 409, "duplicate_email")
        # merged leads leave the default list's filters but stay listed on request (checked in the list tests)

        undone = await http.post(f"/v1/leads/{survivor['id']}/unmerge", json={"merge_event_id": merge_event_id})
        assert undone.status_code == 200, undone.text
        for lead_id, was in before.items():
            assert without_stamps(await lead(http, lead_id)) == without_stamps(was)
        unmerged = (await events(http, survivor["id"]))[-1]
        assert unmerged["type"] == "LeadUnmerged" and unmerged["data"]["merge_event_id"] == merge_event_id
        assert unmerged["data"]["changes"]["score"] == {"from": 70, "to": 10} and unmerged["data"]["kept"] == []

        again = await http.post(f"/v1/leads/{survivor['id']}/unmerge", json={"merge_event_id": merge_event_id})
        assert_problem(again, 409, "already_unmerged")

        # the reservation moved back: the lead it belongs to frees it by changing its email
        assert_problem(await http.post("/v1/leads", json={"email": "anne.lee@example.org"}), 409, "duplicate_email")
        reopened = await http.patch(f"/v1/leads/{other['id']}", json={"email": "anne@example.net"})
        assert reopened.status_code == 200, reopened.text
        assert (await http.post("/v1/leads", json={"email": "anne.lee@example.org"})).status_code == 201


async def test_an_unmerge_keeps_what_the_survivor_changed_after_the_merge(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        survivor = await create(http, first_name="Bo", title="Intern", notes="old notes")
        other = await create(http, first_name="Bob", title="CEO", notes="other notes")
        merged = await merge(http, survivor["id"], [other["id"]], title=other["id"], notes=other["id"])
        merge_event_id = merged.headers["leadstore-merge-event-id"]
        await http.patch(f"/v1/leads/{survivor['id']}", json={"title": "Founder"})

        undone = await http.post(f"/v1/leads/{survivor['id']}/unmerge", json={"merge_event_id": merge_event_id})

        assert undone.status_code == 200, undone.text
        assert undone.json()["title"] == "Founder" and undone.json()["notes"] == "old notes"
        data = (await events(http, survivor["id"]))[-1]["data"]
        assert data["kept"] == ["title"] and set(data["changes"]) == {"notes"}


async def test_merges_of_merges_undo_in_any_order_and_keep_every_address_reserved(
    api: str, account: NewAccount
) -> None:
    async with client(api, account.api_key) as http:
        a, b, c = [await create(http, first_name=n, email=f"{n}.{uuid7().hex[-8:]}@example.com") for n in "abc"]
        first = await merge(http, b["id"], [c["id"]])
        second = await merge(http, a["id"], [b["id"]])
        assert first.status_code == second.status_code == 200
        taken = [c["email"], b["email"], a["email"]]
        for email in taken:
            assert_problem(await http.post("/v1/leads", json={"email": email}), 409, "duplicate_email")

        undo_second = {"merge_event_id": second.headers["leadstore-merge-event-id"]}
        assert (await http.post(f"/v1/leads/{a['id']}/unmerge", json=undo_second)).status_code == 200
        for email in taken:  # c is still merged into b, which holds its address again
            assert_problem(await http.post("/v1/leads", json={"email": email}), 409, "duplicate_email")
        undo_first = {"merge_event_id": first.headers["leadstore-merge-event-id"]}
        undone = await http.post(f"/v1/leads/{b['id']}/unmerge", json=undo_first)
        assert undone.status_code == 200, undone.text

        assert (await lead(http, c["id"]))["merged_into"] is None
        assert (await http.patch(f"/v1/leads/{c['id']}", json={"email": "c.moved@example.com"})).status_code == 200
        assert (await http.post("/v1/leads", json={"email": c["email"]})).status_code == 201


async def test_bad_merges_are_refused_and_write_nothing(api: str, container: Container, account: NewAccount) -> None:
    async with container.pool.acquire() as conn:
        stranger = await create_account(conn, "Other Inc", f"admin-{uuid7().hex[-8:]}@example.com")
    async with client(api, account.api_key) as http, client(api, stranger.api_key) as theirs:
        a, b, c = [await create(http, first_name=name) for name in ("A", "B", "C")]
        foreign = await create(theirs, first_name="Theirs")
        written = await events_of(container, account)

        assert_problem(await merge(http, a["id"], []), 422, "validation_failed", "from")
        assert_problem(await merge(http, a["id"], [a["id"]]), 422, "validation_failed", "from")
        assert_problem(await merge(http, a["id"], [b["id"], b["id"]]), 422, "validation_failed", "from")
        too_many = [str(uuid7()) for _ in range(11)]
        assert_problem(await merge(http, a["id"], too_many), 422, "validation_failed", "from")
        assert_problem(await merge(http, a["id"], [b["id"]], status=b["id"]), 422, "validation_failed", "fields.status")
        assert_problem(await merge(http, a["id"], [b["id"]], nickname=b["id"]), 422, "validation_failed")
        assert_problem(await merge(http, a["id"], [b["id"]], title=c["id"]), 422, "validation_failed", "fields.title")
        unknown = await http.post(f"/v1/leads/{a['id']}/merge", json={"from": [b["id"]], "into": a["id"]})
        assert_problem(unknown, 422, "validation_failed", "into")
        assert_problem(await merge(http, a["id"], [foreign["id"]]), 404, "not_found")
        assert_problem(await merge(http, foreign["id"], [b["id"]]), 404, "not_found")
        assert_problem(await merge(http, a["id"], [str(uuid7())]), 404, "not_found")
        assert_problem(await merge(http, a["id"], ["not-a-uuid"]), 422, "validation_failed", "from")
        stale = await http.post(f"/v1/leads/{a['id']}/merge", json={"from": [b["id"]]}, headers={"If-Match": '"7"'})
        assert_problem(stale, 412, "version_conflict")
        unmerge = await http.post(f"/v1/leads/{a['id']}/unmerge", json={"merge_event_id": str(uuid7())})
        assert_problem(unmerge, 422, "validation_failed", "merge_event_id")
        assert await events_of(container, account) == written

        first = await merge(http, a["id"], [b["id"]])
        assert first.status_code == 200
        merge_event_id = first.headers["leadstore-merge-event-id"]
        assert_problem(await merge(http, c["id"], [b["id"]]), 409, "lead_merged")
        assert_problem(await merge(http, b["id"], [c["id"]]), 409, "lead_merged")
        of_another = await http.post(f"/v1/leads/{c['id']}/unmerge", json={"merge_event_id": merge_event_id})
        assert_problem(of_another, 422, "validation_failed", "merge_event_id")
        from_the_merged = await http.post(f"/v1/leads/{b['id']}/unmerge", json={"merge_event_id": merge_event_id})
        assert_problem(from_the_merged, 409, "lead_merged")


async def test_a_merge_with_an_idempotency_key_is_written_once(
    api: str, container: Container, account: NewAccount
) -> None:
    async with client(api, account.api_key) as http:
        a, b = await create(http, first_name="A"), await create(http, first_name="B")
        headers = {"Idempotency-Key": f"merge-{uuid7()}"}
        body = {"from": [b["id"]], "fields": {}}
        first = await http.post(f"/v1/leads/{a['id']}/merge", json=body, headers=headers)
        written = await events_of(container, account)
        second = await http.post(f"/v1/leads/{a['id']}/merge", json=body, headers=headers)

        assert first.status_code == second.status_code == 200
        assert second.headers["idempotent-replayed"] == "true"
        assert second.headers["leadstore-merge-event-id"] == first.headers["leadstore-merge-event-id"]
        assert second.json() == first.json() and await events_of(container, account) == written


async def test_members_merge_only_leads_they_can_see(api: str, container: Container, account: NewAccount) -> None:
    member, member_key = await add_user(container, account.account_id, "member")
    async with client(api, account.api_key) as http, client(api, member_key) as as_member:
        hidden = await create(http, first_name="Hidden")
        mine = await create(as_member, first_name="Mine")
        given = await create(http, first_name="Given", assigned_to=str(member))

        assert_problem(await merge(as_member, mine["id"], [hidden["id"]]), 404, "not_found")
        assert_problem(await merge(as_member, hidden["id"], [mine["id"]]), 404, "not_found")
        merged = await merge(as_member, mine["id"], [given["id"]])
        assert merged.status_code == 200, merged.text
        assert (await lead(http, given["id"]))["merged_into"] == mine["id"]


async def test_concurrent_merges_sharing_a_lead_one_wins_and_nothing_is_lost(
    api: str, container: Container, account: NewAccount
) -> None:
    """Each round: four merges that all take one shared lead, and two that merge a pair both ways, at once.
    Exactly one of each group wins; the others are 409 `lead_merged`; no deadlock (bounded wait)."""
    rng = random.Random(14)
    async with racing_client(api, account.api_key) as http:
        for _ in range(ROUNDS):
            shared = (await create(http, first_name="Shared"))["id"]
            survivors = [(await create(http, first_name=f"S{i}"))["id"] for i in range(4)]
            own = [(await create(http, first_name=f"O{i}"))["id"] for i in range(4)]
            p, q = (await create(http, first_name="P"))["id"], (await create(http, first_name="Q"))["id"]
            before = await events_of(container, account)
            sources = [rng.sample([shared, own[i]], 2) for i in range(4)]
            racing = [merge(http, survivors[i], sources[i]) for i in range(4)]
            racing += [merge(http, p, [q]), merge(http, q, [p])]
            responses = await asyncio.wait_for(asyncio.gather(*racing), timeout=60)

            statuses = [r.status_code for r in responses]
            assert Counter(statuses[:4]) == {200: 1, 409: 3}, [r.text for r in responses]
            assert Counter(statuses[4:]) == {200: 1, 409: 1}, [r.text for r in responses]
            assert all(r.json()["code"] == "lead_merged" for r in responses if r.status_code == 409)
            winner = statuses.index(200)
            assert (await lead(http, shared))["merged_into"] == survivors[winner]
            assert (await lead(http, own[winner]))["merged_into"] == survivors[winner]
            for i in range(4):
                survivor = await lead(http, survivors[i])
                assert survivor["version"] == (2 if i == winner else 1) and survivor["merged_into"] is None
                assert (await lead(http, own[i]))["version"] == (2 if i == winner else 1)
            pair_winner = 4 if statuses[4] == 200 else 5
            kept, gone = (p, q) if pair_winner == 4 else (q, p)
            assert (await lead(http, gone))["merged_into"] == kept
            assert (await lead(http, kept))["merged_into"] is None
            # a winning merge of a survivor and two leads writes 3 events, of a pair 2: nothing else, nothing lost
            assert await events_of(container, account) == before + 3 + 2
    await assert_transaction_order_is_version_order(container, account)


async def assert_transaction_order_is_version_order(container: Container, account: NewAccount) -> None:
    """DESIGN.md decision 2 for every lead of the account: a later version has a later transaction id."""
    async with container.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT stream_id, version, transaction_id::text::bigint AS tx FROM events "
            "WHERE account_id = $1 AND stream_type = 'lead' ORDER BY stream_id, version",
            account.account_id,
        )
    last: dict[Any, int] = {}
    for row in rows:
        assert row["tx"] >= last.get(row["stream_id"], 0), row  # one transaction may write several versions
        last[row["stream_id"]] = row["tx"]


async def test_patches_racing_a_merge_land_before_it_or_are_refused(
    api: str, container: Container, account: NewAccount
) -> None:
    async with racing_client(api, account.api_key) as http:
        for _ in range(5):
            survivor = await create(http, first_name="Keeper")
            sources = [await create(http, first_name=f"Dup {i}") for i in range(3)]
            patches = [http.patch(f"/v1/leads/{sources[i % 3]['id']}", json={"notes": f"patch {i}"}) for i in range(12)]
            merging = merge(http, survivor["id"], [s["id"] for s in sources])
            responses = await asyncio.wait_for(asyncio.gather(merging, *patches), timeout=60)

            assert responses[0].status_code == 200, responses[0].text
            landed: Counter[str] = Counter()
            for i, response in enumerate(responses[1:]):
                if response.status_code == 200:
                    landed[sources[i % 3]["id"]] += 1
                else:
                    assert_problem(response, 409, "lead_merged")
            for source in sources:
                log = await events(http, source["id"])
                types = [event["type"] for event in log]
                assert types[-1] == "LeadMergedInto"  # every patch that landed is before the merge
                assert types.count("LeadUpdated") == landed[source["id"]]
                assert [e["version"] for e in log] == list(range(1, len(log) + 1))
    await assert_transaction_order_is_version_order(container, account)


async def test_concurrent_unmerges_of_one_merge_undo_it_once(
    api: str, container: Container, account: NewAccount
) -> None:
    async with racing_client(api, account.api_key) as http:
        for _ in range(5):
            survivor = await create(http, first_name="Keeper", title="Old")
            others = [await create(http, first_name=f"Other {i}", title=f"T{i}") for i in range(3)]
            merged = await merge(http, survivor["id"], [o["id"] for o in others], title=others[0]["id"])
            body = {"merge_event_id": merged.headers["leadstore-merge-event-id"]}
            before = await events_of(container, account)

            undo = [http.post(f"/v1/leads/{survivor['id']}/unmerge", json=body) for _ in range(6)]
            responses = await asyncio.wait_for(asyncio.gather(*undo), timeout=60)

            assert Counter(r.status_code for r in responses) == {200: 1, 409: 5}
            assert all(r.json()["code"] == "already_unmerged" for r in responses if r.status_code == 409)
            assert await events_of(container, account) == before + 4
            assert (await lead(http, survivor["id"]))["title"] == "Old"
    await assert_transaction_order_is_version_order(container, account)
