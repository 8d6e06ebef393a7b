"""The shared rate limiter: background sends get only a share of Telegram's limit."""

from __future__ import annotations

import asyncio

import pytest

from bot.telegram.limits import BACKGROUND, SharedRateLimiter


async def settle() -> None:
    """Let every task that can run now run (no time passes on the loop's clock)."""
    for _ in range(20):
        await asyncio.sleep(0)


async def test_a_burst_of_background_sends_leaves_the_rest_of_the_limit_to_live_replies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The limiters drip by the loop's clock: held still, a busy machine can't let more through mid-test.
    loop = asyncio.get_running_loop()
    still = loop.time()
    monkeypatch.setattr(loop, "time", lambda: still)
    limiter = SharedRateLimiter(overall_max_rate=30, background_share=1 / 3)
    sent: list[str] = []

    async def send(kind: str) -> bool:
        sent.append(kind)
        return True

    def request(kind: str, rate_limit_args: int | None) -> asyncio.Task[object]:
        return asyncio.create_task(
            limiter.process_request(send, (kind,), {}, "sendMessage", {"chat_id": 1}, rate_limit_args)
        )

    reminders = [request("reminder", BACKGROUND) for _ in range(300)]
    await settle()
    replies = [request("reply", None) for _ in range(20)]
    await settle()
    try:
        # 10 reminders went at once (their share of 30); the 20 live replies did not wait behind the other 290.
        assert sent.count("reminder") == 10
        assert sent.count("reply") == 20 and all(reply.done() for reply in replies)
    finally:
        for task in reminders:
            task.cancel()
        await asyncio.gather(*reminders, return_exceptions=True)


async def test_without_a_limit_background_sends_are_not_held() -> None:
    limiter = SharedRateLimiter(overall_max_rate=0, group_max_rate=0)
    sent: list[int] = []

    async def send(number: int) -> bool:
        sent.append(number)
        return True

    await asyncio.gather(
        *(limiter.process_request(send, (n,), {}, "sendMessage", {"chat_id": 1}, BACKGROUND) for n in range(50))
    )
    assert sorted(sent) == list(range(50))
