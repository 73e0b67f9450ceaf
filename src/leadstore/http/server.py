"""uvicorn's settings for the API, the same in `serve`, `dev` and the tests: forwarding headers
(`X-Forwarded-For`, `Forwarded`) are believed only from the proxies in LEADSTORE_TRUSTED_PROXIES, so a client
cannot choose the address the audit trail records for it; the access log is ours (leadstore.access), never
uvicorn's as well."""

from __future__ import annotations

import ipaddress
from typing import Any

import uvicorn

from leadstore.http.access_log import AccessLog
from leadstore.metrics import Metrics


def trusted_proxies(setting: str) -> list[str]:
    """The comma-separated addresses or CIDR networks of LEADSTORE_TRUSTED_PROXIES; ValueError names a bad one."""
    proxies = [part.strip() for part in setting.split(",") if part.strip()]
    for proxy in proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise ValueError(f"LEADSTORE_TRUSTED_PROXIES: {proxy!r} is not an IP address or CIDR network") from None
    return proxies


def server_config(
    app: Any,
    *,
    host: str,
    port: int,
    proxies: str,
    access_log: bool = False,
    metrics: Metrics | None = None,
    **options: Any,
) -> uvicorn.Config:
    """The API's uvicorn Config; with no trusted proxy, the client address is the connection's peer. Requests
    are counted in `metrics` when given."""
    trusted = trusted_proxies(proxies)
    return uvicorn.Config(
        AccessLog(app, metrics, lines=access_log) if access_log or metrics else app,
        host=host,
        port=port,
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
        log_level="warning",
        log_config=None,  # uvicorn's loggers write through the process's handler, in LOG_FORMAT
        lifespan="on",
        server_header=False,
        access_log=False,
        **options,
    )
