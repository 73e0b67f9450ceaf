"""The process's logs on stderr, set up once for every logger (leadstore's, uvicorn's, the libraries'): one JSON
object a line (LEADSTORE_LOG_FORMAT=json, the default outside `dev`) or one line of text (the default in
`dev`). A JSON line has `time`, `level`, `logger`, `message`, then what the record was given as `extra`
(the access log's `request_id`, `account_id`, `method`, `route`, `status`, `duration_ms`), then
`exception` when there is one."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

import msgspec

FORMATS = ("json", "text")
TEXT = "%(asctime)s %(levelname)s %(name)s %(message)s"
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
# httpx logs every request's URL at INFO: a webhook's URL may carry its receiver's token (in the path or query)
QUIETED_LOGGERS = ("httpx",)
# what every record carries (so is not an `extra`), and uvicorn's copy of its message in terminal colours
_NOT_EXTRA = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName", "color_message"}
_encoder = msgspec.json.Encoder(enc_hook=repr)  # an extra of a type JSON lacks (or a key of one) as its repr


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update((key, value) for key, value in vars(record).items() if key not in _NOT_EXTRA)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return _encoder.encode(entry).decode()


def log_format(setting: str, command: str) -> str:
    """LEADSTORE_LOG_FORMAT when set, else text for `dev` (a person reads it) and JSON for the rest."""
    chosen = setting.strip().lower() or ("text" if command == "dev" else "json")
    if chosen not in FORMATS:
        raise ValueError(f"LEADSTORE_LOG_FORMAT: {setting!r} is neither json nor text")
    return chosen


def configure_logging(level: str, fmt: str, stream: TextIO | None = None) -> logging.Handler:
    """Send every record of `level` and above to `stream` (stderr) in `fmt`; returns the handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in UVICORN_LOGGERS:  # through the root handler like every other, whatever configured them before
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    for name in QUIETED_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler
