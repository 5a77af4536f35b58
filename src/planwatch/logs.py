"""Structured logs of every service: one JSON object per line on stderr, with the ``extra``
fields of each call (``log.info("published", extra={"rows": 12})``) as keys of their own.

Each entrypoint calls ``configure_logging`` once and runs uvicorn with ``log_config=None`` (its
loggers then reach the same handler); faust's worker takes ``logging_config()``."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import orjson

__all__ = ["JsonFormatter", "configure_logging", "logging_config"]

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name not in _STANDARD:
                data[name] = value
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(data, default=str).decode()


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """The same as a ``logging.config.dictConfig`` document, for frameworks that configure
    logging themselves (faust's worker: ``Worker(app, logging_config=logging_config())``)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json"}},
        "root": {"level": level, "handlers": ["json"]},
    }
