"""How to reach NATS: the URL (which may carry `user:password@` or `token@`), a creds file or credentials, TLS.

The URL may list several servers of a cluster, comma-separated; the client picks one and moves to another
when it fails. Credentials written in the URLs are lifted into the connect options, so they reach every
server, the ones the cluster advertises as well.
"""

from __future__ import annotations

import ssl
from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit

import msgspec
import nats
from nats.aio.client import Client as NatsClient

from leadstore.settings import Settings


def _split(url: str) -> list[SplitResult]:
    return [urlsplit(part.strip()) for part in url.split(",") if part.strip()]


def server_address(url: str) -> str:
    """`host:port` of each server of a URL list, for logs: user names, passwords and tokens stay out of them."""
    servers = _split(url)
    return ",".join(f"{s.hostname}:{s.port}" if s.port else str(s.hostname) for s in servers) or "(none)"


class NatsConnection(msgspec.Struct, frozen=True, kw_only=True):
    """A NATS server (or cluster) and the credentials to connect with; `tls://` URLs are verified against
    the system's CAs, or against `ca_file` when given."""

    url: str
    creds_file: str = ""
    user: str = ""
    password: str = ""
    token: str = ""
    ca_file: str = ""

    def __post_init__(self) -> None:
        given = [
            kind
            for kind, value in (("a creds file", self.creds_file), ("a user", self.user), ("a token", self.token))
            if value
        ]
        if len(given) > 1:
            raise ValueError(f"NATS credentials: {' and '.join(given)} are both set; give one kind")
        if self.password and not self.user:
            raise ValueError("NATS credentials: a password needs a user (LEADSTORE_NATS_USER)")
        if len(self._url_logins()) > 1:
            raise ValueError("NATS URLs: the servers of the list carry different credentials; give one set")

    def __repr__(self) -> str:
        return f"NatsConnection({server_address(self.url)})"

    @classmethod
    def of(cls, target: str | NatsConnection) -> NatsConnection:
        """A connection given as one, or as a bare URL (credentials in the URL, if any)."""
        return target if isinstance(target, NatsConnection) else cls(url=target)

    @classmethod
    def from_settings(cls, settings: Settings) -> NatsConnection:
        """LEADSTORE_NATS_URL with LEADSTORE_NATS_CREDS_FILE, _USER and _PASSWORD, _TOKEN and _CA_FILE."""
        return cls(
            url=settings.nats_url,
            creds_file=settings.nats_creds_file,
            user=settings.nats_user,
            password=settings.nats_password,
            token=settings.nats_token,
            ca_file=settings.nats_ca_file,
        )

    @property
    def address(self) -> str:
        """The servers, for logs (no credentials)."""
        return server_address(self.url)

    def servers(self) -> list[str]:
        """Each server of the URL list, without the credentials it carries (`options` has them)."""
        return [server._replace(netloc=server.netloc.rpartition("@")[2]).geturl() for server in _split(self.url)]

    def _url_logins(self) -> set[tuple[str, str | None]]:
        """The (user, password) pairs written in the URLs; a user without a password is a token."""
        return {
            (unquote(server.username or ""), None if server.password is None else unquote(server.password))
            for server in _split(self.url)
            if server.username or server.password
        }

    def options(self) -> dict[str, Any]:
        """The keyword arguments of `nats.connect` for these credentials and this trust."""
        options: dict[str, Any] = {}
        if not (self.creds_file or self.user or self.token):  # credentials given apart win over the URL's
            for user, password in self._url_logins():
                options.update({"token": user} if password is None else {"user": user, "password": password})
        if self.creds_file:
            options["user_credentials"] = self.creds_file
        if self.user:
            options.update(user=self.user, password=self.password)
        if self.token:
            options["token"] = self.token
        if self.ca_file:
            options["tls"] = ssl.create_default_context(cafile=self.ca_file)
        return options

    async def connect(self, **options: Any) -> NatsClient:
        """A new client connection (`options` are `nats.connect`'s: name, callbacks, reconnecting)."""
        return await nats.connect(self.servers(), **self.options(), **options)
