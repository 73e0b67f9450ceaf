"""Where webhooks may be delivered: by default never to loopback, link-local, private, shared, reserved or
metadata addresses, checked on the addresses a name resolves to (at creation and on every attempt, since
DNS can change), so a webhook can not be pointed at the service's own network (SSRF)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(Exception):
    """A webhook URL that names, or resolves to, an address deliveries may not go to."""


def check_url(url: str) -> tuple[str, int]:
    """(host, port) of an http(s) URL with a host and no credentials; AddressRefused otherwise."""
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. a host that changes under NFKC normalization
        raise AddressRefused("the URL is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AddressRefused("the URL must be http:// or https:// with a host")
    if parts.username or parts.password:
        raise AddressRefused("the URL must not carry credentials")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise AddressRefused("the URL's port is not a number from 1 to 65535") from None
    return parts.hostname, port


def is_public(address: Address) -> bool:
    """Whether `address` is on the public internet (an IPv4-mapped or 6to4 IPv6 address is judged as its IPv4)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.is_site_local:
            return False
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            address = embedded
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or (isinstance(address, ipaddress.IPv4Address) and address in _SHARED)
    )


_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT: not private to Python, not public either


async def resolve(url: str, *, allow_private: bool) -> list[Address]:
    """The addresses `url`'s host resolves to, every one of them allowed; AddressRefused naming why not."""
    host, port = check_url(url)
    try:
        addresses: list[Address] = [ipaddress.ip_address(host)]  # a literal address needs no lookup
    except ValueError:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise AddressRefused(f"the host {host!r} does not resolve: {exc.strerror}") from None
        except UnicodeError:  # the idna codec refuses the name (an empty or over-long label) before any lookup
            raise AddressRefused(f"the host {host!r} does not resolve: not a valid host name") from None
        # in the resolver's order (RFC 6724: the families this host can reach first), each once
        addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
    if not allow_private:
        refused = [str(address) for address in addresses if not is_public(address)]
        if refused:
            raise AddressRefused(
                f"{host!r} resolves to {', '.join(refused)}, not a public address "
                "(LEADSTORE_WEBHOOKS_ALLOW_PRIVATE=true allows private ones)"
            )
    return addresses
