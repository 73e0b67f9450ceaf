"""Slow and vanishing clients: a head or a body trickled past LEADSTORE_REQUEST_READ_SECONDS is cut off (the
body with 408), an idle new connection too; a client that disconnects mid-body is one info line, no error."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from urllib.parse import urlparse

import pytest

from leadstore.bootstrap import Container
from leadstore.http.app import create_app
from leadstore.http.testing import serve_app
from leadstore.store.accounts import NewAccount

READ_SECONDS = 1.0
BODY = b'{"first_name": "Ada", "source": "website", "email": "ada@example.com"}'


@pytest.fixture(scope="module")
async def strict_api(container: Container) -> AsyncIterator[int]:
    """The API on a port of its own, reading each request head and body within READ_SECONDS."""
    async with serve_app(create_app(container), read_seconds=READ_SECONDS) as url:
        yield urlparse(url).port or 0


def post_head(account: NewAccount, length: int = len(BODY)) -> bytes:
    return (
        f"POST /v1/leads HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {account.api_key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


async def trickle(port: int, data: bytes, *, first: bytes = b"") -> tuple[bytes, float]:
    """Send `first`, then `data` a byte every 0.1 s until the server answers or hangs up: (what it sent back,
    seconds taken)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(first)
    started, answer = time.monotonic(), b""
    try:
        for byte in data:
            writer.write(bytes([byte]))
            await writer.drain()
            try:
                answer = await asyncio.wait_for(reader.read(65536), 0.1)
            except TimeoutError:
                continue
            break
        answer += await asyncio.wait_for(reader.read(), 10)  # then the server closes the connection
    except ConnectionResetError:
        pass
    finally:
        writer.close()
    return answer, time.monotonic() - started


async def test_a_body_trickled_past_the_read_bound_is_answered_408_and_closed(
    strict_api: int, account: NewAccount
) -> None:
    answer, seconds = await trickle(strict_api, BODY, first=post_head(account))
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert b'"code":"request_timeout"' in answer and b"connection: close" in answer.lower()
    assert READ_SECONDS <= seconds < READ_SECONDS + 2


async def test_a_head_trickled_past_the_read_bound_is_closed(strict_api: int, account: NewAccount) -> None:
    answer, seconds = await trickle(strict_api, post_head(account) + BODY)
    assert answer == b""
    assert READ_SECONDS <= seconds < READ_SECONDS + 2


async def test_a_new_connection_that_sends_nothing_is_closed(strict_api: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", strict_api)
    started = time.monotonic()
    try:
        assert await asyncio.wait_for(reader.read(), 10) == b""
    finally:
        writer.close()
    assert READ_SECONDS <= time.monotonic() - started < READ_SECONDS + 2


async def test_requests_read_in_time_are_served_on_a_kept_alive_connection(
    strict_api: int, account: NewAccount
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", strict_api)
    try:
        for n in range(3):  # each head arrives within the bound of the previous response, however long that took
            await asyncio.sleep(READ_SECONDS * 0.6)
            body = BODY.replace(b"ada@", b"ada%d.%s@" % (n, account.account_id.hex[:8].encode()))
            writer.write(post_head(account, len(body)) + body)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            assert head.startswith(b"HTTP/1.1 201 "), head
            length = next(int(line[15:]) for line in head.lower().split(b"\r\n") if line.startswith(b"content-length"))
            await reader.readexactly(length)
    finally:
        writer.close()


async def test_a_client_that_disconnects_mid_body_is_one_info_line_and_no_error(
    api: str, account: NewAccount, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    _, writer = await asyncio.open_connection("127.0.0.1", urlparse(api).port)
    writer.write(post_head(account) + BODY[: len(BODY) // 2])
    await writer.drain()
    await asyncio.sleep(0.2)  # the handler is waiting for the rest
    writer.close()
    await writer.wait_closed()
    async with asyncio.timeout(10):
        while not caplog.records:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)  # anything else it would log
    logged = [(r.levelname, r.name, r.getMessage()) for r in caplog.records if r.levelno >= logging.INFO]
    assert len(logged) == 1, logged
    level, name, message = logged[0]
    assert (level, name) == ("INFO", "leadstore.http.reading")
    assert message.startswith("POST /v1/leads: the client disconnected before its request body was complete")
    assert caplog.records[0].exc_info is None


async def test_a_shutdown_waits_for_a_slow_body_only_so_long_then_answers_it_503(
    container: Container, account: NewAccount, caplog: pytest.LogCaptureFixture
) -> None:
    async with serve_app(create_app(container), shutdown_seconds=1, read_seconds=60) as url:
        client = asyncio.create_task(trickle(urlparse(url).port or 0, b" " * 600, first=post_head(account, 1000)))
        await asyncio.sleep(0.5)  # the request is in its handler, reading the body
        started = time.monotonic()
    stopped_in = time.monotonic() - started
    answer, _ = await client
    assert 1 <= stopped_in < 3
    assert answer.startswith(b"HTTP/1.1 503 ") and b"retry-after: 1\r\n" in answer.lower(), answer
    assert b'"code":"unavailable"' in answer
    assert not [record for record in caplog.records if record.exc_info], "a traceback was logged"
