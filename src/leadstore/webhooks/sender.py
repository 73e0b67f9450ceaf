"""One delivery attempt: a signed POST to an endpoint, judged as delivered, to retry, or final.

Safety: the URL's host is resolved and checked (`addresses.resolve`) on every attempt, and the request goes to
the checked address itself (the host name kept for `Host` and TLS), so DNS can not swap in another address
between the check and the connection. No redirect is followed, no proxy from the environment is used, the
whole attempt is cut at 10 s (connect 5 s), and at most 64 KiB of the answer is read.
"""

from __future__ import annotations

import asyncio
import email.utils
import ipaddress
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import httpx
import msgspec

from leadstore.webhooks.addresses import AddressRefused, resolve
from leadstore.webhooks.signing import signature_header

CONNECT_SECONDS = 5.0
TOTAL_SECONDS = 10.0
BODY_LIMIT = 64 * 1024
RETRIED_STATUSES = frozenset({408, 409, 425, 429})
USER_AGENT = "leadstore-webhooks/1"


class Attempt(msgspec.Struct, frozen=True):
    """What one attempt came to: the receiver's status (None when there was no answer) and why it failed."""

    status: int | None
    error: str | None = None
    retry: bool = False  # worth trying again later
    retry_after: float | None = None  # seconds the receiver asked to wait (Retry-After)

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def new_client(connections: int = 16) -> httpx.AsyncClient:
    """A client for deliveries: no redirects, no proxies from the environment, the attempt's timeouts. Each
    endpoint's sender has its own, as many connections as it has posts in flight: the client's pool looks at
    every connection on every request, so one big shared pool costs each delivery more."""
    timeout = httpx.Timeout(TOTAL_SECONDS, connect=CONNECT_SECONDS)
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(follow_redirects=False, trust_env=False, timeout=timeout, limits=limits)


def signed_headers(secrets: Sequence[str], message_id: str, delivery_id: str, body: bytes) -> dict[str, str]:
    stamp = int(time.time())
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": signature_header(secrets, message_id, stamp, body),
        "leadstore-delivery-id": delivery_id,
    }


async def post(
    client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str], *, allow_private: bool
) -> Attempt:
    """POST `body` to `url` once; never raises for anything the network or the receiver does."""
    try:
        async with asyncio.timeout(TOTAL_SECONDS):
            addresses = await resolve(url, allow_private=allow_private)
            for address in addresses[:-1]:
                try:
                    return await _send(client, url, address, body, headers)
                except httpx.ConnectError:
                    continue  # the name's next address may connect (this host has no IPv6 route, say)
            return await _send(client, url, addresses[-1], body, headers)
    except AddressRefused as exc:
        return Attempt(None, f"address refused: {exc}", retry=True)
    except TimeoutError:
        return Attempt(None, f"no answer within {TOTAL_SECONDS:g} s", retry=True)
    except httpx.TimeoutException as exc:
        return Attempt(None, f"timed out ({type(exc).__name__})", retry=True)
    except (httpx.HTTPError, OSError) as exc:
        return Attempt(None, f"connection failed: {type(exc).__name__}: {exc}"[:500], retry=True)


async def _send(
    client: httpx.AsyncClient,
    url: str,
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
    body: bytes,
    headers: dict[str, str],
) -> Attempt:
    parts = urlsplit(url)
    host = f"[{address}]" if address.version == 6 else str(address)
    pinned = urlunsplit(parts._replace(netloc=host + (f":{parts.port}" if parts.port else "")))
    # an internationalised name goes on the wire as IDNA (the lookup already encoded it so): headers are ASCII
    host_header = parts.netloc.rpartition("@")[2].encode("idna").decode("ascii")
    request = client.build_request(
        "POST",
        pinned,
        content=body,
        headers={**headers, "host": host_header},
        extensions={"sni_hostname": (parts.hostname or "").encode("idna").decode("ascii")},
    )
    response = await client.send(request, stream=True)
    try:
        read = 0
        async for chunk in response.aiter_raw():
            read += len(chunk)
            if read >= BODY_LIMIT:
                break
    finally:
        await response.aclose()
    return judge(response.status_code, response.headers.get("retry-after"))


def judge(status: int, retry_after: str | None) -> Attempt:
    """2xx delivered; 5xx, 408, 409, 425 and 429 retried (honouring Retry-After); any other status final."""
    if 200 <= status < 300:
        return Attempt(status)
    retry = status >= 500 or status in RETRIED_STATUSES
    return Attempt(status, f"the receiver answered {status}", retry=retry, retry_after=_seconds(retry_after))


def _seconds(retry_after: str | None) -> float | None:
    """Retry-After as seconds from now: a number of seconds or an HTTP date."""
    if not retry_after:
        return None
    text = retry_after.strip()
    if text.isascii() and text.isdigit():  # "²".isdigit() too, and float() refuses it
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
