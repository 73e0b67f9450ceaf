"""Request-body validation: the Lead table's rules, every bad field listed, nothing but ValidationFailed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from email_validator import validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from leadstore.domain import field_checks
from leadstore.domain.errors import ValidationFailed
from leadstore.domain.events import MailingAddress
from leadstore.domain.field_checks import ISO_COUNTRIES
from leadstore.domain.rules import CustomFieldRule, Rules, SourceRule, StatusRule, TeamRule
from leadstore.domain.state import Lead
from leadstore.domain.validation import validate_fields

TEAM, USER = uuid4(), uuid4()
NOW = datetime(2026, 11, 21, tzinfo=UTC)
RULES = Rules(
    statuses=[StatusRule("new", "open"), StatusRule("converted", "won"), StatusRule("lost", "lost")],
    sources=[SourceRule("website")],
    teams=[TeamRule(TEAM)],
    custom_fields=[
        CustomFieldRule("notes_md", "text"),
        CustomFieldRule("budget", "number"),
        CustomFieldRule("vip", "boolean"),
        CustomFieldRule("renewal", "date"),
        CustomFieldRule("tier", "choice", ["gold", "silver"]),
        CustomFieldRule("channels", "multi_choice", ["email", "phone", "chat"]),
    ],
    known_users=frozenset({USER}),
)


def clean(**fields: Any) -> dict[str, Any]:
    """A full (create) body with a first name unless the test names its own identity fields."""
    return validate_fields({"first_name": "Ada", **fields}, RULES, partial=False)


def errors_of(raw: dict[str, Any], rules: Rules = RULES, partial: bool = False, **kw: Any) -> set[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as info:
        validate_fields(raw, rules, partial=partial, **kw)
    return {(error.field, error.code) for error in info.value.errors}


def lead(**fields: Any) -> Lead:
    values: dict[str, Any] = {"status": "new", "first_name": "Ada", **fields}
    return Lead(id=uuid4(), account_id=uuid4(), created_by=USER, version=1, created_at=NOW, updated_at=NOW, **values)


# --- strings and lengths -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "limit"),
    [("first_name", 255), ("company", 255), ("company_id", 64), ("description", 10_000), ("message", 10_000)],
)
def test_strings_are_accepted_up_to_their_limit_and_refused_beyond(field: str, limit: int) -> None:
    assert clean(**{field: "x" * limit})[field] == "x" * limit
    assert errors_of({"first_name": "Ada", field: "x" * (limit + 1)}) == {(field, "too_long")}


def test_strings_are_stored_exactly_as_sent() -> None:
    cleaned = clean(first_name="  Ada  ", notes="Met at the fair.\r\n\tCall back.\n")
    assert (cleaned["first_name"], cleaned["notes"]) == ("  Ada  ", "Met at the fair.\r\n\tCall back.\n")


def test_nul_is_refused_anywhere() -> None:
    raw = {
        "first_name": "A\x00da",
        "mailing_address": {"city": "Os\x00lo"},
        "marketing_attribution": ["ok", "b\x00d"],
        "custom": {"notes_md": "\x00"},
    }
    expected = {
        ("first_name", "invalid_character"),
        ("mailing_address.city", "invalid_character"),
        ("marketing_attribution[1]", "invalid_character"),
        ("custom.notes_md", "invalid_character"),
    }
    assert errors_of(raw) == expected


def test_a_wrong_json_type_is_a_field_error() -> None:
    raw = {"first_name": 5, "do_not_call": "yes", "score": "5", "custom": [], "mailing_address": "Oslo"}
    assert errors_of(raw) == {
        ("first_name", "invalid_type"),
        ("do_not_call", "invalid_type"),
        ("score", "invalid_type"),
        ("custom", "invalid_type"),
        ("mailing_address", "invalid_type"),
    }


# --- phone -------------------------------------------------------------------------------------------


def test_phone_is_normalised_to_e164() -> None:
    assert clean(phone="+1-555-234-5678")["phone"] == "+15552345678"


def test_a_national_phone_is_read_in_the_body_country() -> None:
    assert clean(phone="030 1234567", country="de")["phone"] == "+49301234567"


def test_a_national_phone_is_read_in_the_mailing_address_country() -> None:
    assert clean(phone="(555) 234-5678", mailing_address={"country": "US"})["phone"] == "+15552345678"


def test_a_national_phone_in_a_patch_is_read_in_the_lead_country() -> None:
    patched = validate_fields({"phone": "22 33 44 55"}, RULES, partial=True, current=lead(country="NO"))
    assert patched == {"phone": "+4722334455"}


@pytest.mark.parametrize("phone", ["555-234-5678", "call me", "+999", "+1 555 234 5678 ext. 12", "12"])
def test_an_unparseable_phone_or_one_without_country_is_invalid(phone: str) -> None:
    assert errors_of({"phone": phone, "first_name": "Ada"}) == {("phone", "invalid_phone")}


# --- email, url, country -----------------------------------------------------------------------------


def test_email_is_stored_as_sent() -> None:
    assert clean(email="Ada.Lovelace@Example.COM")["email"] == "Ada.Lovelace@Example.COM"


@pytest.mark.parametrize("email", ["ada", "ada@", "@example.com", "ada@example", "a b@example.com"])
def test_a_malformed_email_is_invalid(email: str) -> None:
    assert errors_of({"email": email}) == {("email", "invalid_email")}


def test_an_email_over_255_characters_is_too_long() -> None:
    assert errors_of({"email": "a" * 250 + "@example.com"}) == {("email", "too_long")}


@pytest.mark.parametrize("url", ["https://example.com/pricing?utm=x", "http://Example.com:8080/", "HTTPS://a.b"])
def test_absolute_http_urls_are_accepted_as_sent(url: str) -> None:
    assert clean(source_page_url=url)["source_page_url"] == url


@pytest.mark.parametrize(
    "url",
    ["/pricing", "example.com", "ftp://example.com", "http://", "https:///path", "http://exa mple.com", "http://[::1"],
)
def test_other_urls_are_invalid(url: str) -> None:
    assert errors_of({"first_name": "Ada", "source_page_url": url}) == {("source_page_url", "invalid_url")}


def test_a_url_over_2048_characters_is_too_long() -> None:
    url = "https://example.com/" + "p" * 2029
    assert errors_of({"first_name": "Ada", "source_page_url": url}) == {("source_page_url", "too_long")}


@pytest.mark.parametrize(("sent", "stored"), [("de", "DE"), ("Us", "US"), ("AQ", "AQ"), ("um", "UM")])
def test_countries_are_iso_codes_in_any_case_stored_upper_case(sent: str, stored: str) -> None:
    assert clean(country=sent)["country"] == stored
    assert clean(mailing_address={"country": sent})["mailing_address"] == MailingAddress(country=stored)


@pytest.mark.parametrize("country", ["XK", "AC", "ZZ", "DEU", "", "\u0131t", "U"])
def test_other_countries_are_invalid(country: str) -> None:
    raw = {"first_name": "Ada", "country": country, "mailing_address": {"country": country}}
    assert errors_of(raw) == {("country", "invalid_country"), ("mailing_address.country", "invalid_country")}


def test_the_country_list_is_the_249_iso_codes() -> None:
    assert len(ISO_COUNTRIES) == 249


# --- other plain fields ------------------------------------------------------------------------------


@pytest.mark.parametrize(("score", "code"), [(101, "out_of_range"), (-1, "out_of_range"), (True, "invalid_type")])
def test_score_is_an_integer_from_0_to_100(score: Any, code: str) -> None:
    assert clean(score=100)["score"] == 100
    assert errors_of({"first_name": "Ada", "score": score}) == {("score", code)}


def test_preferred_contact_is_one_of_four() -> None:
    assert clean(preferred_contact="sms")["preferred_contact"] == "sms"
    assert errors_of({"first_name": "Ada", "preferred_contact": "fax"}) == {("preferred_contact", "invalid_choice")}


def test_marketing_attribution_holds_at_most_50_strings_of_255() -> None:
    assert clean(marketing_attribution=["x"] * 50)["marketing_attribution"] == ["x"] * 50
    assert errors_of({"first_name": "Ada", "marketing_attribution": ["x"] * 51}) == {
        ("marketing_attribution", "too_many")
    }
    too_long = {"first_name": "Ada", "marketing_attribution": ["ok", "ok", "y" * 256]}
    assert errors_of(too_long) == {("marketing_attribution[2]", "too_long")}


def test_team_and_user_ids_become_uuids_and_must_be_known() -> None:
    cleaned = clean(team_id=str(TEAM), assigned_to=str(USER).upper())
    assert (cleaned["team_id"], cleaned["assigned_to"]) == (TEAM, USER)
    raw = {"first_name": "Ada", "team_id": "not-a-uuid", "assigned_to": str(uuid4())}
    assert errors_of(raw) == {("team_id", "invalid"), ("assigned_to", "unknown_user")}


def test_unknown_keys_are_refused_at_every_level() -> None:
    raw = {"first_name": "Ada", "nickname": "A", "mailing_address": {"zip": "1"}, "custom": {"color": "red"}}
    expected = {("nickname", "unknown_field"), ("mailing_address.zip", "unknown_field")}
    assert errors_of(raw) == expected | {("custom.color", "unknown_field")}


def test_every_bad_field_is_listed_at_once() -> None:
    raw = {"email": "nope", "phone": "nope", "score": 500, "country": "XX", "source": "fax", "status": "lost"}
    assert errors_of(raw) == {
        ("email", "invalid_email"),
        ("phone", "invalid_phone"),
        ("score", "out_of_range"),
        ("country", "invalid_country"),
        ("source", "unknown_source"),
        ("status", "invalid_status"),
    }


def test_null_means_the_default_for_fields_that_have_one() -> None:
    raw = {"first_name": "Ada", "score": None, "do_not_call": None, "marketing_attribution": None, "custom": None}
    cleaned = validate_fields(raw, RULES, partial=False)
    assert cleaned == {"first_name": "Ada", "score": 0, "do_not_call": False, "marketing_attribution": [], "custom": {}}


# --- custom fields -----------------------------------------------------------------------------------


def test_custom_values_of_every_type_are_accepted() -> None:
    custom = {
        "notes_md": "hi",
        "budget": 12.5,
        "vip": False,
        "renewal": "2028-02-29",
        "tier": "gold",
        "channels": ["chat", "email"],
    }
    assert clean(custom=custom)["custom"] == custom


@pytest.mark.parametrize(
    ("key", "value", "code"),
    [
        ("notes_md", 1, "invalid_type"),
        ("notes_md", "x" * 10_001, "too_long"),
        ("budget", True, "invalid_type"),
        ("budget", "12", "invalid_type"),
        ("budget", float("inf"), "invalid"),
        ("vip", 1, "invalid_type"),
        ("renewal", "2027-02-29", "invalid"),
        ("renewal", "20280101", "invalid"),
        ("renewal", "2028-1-01", "invalid"),
        ("tier", "bronze", "invalid_choice"),
        ("channels", "email", "invalid_type"),
        ("channels", ["email", "fax"], "invalid_choice"),
        ("channels", ["email", "email"], "invalid"),
    ],
)
def test_bad_custom_values_are_refused_by_type(key: str, value: Any, code: str) -> None:
    assert errors_of({"first_name": "Ada", "custom": {key: value}}) == {(f"custom.{key}", code)}


def test_a_required_custom_field_is_needed_on_create_but_not_in_a_patch() -> None:
    rules = Rules(statuses=RULES.statuses, custom_fields=[CustomFieldRule("budget", "number", required=True)])
    assert errors_of({"first_name": "Ada"}, rules) == {("custom.budget", "required")}
    assert errors_of({"first_name": "Ada", "custom": {"budget": None}}, rules) == {("custom.budget", "required")}
    assert validate_fields({"company": "Acme"}, rules, partial=True, current=lead()) == {"company": "Acme"}


# --- patches -----------------------------------------------------------------------------------------


def test_a_patch_merges_the_address_and_custom_with_the_current_lead() -> None:
    current = lead(mailing_address=MailingAddress(city="Oslo", country="NO"), custom={"budget": 1, "vip": True})
    patch = {"mailing_address": {"city": None, "street": "Storgata 1"}, "custom": {"vip": None, "tier": "gold"}}
    assert validate_fields(patch, RULES, partial=True, current=current) == {
        "mailing_address": MailingAddress(street="Storgata 1", country="NO"),
        "custom": {"budget": 1, "tier": "gold"},
    }


def test_a_patch_keeps_the_identity_rule() -> None:
    assert errors_of({"first_name": None}, partial=True, current=lead()) == {("first_name", "required")}
    assert validate_fields({"first_name": None, "company": "Acme"}, RULES, partial=True, current=lead()) == {
        "first_name": None,
        "company": "Acme",
    }


# --- arbitrary input ---------------------------------------------------------------------------------

KEYS = [
    *("first_name", "last_name", "email", "phone", "company", "company_id", "source", "status", "score"),
    *("preferred_contact", "source_page_url", "marketing_attribution", "mailing_address", "country"),
    *("do_not_call", "custom", "team_id", "assigned_to", "id", "version", "description"),
]
INTERESTING = st.sampled_from(
    ["", "US", "de", "+1-555-234-5678", "030 1234567", "a@b.co", "http://x.y", "2028-02-29", str(TEAM), "\x00"]
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text() | INTERESTING,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(st.sampled_from(["city", "country", "budget", "channels", "renewal"]) | st.text(), inner)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(
    raw=st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=12), JSON, max_size=8),
    partial=st.booleans(),
)
def test_arbitrary_json_yields_cleaned_values_or_validation_failed_only(raw: dict[str, Any], partial: bool) -> None:
    current = lead(country="NO", custom={"budget": 3}) if partial else None
    try:
        cleaned = validate_fields(raw, RULES, partial=partial, current=current)
    except ValidationFailed as exc:
        assert exc.errors
    else:
        assert set(cleaned) == set(raw)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.emails(), st.from_regex(field_checks.PLAIN_EMAIL), st.text(max_size=80)))
def test_the_plain_email_shortcut_accepts_only_what_the_full_check_accepts(address: str) -> None:
    if field_checks.plainly_valid_email(address):
        validate_email(address, check_deliverability=False)  # raises if the shortcut was wrong
