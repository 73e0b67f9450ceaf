"""Which characters a text field may hold: no control characters, no bidi controls, not only invisible ones."""

from __future__ import annotations

import re

# Embeddings, overrides and isolates reorder how the rest of a line is shown (the "Trojan Source" trick), so
# a value could read differently in a terminal, a log or a CRM screen than it is stored: refused everywhere.
_BIDI_CONTROLS = r"\u202a-\u202e\u2066-\u2069"
# C0 and C1 controls and DEL; line and paragraph separators end a line as a newline does.
_NOT_IN_A_LINE = rf"\x00-\x1f\x7f-\x9f\u2028\u2029{_BIDI_CONTROLS}"
_SINGLE_LINE = re.compile(f"[{_NOT_IN_A_LINE}]")
# Multi-line fields keep tab, newline and carriage return (Windows clients and HTML forms send CRLF).
_MULTI_LINE = re.compile(rf"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI_CONTROLS}]")
# Unicode's default-ignorable code points, every kind of space, and the blank-looking letters (Hangul
# fillers, the blank Braille pattern): a value made of these alone shows nothing.
_INVISIBLE = (
    r"\s\x00-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
    r"\u202a-\u202e\u2060-\u206f\u2800\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    r"\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff"
)
_VISIBLE = re.compile(f"[^{_INVISIBLE}]")
# For the OpenAPI document: the single-line rule as a pattern (ECMA-262 reads these escapes as Python does).
SINGLE_LINE_PATTERN = f"^[^{_NOT_IN_A_LINE}]*$"


def character_problem(value: str, *, multiline: bool = False) -> tuple[str, str] | None:
    """None when `value` holds no control character (but tab and line breaks in a multi-line field), no bidi
    control and, unless it is empty, a visible character; else the field error's code and message."""
    if value.isascii() and value.isprintable() and not value.isspace():
        return None  # the everyday value, settled in a quarter of the regexes' time
    found = (_MULTI_LINE if multiline else _SINGLE_LINE).search(value)
    if found is not None:
        return "invalid_character", f"must not contain {_named(found.group())}"
    if value and _VISIBLE.search(value) is None:
        return "blank", "must contain a visible character, not only spaces or invisible ones"
    return None


def is_visible(value: str) -> bool:
    """True when `value` has a character that shows (the identity rule counts only these)."""
    return _VISIBLE.search(value) is not None


def _named(char: str) -> str:
    code = f"U+{ord(char):04X}"
    if "\u202a" <= char <= "\u202e" or "\u2066" <= char <= "\u2069":
        return f"the bidirectional control {code}"
    if char in "\t\n\r\u2028\u2029":
        return f"a line break or tab ({code}): this field is a single line"
    return f"the control character {code}"
