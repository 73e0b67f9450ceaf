"""Imports over HTTP with the import worker in this process: columns, options, limits, roles and tenancy."""

from __future__ import annotations

import json

import msgspec

from leadstore.bootstrap import Container, bootstrap
from leadstore.http.testing import add_user, serve
from leadstore.store.accounts import NewAccount, create_account
from tests.integration.helpers import assert_problem, client, create, events_of
from tests.integration.imports_helpers import NDJSON, finished, import_worker, lead_by_email, queued, upload


async def test_seed_spellings_custom_fields_and_ndjson_rows_become_leads_with_the_import_in_their_events(
    api: str, container: Container, account: NewAccount
) -> None:
    csv = (
        "\ufefffirstName,Last Name,E-mail Address,phone_number,leadSource,company_name,custom.industry,score,"
        "mailingCity,do_not_call,notes\r\n"
        'Sarah,Johnson,sarah@example.com,+1-555-234-5678,website,Acme,retail,42,Austin,yes,"two\r\nlines"\r\n'
    )
    ndjson = '{"first_name": "Tom", "email": "tom@example.com", "custom": {"industry": "tech"}}\n'
    async with client(api, account.api_key) as http, import_worker(container):
        await http.post("/v1/custom-fields", json={"key": "industry", "label": "Industry", "type": "text"})
        from_csv = await finished(http, await queued(http, csv))
        from_ndjson = await finished(http, await queued(http, ndjson, NDJSON))
        sarah = await lead_by_email(container, http, account.account_id, "sarah@example.com")
        tom = await lead_by_email(container, http, account.account_id, "tom@example.com")
        history = (await http.get(f"/v1/leads/{sarah['id']}/events")).json()["data"]

    assert from_csv | {"errors": []} == from_csv and from_csv["created"] == 1 and from_csv["rows"] == 1
    assert from_ndjson["created"] == 1 and from_ndjson["state"] == "done"
    assert (sarah["first_name"], sarah["last_name"], sarah["phone"], sarah["source"]) == (
        "Sarah",
        "Johnson",
        "+15552345678",
        "website",
    )
    assert sarah["company"] == "Acme" and sarah["custom"] == {"industry": "retail"} and sarah["score"] == 42
    assert sarah["mailing_address"]["city"] == "Austin" and sarah["do_not_call"] and sarah["notes"] == "two\r\nlines"
    assert tom["custom"] == {"industry": "tech"}
    created = history[0]
    assert created["request"]["import"] == {"id": from_csv["id"], "row": 2}
    assert created["request"]["path"] == "/v1/imports" and created["actor"]["user_id"] == str(account.user_id)


async def test_bad_rows_are_reported_by_row_and_field_and_never_written(
    api: str, container: Container, account: NewAccount
) -> None:
    rows = [
        "first_name,email,phone,score,source",
        "Ann,ann@example.com,,,",  # 2: fine
        "Bob,not-an-email,,,",  # 3
        "Cy,cy@example.com,12,,",  # 4: phone
        "Dee,dee@example.com,,high,",  # 5: score
        "Ed,ed@example.com,,,carrier_pigeon",  # 6: source
        '"Fay"x,fay@example.com,,,',  # 7: malformed CSV
        ",,,,",  # 8: blank
        "Gus,gus@example.com,,,,extra",  # 9: one cell too many
        ",,,7,",  # 10: nobody
    ]
    body = ("\r\n".join(rows) + "\r\n").encode() + b"H\xe9l\xe8ne,helene@example.com,,,\r\n"  # 11: latin-1 byte
    async with client(api, account.api_key) as http, import_worker(container):
        result = await finished(http, await queued(http, body))
        async with container.pool.acquire() as conn:
            emails = await conn.fetch("SELECT email_lower FROM lead_emails WHERE account_id = $1", account.account_id)

    assert (result["rows"], result["created"], result["failed"], result["done"]) == (9, 1, 8, 9)
    reported = {(e["row"], e["field"], e["code"]) for e in result["errors"]}
    assert reported == {
        (3, "email", "invalid_email"),
        (4, "phone", "invalid_phone"),
        (5, "score", "invalid_type"),
        (6, "source", "unknown_source"),
        (7, None, "malformed_row"),
        (9, None, "malformed_row"),
        (10, "first_name", "required"),
        (11, None, "invalid_encoding"),
    }
    assert [row["email_lower"] for row in emails] == ["ann@example.com"]


async def test_the_upload_is_checked_whole_and_nothing_is_stored_when_it_is_refused(
    container: Container, account: NewAccount
) -> None:
    small = await bootstrap(msgspec.structs.replace(container.settings, import_max_bytes=2_000, import_max_rows=5))
    try:
        async with serve(small) as url, client(url, account.api_key) as http:
            responses = {
                "bytes": await upload(http, "email\n" + "x@example.com\n" * 200),
                "rows": await upload(http, "email\n" + "".join(f"u{i}@example.com\n" for i in range(6))),
                "type": await upload(http, "email\n", {"Content-Type": "text/plain"}),
                "columns": await upload(http, "email,Shoe size,createdAt\n"),
                "create_anyway": await upload(http, "email\n", on_duplicate="create_anyway"),
                "mapping": await upload(http, "email\n", mapping="{not json"),
                "mapped_missing": await upload(http, "email\n", mapping=json.dumps({"E-mail": "email"})),
                "twice": await upload(http, "email,E-mail\n"),
                "no_header": await upload(http, "\n\n"),
                "unknown_query": await upload(http, "email\n", on_dupe="skip"),
            }
            five = await upload(http, "email\n" + "".join(f"u{i}@example.com\n" for i in range(5)))
            async with small.pool.acquire() as conn:
                stored = await conn.fetchval("SELECT count(*) FROM imports WHERE account_id = $1", account.account_id)
    finally:
        await small.close()

    assert_problem(responses["bytes"], 413, "payload_too_large")
    assert_problem(responses["rows"], 413, "payload_too_large")
    assert_problem(responses["type"], 415, "unsupported_media_type")
    problem = assert_problem(responses["columns"], 422, "validation_failed", "Shoe size", "createdAt")
    assert "email" not in {e["field"] for e in problem["errors"]}
    assert_problem(responses["create_anyway"], 422, "validation_failed", "on_duplicate")
    assert_problem(responses["mapping"], 422, "validation_failed", "mapping")
    assert_problem(responses["mapped_missing"], 422, "validation_failed", "mapping.E-mail")
    assert_problem(responses["twice"], 422, "validation_failed", "E-mail")
    assert_problem(responses["no_header"], 422, "validation_failed", "body")
    assert_problem(responses["unknown_query"], 422, "validation_failed", "on_dupe")
    assert five.status_code == 202 and stored == 1


async def test_members_import_their_own_leads_and_update_only_those_they_can_see(
    api: str, container: Container, account: NewAccount
) -> None:
    member_id, member_key = await add_user(container, account.account_id, "member")
    other_id, _ = await add_user(container, account.account_id, "member")
    async with client(api, account.api_key) as admin_http, client(api, member_key) as member_http:
        await create(admin_http, email="admins@example.com", first_name="Admin's")
        await create(member_http, email="mine@example.com", first_name="Mine")
        csv = (
            "first_name,email,assigned_to\n"
            "New,new@example.com,\n"  # 2: created by the member
            f"Self,self@example.com,{member_id}\n"  # 3: assigned to the member
            f"Other,other@example.com,{other_id}\n"  # 4: not theirs to give
            "Changed,mine@example.com,\n"  # 5: the member's own lead: updated
            "Hidden,ADMINS@example.com,\n"  # 6: exists, not visible: refused as a duplicate, not found
        )
        async with import_worker(container):
            result = await finished(member_http, await queued(member_http, csv, on_duplicate="update"))
            admins_import = await queued(admin_http, "email\nz@example.com\n")
        seen_by_member = await member_http.get(f"/v1/imports/{admins_import}")
        listed_by_member = (await member_http.get("/v1/imports")).json()
        listed_by_admin = (await admin_http.get("/v1/imports")).json()
        admins = await lead_by_email(container, admin_http, account.account_id, "admins@example.com")
        mine = await lead_by_email(container, admin_http, account.account_id, "mine@example.com")

    assert (result["created"], result["updated"], result["failed"]) == (2, 1, 2)
    assert {(e["row"], e["field"], e["code"]) for e in result["errors"]} == {
        (4, "assigned_to", "forbidden"),
        (6, "email", "duplicate_email"),
    }
    assert_problem(seen_by_member, 404, "not_found")
    assert [i["id"] for i in listed_by_member["data"]] == [result["id"]]
    assert {i["id"] for i in listed_by_admin["data"]} == {result["id"], admins_import}
    assert admins["first_name"] == "Admin's" and mine["first_name"] == "Changed"


async def test_another_accounts_import_is_not_found(api: str, container: Container, account: NewAccount) -> None:
    async with container.pool.acquire() as conn:
        other = await create_account(conn, "other", "admin@example.com")
    async with client(api, account.api_key) as http, client(api, other.api_key) as stranger:
        import_id = await queued(http, "email\na@example.com\n")
        responses = [await stranger.get(f"/v1/imports/{import_id}"), await stranger.get("/v1/imports/nope")]
        listed = (await stranger.get("/v1/imports")).json()
        async with import_worker(container):
            await finished(http, import_id)

    for response in responses:
        assert_problem(response, 404, "not_found")
    assert listed["data"] == []


async def test_update_changes_existing_leads_by_email_and_a_second_upload_creates_nothing(
    api: str, container: Container, account: NewAccount
) -> None:
    csv = "email,company\nA@example.com,Acme\nb@example.com,Beta\n"
    async with client(api, account.api_key) as http, import_worker(container):
        await create(http, email="a@example.com", company="Old")
        first = await finished(http, await queued(http, csv, on_duplicate="update"))
        events = await events_of(container, account)
        again = await finished(http, await queued(http, csv))
        lead = await lead_by_email(container, http, account.account_id, "a@example.com")

    assert (first["created"], first["updated"]) == (1, 1)
    assert (again["created"], again["skipped"]) == (0, 2)
    assert await events_of(container, account) == events
    assert lead["company"] == "Acme" and lead["email"] == "A@example.com"


async def test_the_first_thousand_row_errors_are_kept_in_row_order_and_every_failure_counted(
    api: str, container: Container, account: NewAccount
) -> None:
    csv = "email,first_name\n" + "".join(f"bad{n}@,Row{n}\n" for n in range(1_200))
    async with client(api, account.api_key) as http, import_worker(container, import_chunk_rows=100):
        result = await finished(http, await queued(http, csv))

    assert (result["rows"], result["failed"], result["created"]) == (1_200, 1_200, 0)
    assert [e["row"] for e in result["errors"]] == list(range(2, 1_002))
    assert {(e["field"], e["code"]) for e in result["errors"]} == {("email", "invalid_email")}


async def test_an_import_whose_key_is_revoked_stops_as_failed_and_writes_nothing_more(
    api: str, container: Container, account: NewAccount
) -> None:
    member_id, member_key = await add_user(container, account.account_id, "member")
    async with client(api, member_key) as http, client(api, account.api_key) as admin_http:
        import_id = await queued(http, "email\nrevoked1@example.com\nrevoked2@example.com\n")
        async with container.pool.acquire() as conn:
            await conn.execute("UPDATE api_keys SET revoked_at = now() WHERE user_id = $1", member_id)
        async with import_worker(container):
            result = await finished(admin_http, import_id)
        async with container.pool.acquire() as conn:
            reserved = await conn.fetchval(
                "SELECT count(*) FROM lead_emails WHERE account_id = $1 AND email_lower LIKE 'revoked%'",
                account.account_id,
            )

    assert result["state"] == "failed" and "revoked" in result["failure"]
    assert (result["created"], reserved) == (0, 0)


async def test_imports_are_listed_newest_first_page_by_page(api: str, account: NewAccount) -> None:
    async with client(api, account.api_key) as http:
        made = [await queued(http, f"email\nlisted{n}@example.com\n") for n in range(3)]
        first = (await http.get("/v1/imports", params={"limit": 2})).json()
        second = (await http.get("/v1/imports", params={"limit": 2, "cursor": first["next_cursor"]})).json()
        bad = await http.get("/v1/imports", params={"cursor": "nonsense"})

    assert [i["id"] for i in first["data"] + second["data"]] == made[::-1]
    assert first["has_more"] and not second["has_more"] and second["next_cursor"] is None
    assert_problem(bad, 422, "validation_failed", "cursor")
