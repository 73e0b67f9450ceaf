"""Webhook secrets are sealed so only their own endpoint opens them; URLs resolving to private addresses are refused."""

from __future__ import annotations

import base64
import ipaddress

import pytest
from uuid_utils.compat import uuid7

from leadstore.webhooks.addresses import AddressRefused, check_url, is_public, resolve
from leadstore.webhooks.secrets import PREFIX, SecretBox, new_secret, signing_key


def test_a_sealed_secret_opens_only_for_its_own_webhook_and_key() -> None:
    box, other = SecretBox(b"k" * 32), SecretBox(b"o" * 32)
    webhook, secret = uuid7(), new_secret()
    sealed = box.seal(webhook, secret)

    assert secret.startswith(PREFIX) and len(signing_key(secret)) == 24
    assert secret.encode() not in sealed and box.open(webhook, sealed) == secret
    with pytest.raises(ValueError, match="does not open"):
        box.open(uuid7(), sealed)
    with pytest.raises(ValueError, match="does not open"):
        other.open(webhook, sealed)


def test_the_secrets_key_comes_from_the_setting_or_a_file(tmp_path: pytest.TempPathFactory) -> None:
    key = SecretBox.generate_key()
    assert SecretBox.from_settings("", "") is None
    assert SecretBox.from_settings(key, "") is not None
    with pytest.raises(ValueError, match="SECRETS_KEY"):
        SecretBox.from_settings(base64.b64encode(b"short").decode(), "")


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "fd00::1",
        "fe80::1",
        "::ffff:127.0.0.1",
        "224.0.0.1",
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
        "fec0::1",  # site-local (deprecated, still routed as local by some stacks)
    ],
)
def test_private_and_special_addresses_are_not_public(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


def test_public_addresses_are_public() -> None:
    assert is_public(ipaddress.ip_address("93.184.216.34")) and is_public(ipaddress.ip_address("2606:4700::1111"))


@pytest.mark.parametrize(
    "url", ["ftp://x.example/", "http:///nohost", "https://user:pw@x.example/", "http://x:99999/", "http://\u2100.com/"]
)
def test_only_plain_http_urls_with_a_host_are_taken(url: str) -> None:
    with pytest.raises(AddressRefused):
        check_url(url)


async def test_a_name_resolving_to_loopback_is_refused_unless_private_addresses_are_allowed() -> None:
    with pytest.raises(AddressRefused, match=r"127\.0\.0\.1"):
        await resolve("http://localhost:8080/hook", allow_private=False)
    with pytest.raises(AddressRefused, match=r"169\.254\.169\.254"):
        await resolve("http://169.254.169.254/latest/meta-data", allow_private=False)
    assert ipaddress.ip_address("127.0.0.1") in await resolve("http://localhost:8080/hook", allow_private=True)


@pytest.mark.parametrize("url", ["http://a..example/", "http://" + "a" * 64 + ".example/"])
async def test_a_host_no_name_lookup_can_encode_is_refused_as_unresolvable_not_raised(url: str) -> None:
    # the idna codec refuses empty and over-long labels before any lookup: a UnicodeError, which ended a sender
    with pytest.raises(AddressRefused, match="does not resolve"):
        await resolve(url, allow_private=True)
