"""Two replicas on one real Redis send 1,000 reminders due at once: each exactly once, even when one dies.

Each replica has its own Redis connection, its own Bot API client (python-telegram-bot's HTTP
stack against the local Bot API stand-in) and its own ReminderDispatcher, as two processes would.
The clock is one the test moves: real time plus a shift the test adds to (to make a lease run
out), and the dispatchers' pauses only yield to the event loop, so nothing here sleeps.
"""

from __future__ import annotations

import asyncio
import random
import time as wall
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.bootstrap import load_all
from bot.config import Settings
from bot.metrics import Metrics
from bot.reminders.dispatcher import Delivery, ReminderDispatcher
from bot.storage import RedisStore
from bot.storage.base import Reminder
from bot.storage.redis import REMINDERS_KEY
from bot.telegram.app import build_handlers
from bot.telegram.reminders import ReminderHandlers
from tests.support.botapi import BotApiStandIn
from tests.support.flows import CONTENT_DIR, FLOWS_DIR
from tests.support.redis_server import RedisServer

PEOPLE = 1000
FIRST_ID = 5_000_000
ASKS = "Is the twitching still there?"


class ShiftedTime:
    """Real time plus `shift`: leases never run out by themselves during a test, only when it moves the clock."""

    def __init__(self) -> None:
        self.shift = 0.0

    def clock(self) -> float:
        return wall.time() + self.shift

    async def sleep(self, _seconds: float) -> None:
        await asyncio.sleep(0)


@dataclass
class Replica:
    """One bot process's reminder side: store, Bot API client, dispatcher, and what it sent."""

    name: str
    store: RedisStore
    bot: Bot
    dispatcher: ReminderDispatcher
    sent: list[int] = field(default_factory=list)
    loop: asyncio.Task[None] | None = None
    gate: asyncio.Event | None = None
    """When set, sends wait for it (Telegram being slow), so the test can act while they are under way."""
    held: int = 0

    async def close(self) -> None:
        await self.dispatcher.stop()
        await self.bot.shutdown()
        await self.store.close()


@pytest.fixture
async def world(redis_server: RedisServer) -> AsyncIterator[tuple[BotApiStandIn, str]]:
    raw = aioredis.Redis.from_url(redis_server.url)
    await raw.flushdb()
    await raw.aclose()
    async with BotApiStandIn() as api:
        for index in range(PEOPLE):
            user = api.user(FIRST_ID + index, f"P{index}")
            api.world.started.add(api.private(user).id)  # each has talked to the bot before
        yield api, redis_server.url


async def replica(
    name: str,
    api: BotApiStandIn,
    url: str,
    time: ShiftedTime,
    tmp_path: Path,
    *,
    skew: float = 0.0,
    redis_time: bool = False,
) -> Replica:
    """A replica whose own clock is `time` plus `skew`. Its store reads leases on Redis's TIME with
    `redis_time`, else on `time` (real time plus the test's shift, so a dead replica's lease can run out)."""
    store = await RedisStore.open(url, clock=None if redis_time else time.clock)
    settings = Settings(token=api.token, api_base_url=api.base_url, data_dir=tmp_path, storage=url, id_salt="salt")
    loaded = load_all([FLOWS_DIR], CONTENT_DIR)
    handlers = ReminderHandlers(build_handlers(loaded, store, settings, Metrics()))
    bot = Bot(api.token, base_url=api.base_url, request=HTTPXRequest(connection_pool_size=8))
    await bot.initialize()
    made = Replica(name, store, bot, None)  # type: ignore[arg-type]

    async def deliver(reminder: Reminder) -> Delivery:
        if made.gate is not None:
            made.held += 1
            await made.gate.wait()
        delivery = await handlers.deliver(bot, reminder)
        if delivery == "sent":
            made.sent.append(reminder.chat_id)
        return delivery

    made.dispatcher = ReminderDispatcher(store, deliver, clock=lambda: time.clock() + skew, sleep=time.sleep)
    return made


def reminder_counts(api: BotApiStandIn) -> Counter[int]:
    """How many reminders each person got, as Telegram holds them."""
    counts: Counter[int] = Counter()
    for index in range(PEOPLE):
        chat = api.world.chats[FIRST_ID + index]
        counts[chat.id] = sum(ASKS in m.text for m in api.bot_messages(chat))
    return counts


async def until(condition: Callable[[], Awaitable[bool]], what: str, within: float = 120.0) -> None:
    """Let the replicas run (yielding to the loop, never sleeping) until `condition` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await condition():
        if loop.time() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(0)


async def schedule_all(store: RedisStore) -> None:
    for index in range(PEOPLE):
        chat = FIRST_ID + index
        await store.schedule_reminder(Reminder(f"user{chat}", chat, -float(index % 7), "twitching"))


async def test_two_replicas_send_a_thousand_due_reminders_each_exactly_once(
    world: tuple[BotApiStandIn, str], tmp_path: Path
) -> None:
    api, url = world
    time = ShiftedTime()
    a, b = [await replica(name, api, url, time, tmp_path) for name in "ab"]
    try:
        await schedule_all(a.store)
        a.dispatcher.start()
        b.dispatcher.start()
        await until(lambda: _nothing_left(a.store), "every reminder to be sent")
        await a.dispatcher.stop()
        await b.dispatcher.stop()
        counts = reminder_counts(api)
        assert sum(counts.values()) == PEOPLE
        assert [chat for chat, n in counts.items() if n != 1] == []  # none lost, none doubled
        assert len(a.sent) + len(b.sent) == PEOPLE and a.sent and b.sent  # both did their share
    finally:
        await a.close()
        await b.close()


async def test_a_replica_killed_after_claiming_loses_and_doubles_nothing(
    world: tuple[BotApiStandIn, str], tmp_path: Path
) -> None:
    """Replica a is cancelled mid-batch: the reminders it had claimed but not sent wait for their
    lease to run out, then replica b sends them. Nobody gets two, nobody gets none."""
    api, url = world
    time = ShiftedTime()
    a, b = [await replica(name, api, url, time, tmp_path) for name in "ab"]
    try:
        await schedule_all(a.store)
        a.dispatcher.start()
        b.dispatcher.start()

        async def a_is_mid_batch() -> bool:
            return len(a.sent) >= 150 and len(a.dispatcher._waiting) >= 5  # noqa: SLF001

        await until(a_is_mid_batch, "replica a to be in the middle of a batch")
        stranded = list(a.dispatcher._waiting)  # noqa: SLF001 - claimed, not yet sent
        assert a.dispatcher._loop is not None  # noqa: SLF001
        a.dispatcher._loop.cancel()  # noqa: SLF001 - the process dies: no stop(), no hand-back
        a.dispatcher._loop = None  # noqa: SLF001
        await a.dispatcher.drain()  # its sends already on the wire complete, as they would at Telegram
        a.dispatcher._waiting = []  # noqa: SLF001 - and a dead process hands nothing back later
        sent_by_a = len(a.sent)

        async def only_the_stranded_are_left() -> bool:
            left = await b.store._redis.zrange(REMINDERS_KEY, 0, -1)  # noqa: SLF001
            return {int(user.removeprefix(b"user")) for user in left} == {r.chat_id for r in stranded}

        await until(only_the_stranded_are_left, "replica b to send all it can")
        assert not set(b.sent) & {r.chat_id for r in stranded}  # still held by a's claim
        time.shift += b.dispatcher.lease_seconds  # the lease of the dead replica's claims runs out
        await until(lambda: _nothing_left(b.store), "replica b to send everything")
        await b.dispatcher.stop()
        counts = reminder_counts(api)
        assert sum(counts.values()) == PEOPLE
        assert [chat for chat, n in counts.items() if n != 1] == []
        assert len(a.sent) == sent_by_a and len(a.sent) + len(b.sent) == PEOPLE
        # The stranded ones went out from b, and only once their lease had run out.
        assert {r.chat_id for r in stranded} <= set(b.sent)
    finally:
        await a.close()
        await b.close()


async def test_a_replica_whose_clock_is_ahead_never_takes_over_a_claimed_batch(
    world: tuple[BotApiStandIn, str], tmp_path: Path
) -> None:
    """Replica b's clock is 6 minutes ahead, more than the lease: a's batch, claimed and being sent, stays a's.

    Both stores read Redis's own clock (TIME), as in production."""
    api, url = world
    time = ShiftedTime()
    a = await replica("a", api, url, time, tmp_path, redis_time=True)
    b = await replica("b", api, url, time, tmp_path, skew=360.0, redis_time=True)
    try:
        for index in range(20):
            chat = FIRST_ID + index
            await a.store.schedule_reminder(Reminder(f"user{chat}", chat, -1.0, "twitching"))
        a.gate = asyncio.Event()  # a's sends are under way at Telegram
        claiming = asyncio.ensure_future(a.dispatcher.run_once())

        async def a_is_sending() -> bool:
            return a.held > 0

        await until(a_is_sending, "replica a to claim its batch and start sending")
        taken_over = await b.dispatcher.run_once()
        a.gate.set()
        assert await claiming == 20
        await a.dispatcher.drain()
        await b.dispatcher.drain()
        counts = reminder_counts(api)
        assert [chat for chat, n in counts.items() if n > 1] == []  # nobody got it twice
        assert sum(counts.values()) == 20 and taken_over == 0
    finally:
        await a.close()
        await b.close()


@dataclass(frozen=True, slots=True)
class StressFigures:
    """What the people saw: reminders sent, duplicates, lost (never forgotten, never reminded), sent after /forget."""

    due: int
    sent: int
    duplicates: int
    lost: int
    sent_after_forget: int
    forgotten: int
    throttled: int


async def stress(api: BotApiStandIn, url: str, tmp_path: Path, people: int, seed: int = 19) -> StressFigures:
    """Two replicas, replica b's clock 10 minutes ahead; `people` reminders due at once; Telegram answers
    429 "retry after" to a tenth of the sends; half the people /forget at random moments while the
    reminders go out; replica a is killed mid-run (no hand-back) and its claims wait out their lease."""
    rng = random.Random(seed)
    time = ShiftedTime()
    a = await replica("a", api, url, time, tmp_path)
    b = await replica("b", api, url, time, tmp_path, skew=600.0)
    forgotten_at: dict[int, int] = {}  # chat -> the stand-in's call count when /forget had deleted everything
    try:
        for index in range(people):
            chat = FIRST_ID + index
            await a.store.schedule_reminder(Reminder(f"user{chat}", chat, -float(index % 7), "twitching"))
        throttled = people // 10
        api.fail_next("sendMessage", 429, count=throttled, retry_after=1)
        chosen = rng.sample(range(people), people // 2)

        async def forget_racing() -> None:
            for index in chosen:
                for _ in range(rng.randrange(4)):
                    await asyncio.sleep(0)
                chat = FIRST_ID + index
                await rng.choice([a, b]).store.forget_user(f"user{chat}")  # /forget, on either replica
                forgotten_at[chat] = api.mark()

        a.dispatcher.start()
        b.dispatcher.start()
        forgetting = asyncio.ensure_future(forget_racing())

        async def a_is_mid_batch() -> bool:
            return len(a.sent) >= people // 10 and len(a.dispatcher._waiting) >= 3  # noqa: SLF001

        await until(a_is_mid_batch, "replica a to be in the middle of a batch")
        assert a.dispatcher._loop is not None  # noqa: SLF001
        a.dispatcher._loop.cancel()  # noqa: SLF001 - the process dies: no stop(), no hand-back
        a.dispatcher._loop = None  # noqa: SLF001
        await a.dispatcher.drain()  # its sends on the wire complete, as they would at Telegram
        a.dispatcher._waiting = []  # noqa: SLF001
        await forgetting
        time.shift += b.dispatcher.lease_seconds  # the dead replica's claims run out
        await until(lambda: _nothing_left(b.store), "replica b to send everything", within=600.0)
        await b.dispatcher.stop()
    finally:
        await a.close()
        await b.close()
    reminders: dict[int, list[int]] = {}
    for number, call in enumerate(api.calls):
        if call.method == "sendMessage" and ASKS in str(call.params.get("text", "")) and call.status == 200:
            reminders.setdefault(int(call.params["chat_id"]), []).append(number)
    chats = [FIRST_ID + index for index in range(people)]
    return StressFigures(
        due=people,
        sent=sum(len(reminders.get(chat, [])) for chat in chats),
        duplicates=sum(max(len(reminders.get(chat, [])) - 1, 0) for chat in chats),
        lost=sum(1 for chat in chats if chat not in forgotten_at and not reminders.get(chat)),
        sent_after_forget=sum(
            1 for chat, at in forgotten_at.items() for number in reminders.get(chat, []) if number >= at
        ),
        forgotten=len(forgotten_at),
        throttled=throttled,
    )


STRESS_PEOPLE = 300
"""Fewer than the benchmark's 1,000 (python -m tests.benchmarks.bench_reminders), to keep the suite quick."""


async def test_stress_429s_skew_forget_races_and_a_killed_replica(
    world: tuple[BotApiStandIn, str], tmp_path: Path
) -> None:
    api, url = world
    figures = await stress(api, url, tmp_path, STRESS_PEOPLE)
    assert (figures.duplicates, figures.lost, figures.sent_after_forget) == (0, 0, 0), figures
    assert figures.sent + figures.forgotten >= STRESS_PEOPLE  # everyone was either reminded or forgotten


async def _nothing_left(store: RedisStore) -> bool:
    return await store._redis.zcard(REMINDERS_KEY) == 0  # noqa: SLF001
