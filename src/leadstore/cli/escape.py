"""Data printed for people, made harmless: what a terminal would obey is shown as an escape instead."""

from __future__ import annotations

import re

# C0 and C1 controls and DEL (ESC and CSI start the sequences that move the cursor, recolour or retitle a
# terminal; CR and BS overwrite what was printed), line breaks (a value could forge a line of its own), bidi
# marks, embeddings, overrides and isolates (they reorder the rest of the line), and zero-width characters
# that would hide the difference between two values.
_BEYOND_C0 = "\x7f-\x9f\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060\u2066-\u2069\ufeff"
_IN_TEXT = re.compile(f"[\x00-\x1f{_BEYOND_C0}]")
# Valid JSON holds tab, newline and carriage return only as whitespace between tokens (encoders escape them
# in strings), so they stay; every other character above can only stand inside a string there.
_IN_JSON = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{_BEYOND_C0}]")
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """`text` on one line with every character listed above written as an escape (`\\x1b`, `\\n`, `\\u202e`)."""
    if _IN_TEXT.search(text) is None:
        return text
    return _IN_TEXT.sub(_escape, text)


def printable_json(text: str) -> str:
    """A JSON text as the same JSON value, with those characters inside its strings written as `\\u` escapes."""
    if _IN_JSON.search(text) is None:
        return text
    return _IN_JSON.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def _escape(found: re.Match[str]) -> str:
    char = found.group()
    code = ord(char)
    return _SHORT.get(char) or (f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}")
