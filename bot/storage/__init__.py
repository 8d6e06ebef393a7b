"""Conversation storage: pick a backend from TWITCHCHECK_STORAGE and hand back the protocol."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from bot.storage.base import DEDUP_TTL_SECONDS, DEFAULT_TTL_SECONDS, ConversationStore
from bot.storage.redis import RedisStore
from bot.storage.sqlite import SqliteStore

__all__ = [
    "DEDUP_TTL_SECONDS",
    "DEFAULT_TTL_SECONDS",
    "ConversationStore",
    "RedisStore",
    "SqliteStore",
    "open_store",
]

_REDIS_SCHEMES = ("redis", "rediss")


def _is_redis_url(value: str) -> bool:
    """True for redis://host[:port][/db]; rejects what redis-py would silently read as localhost."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a non-numeric port
    except ValueError:
        return False
    db = parts.path.removeprefix("/")
    return parts.scheme in _REDIS_SCHEMES and bool(parts.hostname) and (db == "" or db.isdigit())


async def open_store(storage: str, data_dir: Path, ttl_seconds: int = DEFAULT_TTL_SECONDS) -> ConversationStore:
    """Open the store `storage` names: "sqlite" (under `data_dir`) or a redis://host:port/db URL."""
    if storage.strip().lower() == "sqlite":
        return await SqliteStore.open(data_dir, ttl_seconds=ttl_seconds)
    if _is_redis_url(storage.strip()):
        return await RedisStore.open(storage.strip(), ttl_seconds=ttl_seconds)
    raise ValueError(f"unsupported storage {storage!r}: use 'sqlite' or a URL like redis://localhost:6379/0")
