"""Settings from `LEADSTORE_*` environment variables, read when asked, never at import time."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TypeVar

import msgspec

S = TypeVar("S", bound=msgspec.Struct)


def from_env(cls: type[S], environ: Mapping[str, str] | None = None) -> S:
    """Build a settings struct from every `LEADSTORE_<FIELD>` variable that is set (strings converted)."""
    env = os.environ if environ is None else environ
    raw = {
        name: env[f"LEADSTORE_{name.upper()}"] for name in cls.__struct_fields__ if f"LEADSTORE_{name.upper()}" in env
    }
    return msgspec.convert(raw, cls, strict=False)


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str = ""
    nats_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    pool_min_size: int = 2
    pool_max_size: int = 20
    projection_batch_size: int = 1000
    projection_poll_seconds: float = 1.0
    min_position_wait_seconds: float = 5.0
    max_body_bytes: int = 256 * 1024
    trusted_proxies: str = ""  # comma-separated IPs or CIDRs whose X-Forwarded-For / Forwarded are believed
    # each API key's budget, shared by every API process of the deployment; either 0 turns it off
    rate_limit_per_second: float = 100.0
    rate_limit_burst: int = 200
    rate_limit_lease: int = 10  # tokens a process takes from a key's shared bucket at once (at most burst/10)
    auth_failures_per_minute: int = 20  # failed authentications per client address; 0 turns it off
    access_log: bool | None = None  # a line per request on `leadstore.access`; None: on in `serve`, off in `dev`
    # NATS credentials besides those a URL may carry (user:password@, token@): one kind at a time
    nats_creds_file: str = ""  # a .creds file (user JWT and NKey seed): the secret never crosses the wire
    nats_user: str = ""
    nats_password: str = ""
    nats_token: str = ""
    nats_ca_file: str = ""  # PEM of the CA that signed the NATS server's certificate (tls:// URLs)
    # The Ed25519 key that signs published events: base64 of its 32-byte seed, or a file holding that; when
    # neither is set every process uses the deployment's key, made once in PostgreSQL (table signing_key)
    signing_key: str = ""
    signing_key_file: str = ""
    signing_public_key: str = ""  # what `tail` verifies with (base64 of the 32-byte public key)
    # Observability (issue 11)
    ready_timeout_seconds: float = 2.0  # /ready (and a scrape's reader lag) give up on the database after this
    metrics_port: int = 0  # serve /metrics on this port (on LEADSTORE_HOST), not on the API's; 0: on the API's
    log_format: str = ""  # json or text; empty: text in `dev`, json otherwise
    # Read replica (issue 11): lists, the feed and `as_of` reads go to this streaming standby when set
    read_database_url: str = ""
    # Processes, bounded shutdown and slow clients (issue 11)
    processes: int = 0  # API processes of `leadstore serve` sharing its port; 0: one per core
    shutdown_seconds: int = 25  # how long SIGTERM waits for the requests in flight before closing them
    request_read_seconds: float = 30.0  # a request's head, then its body, each arrive within this or are cut off
    # Leases (issue 11): each projection and the publisher leads under a lease renewed every third of this; a
    # standby takes over one not renewed for this long, and the old leader can no longer save its checkpoint
    lease_seconds: float = 10.0
    # Webhooks (issue 12): the key webhook secrets are sealed with (base64 of 32 bytes, or a file holding it),
    # and whether deliveries may go to loopback, private and link-local addresses (`dev` allows them)
    secrets_key: str = ""
    secrets_key_file: str = ""
    webhooks_allow_private: bool = False
    # Deliveries: retried with exponential backoff (base, doubling up to max, with jitter) until an endpoint has
    # failed without a break for the retry window (3 days), when it is disabled; concurrency per endpoint and
    # per process; how often the worker looks for new endpoints (and on every NOTIFY) and polls for due retries
    webhooks_retry_window_seconds: float = 259_200.0
    webhooks_backoff_base_seconds: float = 5.0
    webhooks_backoff_max_seconds: float = 3600.0
    webhooks_concurrency_per_endpoint: int = 8
    webhooks_concurrency: int = 64
    webhooks_discover_seconds: float = 5.0
    webhooks_poll_seconds: float = 1.0
    # Encryption at rest (issue 13): the key-encryption key that wraps every lead's data key (base64 of 32
    # bytes, or a file holding it; the service refuses to start without one), the previous one while
    # `leadstore rotate-kek` moves the keys off it, and the new one rotate-kek wraps under
    kek: str = ""
    kek_file: str = ""
    kek_previous: str = ""
    kek_previous_file: str = ""
    new_kek: str = ""
    new_kek_file: str = ""
    # Imports (issue 14): the largest upload (bytes, lead rows); how many imports a worker process runs at
    # once, rows per saved chunk, rows of a chunk written at once, and how often it looks for new imports
    import_max_bytes: int = 50 * 1024 * 1024
    import_max_rows: int = 100_000
    import_runs: int = 2
    import_chunk_rows: int = 250
    import_concurrency: int = 8  # rows in flight: each holds a pooled connection the API shares
    import_poll_seconds: float = 1.0

    def __repr__(self) -> str:
        return f"Settings(database_url=..., nats_url=..., host={self.host!r}, port={self.port})"  # no secrets

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read every `LEADSTORE_<FIELD>` variable that is set."""
        return from_env(cls, environ)
