"""Masking secrets out of text that is kept: a value that looks like a credential, and the values of
parameters and headers named like a secret, become `***`. The audit trail and administrative events are
append-only, so what reaches them stays for ever."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

MASK = "***"
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"})
SECRET_WORDS = (
    "token",
    "secret",
    "password",
    "passwd",
    "key",
    "auth",
    "session",
    "credential",
    "signature",
    "jwt",
    "cookie",
)
_SECRET_NAME = "|".join(SECRET_WORDS) + "|sig|pwd"
_CREDENTIAL = re.compile(
    r"lsk_[A-Za-z0-9_\-]+"  # a leadstore API key
    r"|\b(?:Bearer|Basic|Token|Digest)\s+[A-Za-z0-9._~+/=\-]+"  # an Authorization-style credential
    r"|\beyJ[A-Za-z0-9_\-]*\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*",  # a JWT (its header always starts with `{"`)
    re.IGNORECASE,
)
_SECRET_PAIR = re.compile(rf"((?:[\w.\-]*(?:{_SECRET_NAME})[\w.\-]*)\s*[=:]\s*)(\"[^\"]*\"|[^&;,\s]+)", re.IGNORECASE)


def is_secret_header(name: str) -> bool:
    lowered = name.lower()
    return lowered in SECRET_HEADERS or any(word in lowered for word in SECRET_WORDS)


def scrubbed(text: str) -> str:
    """`text` with every credential-shaped part replaced by `***` (and NUL, which jsonb can not hold, removed)."""
    text = text.replace("\x00", "")
    if not text:
        return text
    return _SECRET_PAIR.sub(lambda match: match.group(1) + MASK, _CREDENTIAL.sub(MASK, text))


def masked_query(query: str) -> str | None:
    """The query string for the audit log, the values of secret-looking parameters replaced by `***`."""
    if not query:
        return None
    pairs = [pair.partition("=") for pair in query.split("&")]
    return scrubbed("&".join(name + sep + (MASK if is_secret_header(name) else value) for name, sep, value in pairs))


def masked_url(url: str) -> str:
    """`url` with its credentials, secret-named query values and credential-shaped parts masked."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2] if "@" in parts.netloc else parts.netloc
    query = masked_query(parts.query) or ""
    return scrubbed(urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment and MASK)))
