"""The reminder loop on a real SQLite store with a clock the test controls: pacing, retries, dropping, handing back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.reminders.dispatcher import GIVE_UP_SECONDS, LEASE_SECONDS, RETRY_SECONDS, Delivery, ReminderDispatcher
from bot.storage import SqliteStore
from bot.storage.base import Reminder
from tests.support.fake_time import FakeTime


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


@pytest.fixture
async def store(tmp_path: Path, time: FakeTime) -> AsyncIterator[SqliteStore]:
    opened = await SqliteStore.open(tmp_path, clock=time.clock)  # leases are read on the store's clock
    yield opened
    await opened.close()


async def schedule(store: SqliteStore, count: int, due: float = 0.0) -> None:
    for index in range(count):
        await store.schedule_reminder(Reminder(f"u{index}", 100 + index, due, "twitching"))


class Telegram:
    """A deliver function that answers as told and records how many sends overlap."""

    def __init__(self, answer: Delivery = "sent") -> None:
        self.answer = answer
        self.sent: list[int] = []
        self.open = 0
        self.most_open = 0

    async def deliver(self, reminder: Reminder) -> Delivery:
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        self.open -= 1
        if self.answer == "sent":
            self.sent.append(reminder.chat_id)
        return self.answer


async def test_a_batch_is_paced_and_bounded_in_flight(store: SqliteStore, time: FakeTime) -> None:
    await schedule(store, 30)
    telegram = Telegram()
    dispatcher = ReminderDispatcher(store, telegram.deliver, clock=time.clock, sleep=time.sleep, in_flight=2)
    assert await dispatcher.run_once() == 20  # one small batch at a time
    await dispatcher.drain()
    assert time.slept == [0.2] * 19  # five sends a second
    assert telegram.most_open <= 2
    assert await dispatcher.run_once() == 10
    await dispatcher.drain()
    assert sorted(telegram.sent) == list(range(100, 130))


async def test_a_failure_that_may_pass_is_retried_later_then_given_up(store: SqliteStore, time: FakeTime) -> None:
    await schedule(store, 1)
    telegram = Telegram("retry")
    dispatcher = ReminderDispatcher(store, telegram.deliver, clock=time.clock, sleep=time.sleep)
    assert await dispatcher.run_once() == 1
    await dispatcher.drain()
    time.now += RETRY_SECONDS - 1
    assert await dispatcher.run_once() == 0
    time.now += 1
    assert await dispatcher.run_once() == 1  # tried again
    await dispatcher.drain()
    time.now = GIVE_UP_SECONDS
    assert await dispatcher.run_once() == 1
    await dispatcher.drain()
    assert await store.load_reminder("u0") is None  # three days overdue and still failing: dropped


async def test_a_blocked_bot_drops_the_reminder_at_once(store: SqliteStore, time: FakeTime) -> None:
    await schedule(store, 1)
    telegram = Telegram("gone")
    dispatcher = ReminderDispatcher(store, telegram.deliver, clock=time.clock, sleep=time.sleep)
    assert await dispatcher.run_once() == 1
    await dispatcher.drain()
    assert await store.load_reminder("u0") is None


async def test_no_send_starts_after_half_the_lease(store: SqliteStore, time: FakeTime) -> None:
    """Telegram is so slow that half the lease is gone mid-batch: the rest is handed back, due now."""
    await schedule(store, 5)
    telegram = Telegram()

    async def slow(reminder: Reminder) -> Delivery:
        time.now += LEASE_SECONDS / 4
        return await telegram.deliver(reminder)

    dispatcher = ReminderDispatcher(store, slow, clock=time.clock, sleep=time.sleep, in_flight=1)
    await dispatcher.run_once()
    await dispatcher.drain()
    assert len(telegram.sent) == 2
    again = await store.claim_due_reminders(10, LEASE_SECONDS)
    assert len(again) == 3  # handed back: due at once, not after the lease


async def test_stop_lets_sends_finish_and_hands_back_the_rest(store: SqliteStore, time: FakeTime) -> None:
    await schedule(store, 5)
    release = asyncio.Event()
    started: list[int] = []

    async def held(reminder: Reminder) -> Delivery:
        started.append(reminder.chat_id)
        await release.wait()
        return "sent"

    dispatcher = ReminderDispatcher(store, held, clock=time.clock, sleep=time.sleep, in_flight=2)
    dispatcher.start()
    while len(started) < 2:
        await asyncio.sleep(0)
    stopping = asyncio.ensure_future(dispatcher.stop())
    await asyncio.sleep(0)
    release.set()
    await stopping
    assert len(started) == 2
    left = await store.claim_due_reminders(10, LEASE_SECONDS)
    assert len(left) == 3  # the two under way were sent; the three waiting are due again now


async def test_a_reminder_cancelled_after_its_batch_was_claimed_is_never_sent(
    store: SqliteStore, time: FakeTime
) -> None:
    """/cancelreminder (or /forget) lands while its batch waits to be sent: checked again just before sending."""
    await schedule(store, 3)
    telegram = Telegram()

    async def cancels_the_next(reminder: Reminder) -> Delivery:
        if reminder.user == "u0":
            assert await store.cancel_reminder("u1")  # claimed with u0, not yet started
        return await telegram.deliver(reminder)

    dispatcher = ReminderDispatcher(store, cancels_the_next, clock=time.clock, sleep=time.sleep, in_flight=1)
    assert await dispatcher.run_once() == 3
    await dispatcher.drain()
    assert telegram.sent == [100, 102]
    assert await store.load_reminder("u1") is None  # and the claim did not bring it back
    time.now += 10 * LEASE_SECONDS
    assert await dispatcher.run_once() == 0
