"""The call log and the wake-up signal tests and long polls wait on."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from .world import JSON

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Call:
    """One HTTP request to the stand-in: decoded parameters and the answer it got."""

    seq: int
    method: str
    params: dict[str, Any]
    status: int
    response: JSON | None

    @property
    def ok(self) -> bool:
        """Whether Telegram would have said ``"ok": true``."""
        return self.status == 200

    @property
    def result(self) -> Any:
        """The ``result`` of a successful call, else None."""
        return self.response.get("result") if self.response else None

    @property
    def description(self) -> str | None:
        """The error description of a failed call."""
        return self.response.get("description") if self.response else None

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        """Same method (any case) and each given param equal, comparing ids as text."""
        if self.method.lower() != method.lower():
            return False
        return all(k in self.params and _same(self.params[k], v) for k, v in params.items())

    def summary(self, width: int = 100) -> str:
        """One line for failure dumps."""
        shown = {k: v for k, v in self.params.items() if k not in ("reply_markup",)}
        if "reply_markup" in self.params:
            shown["reply_markup"] = "…"
        text = f"#{self.seq} {self.method} {shown} -> {self.status}"
        if not self.ok and self.description:
            text += f" {self.description!r}"
        return text if len(text) <= width else text[: width - 1] + "…"


def _same(actual: Any, expected: Any) -> bool:
    return actual == expected or str(actual) == str(expected)


class Pulse:
    """Wakes every waiter whenever something changes.

    Not an asyncio.Condition: its notify needs the lock held, and the test helpers that
    queue updates are plain functions. An Event swapped for a fresh one on every change
    gives the same "wake all, re-check" behaviour without the lock.
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        """Wake everyone waiting now; later waiters wait for the next change."""
        self._event.set()
        self._event = asyncio.Event()

    async def until(self, predicate: Callable[[], T | None], timeout: float | None) -> T:
        """Return predicate()'s first truthy value, re-checked after each change.

        Raises TimeoutError when ``timeout`` seconds pass first.
        """
        async with asyncio.timeout(timeout):
            while not (value := predicate()):
                await self._event.wait()
        return value
