"""Small pure parts of publishing."""

from __future__ import annotations

import ssl
from pathlib import Path
from uuid import uuid4

import pytest

from leadstore.publishing.connection import NatsConnection, server_address
from leadstore.publishing.stream import files_under, subject_for
from leadstore.settings import Settings
from tests.certificates import write_certificates


def test_server_addresses_in_logs_carry_no_credentials() -> None:
    assert server_address("nats://alice:s3cret@nats.internal:4222") == "nats.internal:4222"
    assert server_address("nats://tok3n@127.0.0.1:4223, tls://bob:pw@b.example:4443") == "127.0.0.1:4223,b.example:4443"
    assert server_address("nats://localhost") == "localhost"
    assert "s3cret" not in server_address("nats://:s3cret@h:1") and server_address("") == "(none)"


def test_nats_credentials_come_from_the_settings_one_kind_at_a_time() -> None:
    env = {"LEADSTORE_NATS_URL": "tls://nats.internal:4222", "LEADSTORE_NATS_USER": "leadstore"}
    connection = NatsConnection.from_settings(Settings.from_env(env | {"LEADSTORE_NATS_PASSWORD": "s3cret"}))
    assert connection.options() == {"user": "leadstore", "password": "s3cret"}
    assert "s3cret" not in repr(connection) and "s3cret" not in repr(Settings.from_env(env))
    creds = NatsConnection(url="nats://h:4222", creds_file="/etc/leadstore/nats.creds")
    assert creds.options() == {"user_credentials": "/etc/leadstore/nats.creds"}
    assert NatsConnection(url="nats://h", token="t0k").options() == {"token": "t0k"}
    with pytest.raises(ValueError, match="a user and a token"):
        NatsConnection.from_settings(Settings.from_env(env | {"LEADSTORE_NATS_TOKEN": "t0k"}))
    with pytest.raises(ValueError, match="needs a user"):
        NatsConnection(url="nats://h", password="s3cret")


def test_a_comma_separated_url_is_a_list_of_servers_sharing_the_credentials_it_carries() -> None:
    cluster = NatsConnection(url="nats://leadstore:s3cret@n1:4222, nats://leadstore:s3cret@n2:4222,nats://n3")
    # credentials go in the options, so they reach every server, those the cluster advertises too
    assert cluster.servers() == ["nats://n1:4222", "nats://n2:4222", "nats://n3"]
    assert cluster.options() == {"user": "leadstore", "password": "s3cret"}
    assert NatsConnection(url="nats://t0k@n1:4222,nats://n2:4222").options() == {"token": "t0k"}
    assert NatsConnection(url="nats://a%40b:p%3Aw@n1").options() == {"user": "a@b", "password": "p:w"}
    assert NatsConnection(url="nats://n1:4222").options() == {} and NatsConnection(url="").servers() == []
    given = NatsConnection(url="nats://old:pw@n1,nats://n2", user="leadstore", password="s3cret")
    assert given.options() == {"user": "leadstore", "password": "s3cret"}  # the settings win over the URL
    with pytest.raises(ValueError, match="different credentials"):
        NatsConnection(url="nats://a:pw@n1,nats://b:pw@n2")


def test_a_ca_file_makes_a_verifying_tls_context(tmp_path: Path) -> None:
    ca, _, _ = write_certificates(tmp_path, "127.0.0.1")
    context = NatsConnection(url="tls://h:4222", ca_file=str(ca)).options()["tls"]
    assert isinstance(context, ssl.SSLContext) and context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_an_event_is_filed_only_under_its_own_account_and_type() -> None:
    account = uuid4()
    assert files_under(subject_for(account, "LeadConverted"), account, "LeadConverted")
    assert files_under(f"leads.{account}.admin.StatusCreated", account, "StatusCreated")
    assert not files_under(subject_for(account, "LeadCreated"), account, "LeadConverted")
    assert not files_under(subject_for(uuid4(), "LeadConverted"), account, "LeadConverted")
    assert not files_under(f"crm.{account}.LeadConverted", account, "LeadConverted")
