"""JSON log lines on stdout, one object per line, like the Node server's pino logs.

Call sites pass structured fields with ``extra={"fields": {...}}`` through the small ``log`` helpers;
they never pass e-mail addresses, API keys or connection URIs with passwords.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any, TextIO

LEVELS = {
    "trace": logging.DEBUG,
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "error": logging.ERROR,
    "fatal": logging.CRITICAL,
    "silent": logging.CRITICAL + 10,
}
_NAMES = {logging.DEBUG: "debug", logging.INFO: "info", logging.WARNING: "warn", logging.ERROR: "error", logging.CRITICAL: "fatal"}


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": _NAMES.get(record.levelno, record.levelname.lower()),
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["err"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def setup(service: str, level: str = "info", stream: TextIO | None = None) -> logging.Logger:
    """Routes every logger (ours and pika's) to JSON lines on ``stream`` (stdout by default)."""
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(LEVELS[level])
    # pika reports every reconnect attempt at INFO/ERROR with tracebacks; our consumer logs them once, briefly.
    logging.getLogger("pika").setLevel(max(LEVELS[level], logging.CRITICAL))
    return logging.getLogger(f"chat_workers.{service}")


def fields(**values: Any) -> dict[str, Any]:
    """``logger.info("msg", extra=fields(eventId=...))``: structured fields merged into the line."""
    return {"fields": values}
