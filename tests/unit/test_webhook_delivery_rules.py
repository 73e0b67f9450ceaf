"""How an attempt is judged, how long until the next one, and where a webhook reader's checkpoint moves."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from uuid import uuid4

import httpx
import pytest

from leadstore.settings import Settings
from leadstore.store.events import Checkpoint, RecordedEvent
from leadstore.webhooks import sender
from leadstore.webhooks.deliverer import past
from leadstore.webhooks.secrets import SecretBox
from leadstore.webhooks.sender import _send, judge
from leadstore.webhooks.shared import DeliveryContext, delivery_id


def test_2xx_is_delivered_and_only_some_failures_are_retried() -> None:
    assert judge(204, None).delivered
    for status in (500, 503, 408, 409, 425, 429):
        assert judge(status, None).retry, status
    for status in (400, 401, 404, 410, 422, 301, 302):
        attempt = judge(status, None)
        assert not attempt.delivered and not attempt.retry, status


def test_retry_after_is_read_as_seconds_or_a_date() -> None:
    assert judge(429, "7").retry_after == 7
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    seconds = judge(503, later).retry_after
    assert seconds is not None and 100 < seconds <= 120
    assert judge(503, "soon").retry_after is None


def test_a_retry_after_of_non_ascii_digits_is_ignored_not_raised() -> None:
    # httpx decodes header bytes as latin-1 when they are not UTF-8: b"\xb2" is "²", which isdigit() accepts
    for odd in ("\u00b2", "\u00b9\u00b2", "\u0661\u00b2"):
        attempt = judge(503, odd)
        assert attempt.retry and attempt.retry_after is None, odd


def context(**settings: Any) -> DeliveryContext:
    return DeliveryContext(Settings(**settings), SecretBox(bytes(32)))


def test_backoff_doubles_with_jitter_up_to_its_cap_and_honours_retry_after() -> None:
    ctx = context(webhooks_backoff_base_seconds=2, webhooks_backoff_max_seconds=60)
    for attempts, ceiling in ((1, 2), (2, 4), (3, 8), (10, 60)):
        delay = ctx.backoff(attempts, None)
        assert ceiling / 2 <= delay <= ceiling
    assert ctx.backoff(1, 30) == 30


def test_a_delivery_id_is_the_same_for_one_event_and_endpoint() -> None:
    webhook, event = uuid4(), uuid4()
    assert delivery_id(webhook, event) == delivery_id(webhook, event) != delivery_id(uuid4(), event)


def event_at(transaction_id: int, position: int) -> RecordedEvent:
    return RecordedEvent(
        position=position,
        event_id=uuid4(),
        account_id=uuid4(),
        stream_id=uuid4(),
        stream_type="lead",
        version=1,
        type="LeadCreated",
        data={},
        metadata={},
        occurred_at=datetime.now(UTC),
        transaction_id=transaction_id,
    )


def test_a_short_batch_moves_the_checkpoint_past_the_logs_head_a_full_one_does_not() -> None:
    start, head = Checkpoint(10, 10), Checkpoint(50, 60)
    assert past(start, [], head, 100) == head
    assert past(start, [event_at(20, 20)], head, 100) == head
    assert past(start, [event_at(20, 20)], head, 1) == Checkpoint(20, 20)
    assert past(start, [event_at(70, 70)], head, 100) == Checkpoint(70, 70)
    assert past(start, [], None, 100) == start


async def test_a_delivery_to_an_internationalised_host_name_names_it_in_idna() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204, stream=httpx.ByteStream(b""))

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        address = ipaddress.ip_address("93.184.216.34")
        attempt = await _send(client, "https://b\u00fccher.example:8443/hook", address, b"{}", {})
    assert attempt.delivered
    [request] = seen
    assert request.headers["host"] == "xn--bcher-kva.example:8443"
    assert request.url.host == "93.184.216.34" and request.extensions["sni_hostname"] == "xn--bcher-kva.example"


async def test_a_name_whose_first_address_does_not_connect_is_delivered_to_its_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a dual-stack receiver seen from a host with no IPv6 route: the IPv6 address fails to connect
    addresses = [ipaddress.ip_address("2606:2800:220:1::1"), ipaddress.ip_address("93.184.216.34")]

    async def resolve(url: str, *, allow_private: bool) -> list[Any]:
        return addresses

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.host.startswith("2606"):
            raise httpx.ConnectError("Network is unreachable", request=request)
        return httpx.Response(204, stream=httpx.ByteStream(b""))

    monkeypatch.setattr(sender, "resolve", resolve)
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        attempt = await sender.post(client, "https://receiver.example/hook", b"{}", {}, allow_private=False)
    assert attempt.delivered, attempt
