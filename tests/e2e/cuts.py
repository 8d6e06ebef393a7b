"""Cut a webhook replica off between saving an answer and settling its update, as a stop or a crash does.

`Cuts` wraps a real store (every call reaches it unchanged) and holds the update being handled at
one point: right after the answer is saved, right after the card is moved below it (the second
save), or after every handler ran (the reply sent). The test then cancels the held update, as
`stop()` does past its grace, or also drops its settle, as when the replica dies and only its
lease running out frees the update. Telegram, played by the test, then delivers it again.
"""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes, TypeHandler

from bot.engine.conversation import Conversation
from bot.storage.base import ConversationStore
from bot.telegram.webhook import WebhookServer

POINTS = ("answer_saved", "card_moved", "reply_sent")
"""Where a cut can fall; a cut at `card_moved` on a turn that moves no card falls after the reply."""
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
            if (self.point, self._saves) in (("answer_saved", 1), ("card_moved", 2)):
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
