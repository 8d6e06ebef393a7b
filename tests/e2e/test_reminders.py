"""The follow-up, end to end: the offer, the reminder two weeks later, the re-check, cancel, /forget, a blocked bot.

Time is a clock the test moves: the bot's reminder loop sleeps on it, so two weeks pass at once
and nothing here waits for real time to go by.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.bootstrap import Loaded
from bot.engine.followup import recheck_prefill
from bot.privacy import Anonymizer, salt_from
from bot.storage import ConversationStore, RedisStore, SqliteStore
from tests.support.botapi import BotApiStandIn, StoredMessage
from tests.support.harness import MARKS, ROUTINE, SELF_CARE, SHIPPED, URGENT, Person, RunningBot, settings_for
from tests.support.paths import taps, walk

DAY = 86400.0
CHECK_TIME = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)  # a Monday afternoon
REMIND = "Remind me in 2 weeks"
STILL_THERE = "Yes, it's still there"
GONE = "No, it's gone"
ASKS = "Is the twitching still there?"
RECHECK = [
    choice.label
    for step, choice in walk(SHIPPED, {"location": "eye", "duration": "over_2_weeks", "everyday_causes": "yes"})
    if step.key not in recheck_prefill(SHIPPED)
]
"""The self-care answers again, without what the re-check knows (the account skipped, 2 weeks or more)."""


class ManualTime:
    """A clock only the test moves; `sleep` returns once the clock has reached its end.

    `advance` first waits until every sleeper is really waiting (its end still ahead), so a loop
    that is busy when the test moves the clock never sleeps past the moment it was meant to see.
    """

    def __init__(self, start: datetime) -> None:
        self.now = start.timestamp()
        self._moved = asyncio.Condition()
        self._sleepers: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        until = self.now + seconds
        async with self._moved:
            self._sleepers.append(until)
            self._moved.notify_all()
            try:
                await self._moved.wait_for(lambda: self.now >= until)
            finally:
                self._sleepers.remove(until)

    async def sleeping(self, count: int) -> None:
        """Until `count` tasks sleep on this clock (the loop's poll, and a send waiting out a 429)."""
        async with self._moved:
            await asyncio.wait_for(self._moved.wait_for(lambda: len(self._sleepers) >= count), 5)

    async def advance(self, seconds: float) -> None:
        async with self._moved:
            await self._moved.wait_for(lambda: bool(self._sleepers) and min(self._sleepers) > self.now)
            self.now += seconds
            self._moved.notify_all()


class ReminderBot(RunningBot):
    """The real bot (polling, SQLite or Redis) on a manual clock."""

    def __init__(
        self,
        api: BotApiStandIn,
        loaded: Loaded,
        data_dir: Path,
        storage: str,
        time: ManualTime,
        *,
        rate_limited: bool = True,
    ) -> None:
        options = {"rate_limited": rate_limited, "clock": time.clock, "sleep": time.sleep}
        super().__init__(api, loaded, settings_for(api, data_dir, storage), options=options)
        self.time = time

    async def open_store(self) -> ConversationStore:
        """The store, on the manual clock too: reminder leases are read on the store's own clock."""
        if self.settings.storage == "sqlite":
            return await SqliteStore.open(self.settings.data_dir, clock=self.time.clock)
        return await RedisStore.open(self.settings.storage, clock=self.time.clock)

    def user_key(self, person: Person) -> str:
        return Anonymizer(salt_from(self.settings.token, self.settings.id_salt)).user(person.user.id)

    async def reminder_of(self, person: Person) -> object:
        assert self.store is not None
        return await self.store.load_reminder(self.user_key(person))

    async def settled(self) -> None:
        """Until the reminders being sent now are sent and settled."""
        assert self.runtime is not None
        await self.runtime.dispatcher.drain()

    async def due_now(self) -> int:
        """Run one round of the reminder loop by hand: how many reminders it found due."""
        assert self.runtime is not None
        claimed = await self.runtime.dispatcher.run_once()
        await self.runtime.dispatcher.drain()
        return claimed


@pytest.fixture
def time() -> ManualTime:
    return ManualTime(CHECK_TIME)


@pytest.fixture(params=["sqlite", "redis"])
async def reminder_bot(
    request: pytest.FixtureRequest, api: BotApiStandIn, loaded: Loaded, tmp_path: Path, time: ManualTime
) -> AsyncIterator[ReminderBot]:
    storage = "sqlite"
    if request.param == "redis":
        storage = request.getfixturevalue("redis_server").url
        import redis.asyncio as aioredis

        raw = aioredis.Redis.from_url(storage)
        await raw.flushdb()
        await raw.aclose()
    running = await ReminderBot(api, loaded, tmp_path, storage, time).start()
    yield running
    await running.stop()


def marked(person: Person) -> list[StoredMessage]:
    return [m for m in person.api.bot_messages(person.chat) if m.text.startswith(MARKS)]


def last_text(person: Person) -> str:
    return person.api.bot_messages(person.chat)[-1].text


async def ask_for_reminder(person: Person) -> None:
    await person.command("/start")
    await person.tap_through(SELF_CARE)
    [result] = marked(person)
    await person.tap(REMIND, result)


async def wait_for_reminder(api: BotApiStandIn, person: Person) -> StoredMessage:
    return await api.wait_for(
        lambda: next((m for m in api.bot_messages(person.chat) if ASKS in m.text), None), what="the reminder"
    )


async def test_a_self_care_result_offers_a_reminder_and_confirms_its_date(
    reminder_bot: ReminderBot, alice: Person
) -> None:
    await alice.command("/start")
    await alice.tap_through(SELF_CARE)
    [result] = marked(alice)
    assert result.text.startswith("🟢") and REMIND in result.button_texts
    await alice.tap(REMIND, result)
    assert "On Monday 16 March I'll ask you if the twitching is still there" in last_text(alice)
    await alice.command("/reminders")
    assert "I'll ask you on Monday 16 March" in last_text(alice)


@pytest.mark.parametrize("path", [URGENT, ROUTINE], ids=["urgent", "routine_over_2_weeks"])
async def test_advice_to_see_a_doctor_offers_no_reminder(reminder_bot: ReminderBot, alice: Person, path) -> None:
    await alice.command("/start")
    await alice.tap_through(path)
    [result] = marked(alice)
    assert REMIND not in result.button_texts
    await alice.command("/remind")
    assert "at the end of a check whose advice is to wait and see" in last_text(alice)
    assert await reminder_bot.reminder_of(alice) is None


async def test_not_sure_how_long_ends_at_routine_with_the_offer(reminder_bot: ReminderBot, alice: Person) -> None:
    await alice.command("/start")
    await alice.tap_through(taps(SHIPPED, {"location": "eye", "duration": "not_sure"}))
    [result] = marked(alice)
    assert result.text.startswith("🟠") and REMIND in result.button_texts
    await alice.command("/remind")
    assert "On Monday 16 March" in last_text(alice)


async def test_a_late_evening_check_is_followed_up_the_next_morning(
    reminder_bot: ReminderBot, alice: Person, time: ManualTime
) -> None:
    await time.advance(9 * 3600)  # 23:30
    await ask_for_reminder(alice)
    assert "On Tuesday 17 March" in last_text(alice)
    reminder = await reminder_bot.reminder_of(alice)
    assert datetime.fromtimestamp(reminder.due_at, UTC) == datetime(2026, 3, 17, 9, 0, tzinfo=UTC)  # type: ignore[attr-defined]


async def test_two_weeks_later_yes_starts_a_recheck_that_ends_at_routine(
    reminder_bot: ReminderBot, api: BotApiStandIn, alice: Person, time: ManualTime
) -> None:
    await ask_for_reminder(alice)
    await time.advance(14 * DAY - 60)
    assert await reminder_bot.due_now() == 0  # a minute early: nothing yet
    before = len(api.bot_messages(alice.chat))
    await time.advance(60)  # the bot's own loop wakes up and sends it
    reminder = await wait_for_reminder(api, alice)
    assert api.bot_messages(alice.chat).index(reminder) == before
    assert reminder.button_texts == [STILL_THERE, GONE]
    await alice.tap(STILL_THERE, reminder)
    assert "➜ " + STILL_THERE in reminder.text and not reminder.callback_data
    texts = alice.texts()
    assert any("I already know it has been going on for 2 weeks or more" in t for t in texts)
    assert not alice.question().text.startswith("Hi, I'm TwitchCheck")  # no second welcome on the re-check
    await alice.tap_through(RECHECK)
    recheck = marked(alice)[-1]
    assert recheck.text.startswith("🟠")  # the same answers as two weeks ago, now lasting: a GP appointment
    assert REMIND not in recheck.button_texts
    assert await reminder_bot.reminder_of(alice) is None  # sent, so deleted


async def test_no_closes_with_a_kind_note_and_nothing_is_left(
    reminder_bot: ReminderBot, api: BotApiStandIn, alice: Person, time: ManualTime
) -> None:
    await ask_for_reminder(alice)
    await time.advance(14 * DAY)
    reminder = await wait_for_reminder(api, alice)
    await alice.tap(GONE, reminder)
    assert "That's good to hear" in last_text(alice)
    await alice.command("/reminders")
    assert last_text(alice) == "You don't have a reminder set."


async def test_cancelled_reminders_are_never_sent(
    reminder_bot: ReminderBot, api: BotApiStandIn, alice: Person, time: ManualTime
) -> None:
    await ask_for_reminder(alice)
    await alice.command("/cancelreminder")
    assert last_text(alice) == "Okay, your reminder is cancelled and deleted."
    await time.advance(15 * DAY)
    assert await reminder_bot.due_now() == 0
    assert not any(ASKS in t for t in alice.texts())


async def test_forget_removes_the_reminder(
    reminder_bot: ReminderBot, api: BotApiStandIn, alice: Person, bob: Person, time: ManualTime
) -> None:
    await ask_for_reminder(alice)
    await ask_for_reminder(bob)
    await alice.command("/forget")
    await alice.tap("Yes, delete everything")
    assert await reminder_bot.reminder_of(alice) is None
    await time.advance(14 * DAY)
    await wait_for_reminder(api, bob)
    assert not any(ASKS in t for t in alice.texts())


async def test_a_forbidden_send_drops_the_reminder_and_its_data(
    reminder_bot: ReminderBot, api: BotApiStandIn, alice: Person, time: ManualTime
) -> None:
    """The person blocked the bot and Telegram never told us: the send's 403 drops it, for good."""
    await ask_for_reminder(alice)
    api.world.blocked_by.add(alice.user.id)
    mark = api.mark()
    await time.advance(14 * DAY)
    await api.wait_for_call("sendMessage", since=mark, chat_id=alice.chat.id)
    await reminder_bot.settled()
    assert await reminder_bot.reminder_of(alice) is None
    await time.advance(5 * DAY)
    assert await reminder_bot.due_now() == 0
    assert len(api.calls_to("sendMessage", since=mark, chat_id=alice.chat.id)) == 1


async def test_blocking_the_bot_drops_the_reminder_at_once(reminder_bot: ReminderBot, alice: Person) -> None:
    await ask_for_reminder(alice)
    update_id = alice.api.block_bot(alice.user)
    await alice.api.wait_until_idle_for(update_id)
    assert await reminder_bot.reminder_of(alice) is None


async def test_a_failed_send_is_tried_again_later(
    reminder_bot: ReminderBot, api: BotApiStandIn, alice: Person, time: ManualTime
) -> None:
    await ask_for_reminder(alice)
    api.fail_next("sendMessage", 400, description="Bad Request: injected by the stand-in")
    mark = api.mark()
    await time.advance(14 * DAY)
    await api.wait_for_call("sendMessage", since=mark, chat_id=alice.chat.id)
    await reminder_bot.settled()
    assert not any(ASKS in t for t in alice.texts())
    assert await reminder_bot.reminder_of(alice) is not None
    await time.advance(600)
    await wait_for_reminder(api, alice)


async def test_in_a_group_reminders_are_only_offered_in_private(
    api: BotApiStandIn, loaded: Loaded, tmp_path: Path, time: ManualTime, alice: Person
) -> None:
    # Without Telegram's 20-messages-a-minute group limit, so a whole check in a group stays quick.
    running = await ReminderBot(api, loaded, tmp_path, "sqlite", time, rate_limited=False).start()
    try:
        group = api.group("Twitch support")
        api.set_member(group, alice.user, "member")
        api.make_admin(group, alice.user)
        in_group = Person(api, alice.user, group)
        await in_group.command("/groupchecks on")
        await in_group.command("/start")
        await in_group.tap_through(SELF_CARE)
        [result] = [m for m in api.bot_messages(group) if m.text.startswith(MARKS)]
        assert result.text.startswith("🟢") and REMIND not in result.button_texts
        await in_group.command("/remind")
        private_only = "Reminders are only set in a private chat with me, to keep them private."
        assert api.bot_messages(group)[-1].text == private_only
        assert await running.reminder_of(alice) is None
    finally:
        await running.stop()


async def test_privacy_says_what_a_reminder_keeps_and_for_how_long(reminder_bot: ReminderBot, alice: Person) -> None:
    await alice.command("/privacy")
    privacy = last_text(alice)
    assert "If you ask for a reminder, I also store the number of this chat and the day to send it" in privacy
    assert "deleted as soon as the reminder is sent (after 2 weeks), or if you type /cancelreminder" in privacy


async def test_a_second_tap_on_still_there_keeps_the_recheck_and_its_answers(
    reminder_bot: ReminderBot, api: BotApiStandIn, alice: Person, time: ManualTime
) -> None:
    await ask_for_reminder(alice)
    await time.advance(14 * DAY)
    reminder = await wait_for_reminder(api, alice)
    data = next(b["callback_data"] for b in reminder.buttons if b["text"] == STILL_THERE)
    await alice.tap(STILL_THERE, reminder)
    await alice.tap_through(RECHECK[:3])
    card = alice.question()
    sent_before = len(api.bot_messages(alice.chat))
    query_id = api.press(alice.chat, alice.user, reminder, data, on_screen=False)  # the double tap, late
    await api.wait_until_idle_for(api.callback_query(query_id).update_id)
    assert len(api.bot_messages(alice.chat)) == sent_before  # no second re-check
    assert alice.question().message_id == card.message_id and alice.question().text == card.text


async def test_a_double_tap_on_remind_me_confirms_once(
    reminder_bot: ReminderBot, api: BotApiStandIn, alice: Person
) -> None:
    await alice.command("/start")
    await alice.tap_through(SELF_CARE)
    [result] = marked(alice)
    await alice.double_tap(REMIND, result)
    assert len([t for t in alice.texts() if "I'll ask you if the twitching is still there" in t]) == 1


async def test_a_double_tap_on_its_gone_says_so_once(
    reminder_bot: ReminderBot, api: BotApiStandIn, alice: Person, time: ManualTime
) -> None:
    await ask_for_reminder(alice)
    await time.advance(14 * DAY)
    reminder = await wait_for_reminder(api, alice)
    sent_before = len(api.bot_messages(alice.chat))
    await alice.double_tap(GONE, reminder)
    assert len(api.bot_messages(alice.chat)) == sent_before + 1  # one kind note


LEASE = 300.0
"""The dispatcher's claim lease (bot/reminders/dispatcher.py LEASE_SECONDS)."""


def reminders_in(person: Person) -> int:
    return sum(ASKS in t for t in person.texts())


async def test_a_send_retried_after_a_429_past_the_lease_goes_out_once(
    reminder_bot: ReminderBot, api: BotApiStandIn, alice: Person, time: ManualTime
) -> None:
    """Telegram says "retry after", and the lease the reminder was claimed with ends before the retry."""
    await ask_for_reminder(alice)
    api.fail_next("sendMessage", 429, retry_after=0.05)
    mark = api.mark()
    await time.advance(14 * DAY)
    await api.wait_for_call("sendMessage", since=mark, chat_id=alice.chat.id)  # answered 429
    await time.sleeping(2)  # the loop's poll, and the send waiting out the 429
    await time.advance(LEASE)  # the claim's first lease is over while the send waits to retry
    await wait_for_reminder(api, alice)
    await reminder_bot.settled()
    await time.advance(LEASE)
    await reminder_bot.due_now()
    assert reminders_in(alice) == 1


@pytest.mark.parametrize("command", ["/cancelreminder", "/forget"])
async def test_cancelling_while_a_send_waits_out_a_429_stops_it(
    reminder_bot: ReminderBot, api: BotApiStandIn, alice: Person, time: ManualTime, command: str
) -> None:
    """The reminder was claimed and tried; the person cancels before the retry: it never arrives."""
    await ask_for_reminder(alice)
    api.fail_next("sendMessage", 429, retry_after=0.05)
    mark = api.mark()
    await time.advance(14 * DAY)
    await api.wait_for_call("sendMessage", since=mark, chat_id=alice.chat.id)  # answered 429
    await time.sleeping(2)  # the loop's poll, and the send waiting out the 429
    await alice.command(command)
    if command == "/forget":
        await alice.tap("Yes, delete everything")
        assert "Everything I stored about you has been deleted" in last_text(alice)
    else:
        assert last_text(alice) == "Okay, your reminder is cancelled and deleted."
    await time.advance(60)  # well past the wait Telegram asked for
    await reminder_bot.settled()
    await time.advance(LEASE + RETRY)
    assert await reminder_bot.due_now() == 0
    assert reminders_in(alice) == 0


RETRY = 600.0
IN_PROGRESS = "You have a check in progress: carry on with it, or start the re-check?"


async def test_yes_on_a_reminder_during_another_check_asks_before_replacing_it(
    reminder_bot: ReminderBot, api: BotApiStandIn, alice: Person, time: ManualTime
) -> None:
    await ask_for_reminder(alice)
    await time.advance(14 * DAY)
    reminder = await wait_for_reminder(api, alice)
    await alice.command("/start")
    await alice.tap_through(SELF_CARE[:4])
    card = alice.question()
    await alice.tap(STILL_THERE, reminder)
    asked = api.world.find_message(alice.chat.id, reminder.message_id)
    assert asked is not None and IN_PROGRESS in asked.text
    assert asked.button_texts == ["Carry on with it", "Start the re-check"]
    now = api.world.find_message(alice.chat.id, card.message_id)
    assert now is not None and now.text == card.text and now.callback_data  # the check is untouched
    await alice.tap("Carry on with it", asked)
    back = api.world.find_message(alice.chat.id, reminder.message_id)
    assert back is not None and back.button_texts == [STILL_THERE, GONE]  # still answerable later
    await alice.tap_through(SELF_CARE[4:])
    assert marked(alice)[-1].text.startswith("🟢")  # the check in progress went on to its end


async def test_start_the_recheck_after_asking_replaces_the_check_in_progress(
    reminder_bot: ReminderBot, api: BotApiStandIn, alice: Person, time: ManualTime
) -> None:
    await ask_for_reminder(alice)
    await time.advance(14 * DAY)
    reminder = await wait_for_reminder(api, alice)
    await alice.command("/start")
    await alice.tap_through(SELF_CARE[:4])
    await alice.tap(STILL_THERE, reminder)
    asked = api.world.find_message(alice.chat.id, reminder.message_id)
    assert asked is not None and IN_PROGRESS in asked.text
    await alice.tap("Start the re-check", asked)
    assert any("I already know it has been going on for 2 weeks or more" in t for t in alice.texts())
    answered = api.world.find_message(alice.chat.id, reminder.message_id)
    assert answered is not None and "➜ " + STILL_THERE in answered.text and not answered.callback_data
    await alice.tap_through(RECHECK)
    assert marked(alice)[-1].text.startswith("🟠")
