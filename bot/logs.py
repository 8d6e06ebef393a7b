"""Logging that can never leak the bot token or what people wrote.

Two layers: a filter hides the payloads that libraries log (python-telegram-bot logs request
parameters and updates at DEBUG, httpx logs URLs that contain the token at INFO), and a
formatter redacts any token left in the final line, tracebacks included.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from typing import Any

TOKEN_PATTERN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
"""Telegram tokens look like `123456789:AA…`; anything shaped like one is redacted too."""

REDACTED = "<redacted>"
LIBRARY_LOGGERS = ("telegram", "httpx", "httpcore", "tornado", "aiohttp", "apscheduler", "transitions")
_SAFE_ARG_TYPES = (int, float, bool, type(None))


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """Remove every secret and anything token-shaped from `text`."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return TOKEN_PATTERN.sub(REDACTED, text)


class PayloadFilter(logging.Filter):
    """Replace library log arguments that may hold message texts (dicts, updates) by their type."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith(LIBRARY_LOGGERS) and record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(self._safe(arg) for arg in args)
        return True

    @staticmethod
    def _safe(arg: Any) -> Any:
        if isinstance(arg, _SAFE_ARG_TYPES):
            return arg
        if isinstance(arg, str) and len(arg) <= 200 and "\n" not in arg:
            return arg  # endpoint names, URLs (token removed by the formatter), status lines
        return f"<{type(arg).__name__} hidden>"


class RedactingFormatter(logging.Formatter):
    """Human-readable lines, with secrets removed after formatting."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = getattr(record, "fields", None)
        if fields:
            line += " " + " ".join(f"{k}={v}" for k, v in fields.items())
        return redact(line, self.secrets)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, severity, logger, event, message and the event's fields.

    The record's level is `severity`, so an event field such as an outcome's `level` never clashes.
    """

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "severity": record.levelname.lower(),
            "logger": record.name,
            "event": getattr(record, "event", "log"),
            "msg": record.getMessage(),
        }
        data.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            data["error"] = self.formatException(record.exc_info)
        return redact(json.dumps(data, ensure_ascii=False, default=str), self.secrets)


def setup_logging(
    level: str = "INFO", fmt: str = "text", secrets: tuple[str, ...] = (), stream: Any = None
) -> logging.Handler:
    """Install one redacting handler on the root logger; return it (tests capture through it)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(secrets) if fmt == "json" else RedactingFormatter(secrets))
    handler.addFilter(PayloadFilter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "twitchcheck", False)]:
        root.removeHandler(old)
    handler.twitchcheck = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # httpx (each Bot API call) and tornado.access (each webhook POST) log one INFO line per
    # request; keep those for DEBUG runs only.
    for chatty in ("httpx", "tornado.access"):
        logging.getLogger(chatty).setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)
    return handler


def log_event(logger: logging.Logger, event: str, severity: int = logging.INFO, **fields: Any) -> None:
    """Log a named event with anonymous fields only (never message texts)."""
    logger.log(severity, event, extra={"event": event, "fields": fields})
