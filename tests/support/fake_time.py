"""A clock and a sleep for start-up's retries that tests control: sleeping moves the clock on at once."""

from __future__ import annotations

import asyncio


class FakeTime:
    """Start-up's clock and sleep: `sleep` records the delay, moves `now` on, and yields once."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)
