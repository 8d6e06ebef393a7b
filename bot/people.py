"""A person's own record: the country they set, and when they finished their recent checks. Nothing else.

`finished_check(record, now) -> (record, count)` is pure: it adds a completion time, drops those older
than REPEAT_WINDOW_SECONDS, and counts the rest. No answers are kept for it (design §4, health
anxiety), only the times. The record lives in the store next to the conversations (`load_person`,
`save_person`), with their time to live, and `/forget` deletes it with them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from bot.engine.conversation import Conversation
from bot.engine.model import Flow, Level, StepKind
from bot.storage.base import ConversationStore

COUNTRY = "country"
FINISHED = "finished"
REPEAT_WINDOW_SECONDS = 7 * 24 * 3600
REPEAT_CHECKS = 3
"""The third check finished within the window gets the repeat-checks note (design §4)."""
MAX_TIMES = REPEAT_CHECKS * 4
"""Only the newest times are kept: the count needs no more, and less is stored about anyone."""
NOTE_LEVELS = (Level.ROUTINE, Level.SELF_CARE)
CLEAR_NO = "no"
"""The value of a red-flag question's plain "no"; anything else (yes, not sure) is a red-flag answer."""


def finished_check(record: Mapping[str, Any], now: float) -> tuple[dict[str, Any], int]:
    """`record` with a check finished at `now`, and how many were finished in the window, this one included."""
    times = [float(t) for t in record.get(FINISHED, ()) if now - REPEAT_WINDOW_SECONDS < float(t) <= now]
    times = [*times, now][-MAX_TIMES:]
    return {**record, FINISHED: times}, len(times)


def raised_a_flag(flow: Flow, conversation: Conversation) -> bool:
    """Whether any red-flag question of this check was answered with something other than a plain no."""
    return any(
        step.kind == StepKind.RED_FLAG and conversation.answers.get(step.key, CLEAR_NO) != CLEAR_NO
        for step in flow.steps.values()
    )


def wants_repeat_note(count: int, level: Level, flagged: bool) -> bool:
    """The repeat-checks note: a third check in the window, ending at 🟢 or 🟠, with no red-flag answer."""
    return count >= REPEAT_CHECKS and level in NOTE_LEVELS and not flagged


class People:
    """Reads and writes people's records in the conversation store."""

    def __init__(self, store: ConversationStore, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock

    async def load(self, user: str) -> dict[str, Any]:
        return await self.store.load_person(user)

    async def set_country(self, user: str, code: str) -> None:
        """Store the person's country (a two-letter code), keeping the rest of their record."""
        record = await self.store.load_person(user)
        await self.store.save_person(user, {**record, COUNTRY: code})

    async def finished(self, user: str, record: Mapping[str, Any]) -> int:
        """Record a check finished now on top of `record` (just loaded); how many in the window."""
        updated, count = finished_check(record, self.clock())
        await self.store.save_person(user, updated)
        return count
