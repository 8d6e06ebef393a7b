"""Cut a webhook replica off between saving an answer and settling its update, as a stop or a crash does.

`Cuts` wraps a real store (every call reaches it unchanged) and holds the update being handled at
one of the two ends of that window: right after the answer is saved (nothing shown yet), or after
every handler ran (the reply sent, the update not yet settled). The test then cancels the held update, as
`stop()` does past its grace, or also drops its settle, as when the replica dies and only its
lease running out frees the update. Telegram, played by the test, then delivers it again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Protocol

import pytest
import redis.asyncio as aioredis
from telegram import Update
from telegram.ext import ContextTypes, TypeHandler

from bot.engine.conversation import Conversation
from bot.storage import SqliteStore, open_store
from bot.storage.base import ConversationStore
from bot.storage.redis import CLAIM_PREFIX
from bot.telegram.webhook import WebhookServer
from tests.support.redis_server import RedisServer

POINTS = ("answer_saved", "reply_sent")
"""Where a cut can fall."""
AFTER_HANDLERS = 99
"""The handler group that runs after the bot's own (0, and 1 for blocked chats)."""


class Cuts:
    """A real store, plus one armed cut at a time."""

    def __init__(self, store: ConversationStore) -> None:
        self.store = store
        self.point: str | None = None
        self.hit: str | None = None
        self.dead = False
        self.reached = asyncio.Event()
        self._saves = 0
        self._never = asyncio.Event()

    def arm(self, point: str) -> None:
        """Cut the next update at `point` (one of POINTS)."""
        assert point in POINTS
        self.point, self.hit, self.dead, self._saves = point, None, False, 0
        self.reached = asyncio.Event()

    def install(self, server: WebhookServer) -> None:
        """Hold updates after every handler too, where `reply_sent` falls."""
        server.runtime.application.add_handler(TypeHandler(Update, self._after_handlers), group=AFTER_HANDLERS)

    async def save(self, key: str, conversation: Conversation, *, expected_version: int | None, user: str) -> bool:
        saved = await self.store.save(key, conversation, expected_version=expected_version, user=user)
        if saved and self.point is not None:
            self._saves += 1
            if self.point == "answer_saved" and self._saves == 1:
                await self._cut(self.point)
        return saved

    async def settle_update(self, update_id: int, handled: bool) -> None:
        if not self.dead:  # a dead replica's settle never reaches the store
            await self.store.settle_update(update_id, handled)

    async def _after_handlers(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if self.point is not None:
            await self._cut("reply_sent")

    async def _cut(self, where: str) -> None:
        self.point, self.hit = None, where
        self.reached.set()
        await self._never.wait()  # until the test cancels it, as stop() or a crash would

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def cancel_in_flight(server: WebhookServer) -> None:
    """Cancel every update the replica is handling, as `stop()` does once its grace is over."""
    for task in list(server.intake.handling):
        task.cancel()


class Clock:
    """time.time, but one a test can move forward, so a SQLite lease runs out without waiting."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def __call__(self) -> float:
        return time.time() + self.ahead


class Backend(Protocol):
    kind: str

    async def open(self) -> ConversationStore:
        """One more connection to the shared store, as another replica's process would open."""
        ...

    async def expire_claim(self, update_id: int, lease_seconds: int) -> None:
        """Make the claim on `update_id` pass its lease, as when the replica holding it died."""
        ...


class SqliteBackend:
    kind = "sqlite"

    def __init__(self, data_dir: Path) -> None:
        self.data_dir, self.clock, self.opened = data_dir, Clock(), list[ConversationStore]()

    async def open(self) -> ConversationStore:
        self.opened.append(await SqliteStore.open(self.data_dir, clock=self.clock))
        return self.opened[-1]

    async def expire_claim(self, update_id: int, lease_seconds: int) -> None:
        self.clock.ahead += lease_seconds


class RedisBackend:
    kind = "redis"

    def __init__(self, url: str, data_dir: Path) -> None:
        self.url, self.data_dir, self.opened = url, data_dir, list[ConversationStore]()
        self.raw = aioredis.Redis.from_url(url)

    async def open(self) -> ConversationStore:
        self.opened.append(await open_store(self.url, self.data_dir))
        return self.opened[-1]

    async def expire_claim(self, update_id: int, lease_seconds: int) -> None:
        # PEXPIREAT in the past makes Redis drop the key at once, as when its lease runs out.
        assert await self.raw.pexpireat(f"{CLAIM_PREFIX}{update_id}", 1)


@pytest.fixture(params=["sqlite", "redis"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    chosen: SqliteBackend | RedisBackend
    if request.param == "sqlite":
        chosen = SqliteBackend(tmp_path / "data")
    else:
        server: RedisServer = request.getfixturevalue("redis_server")
        chosen = RedisBackend(server.url, tmp_path / "data")
        await chosen.raw.flushdb()
    yield chosen
    for store in chosen.opened:
        await store.close()
    if isinstance(chosen, RedisBackend):
        await chosen.raw.aclose()
