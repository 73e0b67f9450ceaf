"""Duplicate candidates over a real socket (issue 14): one lead's, scored and explained, and the account's
pairs walked with a cursor; visibility; merged leads leave both, and the default list."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import httpx
import pytest
from uuid_utils.compat import uuid7

from leadstore.bootstrap import Container
from leadstore.http.testing import add_user, projecting, serve
from leadstore.store.accounts import NewAccount, create_account
from tests.integration.helpers import assert_problem, client

# A copy of a lead's read-model row under another id, with the given columns replaced: the only way to have
# two leads with one email, which the write lane's reservations (rightly) never allow.
COPY_ROW = """
INSERT INTO lead_list
SELECT (jsonb_populate_record(l, jsonb_build_object('id', $2::uuid,
        'doc', (l.doc::jsonb || jsonb_build_object('id', $2::uuid))) || $3::jsonb)).*
FROM lead_list l WHERE id = $1"""


@pytest.fixture(scope="module")
async def api(container: Container) -> AsyncIterator[str]:
    async with serve(container) as url, projecting(container):
        yield url


async def created(http: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    response = await http.post("/v1/leads", json=fields)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body | {"_position": response.headers["leadstore-position"]}


async def projected(http: httpx.AsyncClient, position: str) -> None:
    """Wait until the lead list has applied the write at `position`."""
    assert (await http.get("/v1/leads", params={"min_position": position, "limit": 1})).status_code == 200


async def candidates(http: httpx.AsyncClient, lead_id: str, **params: Any) -> dict[str, tuple[int, list[str]]]:
    response = await http.get(f"/v1/leads/{lead_id}/duplicates", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "list" and body["has_more"] is False
    return {item["lead"]["id"]: (item["score"], item["reasons"]) for item in body["data"]}


async def walk_pairs(http: httpx.AsyncClient, limit: int) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    cursor = None
    for _ in range(1000):
        params: dict[str, Any] = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        response = await http.get("/v1/duplicates", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["data"]) <= limit
        for pair in page["data"]:
            a, b = pair["lead_ids"]
            assert UUID(a) < UUID(b) and [lead["id"] for lead in pair["leads"]] == [a, b]
            assert pair["reasons"] and 0 < pair["score"] <= 100
            seen.append((a, b))
        if not page["has_more"]:
            assert page["next_cursor"] is None
            return seen
        cursor = page["next_cursor"]
    raise AssertionError("the walk did not end")


async def test_candidates_are_found_by_email_phone_and_name_at_the_company(
    api: str, container: Container, account: NewAccount
) -> None:
    async with client(api, account.api_key) as http:
        base = await created(
            http,
            first_name="Jonathan",
            last_name="Smith",
            email="jonathan@acme-example.com",
            phone="+1 555 234 5678",
            company="Acme Inc",
            company_id="acme-1",
        )
        same_phone = await created(http, first_name="Reception", phone="+1-555-234-5678")
        similar_name = await created(http, first_name="Jonathon", last_name="Smith", company="ACME INC ")
        by_company_id = await created(http, first_name="Jonathan", last_name="Smyth", company_id="acme-1")
        everything = await created(
            http, first_name="Jonathan", last_name="Smith", phone="+15552345678", company="acme inc"
        )
        elsewhere = await created(http, first_name="Jonathan", last_name="Smith", company="Other Co")
        stranger = await created(http, first_name="Mary", last_name="Jones", company="Acme Inc")
        await projected(http, stranger["_position"])
        same_email = str(uuid7())
        async with container.pool.acquire() as conn:
            await conn.execute(
                COPY_ROW, UUID(base["id"]), UUID(same_email), '{"phone": null, "name_lower": null, "company_id": null}'
            )
            try:
                found = await candidates(http, base["id"])
            finally:  # a row no event made: gone before anything else (a replay check) reads the list
                await conn.execute("DELETE FROM lead_list WHERE id = $1", UUID(same_email))

        assert found[same_email] == (60, ["email"])
        assert found[same_phone["id"]] == (50, ["phone"])
        score, reasons = found[similar_name["id"]]
        assert reasons == ["name_company"] and 20 <= score < 50
        assert found[by_company_id["id"]][1] == ["name_company"]
        assert found[everything["id"]] == (100, ["phone", "name_company"])
        assert elsewhere["id"] not in found and stranger["id"] not in found and base["id"] not in found
        assert next(iter(found)) == everything["id"]  # best first
        assert len(await candidates(http, base["id"], limit=2)) == 2
        assert_problem(
            await http.get(f"/v1/leads/{base['id']}/duplicates", params={"limit": 51}), 422, "validation_failed"
        )
        assert_problem(await http.get(f"/v1/leads/{uuid7()}/duplicates"), 404, "not_found")
        async with container.pool.acquire() as conn:
            stranger_account = await create_account(conn, "Elsewhere", f"admin-{uuid7().hex[-8:]}@example.com")
        async with client(api, stranger_account.api_key) as theirs:
            assert_problem(await theirs.get(f"/v1/leads/{base['id']}/duplicates"), 404, "not_found")
            assert (await theirs.get("/v1/duplicates")).json()["data"] == []

        pairs = await walk_pairs(http, limit=1)
        assert len(pairs) == len(set(pairs))
        ordered = tuple(sorted((base["id"], same_phone["id"]), key=UUID))
        assert ordered in pairs
        assert pairs == sorted(pairs, key=lambda pair: (UUID(pair[0]), UUID(pair[1])))
        assert pairs == await walk_pairs(http, limit=100)

        # a merged lead is no candidate any more, and leaves the default list
        merged = await http.post(f"/v1/leads/{base['id']}/merge", json={"from": [same_phone["id"]]})
        assert merged.status_code == 200, merged.text
        await projected(http, merged.headers["leadstore-position"])
        assert same_phone["id"] not in await candidates(http, base["id"])
        assert ordered not in await walk_pairs(http, limit=100)
        listed = (await http.get("/v1/leads", params={"limit": 200})).json()["data"]
        assert same_phone["id"] not in {doc["id"] for doc in listed}
        only_merged = (await http.get("/v1/leads", params={"merged": "true"})).json()["data"]
        assert [doc["id"] for doc in only_merged] == [same_phone["id"]]
        assert only_merged[0]["merged_into"] == base["id"]
        bad_cursor = await http.get("/v1/duplicates", params={"cursor": "nonsense"})
        assert_problem(bad_cursor, 422, "validation_failed", "cursor")


async def test_members_see_only_candidates_and_pairs_they_can_see(
    api: str, container: Container, account: NewAccount
) -> None:
    member, member_key = await add_user(container, account.account_id, "member")
    async with client(api, account.api_key) as http, client(api, member_key) as as_member:
        hidden = await created(http, first_name="Zed", phone="+44 20 7946 0018")
        mine = await created(as_member, first_name="Zed", phone="+442079460018")
        given = await created(http, first_name="Zedd", phone="+44 20 7946 0018 ", assigned_to=str(member))
        await projected(http, given["_position"])

        assert set(await candidates(http, mine["id"])) == {hidden["id"], given["id"]}
        assert set(await candidates(as_member, mine["id"])) == {given["id"]}
        assert_problem(await as_member.get(f"/v1/leads/{hidden['id']}/duplicates"), 404, "not_found")
        member_pairs = await walk_pairs(as_member, limit=10)
        assert member_pairs == [tuple(sorted((mine["id"], given["id"]), key=UUID))]
        assert len(await walk_pairs(http, limit=10)) == 3
