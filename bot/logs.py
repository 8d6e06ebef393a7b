"""Logging that can never leak the bot token or what people wrote.

Two layers: a filter hides the payloads that libraries log (python-telegram-bot logs request
parameters and updates at DEBUG, httpx logs URLs that contain the token at INFO), and a
formatter redacts any token left in the final line, tracebacks included. The one-line start-up
failures `twitchcheck run` prints go through the same `redact`.
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

URL_CREDENTIALS = re.compile(r"(://[^/@\s:'\"]*:)[^/@\s'\"]+@|([?&]password=)[^&\s'\"]+", re.IGNORECASE)
"""A password written in a URL (`redis://user:pw@host`, `?password=pw`), whatever the secret."""

REDACTED = "<redacted>"
LIBRARY_LOGGERS = ("telegram", "httpx", "httpcore", "tornado", "aiohttp", "apscheduler", "transitions")
_SAFE_ARG_TYPES = (int, float, bool, type(None))


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """Remove every secret, a token's secret half on its own, URL passwords and anything token-shaped."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
            _, colon, half = secret.partition(":")
            if colon and len(half) >= 8:
                text = text.replace(half, REDACTED)
    text = URL_CREDENTIALS.sub(lambda m: f"{m[1] or m[2]}{REDACTED}{'@' if m[1] else ''}", text)
    return TOKEN_PATTERN.sub(REDACTED, text)


def one_line(text: str, limit: int = 300) -> str:
    """`text` on one line of at most `limit` characters, for messages that end up in a terminal or journal."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def failure_line(message: str, fmt: str = "text", secrets: tuple[str, ...] = (), exit_status: int = 2) -> str:
    """The one line a refused start prints: `error: …`, or a `startup_failed` JSON object for LOG_FORMAT=json."""
    text = one_line(redact(message, secrets))
    if fmt != "json":
        return f"error: {text}"
    now = time.time()
    data = {
        "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z",
        "severity": "error",
        "logger": "twitchcheck",
        "event": "startup_failed",
        "msg": text,
        "exit": exit_status,
    }
    return json.dumps(data, ensure_ascii=False)


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


def _without_traceback(record: logging.LogRecord) -> logging.LogRecord:
    """A copy of `record` whose exception is named at the end of its message instead of traced.

    The libraries log tracebacks for failures the bot handles (PTB, for each 502 page it cannot
    parse); below DEBUG, each failure stays one line. The original record is left alone.
    """
    error = record.exc_info[1] if record.exc_info else None
    if error is None:
        return record
    message = f"{record.getMessage()} ({type(error).__name__}: {one_line(str(error), 200)})"
    return logging.makeLogRecord({**record.__dict__, "msg": message, "args": None, "exc_info": None, "exc_text": None})


class RedactingFormatter(logging.Formatter):
    """Human-readable lines, with secrets removed after formatting; tracebacks only with `tracebacks`."""

    def __init__(self, secrets: tuple[str, ...] = (), tracebacks: bool = True) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.secrets = secrets
        self.tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        if not self.tracebacks:
            record = _without_traceback(record)
        line = super().format(record)
        fields = getattr(record, "fields", None)
        if fields:
            line += " " + " ".join(f"{k}={v}" for k, v in fields.items())
        return redact(line, self.secrets)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, severity, logger, event, message and the event's fields.

    The record's level is `severity`, so an event field such as an outcome's `level` never clashes.
    """

    def __init__(self, secrets: tuple[str, ...] = (), tracebacks: bool = True) -> None:
        super().__init__()
        self.secrets = secrets
        self.tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        if not self.tracebacks:
            record = _without_traceback(record)
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
    """Install one redacting handler on the root logger; return it (tests capture through it).

    Tracebacks are for DEBUG runs; at other levels a failure a library logs is one line.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    tracebacks = level == "DEBUG"
    formatter = JsonFormatter if fmt == "json" else RedactingFormatter
    handler.setFormatter(formatter(secrets, tracebacks=tracebacks))
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
    # transitions logs two INFO lines per answer (state exits and entries): engine internals.
    logging.getLogger("transitions").setLevel(logging.WARNING)
    return handler


def log_event(logger: logging.Logger, event: str, severity: int = logging.INFO, **fields: Any) -> None:
    """Log a named event with anonymous fields only (never message texts)."""
    logger.log(severity, event, extra={"event": event, "fields": fields})
