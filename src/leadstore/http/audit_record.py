"""What the audit trail records of a request: who acted and from where, by an allow-list of headers, with
every value that looks like a credential masked.

The trail is append-only, so a secret that reaches it stays for ever: headers are recorded only when they
explain a request (below), secret-named ones only as `***`, and every recorded value (path, query, user
agent, headers) is scanned for credential shapes: leadstore keys, `Bearer`/`Basic` credentials, JWTs and
`name=value` pairs whose name looks like a secret.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from leadstore.http.context import AnyRequest
from leadstore.http.server import trusted_proxies
from leadstore.http.tracing import request_id
from leadstore.redaction import MASK, is_secret_header, masked_query, scrubbed
from leadstore.store.accounts import Principal

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

RECORDED_HEADERS = frozenset(
    {"content-type", "content-length", "user-agent", "origin", "referer", "x-request-id", "x-account-id", "if-match"}
)
FORWARDING_HEADERS = frozenset({"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "forwarded"})


def recorded_headers(request: AnyRequest, forwarded_by_trusted_proxy: bool) -> dict[str, str]:
    """The allow-listed headers, scrubbed; secret-named ones only as `***`, the referer without its query."""
    recorded: dict[str, str] = {}
    for name, value in request.headers.items():
        lowered = name.lower()
        if is_secret_header(lowered):
            recorded[lowered] = MASK
        elif lowered == "referer":
            recorded[lowered] = scrubbed(value.partition("?")[0].partition("#")[0])
        elif lowered in RECORDED_HEADERS or (forwarded_by_trusted_proxy and lowered in FORWARDING_HEADERS):
            recorded[lowered] = scrubbed(value)
    return recorded


@lru_cache(maxsize=8)
def _networks(setting: str) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in trusted_proxies(setting))


def _is_trusted(host: str, networks: tuple[Network, ...]) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in networks)


def came_through_trusted_proxy(request: AnyRequest, proxies: str) -> bool:
    """Whether uvicorn took the client address from `X-Forwarded-For`, as it does only for a trusted peer.

    The peer's own address is gone by then, so this asks whether the recorded address is the one a trusted
    proxy chain names: the first hop, from the right, that is not a trusted proxy.
    """
    client, forwarded_for = request.client, request.headers.get("x-forwarded-for")
    if not proxies or client is None or not forwarded_for:
        return False
    networks = _networks(proxies)
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    named = next((hop for hop in reversed(hops) if not _is_trusted(hop, networks)), hops[0] if hops else None)
    return named == client.host


def event_metadata(request: AnyRequest, principal: Principal, proxies: str = "") -> dict[str, Any]:
    """The metadata every event of this request records: actor, request, correlation id."""
    rid = request_id(request.scope)
    actor = principal.actor
    client = request.client
    return {
        "actor": {
            "user_id": str(actor.user_id),
            "email": actor.email,
            "api_key_id": None if actor.api_key_id is None else str(actor.api_key_id),
        },
        "request": {
            "id": rid,
            "method": request.method,
            "path": scrubbed(request.scope.get("raw_path", b"").decode("latin-1") or request.url.path),
            "query": masked_query(request.scope.get("query_string", b"").decode("latin-1")),
            "ip": client.host if client else None,
            "user_agent": scrubbed(request.headers.get("user-agent", "")) or None,
            "headers": recorded_headers(request, came_through_trusted_proxy(request, proxies)),
        },
        "correlation_id": rid,
    }
