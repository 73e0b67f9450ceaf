"""Junk requests, as a fuzzer sends them: random methods, paths, headers and bodies, from a seed, so a failing
request can be sent again. Used by tests/integration/test_http_junk.py (a short run) and bench/junk_bench.py
(30,000 of them)."""

from __future__ import annotations

import json
import random
from typing import NamedTuple

import httpx

PATHS = [
    "/v1/leads",
    "/v1/leads/{lead}",
    "/v1/leads/{lead}/events",
    "/v1/leads/{lead}/assign",
    "/v1/leads/{lead}/convert",
    "/v1/leads/{lead}/archive",
    "/v1/leads/{lead}/restore",
    "/v1/events",
    "/v1/statuses",
    "/v1/statuses/new",
    "/v1/statuses/reorder",
    "/v1/sources",
    "/v1/teams",
    "/v1/custom-fields",
    "/v1/rotation",
    "/v1/users",
    "/v1/api-keys",
    "/v1/webhooks",
    "/v1/webhooks/{lead}",
    "/v1/webhooks/{lead}/replay",
    "/v1/signing-key",
    "/v1/leads/%00",
    "/v1/leads/../../etc/passwd",
    "/v1/%ff%fe",
    "/" + "a" * 3000,
]
METHODS = ["GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS", "HEAD", "TRACE"]
VALUES: list[object] = [
    None,
    True,
    0,
    -1,
    2**63,
    2**64 + 1,
    1e308,
    -1e-308,
    "",
    "a\x00b",
    "\u202e",
    "x" * 5000,
    "😀",
    "Ω" * 300,
    [],
    {},
    [[[[[[]]]]]],
    {"$gt": ""},
    "1_0.5",
    "2026-02-30",
    "lsk_" + "A" * 43,
]
FIELDS = ["first_name", "email", "status", "score", "custom", "team_id", "assigned_to", "phone", "notes", "x", ""]
PARAMETERS = [*FIELDS, "limit", "sort", "cursor", "as_of", "after", "min_position"]


class Junk(NamedTuple):
    method: str
    path: str
    headers: dict[str, str]
    content: bytes


def junk(rng: random.Random, lead: str) -> Junk:
    """One junk request, drawn from `rng`."""
    path = rng.choice(PATHS).replace("{lead}", rng.choice([lead, "not-a-uuid", "00000000-0000-0000-0000-000000000000"]))
    if rng.random() < 0.3:
        pairs = (f"{rng.choice(PARAMETERS)}={rng.randrange(10**6)}" for _ in range(rng.randrange(4)))
        path += "?" + "&".join(pairs)
    headers = {"content-type": rng.choice(["application/json", "text/plain", "application/json; charset=latin-1", ""])}
    if rng.random() < 0.2:
        headers["if-match"] = rng.choice(['"1"', "*", "x", '"99999999999999999999"'])
    kind = rng.randrange(5)
    if kind == 0:
        content = rng.randbytes(rng.randrange(200))
    elif kind == 1:
        content = json.dumps({rng.choice(FIELDS): rng.choice(VALUES) for _ in range(rng.randrange(5))}).encode()
    elif kind == 2:
        content = b"[" * rng.randrange(1, 5000)
    elif kind == 3:
        content = b'{"first_name": "a", "first_name": "b"}'
    else:
        content = b""
    return Junk(rng.choice(METHODS), path, headers, content)


async def send(http: httpx.AsyncClient, request: Junk) -> int:
    """Send one junk request; its status."""
    response = await http.request(request.method, request.path, headers=request.headers, content=request.content)
    return response.status_code
