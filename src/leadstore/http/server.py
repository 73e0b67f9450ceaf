"""uvicorn's settings for the API, the same in `serve`, `dev` and the tests: forwarding headers
(`X-Forwarded-For`, `Forwarded`) are believed only from the proxies in LEADSTORE_TRUSTED_PROXIES, so a client
cannot choose the address the audit trail records for it; the access log is ours (leadstore.access), never
uvicorn's as well; requests are read within a bound (leadstore.http.reading) and a shutdown waits for the
requests in flight only so long."""

from __future__ import annotations

import ipaddress
from typing import Any

import uvicorn

from leadstore.http.access_log import AccessLog
from leadstore.http.reading import BoundedBodies, bounded_head_protocol
from leadstore.http.shutdown import CutAtShutdown
from leadstore.metrics import Metrics
from leadstore.settings import Settings

DEFAULTS = Settings()


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
    shutdown_seconds: int = DEFAULTS.shutdown_seconds,
    read_seconds: float = DEFAULTS.request_read_seconds,
    **options: Any,
) -> uvicorn.Config:
    """The API's uvicorn Config; with no trusted proxy, the client address is the connection's peer. Requests
    are counted in `metrics` when given."""
    trusted = trusted_proxies(proxies)
    app = CutAtShutdown(BoundedBodies(app, read_seconds))
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
        http=bounded_head_protocol(read_seconds),
        timeout_graceful_shutdown=shutdown_seconds,
        **options,
    )
