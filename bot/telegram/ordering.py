"""Per-chat queues in front of a global concurrency limit: `process_update(update, coroutine)`.

One chat's updates run strictly one after another, in arrival order; different chats run
concurrently, at most `max_concurrent_updates` at a time. An update waits for its chat's turn
*before* it takes one of those slots, so a chat with a long queue holds one slot, never all
of them: python-telegram-bot's own semaphore wraps `do_process_update`, and a chat lock taken
inside it let 400 queued updates of one chat fill every slot while everyone else waited.

A chat may have at most `per_chat_cap` updates queued or running. Beyond that the update is
dropped without running, counted, and the chat is told once to wait (until its queue drains).

Updates that belong to no chat (inline queries, chosen inline results, presses on a message
posted through inline mode) get the same line per person instead: without it, one person's
3,000 inline queries took every slot, and another person's /start waited 15 s for them.
"""

from __future__ import annotations

import inspect
import logging
import time
from asyncio import Lock, Semaphore
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.logs import log_event
from bot.metrics import Metrics

logger = logging.getLogger("twitchcheck")

PER_CHAT_CAP = 32
"""Updates one chat may have queued or running. A person taps or types a few at a time, and even
a backlog after downtime is rarely more than ten; a script sending hundreds is cut off here, so
its queue costs a few dozen handler runs instead of minutes of everyone's Bot API budget."""

ADMITTED_LIMIT = 1 << 30
"""python-telegram-bot's own semaphore: set so high it never binds; our slots do the limiting."""


@dataclass
class _ChatLine:
    """One chat's queue: a FIFO lock for its turn, how many are in it, and whether it was told to wait."""

    turn: Lock = field(default_factory=Lock)
    queued: int = 0
    told: bool = False


class PerChatOrderedProcessor(BaseUpdateProcessor):
    """Run updates concurrently, one chat's in order, a flooding chat capped and never in others' way.

    Lines live only while a chat has updates in flight, so memory stays bounded by the number
    of updates in flight, not by the number of chats ever seen.
    """

    def __init__(
        self,
        metrics: Metrics,
        max_concurrent_updates: int = 256,
        on_handled: Callable[[int], None] | None = None,
        *,
        per_chat_cap: int = PER_CHAT_CAP,
        on_flood: Callable[[Update], Awaitable[None]] | None = None,
    ) -> None:
        if per_chat_cap < 1:
            raise ValueError("per_chat_cap must be at least 1")
        super().__init__(ADMITTED_LIMIT)
        self.metrics = metrics
        self.on_handled = on_handled
        self.on_flood = on_flood
        self.per_chat_cap = per_chat_cap
        self.running_limit = max_concurrent_updates
        self._slots = Semaphore(max_concurrent_updates)
        self._lines: dict[tuple[str, int], _ChatLine] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        started = time.perf_counter()
        kind = _kind(update)
        try:
            line = _line_of(update)
            if line is None:
                async with self._slots:
                    await coroutine
            else:
                await self._in_chat_order(line, update, coroutine)
        finally:
            self.metrics.latency.observe(time.perf_counter() - started)
            self.metrics.updates.labels(kind=kind).inc()
            if self.on_handled is not None and isinstance(update, Update):
                self.on_handled(update.update_id)

    async def _in_chat_order(self, key: tuple[str, int], update: object, coroutine: Awaitable[Any]) -> None:
        line = self._lines.setdefault(key, _ChatLine())
        if line.queued >= self.per_chat_cap:
            await self._drop(line, update, coroutine)
            return
        line.queued += 1
        try:
            async with line.turn, self._slots:
                await coroutine
        finally:
            line.queued -= 1
            if line.queued == 0:
                del self._lines[key]

    async def _drop(self, line: _ChatLine, update: object, coroutine: Awaitable[Any]) -> None:
        """Drop an update over the cap without running it; tell the chat once per flood."""
        if inspect.iscoroutine(coroutine):
            coroutine.close()
        self.metrics.dropped.inc()
        if line.told or self.on_flood is None or not isinstance(update, Update):
            return
        line.told = True
        try:
            await self.on_flood(update)
        except Exception as error:  # noqa: BLE001 - a failed "please wait" must not touch the chat's queue
            log_event(logger, "error", logging.ERROR, error=type(error).__name__, where="flood_reply")

    @property
    def chats_in_flight(self) -> int:
        return len(self._lines)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""


def _line_of(update: object) -> tuple[str, int] | None:
    """Whose line an update waits in: its chat's, or for an update outside any chat, its sender's."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return ("chat", update.effective_chat.id)
    if update.effective_user is not None:
        return ("person", update.effective_user.id)
    return None


def _kind(update: object) -> str:
    """The update's kind (message, callback_query, …) for the metrics label."""
    if isinstance(update, Update):
        for name in ("callback_query", "message", "edited_message", "channel_post", "my_chat_member", "inline_query"):
            if getattr(update, name) is not None:
                return name
    return "other"
