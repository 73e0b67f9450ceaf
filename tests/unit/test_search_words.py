"""The words a lead is found by and the tsquery a `q` becomes (leadstore.store.lead_list.search)."""

from __future__ import annotations

import pytest

from leadstore.store.lead_list.search import MAX_WORD, index_query, lead_words, search_query


def test_a_leads_words_are_runs_of_letters_or_digits_of_its_name_email_company_custom_text_and_phone() -> None:
    found = lead_words(
        "María Garcia",
        "Maria.Garcia77@Acme-Logistics.com",
        "Acme Logistics Ltd",
        "+15552345678",
        {"segment": "Mid-Market", "renewal": "2026-03-01", "seen": "2026-03-01T10:00:00.000Z", "tags": ["vip"], "n": 3},
    )
    assert found == [
        "maría", "garcia", "maria", "77", "acme", "logistics", "com", "ltd", "mid", "market",
        "t15552345678", "t5552345678",
    ]  # fmt: skip


def test_a_long_word_is_stored_by_its_first_characters() -> None:
    assert lead_words("x" * 500, None, None, None, {}) == ["x" * MAX_WORD]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("Garcia", "'garcia':*"),
        ("maria gar", "'maria' & 'gar':*"),
        ("maria.garcia77", "'maria' & 'garcia' & '77':*"),
        ("company 123", "'company' & '123':*"),
        ("+1 555 234", "'t1555234':* | ('1' & '555' & '234':*)"),
        ("(555) 234-5678", "'t5552345678':* | ('555' & '234' & '5678':*)"),
        ("5552345678", "'t5552345678':* | ('5552345678':*)"),
        ("12", "'12':*"),  # too few digits to be a phone number's start
        ("it's", "'it' & 's':*"),  # quotes never reach the tsquery
        ("%", None),
        ("  ", None),
    ],
)
def test_q_becomes_a_tsquery_of_its_words(q: str, expected: str | None) -> None:
    assert search_query(q) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("kathleen.smith0@proton.me", "'kathleen' & 'smith' & '0' & 'proton'"),  # "me" stands for thousands
        ("maria ga", "'maria'"),
        ("maria gar", "'maria' & 'gar':*"),
        ("ga", "'ga':*"),  # nothing else to ask the index for
        ("555 23", "'t55523':* | ('555' & '23':*)"),
    ],
)
def test_a_short_last_prefix_after_whole_words_is_checked_rather_than_looked_up(q: str, expected: str) -> None:
    assert index_query(q) == expected
