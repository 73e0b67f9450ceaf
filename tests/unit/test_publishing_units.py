"""Small pure parts of publishing."""

from __future__ import annotations

from leadstore.publishing.subscriber import server_address


def test_server_addresses_in_logs_carry_no_credentials() -> None:
    assert server_address("nats://alice:s3cret@nats.internal:4222") == "nats.internal:4222"
    assert server_address("nats://tok3n@127.0.0.1:4223, tls://bob:pw@b.example:4443") == "127.0.0.1:4223,b.example:4443"
    assert server_address("nats://localhost") == "localhost"
    assert "s3cret" not in server_address("nats://:s3cret@h:1") and server_address("") == "(none)"
