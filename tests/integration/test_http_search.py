"""GET /v1/leads?q=: the words of names, emails, companies, phone digits and custom text values; one tenant's
search never shows another's leads; cursor walks over a search visit every match once while leads are written,
in both of the shapes a page is read in; erased values are not found."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from leadstore.bootstrap import Container
from leadstore.http.testing import projecting, serve
from leadstore.store.accounts import NewAccount, create_account
from leadstore.store.lead_list import query as queries
from tests.integration.helpers import assert_problem, client, create_listed, walk_while_writing

# How the pages of a search are read: PROBE_ROWS and MAX_PROBE_ROWS (leadstore.store.lead_list.query). With a
# probe of 2 leads and no second probe, nearly every page comes from the words index (the matches shape); with
# a second probe allowed, most from the second probe.
SHAPES = {"probe": (1000, 20_000), "second probe": (2, 20_000), "matches": (2, 0)}


def read_in(monkeypatch: pytest.MonkeyPatch, shape: str) -> None:
    probe, second = SHAPES[shape]
    monkeypatch.setattr(queries, "PROBE_ROWS", probe)
    monkeypatch.setattr(queries, "MAX_PROBE_ROWS", second)


@pytest.fixture(scope="module")
async def api(container: Container) -> AsyncIterator[str]:
    async with serve(container) as url, projecting(container):
        yield url


async def found(http: httpx.AsyncClient, sync: dict[str, Any], q: str, **params: Any) -> set[str]:
    """The ids of every lead a walk of `q` visits (after the write `sync` is in the list)."""
    params |= {"q": q, "min_position": sync["_position"], "limit": 2}
    ids: list[str] = []
    while True:
        response = await http.get("/v1/leads", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        ids += [lead["id"] for lead in page["data"]]
        if page["next_cursor"] is None:
            assert len(ids) == len(set(ids)), f"a lead was visited twice for q={q!r}"
            return set(ids)
        params["cursor"] = page["next_cursor"]


@pytest.mark.parametrize("shape", SHAPES)
async def test_q_finds_words_of_name_email_company_phone_and_custom_text(
    api: str, account: NewAccount, monkeypatch: pytest.MonkeyPatch, shape: str
) -> None:
    read_in(monkeypatch, shape)
    async with client(api, account.api_key) as http:
        field = {"key": "segment", "label": "Segment", "type": "text"}
        assert (await http.post("/v1/custom-fields", json=field)).status_code == 201
        maria = await create_listed(
            http,
            first_name="María",
            last_name="Garcia",
            email="Maria.Garcia77@Acme-Logistics.com",
            company="Acme Logistics Ltd",
            phone="+1 555 234 5678",
            custom={"segment": "Enterprise Healthcare"},
        )
        other = await create_listed(
            http, first_name="Mario", last_name="Rossi", company="Company 123", phone="+442079460958"
        )
        plain = await create_listed(
            http, first_name="Ann", last_name="Smith", company="Company 1234", custom={"segment": "smb"}
        )
        sync = plain
        ids = {"maria": maria["id"], "other": other["id"], "plain": plain["id"]}
        expectations: list[tuple[str, set[str]]] = [
            ("garcia", {"maria"}),
            ("GARCÍA", set()),  # accents are letters of their own
            ("maría", {"maria"}),
            ("GARC", {"maria"}),  # the last word is a prefix
            ("mar", {"maria", "other"}),
            ("maría ga", {"maria"}),  # a short last prefix, checked on what the whole words find
            ("mario ro", {"other"}),
            ("mario ga", set()),
            ("maria.garcia77", {"maria"}),  # the email's words
            ("acme-logistics.com", {"maria"}),
            ("logistics acme", {"maria"}),  # every word, in any order
            ("acme smith", set()),
            ("arcia", set()),  # words are matched from their start
            ("company 123", {"other", "plain"}),
            ("company 1234", {"plain"}),
            ("+1 555 234", {"maria"}),  # phone digits: E.164
            ("5552345678", {"maria"}),  # national
            ("(555) 234-5678", {"maria"}),
            ("555-234", {"maria"}),
            ("+15552345678", {"maria"}),
            ("555 999", set()),
            ("020 7946", set()),  # a national number with its trunk 0 is not the stored one
            ("2079460958", {"other"}),
            ("+44 20 7946 0958", {"other"}),
            ("enterprise", {"maria"}),  # a text custom field's value
            ("HEALTH", {"maria"}),
            ("smb", {"plain"}),
        ]
        for q, expected in expectations:
            assert await found(http, sync, q) == {ids[name] for name in expected}, q
            assert await found(http, sync, q, sort="-score") == {ids[name] for name in expected}, q


async def test_a_q_without_letters_or_digits_is_422(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        for q in ("%", "_%", " - ", "@."):
            assert_problem(await http.get("/v1/leads", params={"q": q}), 422, "validation_failed", "q")
        assert_problem(await http.get("/v1/leads", params={"q": "x" * 256}), 422, "validation_failed", "q")


async def test_another_accounts_matches_never_appear(
    api: str, container: Container, account: NewAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with container.pool.acquire() as conn:
        other = await create_account(conn, "search neighbour", "admin@example.com")
    async with client(api, other.api_key) as theirs:
        for n in range(5):
            await create_listed(theirs, first_name="Tenant", last_name=f"Zyxwv{n}", phone=f"+1555000000{n}")
    async with client(api, account.api_key) as mine:
        last = await create_listed(mine, first_name="Tenant", last_name="Zyxwvu", phone="+15550000009")
        for shape in SHAPES:
            read_in(monkeypatch, shape)
            assert await found(mine, last, "zyxwv") == {last["id"]}, shape
            assert await found(mine, last, "tenant") == {last["id"]}, shape
            assert await found(mine, last, "+1 555 000 000") == {last["id"]}, shape


async def test_erased_values_are_not_found(api: str, container: Container, account: NewAccount) -> None:
    """Erasure empties a lead's personal columns in the read model (simulated here on its row): its old
    name, email and phone no longer find it."""
    async with client(api, account.api_key) as http:
        kept = await create_listed(http, first_name="Quentin", last_name="Erasable", email="q.erasable@example.org")
        gone = await create_listed(
            http, first_name="Quentin", last_name="Erasable", email="q.erasable2@example.org", phone="+15557654321"
        )
        assert await found(http, gone, "erasable") == {kept["id"], gone["id"]}  # both are in the list now
        async with container.pool.acquire() as conn:
            # the row as the projection wrote it, put back afterwards: other tests compare lead_list with a replay
            before = await conn.fetchrow(
                "SELECT search, search_words, email_lower, phone FROM lead_list WHERE id = $1", gone["id"]
            )
            assert before is not None
            erased = await conn.execute(
                "UPDATE lead_list SET search = '', search_words = '', email_lower = NULL, phone = NULL WHERE id = $1",
                gone["id"],
            )
            try:
                assert erased == "UPDATE 1"
                for q in ("erasable", "quentin", "q.erasable2@example.org", "5557654321"):
                    assert gone["id"] not in await found(http, gone, q), q
                assert await found(http, gone, "erasable") == {kept["id"]}
            finally:
                await conn.execute(
                    "UPDATE lead_list SET search = $2, search_words = $3, email_lower = $4, phone = $5 WHERE id = $1",
                    gone["id"],
                    *before.values(),
                )


@pytest.mark.parametrize(
    ("sort", "shape"),
    [("-created_at", "probe"), ("-created_at", "second probe"), ("-created_at", "matches"), ("created_at", "matches"),
     ("-score", "probe"), ("-score", "matches")],
)  # fmt: skip
async def test_walking_a_search_while_others_write_visits_every_match_once(
    api: str, account: NewAccount, monkeypatch: pytest.MonkeyPatch, sort: str, shape: str
) -> None:
    """Writers create matching and non-matching leads and change the existing ones while a client walks a
    search's cursors: every lead that matched throughout is visited exactly once, whichever shape each page
    was read in."""
    read_in(monkeypatch, shape)
    word = f"walker{sort.replace('-', 'd').replace('_', '')}{shape.replace(' ', '')}"
    async with client(api, account.api_key) as http:
        existing = []
        for i in range(60):
            existing.append(await create_listed(http, last_name=word.capitalize(), score=i % 100))
            await create_listed(http, last_name="Bystander", score=i % 100)

        async def create_more(writer: httpx.AsyncClient, rng: random.Random) -> None:
            name = word if rng.random() < 0.5 else "Bystander"
            await create_listed(writer, last_name=name, score=rng.randint(0, 100))

        seen, changed = await walk_while_writing(
            api, account.api_key, {"q": word[:-2], "sort": sort}, existing, create_more, existing[-1]["_position"]
        )
    assert changed > 10  # the walk really ran under writes
    assert len(seen) == len(set(seen)), "a lead was visited twice"
    assert {lead["id"] for lead in existing} <= set(seen), "a lead was never visited"


async def test_while_the_lead_list_is_rebuilt_for_search_words_q_is_a_substring_search(
    api: str, container: Container, account: NewAccount
) -> None:
    """A lead list built before schema version 6 has no search_words (its runner rebuilds it): `q` answers as the
    substring search of name, email and company it was, rather than failing."""
    async with client(api, account.api_key) as http:
        lead = await create_listed(http, first_name="Rebuilding", last_name="Ostrakova", company="Quarry Works")
        assert await found(http, lead, "ostrak") == {lead["id"]}
        async with container.pool.acquire() as conn:
            await conn.execute("ALTER TABLE lead_list RENAME COLUMN search_words TO search_words_aside")
            try:
                assert await found(http, lead, "strakov") == {lead["id"]}  # a substring, not a word's start
                assert await found(http, lead, "quarry ostrakova") == set()  # the whole text as one substring
            finally:
                await conn.execute("ALTER TABLE lead_list RENAME COLUMN search_words_aside TO search_words")
        assert await found(http, lead, "strakov") == set()
