"""Different chats concurrently, one chat's updates strictly in order."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.metrics import Metrics


class PerChatOrderedProcessor(BaseUpdateProcessor):
    """Run updates concurrently, but serialise those of the same chat behind a per-chat lock.

    Locks live only while a chat has updates in flight, so memory stays bounded by the
    number of concurrent updates, not by the number of chats ever seen.
    """

    def __init__(
        self, metrics: Metrics, max_concurrent_updates: int = 256, on_handled: Callable[[int], None] | None = None
    ) -> None:
        super().__init__(max_concurrent_updates)
        self.metrics = metrics
        self.on_handled = on_handled
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        started = time.perf_counter()
        try:
            await self._in_chat_order(update, coroutine)
        finally:
            self.metrics.latency.observe(time.perf_counter() - started)
            self.metrics.updates.labels(kind=_kind(update)).inc()
            if self.on_handled is not None and isinstance(update, Update):
                self.on_handled(update.update_id)

    async def _in_chat_order(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        lock, users = self._locks.get(chat.id, (asyncio.Lock(), 0))
        self._locks[chat.id] = (lock, users + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, users = self._locks[chat.id]
            if users == 1:
                del self._locks[chat.id]
            else:
                self._locks[chat.id] = (lock, users - 1)

    @property
    def chats_in_flight(self) -> int:
        return len(self._locks)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""


def _kind(update: object) -> str:
    """The update's kind (message, callback_query, …) for the metrics label."""
    if isinstance(update, Update):
        for name in ("callback_query", "message", "edited_message", "channel_post", "my_chat_member"):
            if getattr(update, name) is not None:
                return name
    return "other"
