"""Forged, stale and double presses never change a conversation wrongly."""

from __future__ import annotations

from tests.e2e.harness import Person, RunningBot


async def test_a_forged_press_gets_a_toast_and_changes_nothing(bot: RunningBot, api, alice: Person) -> None:
    await alice.command("/start")
    question = alice.question()
    sent_before = len(api.calls_to("sendMessage"))
    data = question.callback_data[0]
    for forged in ["garbage", "a.1.1.0.0.deadbeef", data[:-1] + "x", data[:-1] + "é", data[:-8] + "ünïcödé!"]:
        query_id = api.press(alice.chat, alice.user, question, forged, on_screen=False)
        await api.wait_until_idle_for(api.callback_query(query_id).update_id)
        assert api.callback_query(query_id).answer["text"] == "That button doesn't work any more."
    assert len(api.calls_to("sendMessage")) == sent_before
    await alice.tap_through(["No", "Skip"])
    assert alice.question().text.startswith("Where is the twitching?")


async def test_a_stale_press_says_already_answered_and_shows_the_current_question(
    bot: RunningBot, api, alice: Person
) -> None:
    await alice.command("/start")
    first = alice.question()
    old_yes = first.callback_data[0]
    await alice.tap_through(["No", "Skip"])
    query_id = api.press(alice.chat, alice.user, first, old_yes, on_screen=False)
    await api.wait_until_idle_for(api.callback_query(query_id).update_id)
    assert "already" in api.callback_query(query_id).answer["text"]
    assert alice.question().text.startswith("Where is the twitching?")
    assert not any(m.text.startswith("🚨") for m in api.bot_messages(alice.chat))


async def test_a_double_tap_advances_only_once(bot: RunningBot, api, alice: Person) -> None:
    await alice.command("/start")
    await alice.tap_through(["No", "Skip"])
    question = alice.question()
    data = question.callback_data[0]
    sent_before = len(api.calls_to("sendMessage", chat_id=alice.chat.id))
    first = api.press(alice.chat, alice.user, question, data)
    second = api.press(alice.chat, alice.user, question, data, on_screen=False)
    await api.wait_until_idle_for(api.callback_query(second).update_id)
    await api.wait_until_idle_for(api.callback_query(first).update_id)
    assert api.callback_query(first).answered and api.callback_query(second).answered
    assert "already" in api.callback_query(second).answer["text"]
    sent = [c.params["text"] for c in api.calls_to("sendMessage", chat_id=alice.chat.id)[sent_before:]]
    # The first press advances to "How long"; the second is told it was already answered and sees
    # "How long" again; it must never advance a second time (to the caffeine question).
    assert [text.startswith("How long") for text in sent] == [True, True]
    assert not any("coffee" in text for text in sent)
    # Answered once each: the safety question, the Skip of the account step and the location.
    assert len([m for m in api.bot_messages(alice.chat) if "➜" in m.text]) == 3


async def test_a_restart_mid_conversation_carries_on(bot: RunningBot, api, alice: Person) -> None:
    await alice.command("/start")
    await alice.tap_through(["No", "Skip", "Arm or hand"])
    await bot.restart()  # a new Application over the same data directory
    await alice.tap("2 weeks or more")
    assert alice.question().text.startswith("Lately, have you been having a lot of coffee")


async def test_server_errors_and_rate_limits_are_retried(bot: RunningBot, api, alice: Person) -> None:
    api.fail_next("sendMessage", status=500, count=2)
    await alice.command("/start")
    assert alice.question().text.startswith("First, a safety question")
    api.fail_next("sendMessage", status=502)
    api.fail_next("editMessageText", status=429, retry_after=1)
    await alice.tap("No")
    assert alice.question().text.startswith("In a sentence or two, what's going on?")
    assert "➜" in api.bot_messages(alice.chat)[-2].text
    await alice.tap("Skip")
    assert alice.question().text.startswith("Where is the twitching?")
    statuses = [c.status for c in api.calls if c.method in ("sendMessage", "editMessageText")]
    assert statuses.count(500) == 2 and statuses.count(502) == 1 and statuses.count(429) == 1


async def test_forget_deletes_the_persons_rows_only(bot: RunningBot, api, alice: Person, bob: Person) -> None:
    import sqlite3

    await alice.command("/start")
    await alice.tap("No")
    await bob.command("/start")
    database = bot.settings.data_dir / "twitchcheck.sqlite3"

    def rows() -> int:
        with sqlite3.connect(database) as connection:
            return connection.execute("SELECT COUNT(*) FROM conversations").fetchone()[0]

    assert rows() == 2
    await alice.command("/forget")
    await alice.tap("No, keep it", api.last_bot_message(alice.chat))
    assert rows() == 2
    await alice.command("/forget")
    await alice.tap("Yes, delete everything", api.last_bot_message(alice.chat))
    assert rows() == 1
    assert "deleted" in api.last_bot_message(alice.chat).text.lower()
    await bob.tap_through(["No", "Skip"])  # Bob's check is untouched
    assert bob.question().text.startswith("Where is the twitching?")


async def test_stored_rows_hold_answers_but_no_message_text(bot: RunningBot, api, alice: Person) -> None:
    import sqlite3

    await alice.command("/start")
    await alice.say("no")
    await alice.say("my left calf, zebra-unicorn")
    with sqlite3.connect(bot.settings.data_dir / "twitchcheck.sqlite3") as connection:
        stored = "\n".join(str(row) for row in connection.execute("SELECT * FROM conversations"))
    assert "zebra" not in stored
    assert str(alice.user.id) not in stored
    assert '"emergency_now":"no"' in stored
