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
# name=value, name: value, name="value"; a name is tried once, from its first character
_PAIR = re.compile(r"(?<![\w.\-])([\w.\-]+\s*[=:]\s*)(\"[^\"]*\"|[^&;,\s?#=]+)")
_SECRET_IN_NAME = re.compile(_SECRET_NAME, re.IGNORECASE)


def is_secret_header(name: str) -> bool:
    lowered = name.lower()
    return lowered in SECRET_HEADERS or any(word in lowered for word in SECRET_WORDS)


# What each shape needs to hold: substring tests (fast) spare most values (a user agent) both regexes.
_CREDENTIAL_MARKS = ("lsk_", "eyj", "bearer", "basic", "token", "digest")
_SECRET_NAME_MARKS = (*SECRET_WORDS, "sig", "pwd")


def scrubbed(text: str) -> str:
    """`text` with every credential-shaped part replaced by `***` (and NUL, which jsonb can not hold, removed)."""
    text = text.replace("\x00", "")
    lowered = text.lower()
    if any(mark in lowered for mark in _CREDENTIAL_MARKS):
        text = _CREDENTIAL.sub(MASK, text)
    if ("=" in text or ":" in text) and any(mark in lowered for mark in _SECRET_NAME_MARKS):
        text = _PAIR.sub(_masked_pair, text)
    return text


def _masked_pair(match: re.Match[str]) -> str:
    name = match.group(1)
    return name + MASK if _SECRET_IN_NAME.search(name) else match.group(0)


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
