"""Clients generated from the served OpenAPI document: `openapi-python-client` makes one without a warning, it
drives the API for real (create, get, update, a list walked by cursor, convert, the event feed), and the client
published in clients/python is exactly what the generator makes of today's document (`make client`). The
TypeScript types `openapi-typescript` makes type-check a small script (clients/typescript/check.ts) that then
drives the API too."""

from __future__ import annotations

import asyncio
import filecmp
import importlib
import json
import shutil
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from leadstore.bootstrap import Container
from leadstore.cli.openapi import document_text
from leadstore.http.testing import projecting, serve
from leadstore.store.accounts import NewAccount

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = ROOT / "clients"
REGENERATE = "run `make client` and commit clients/ (the document or the generator changed)"
PACKAGE = "leadstore_client"
TYPESCRIPT = CLIENTS / "typescript"
NODE_BIN = TYPESCRIPT / "node_modules" / ".bin"
# What tsc checks check.ts with: strict, for Node's fetch (the DOM library's types), one CommonJS file to run.
TSC_OPTIONS = ["--strict", "--target", "es2022", "--lib", "es2022,dom", "--module", "commonjs"]
TSC_OPTIONS += ["--moduleResolution", "node10"]


async def run(*command: str, cwd: Path | None = None) -> tuple[int, str]:
    """Run a command without blocking the event loop the API is served on: its exit code and output."""
    process = await asyncio.create_subprocess_exec(
        *command, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, output.decode()


@pytest.fixture(scope="module")
async def api(container: Container) -> AsyncIterator[str]:
    async with serve(container) as url, projecting(container):
        yield url


@pytest.fixture(scope="module")
async def served(api: str) -> dict[str, Any]:
    """The OpenAPI document, fetched over HTTP as an integrator would."""
    async with httpx.AsyncClient(base_url=api) as http:
        response = await http.get("/schema/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


class Generated:
    """clients/generate.py run on the served document: the folder it made and what it printed."""

    def __init__(self, folder: Path, returncode: int, output: str) -> None:
        self.folder, self.returncode, self.output = folder, returncode, output


@pytest.fixture(scope="module")
async def generated(served: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Generated:
    """One generation per module (a few seconds), in a folder of this session's, run as `make client` runs it."""
    folder = tmp_path_factory.mktemp("clients")
    schema = folder / "openapi.json"
    schema.write_text(document_text(served), encoding="utf-8")
    command = [
        sys.executable,
        str(CLIENTS / "generate.py"),
        "--schema",
        str(schema),
        "--output",
        str(folder / "python"),
    ]
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await process.communicate()
    assert process.returncode is not None
    return Generated(folder / "python", process.returncode, output.decode())


@pytest.fixture(scope="module")
def client_package(generated: Generated) -> Iterator[Path]:
    """The generated package, importable as `leadstore_client` for the module's tests."""
    assert generated.returncode == 0, generated.output
    sys.path.insert(0, str(generated.folder))
    importlib.invalidate_caches()
    try:
        yield generated.folder / PACKAGE
    finally:
        sys.path.remove(str(generated.folder))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def module(name: str) -> ModuleType:
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_the_generator_warns_nothing(generated: Generated) -> None:
    """A warning means the generator left an operation or a response out of the client."""
    assert generated.returncode == 0 and not generated.output.strip(), (
        f"openapi-python-client warned about the served document:\n{generated.output}"
    )


def test_the_committed_document_is_the_served_one(served: dict[str, Any]) -> None:
    committed = json.loads((CLIENTS / "openapi.json").read_text(encoding="utf-8"))
    assert committed == served, f"clients/openapi.json is not the document the API serves: {REGENERATE}"


def _differences(fresh: Path, committed: Path) -> list[str]:
    """Files added, missing or changed in `committed` compared with `fresh`, recursively (caches left out)."""
    ignored = ["__pycache__", ".ruff_cache", ".mypy_cache", ".pytest_cache"]
    found: list[str] = []
    pending = [filecmp.dircmp(fresh, committed, ignore=ignored)]
    while pending:
        compared = pending.pop()
        where = Path(compared.right).relative_to(committed)
        found += [f"missing in clients/python: {where / name}" for name in compared.left_only]
        found += [f"not generated: {where / name}" for name in compared.right_only]
        _, mismatch, errors = filecmp.cmpfiles(compared.left, compared.right, compared.common_files, shallow=False)
        found += [f"differs: {where / name}" for name in [*mismatch, *errors]]
        pending += compared.subdirs.values()
    return sorted(found)


def test_the_published_client_is_a_fresh_generation(generated: Generated) -> None:
    assert generated.returncode == 0, generated.output
    differences = _differences(generated.folder, CLIENTS / "python")
    assert not differences, f"clients/python is not what the generator makes: {REGENERATE}\n" + "\n".join(differences)


async def test_a_lead_goes_through_the_generated_client(api: str, account: NewAccount, client_package: Path) -> None:
    client_module, models = module("client"), module("models")
    create_lead, get_lead = module("api.leads.create_lead"), module("api.leads.get_lead")
    update_lead, list_leads = module("api.leads.update_lead"), module("api.leads.list_leads")
    convert_lead, list_events = module("api.leads.convert_lead"), module("api.events.list_events")
    company = f"co_{uuid4().hex[:12]}"
    client = client_module.AuthenticatedClient(base_url=api, token=account.api_key, raise_on_unexpected_status=True)
    async with client:
        created = []
        for i in range(5):
            email = f"ada{i}.{company}@example.com"
            body = models.LeadInput(first_name=f"Ada{i}", last_name="Lovelace", email=email, company_id=company)
            response = await create_lead.asyncio_detailed(client=client, body=body)
            assert response.status_code == 201, response.content
            assert isinstance(response.parsed, models.LeadOut)
            created.append(response)
        lead = created[0].parsed
        assert response.headers["location"].endswith(f"/v1/leads/{created[-1].parsed.id}")

        fetched = await get_lead.asyncio(lead_id=lead.id, client=client)
        assert isinstance(fetched, models.LeadOut)
        assert (fetched.id, fetched.email, fetched.version) == (lead.id, "ada0." + company + "@example.com", 1)

        patched = await update_lead.asyncio_detailed(
            lead_id=lead.id, client=client, body=models.LeadPatch(score=75, title="Countess"), if_match='"1"'
        )
        assert patched.status_code == 200, patched.content
        assert (patched.parsed.score, patched.parsed.title, patched.parsed.version) == (75, "Countess", 2)
        assert patched.parsed.do_not_call is False and patched.parsed.email == lead.email  # nothing else sent

        seen: list[UUID] = []
        cursor: Any = None
        pages = 0
        while True:
            page = await list_leads.asyncio(
                client=client,
                company_id=company,
                sort="created_at",
                limit=2,
                cursor=cursor,
                min_position=patched.headers["leadstore-position"],
            )
            assert isinstance(page, models.LeadPage)
            seen += [item.id for item in page.data]
            pages += 1
            if not page.has_more:
                break
            cursor = page.next_cursor
        assert pages == 3 and seen == [response.parsed.id for response in created]

        converted = await convert_lead.asyncio(
            lead_id=lead.id, client=client, body=models.ConvertInput(customer_id="cus_4711")
        )
        assert isinstance(converted, models.LeadOut)
        assert converted.is_converted and converted.customer_id == "cus_4711" and converted.status == "converted"

        events: list[Any] = []
        after: Any = None
        while True:
            feed = await list_events.asyncio(client=client, after=after, limit=3)
            assert isinstance(feed, models.EventPage)
            events += feed.data
            after = feed.next_cursor
            if not feed.has_more:
                break
    mine = [(event.type_, event.version) for event in events if event.lead_id == lead.id]
    assert mine == [("LeadCreated", 1), ("LeadUpdated", 2), ("LeadConverted", 3)]
    assert {event.lead_id for event in events if event.lead_id} == {response.parsed.id for response in created}
    assert any(event.lead_id is None for event in events)  # the account's own events parse too


@pytest.fixture(scope="module")
async def node_tools() -> Path:
    """openapi-typescript and tsc, as clients/typescript/package-lock.json pins them: `make test` installs them
    (npm ci, so CI's run then needs no network); a bare pytest run installs them here the first time."""
    if not (NODE_BIN / "tsc").exists() or not (NODE_BIN / "openapi-typescript").exists():
        npm = shutil.which("npm")
        assert npm is not None, "npm is needed for the TypeScript check: install Node.js and npm"
        code, output = await run(npm, "ci", cwd=TYPESCRIPT)
        assert code == 0, f"npm ci in clients/typescript failed:\n{output}"
    return NODE_BIN


async def test_typescript_types_check_a_script_that_drives_the_api(
    api: str, account: NewAccount, served: dict[str, Any], node_tools: Path, tmp_path: Path
) -> None:
    schema, types = tmp_path / "openapi.json", tmp_path / "leadstore.d.ts"
    schema.write_text(document_text(served), encoding="utf-8")
    shutil.copy(TYPESCRIPT / "check.ts", tmp_path / "check.ts")
    # --default-non-nullable false: a member with a default is optional in a request (as package.json's script)
    code, output = await run(
        str(node_tools / "openapi-typescript"), str(schema), "--default-non-nullable", "false", "-o", str(types)
    )
    noise = [line for line in output.splitlines() if line.strip() and not line.startswith(("\u2728", "\U0001f680"))]
    assert code == 0 and not noise, f"openapi-typescript warned about the served document:\n{output}"

    code, output = await run(
        str(node_tools / "tsc"), *TSC_OPTIONS, "--outDir", str(tmp_path / "out"), "check.ts", cwd=tmp_path
    )
    assert code == 0, f"check.ts does not type-check against the generated types:\n{output}"

    node = shutil.which("node")
    assert node is not None
    code, output = await run(node, str(tmp_path / "out" / "check.js"), api, account.api_key)
    assert code == 0 and output.startswith("ok: 3 leads, 3 listed"), output
