"""Telegram's send limit (about 30 messages a second, edits included), spent where it matters.

python-telegram-bot's AIORateLimiter queues every call that names a chat in one first-in,
first-out leaky bucket (aiolimiter). That is already fair between people here: each chat's
updates are handled one at a time (bot/telegram/ordering.py), so a chat has at most one call
waiting in the bucket, however fast it writes, and the bucket serves chats in turn
(`python -m tests.benchmarks.bench_limits` measures a flooding chat next to steady ones).
The one sender that could put many calls in the queue at once is background work, such as
follow-up reminders: those pass `rate_limit_args=BACKGROUND` and first go through a bucket
of their own holding them to a share of the limit, so live replies keep the rest. A background
send that gets 429 "retry after" is not retried here: its sender waits and retries it itself, after
checking it is still wanted (a reminder cancelled meanwhile must not go; bot/reminders/dispatcher.py).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.constants import FloodLimit
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

BACKGROUND = -1
"""`rate_limit_args` for a send nobody is waiting for (a reminder): it may use only a share of the limit."""
BACKGROUND_SHARE = 1 / 3
"""At most this share of Telegram's limit goes to background sends (10 a second of 30)."""
MAX_RETRIES = 5
"""Times a call is retried after Telegram's 429 "retry after", waiting as long as Telegram asks."""


class SharedRateLimiter(AIORateLimiter):
    """AIORateLimiter whose background sends are held to a share of the limit."""

    def __init__(
        self,
        overall_max_rate: float = FloodLimit.MESSAGES_PER_SECOND,
        group_max_rate: float = FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP,
        background_share: float = BACKGROUND_SHARE,
        max_retries: int = MAX_RETRIES,
    ) -> None:
        super().__init__(overall_max_rate=overall_max_rate, group_max_rate=group_max_rate, max_retries=max_retries)
        rate = overall_max_rate * background_share
        self._background = AsyncLimiter(max_rate=max(rate, 1), time_period=1) if overall_max_rate else None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if rate_limit_args != BACKGROUND:
            return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
        if self._background is not None:
            await self._background.acquire()
        try:
            return await super().process_request(_tried_once(callback), args, kwargs, endpoint, data, None)
        except _NotRetried as error:
            raise error.retry_after from None


class _NotRetried(Exception):
    """A background send's RetryAfter, wrapped so AIORateLimiter passes it up instead of retrying."""

    def __init__(self, retry_after: RetryAfter) -> None:
        super().__init__(str(retry_after))
        self.retry_after = retry_after


def _tried_once(
    callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
) -> Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]]:
    async def once(*args: Any, **kwargs: Any) -> bool | dict[str, Any] | list[dict[str, Any]]:
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as error:
            raise _NotRetried(error) from error

    return once
