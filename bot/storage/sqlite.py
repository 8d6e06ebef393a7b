"""The default store: one SQLite file, so a single instance needs nothing set up.

Every write is one SQL statement, so compare-and-set is atomic without explicit
transactions, and every call is one hop to aiosqlite's worker thread (`RETURNING`
tells us whether a conditional write happened without a second round trip).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiosqlite

from bot.engine.conversation import Conversation
from bot.storage.base import DEDUP_TTL_SECONDS, DEFAULT_TTL_SECONDS

FILE_NAME = "twitchcheck.sqlite3"

_PRAGMAS = (
    # WAL lets readers (backups, a second process) run while we write; with NORMAL a
    # commit does not fsync, and a power cut can lose at most the last commits, not corrupt.
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=5000",
)

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS conversations (
        key TEXT PRIMARY KEY,
        user TEXT NOT NULL,
        version INTEGER NOT NULL,
        data TEXT NOT NULL, -- Conversation.to_dict() as JSON
        expires_at REAL NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS conversations_user ON conversations (user)",
    "CREATE TABLE IF NOT EXISTS chat_settings (chat TEXT PRIMARY KEY, data TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS seen_updates (update_id INTEGER PRIMARY KEY, expires_at REAL NOT NULL)",
)

_LOAD = "SELECT data FROM conversations WHERE key = ? AND expires_at > ?"
# An expired row still physically present counts as absent, so the upsert overwrites it.
_CREATE = """INSERT INTO conversations (key, user, version, data, expires_at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (key) DO UPDATE SET user = excluded.user, version = excluded.version,
        data = excluded.data, expires_at = excluded.expires_at
    WHERE conversations.expires_at <= ?
    RETURNING 1"""
_UPDATE = """UPDATE conversations SET user = ?, version = ?, data = ?, expires_at = ?
    WHERE key = ? AND version = ? AND expires_at > ?
    RETURNING 1"""
_MARK_SEEN = """INSERT INTO seen_updates (update_id, expires_at) VALUES (?, ?)
    ON CONFLICT (update_id) DO UPDATE SET expires_at = excluded.expires_at
    WHERE seen_updates.expires_at <= ?
    RETURNING 1"""
_SAVE_CHAT = """INSERT INTO chat_settings (chat, data) VALUES (?, ?)
    ON CONFLICT (chat) DO UPDATE SET data = excluded.data"""


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def check_bumped(conversation: Conversation, expected_version: int | None) -> None:
    """Refuse an update that keeps the version, since two such writers would both win."""
    if expected_version is not None and conversation.version <= expected_version:
        raise ValueError(
            f"conversation version {conversation.version} must be greater than expected_version "
            f"{expected_version}; save conversation.bumped(...)"
        )


class SqliteStore:
    """A `ConversationStore` on one long-lived aiosqlite connection in autocommit mode."""

    def __init__(
        self,
        db: aiosqlite.Connection,
        path: Path,
        *,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
        dedup_ttl_seconds: int = DEDUP_TTL_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if ttl_seconds <= 0 or dedup_ttl_seconds <= 0:
            raise ValueError("ttl_seconds and dedup_ttl_seconds must be positive")
        self._db = db
        self.path = path
        self._ttl = ttl_seconds
        self._dedup_ttl = dedup_ttl_seconds
        self._clock = clock

    @classmethod
    async def open(
        cls,
        data_dir: Path,
        *,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
        dedup_ttl_seconds: int = DEDUP_TTL_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> SqliteStore:
        """Open (creating folder, file and tables as needed) `<data_dir>/twitchcheck.sqlite3`."""
        data_dir.mkdir(parents=True, exist_ok=True)
        path = data_dir / FILE_NAME
        # isolation_level=None: autocommit, so each statement commits on its own and we
        # never pay a separate commit() hop.
        db = await aiosqlite.connect(path, isolation_level=None)
        try:
            for statement in (*_PRAGMAS, *_SCHEMA):
                await db.execute_fetchall(statement)
            return cls(db, path, ttl_seconds=ttl_seconds, dedup_ttl_seconds=dedup_ttl_seconds, clock=clock)
        except BaseException:
            await db.close()
            raise

    async def load(self, key: str) -> Conversation | None:
        """Return the live conversation under `key`, or None."""
        rows = list(await self._db.execute_fetchall(_LOAD, (key, self._clock())))
        return Conversation.from_dict(json.loads(rows[0][0])) if rows else None

    async def save(self, key: str, conversation: Conversation, *, expected_version: int | None, user: str) -> bool:
        """Write `conversation` if the stored version is `expected_version` (None: nothing live)."""
        check_bumped(conversation, expected_version)
        now = self._clock()
        data = _dumps(conversation.to_dict())
        expires_at = now + self._ttl
        if expected_version is None:
            params: tuple[Any, ...] = (key, user, conversation.version, data, expires_at, now)
            rows = await self._db.execute_fetchall(_CREATE, params)
        else:
            params = (user, conversation.version, data, expires_at, key, expected_version, now)
            rows = await self._db.execute_fetchall(_UPDATE, params)
        return bool(list(rows))

    async def delete(self, key: str) -> None:
        """Drop one conversation."""
        await self._changes("DELETE FROM conversations WHERE key = ?", (key,))

    async def forget_user(self, user: str) -> int:
        """Delete the user's conversations, expired ones too; chat settings belong to chats, not users."""
        return await self._changes("DELETE FROM conversations WHERE user = ?", (user,))

    async def purge_expired(self) -> int:
        """Delete expired conversations (and expired update ids); return the conversations count."""
        now = self._clock()
        await self._changes("DELETE FROM seen_updates WHERE expires_at <= ?", (now,))
        return await self._changes("DELETE FROM conversations WHERE expires_at <= ?", (now,))

    async def mark_update_seen(self, update_id: int) -> bool:
        """Record `update_id`; False if it is already recorded and not yet past the dedup window."""
        now = self._clock()
        rows = await self._db.execute_fetchall(_MARK_SEEN, (update_id, now + self._dedup_ttl, now))
        return bool(list(rows))

    async def load_chat_settings(self, chat: str) -> dict[str, Any]:
        """Return a group's settings, or {}."""
        rows = list(await self._db.execute_fetchall("SELECT data FROM chat_settings WHERE chat = ?", (chat,)))
        return dict(json.loads(rows[0][0])) if rows else {}

    async def save_chat_settings(self, chat: str, settings: dict[str, Any]) -> None:
        """Replace a group's settings."""
        await self._changes(_SAVE_CHAT, (chat, _dumps(settings)))

    async def close(self) -> None:
        """Close the connection and stop its worker thread."""
        await self._db.close()

    async def _changes(self, sql: str, params: tuple[Any, ...]) -> int:
        async with self._db.execute(sql, params) as cursor:
            return cursor.rowcount
