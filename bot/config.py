"""Settings from the environment and `.env` (the names are fixed: docs/deploy.md and .env.example list them)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import load_dotenv

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FLOWS = PROJECT_ROOT / "flows"
DEFAULT_CONTENT = PROJECT_ROOT / "content" / "en"
DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
WEBHOOK_SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,256}")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_URL_PASSWORD = re.compile(r"://[^/@\s:]*:([^/@\s]+)@|[?&]password=([^&\s]+)", re.IGNORECASE)
_MIN_SECRET_CHARS = 4
"""Shorter passwords are left to the URL-shaped redaction in logs.py: replacing every "ab" in a
line would mangle it without hiding anything worth hiding."""


class ConfigError(Exception):
    """A setting is missing or wrong; the message is one line an operator can act on."""


class TryAgainLater(Exception):
    """Telegram or the store stayed unreachable through start-up's retries; a restart later may work."""


def _int(name: str, default: int, lowest: int | None = None, highest: int | None = None) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if (lowest is not None and value < lowest) or (highest is not None and value > highest):
        bounds = f"between {lowest} and {highest}" if highest is not None else f"at least {lowest}"
        raise ConfigError(f"{name} must be {bounds}, got {value}")
    return value


def _zone(name: str) -> str:
    raw = os.environ.get(name, "").strip() or "UTC"
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{name} must be a time zone name such as Europe/London or UTC, got {raw!r}") from None
    return raw


def url_passwords(url: str) -> tuple[str, ...]:
    """The passwords written in a storage URL (`redis://:pw@host`, `?password=pw`), to keep out of messages."""
    return tuple(found for match in _URL_PASSWORD.finditer(url) for found in match.groups() if found)


@dataclass(frozen=True)
class Settings:
    token: str = ""
    api_base_url: str = DEFAULT_API_BASE_URL
    data_dir: Path = Path("./data")
    storage: str = "sqlite"
    log_level: str = "INFO"
    log_format: str = "text"
    webhook_url: str = ""
    webhook_secret: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    ttl_days: int = 7
    flows_dir: Path = DEFAULT_FLOWS
    content_dir: Path = DEFAULT_CONTENT
    id_salt: str = ""
    reminder_timezone: str = "UTC"

    @property
    def reminder_zone(self) -> ZoneInfo:
        """The clock reminders are timed on (docs/deploy.md, "Reminders")."""
        return ZoneInfo(self.reminder_timezone)

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every secret a setting holds, for redaction: the token, the webhook secret, a store password."""
        found = (self.token, self.webhook_secret, *url_passwords(self.storage))
        return tuple(secret for secret in found if len(secret) >= _MIN_SECRET_CHARS)

    def __repr__(self) -> str:
        return f"Settings(storage={self.storage!r}, data_dir={str(self.data_dir)!r}, token=<redacted>)"

    @classmethod
    def from_env(cls, dotenv: bool = True) -> Settings:
        """Read the environment (and `.env` in the working directory, without overriding)."""
        if dotenv:
            load_dotenv(Path.cwd() / ".env", override=False)
        env = os.environ.get
        log_format = env("LOG_FORMAT", "text").strip().lower() or "text"
        if log_format not in ("text", "json"):
            raise ConfigError(f"LOG_FORMAT must be 'text' or 'json', got {log_format!r}")
        log_level = (env("LOG_LEVEL", "").strip() or "INFO").upper()
        if log_level not in LOG_LEVELS:
            raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {log_level!r}")
        return cls(
            token=env("TELEGRAM_BOT_TOKEN", "").strip(),
            api_base_url=env("TELEGRAM_API_BASE_URL", "").strip() or DEFAULT_API_BASE_URL,
            data_dir=Path(env("TWITCHCHECK_DATA_DIR", "").strip() or "./data"),
            storage=env("TWITCHCHECK_STORAGE", "").strip() or "sqlite",
            log_level=log_level,
            log_format=log_format,
            webhook_url=env("TWITCHCHECK_WEBHOOK_URL", "").strip(),
            webhook_secret=env("TWITCHCHECK_WEBHOOK_SECRET", "").strip(),
            webhook_listen=env("TWITCHCHECK_WEBHOOK_LISTEN", "").strip() or "127.0.0.1",
            webhook_port=_int("TWITCHCHECK_WEBHOOK_PORT", 8443, 0, 65535),
            ttl_days=_int("TWITCHCHECK_TTL_DAYS", 7, 1),
            flows_dir=Path(env("TWITCHCHECK_FLOWS_DIR", "").strip() or DEFAULT_FLOWS),
            content_dir=Path(env("TWITCHCHECK_CONTENT_DIR", "").strip() or DEFAULT_CONTENT),
            id_salt=env("TWITCHCHECK_ID_SALT", "").strip(),
            reminder_timezone=_zone("TWITCHCHECK_REMINDER_TIMEZONE"),
        )

    def require_webhook(self) -> None:
        """Webhook mode needs the public URL Telegram posts to, and a secret to tell its posts apart."""
        if not self.webhook_url:
            raise ConfigError("TWITCHCHECK_WEBHOOK_URL is not set; webhook mode needs the public HTTPS URL")
        if not WEBHOOK_SECRET_SHAPE.fullmatch(self.webhook_secret):
            raise ConfigError(
                "TWITCHCHECK_WEBHOOK_SECRET must be 1-256 characters of A-Z a-z 0-9 _ - "
                "(Telegram's rule); generate one with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )

    def require_token(self) -> str:
        if not self.token:
            raise ConfigError("TELEGRAM_BOT_TOKEN is not set; get a token from @BotFather and put it in .env")
        return self.token
