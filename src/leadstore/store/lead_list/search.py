"""The list's `q`: the words a lead is found by, and the full-text query a search box's text becomes.

A lead's words are the runs of letters and the runs of digits (lower-cased) of its full name, email, company
and the string values of its custom fields (text and choice; not dates), and its phone number's digits, both
in E.164 (15552345678) and national (5552345678). They are stored as a tsvector with a GIN index.

`q` matches a lead when every word of `q` is one of the lead's words, the last one as a prefix
(case-insensitive): "maria gar" finds Maria Garcia, "gmail" every gmail.com address, "company 123" Company
123 and Company 1234.
Phone-ish text ("+1 555 234", "(555) 234-5678", "5552345678") also matches as one run of digits, a prefix of
a phone number's digits. Word-prefix rather than any-substring matching is what lets one index answer a
search in a few index pages at a million leads (bench/search_bench.py has the figures of both).
"""

from __future__ import annotations

import re
from typing import Any

import phonenumbers

# A word is a run of letters or a run of digits: "garcia77" is garcia and 77, so that the prefix garcia is one
# index entry to read, not one per number that follows it in someone's address.
_WORD = re.compile(r"[^\W\d_]+|\d+")
# Phone numbers' digits are stored as "t<digits>", which no text's words can be (letters and digits never
# share a word): a search's digits then expand over the phone numbers only when it looks like a phone number.
PHONE = "t"
_PHONE_ISH = re.compile(r"\A\+?[0-9\s().\-/]+\Z")
_CALENDAR = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9:.]+Z?)?\Z")  # a custom date or datetime value
MIN_PHONE_DIGITS = 3
# A last word shorter than this is left out of what the words index is asked for when other words are whole:
# its prefix can stand for thousands of words ("me" of proton.me: Melissa, Media, Metro...), whose leads the
# index would gather only for most to be dropped; the leads the whole words find are checked for it instead.
MIN_INDEXED_PREFIX = 3
MAX_WORD = 100  # characters of a stored word: a long one is found by its first 100 (tsvector caps lexemes)
MAX_QUERY_WORDS = 8  # more words than a person types into a search box; each is an index entry to intersect


def words(text: str) -> list[str]:
    """The lower-cased runs of letters and digits of `text`."""
    return [word[:MAX_WORD] for word in _WORD.findall(text.lower())]


def lead_words(
    full_name: str | None, email: str | None, company: str | None, phone: str | None, custom: dict[str, Any]
) -> list[str]:
    """The words a lead is found by (see the module's docstring), without repeats, in a stable order."""
    texts = [full_name, email, company]
    texts += [value for value in custom.values() if isinstance(value, str) and not _CALENDAR.match(value)]
    found = [word for text in texts if text for word in words(text)]
    found += phone_words(phone)
    return list(dict.fromkeys(found))


def phone_words(phone: str | None) -> list[str]:
    """An E.164 number's digits, and its national number's when they differ."""
    if not phone:
        return []
    digits = phone.lstrip("+")
    try:
        national = str(phonenumbers.parse(phone, None).national_number)
    except phonenumbers.NumberParseException:
        return [PHONE + digits]
    return [PHONE + each for each in dict.fromkeys((digits, national))]


def search_query(q: str) -> str | None:
    """The tsquery text of `q` (every word as a prefix, all required; phone-ish text also as one run of
    digits), or None when `q` has no letter or digit. Words are letters and digits only, so quoting them is
    all the escaping tsquery needs."""
    found = list(dict.fromkeys(words(q)))[:MAX_QUERY_WORDS]
    if not found:
        return None
    *whole, last = found
    every = " & ".join([*(f"'{word}'" for word in whole), f"'{last}':*"])
    digits = re.sub("[^0-9]", "", q)[:MAX_WORD]
    if _PHONE_ISH.match(q.strip()) and len(digits) >= MIN_PHONE_DIGITS:
        return f"'{PHONE}{digits}':* | ({every})"
    return every


def index_query(q: str) -> str | None:
    """What the words index is asked for, for `q`: search_query(q) itself, or, when its last word is a short
    prefix after whole words, the whole words alone (the matches are then checked against search_query)."""
    found = list(dict.fromkeys(words(q)))[:MAX_QUERY_WORDS]
    query = search_query(q)
    if query is None or len(found) < 2 or len(found[-1]) >= MIN_INDEXED_PREFIX or " | " in query:
        return query
    return " & ".join(f"'{word}'" for word in found[:-1])
