"""Lets the stand-in know when the bot has finished with an update.

PTB's Updater confirms an update (next getUpdates offset) as soon as it is queued, and
its webhook server answers 200 before handling it, so nothing on the wire says "done".
The update processor is the one PTB extension point that sees each update finish.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import SimpleUpdateProcessor


class TrackingUpdateProcessor(SimpleUpdateProcessor):
    """PTB's default processor (await each update in turn), reporting each finished update."""

    __slots__ = ("_on_handled",)

    def __init__(self, on_handled: Callable[[int], None], max_concurrent_updates: int = 1) -> None:
        super().__init__(max_concurrent_updates)
        self._on_handled = on_handled

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Handle the update, then report it even when a handler raised."""
        try:
            await coroutine
        finally:
            if isinstance(update, Update):
                self._on_handled(update.update_id)
