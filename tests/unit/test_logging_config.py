"""Logs: JSON lines (the default outside `dev`) or text, one handler for leadstore's loggers and uvicorn's."""

from __future__ import annotations

import io
import ipaddress
import json
import logging
import sys
from collections.abc import Iterator

import httpx
import pytest

from leadstore.logging_config import JsonFormatter, configure_logging, log_format
from leadstore.webhooks.sender import _send


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """Put back the root logger's handlers and level, and uvicorn's, as pytest had them."""
    root, uvicorn = logging.getLogger(), logging.getLogger("uvicorn")
    saved = (root.handlers[:], root.level, uvicorn.handlers[:], uvicorn.propagate)
    httpx_level = logging.getLogger("httpx").level
    yield
    logging.getLogger("httpx").setLevel(httpx_level)
    root.handlers[:], uvicorn.handlers[:] = saved[0], saved[2]
    root.setLevel(saved[1])
    uvicorn.propagate = saved[3]


def test_json_is_the_default_but_in_dev_and_the_setting_wins() -> None:
    assert [log_format("", command) for command in ("serve", "worker", "migrate", "dev")] == [
        "json",
        "json",
        "json",
        "text",
    ]
    assert (log_format("text", "serve"), log_format("JSON", "dev")) == ("text", "json")
    with pytest.raises(ValueError, match="LEADSTORE_LOG_FORMAT: 'yaml' is neither json nor text"):
        log_format("yaml", "serve")


def test_a_json_line_has_the_time_level_logger_message_and_extra_fields() -> None:
    record = logging.LogRecord("leadstore.access", logging.INFO, __file__, 1, "GET %s %d", ("/v1/leads", 200), None)
    for name, value in {"route": "/v1/leads", "status": 200, "duration_ms": 1.5, "account_id": None}.items():
        setattr(record, name, value)
    record.color_message = "\x1b[1mGET\x1b[0m"

    line = JsonFormatter().format(record)

    entry = json.loads(line)
    assert "\n" not in line and entry.pop("time").endswith("+00:00")
    assert entry == {
        "level": "INFO",
        "logger": "leadstore.access",
        "message": "GET /v1/leads 200",
        "route": "/v1/leads",
        "status": 200,
        "duration_ms": 1.5,
        "account_id": None,
    }


def test_an_exception_and_an_odd_extra_stay_on_one_json_line() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = logging.getLogger("leadstore.x").makeRecord(
            "leadstore.x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info(), extra={"odd": {(1, 2): 3}}
        )

    line = JsonFormatter().format(record)

    entry = json.loads(line)
    assert "\n" not in line and "RuntimeError: boom" in entry["exception"]
    assert entry["message"] == "failed" and entry["odd"] == {"(1, 2)": 3}


@pytest.mark.usefixtures("restored_logging")
def test_uvicorns_loggers_write_through_the_one_handler_in_the_chosen_format() -> None:
    uvicorn = logging.getLogger("uvicorn")
    uvicorn.addHandler(logging.StreamHandler(io.StringIO()))  # as uvicorn's own logging config leaves it
    uvicorn.propagate = False
    stream = io.StringIO()

    configure_logging("info", "json", stream)
    logging.getLogger("uvicorn.error").warning("a slow client")
    logging.getLogger("leadstore.access").info("GET /health 200", extra={"status": 200})
    logging.getLogger("leadstore.anything").debug("below the level")

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(line["logger"], line["message"]) for line in lines] == [
        ("uvicorn.error", "a slow client"),
        ("leadstore.access", "GET /health 200"),
    ]
    assert lines[1]["status"] == 200


@pytest.mark.usefixtures("restored_logging")
async def test_a_webhook_delivery_logs_no_part_of_its_url_even_at_debug() -> None:
    # receivers put tokens in the URL (Slack's are its path): httpx logs every request's URL at INFO
    stream = io.StringIO()
    configure_logging("DEBUG", "json", stream)
    transport = httpx.MockTransport(lambda _: httpx.Response(204, stream=httpx.ByteStream(b"")))
    async with httpx.AsyncClient(transport=transport) as client:
        address = ipaddress.ip_address("93.184.216.34")
        attempt = await _send(client, "https://hooks.example/services/T0/B0/s3cr3tT0k3n?k=qu3ryK3y", address, b"{}", {})
    assert attempt.delivered
    assert "s3cr3tT0k3n" not in stream.getvalue() and "qu3ryK3y" not in stream.getvalue()
