"""The audit record keeps what explains a request and masks every credential-shaped value in it."""

from __future__ import annotations

import pytest

from leadstore.redaction import masked_query, masked_url, scrubbed

KEY = "lsk_Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        (f"curl/8.0 {KEY}", "curl/8.0 ***"),
        ("Bearer abc.def-ghi", "***"),
        (f"basic {KEY}", "***"),
        (JWT, "***"),
        ("for=10.0.0.1;secret=hunter2", "for=10.0.0.1;secret=***"),
        ("https://x.example/cb?access_token=abc&x=1", "https://x.example/cb?access_token=***&x=1"),
        ("api_key: s3cr3t", "api_key: ***"),
        ('password="two words"', "password=***"),
        ("Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0", "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"),
        ("a\x00b", "ab"),
    ],
)
def test_credential_shapes_are_masked_and_the_rest_is_kept(value: str, kept: str) -> None:
    assert scrubbed(value) == kept


def test_query_values_of_secret_named_parameters_and_credential_values_are_masked() -> None:
    assert (
        masked_query("skip_team_requirement=true&api_key=k&q=" + KEY) == "skip_team_requirement=true&api_key=***&q=***"
    )
    assert masked_query("") is None


def test_a_url_kept_in_an_event_loses_its_credentials_and_secret_query_values() -> None:
    kept = masked_url("https://user:pw@crm.example/hooks?token=abc&team=east#sig=1")
    assert kept == "https://crm.example/hooks?token=***&team=east#***"
    assert masked_url("https://crm.example/h") == "https://crm.example/h"
