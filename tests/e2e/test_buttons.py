"""Forged, stale and double presses never change a conversation wrongly."""

from __future__ import annotations

from tests.support.harness import (
    MARKS,
    ROUTINE,
    SECOND,
    SELF_CARE,
    SHIPPED,
    TO_LOCATION,
    URGENT,
    Person,
    RunningBot,
    after,
    answered,
    headline,
    label,
    line,
    lines_of,
)

WHERE = SHIPPED.steps["location"].text
"""The question "where is the twitching?", as the flow under test words it."""


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
    await alice.tap_through(TO_LOCATION)
    assert headline(alice.question()).startswith(WHERE)


async def test_an_earlier_keyboard_of_the_card_says_already_saved_and_changes_nothing(
    bot: RunningBot, api, alice: Person
) -> None:
    await alice.command("/start")
    card = alice.question()
    old_yes = card.callback_data[0]  # the "Yes" to the safety question, as the card first showed it
    await alice.tap_through(TO_LOCATION)
    calls_before = len(api.calls)
    query_id = api.press(alice.chat, alice.user, card, old_yes, on_screen=False)
    await api.wait_until_idle_for(api.callback_query(query_id).update_id)
    assert api.callback_query(query_id).answer["text"] == "That answer is already saved."
    assert {c.method for c in api.calls[calls_before:]} <= {"getUpdates", "answerCallbackQuery"}  # nothing sent
    assert headline(alice.question()).startswith(WHERE)
    assert not any(m.text.startswith("🚨") for m in api.bot_messages(alice.chat))


async def test_a_double_tap_advances_only_once_and_sends_nothing_extra(bot: RunningBot, api, alice: Person) -> None:
    await alice.command("/start")
    await alice.tap_through(TO_LOCATION)
    question = alice.question()
    data = question.callback_data[0]
    sent_before = len(api.calls_to("sendMessage", chat_id=alice.chat.id))
    edits_before = len(api.calls_to("editMessageText", chat_id=alice.chat.id))
    first = api.press(alice.chat, alice.user, question, data)
    second = api.press(alice.chat, alice.user, question, data, on_screen=False)
    await api.wait_until_idle_for(api.callback_query(second).update_id)
    await api.wait_until_idle_for(api.callback_query(first).update_id)
    assert api.callback_query(first).answered and api.callback_query(second).answered
    assert api.callback_query(second).answer["text"] == "That answer is already saved."
    # The first press edits the card to the next question; the second sends nothing and never advances again.
    assert api.calls_to("sendMessage", chat_id=alice.chat.id)[sent_before:] == []
    assert len(api.calls_to("editMessageText", chat_id=alice.chat.id)) == edits_before + 1
    card = alice.question()
    assert card.message_id == question.message_id and headline(card).startswith(
        after("location", {"location": "eye"}).text
    )
    # Answered once each: the questions before the location, and the location.
    assert answered(card) == lines_of({"location": "eye"}, len(TO_LOCATION) + 1)


async def test_an_old_card_after_a_typed_answer_says_moved_on_and_never_advances(
    bot: RunningBot, api, alice: Person
) -> None:
    await alice.command("/start")
    await alice.tap_through(TO_LOCATION)
    old_card = alice.question()
    await alice.say("my left calf")  # typed: the card moves below the person's message
    new_card = alice.question()
    then = after("location", {"location": "leg"})
    assert new_card.message_id != old_card.message_id and headline(new_card).startswith(then.text)
    assert old_card.text.startswith("Hi, I'm TwitchCheck") and not new_card.text.startswith("Hi, I'm TwitchCheck")
    query_id = await alice.tap(label("location", "arm"), old_card)
    assert api.callback_query(query_id).answer["text"] == (
        "This check has moved on. Its current question is in the latest message below."
    )
    relinked = alice.question()  # the current card, sent again at the bottom of the chat
    assert relinked.message_id > new_card.message_id and headline(relinked).startswith(then.text)
    assert answered(relinked)[-1] == line("location", "leg")  # the old card's press changed nothing
    await alice.tap(label(then), new_card)  # the card before is now an old card too
    assert headline(alice.question()).startswith(then.text)
    await alice.tap(label(then))
    assert headline(alice.question()).startswith(after(then.id, {"location": "leg"}).text)


async def test_a_restart_mid_conversation_carries_on(bot: RunningBot, api, alice: Person) -> None:
    await alice.command("/start")
    await alice.tap_through([*TO_LOCATION, label("location", "arm")])
    await bot.restart()  # a new Application over the same data directory
    then = after("location", {"location": "arm"})
    assert headline(alice.question()).startswith(then.text)
    await alice.tap(label(then))
    assert headline(alice.question()).startswith(after(then.id, {"location": "arm"}).text)


async def test_server_errors_and_rate_limits_are_retried(bot: RunningBot, api, alice: Person) -> None:
    api.fail_next("sendMessage", status=500, count=2)
    await alice.command("/start")
    assert headline(alice.question()).startswith("First, a safety question")
    api.fail_next("editMessageText", status=502)
    await alice.tap("No")
    assert headline(alice.question()) == SECOND
    assert answered(alice.question()) == ["✓ Emergency signs now: No"]
    await alice.tap_through(TO_LOCATION[1:-1])
    api.fail_next("editMessageText", status=429, retry_after=1)
    await alice.tap(TO_LOCATION[-1])
    assert headline(alice.question()).startswith(WHERE)
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
    await bob.tap_through(TO_LOCATION)  # Bob's check is untouched
    assert headline(bob.question()).startswith("Where is the twitching?")


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


def advice(api, person: Person, mark: str):  # type: ignore[no-untyped-def]
    return next(m for m in api.bot_messages(person.chat) if m.text.startswith(mark))


async def test_why_this_advice_under_an_older_recommendation_never_gives_another_checks_reasons(
    bot: RunningBot, api, alice: Person
) -> None:
    await alice.command("/start")
    await alice.tap_through(URGENT)
    await alice.command("/restart")
    await alice.tap_through(SELF_CARE)
    sent_before = len(api.bot_messages(alice.chat))
    query_id = await alice.tap("Why this advice", advice(api, alice, "🔴"))
    assert api.callback_query(query_id).answer["text"]  # a short note instead
    assert len(api.bot_messages(alice.chat)) == sent_before
    await alice.tap("Why this advice", advice(api, alice, "🟢"))
    assert f"• {SHIPPED.steps['location'].topic}: {label('location', 'eye')}" in alice.texts()[-1]


async def test_start_again_under_an_older_recommendation_keeps_the_check_in_progress(
    bot: RunningBot, api, alice: Person
) -> None:
    await alice.command("/start")
    await alice.tap_through(ROUTINE)
    await alice.command("/restart")
    await alice.tap_through([*TO_LOCATION, label("location", "leg")])
    card = alice.question()
    sent_before = len(api.bot_messages(alice.chat))
    query_id = await alice.tap("Start again", advice(api, alice, "🟠"))
    assert api.callback_query(query_id).answer["text"] == (
        "This check has moved on. Its current question is in the latest message below."
    )
    assert len(api.bot_messages(alice.chat)) == sent_before
    assert alice.question().message_id == card.message_id and answered(alice.question())[-1] == line("location", "leg")
    then = after("location", {"location": "leg"})
    await alice.tap(label(then))  # the check carries on where it was
    assert headline(alice.question()).startswith(after(then.id, {"location": "leg"}).text)


async def test_a_double_tap_on_start_again_starts_one_check(bot: RunningBot, api, alice: Person) -> None:
    await alice.command("/start")
    await alice.tap("Yes")
    sent_before = len(api.bot_messages(alice.chat))
    _, second = await alice.double_tap("Start again", advice(api, alice, "🚨"))
    [card] = api.bot_messages(alice.chat)[sent_before:]  # one new card, not two
    assert card.callback_data and not card.text.startswith(MARKS)
    assert api.callback_query(second).answer["text"]


async def test_a_double_tap_on_delete_everything_confirms_once(bot: RunningBot, api, alice: Person) -> None:
    await alice.command("/start")
    await alice.command("/forget")
    await alice.double_tap("Yes, delete everything", api.last_bot_message(alice.chat))
    done = [t for t in alice.texts() if t.startswith("Done. Everything I stored about you has been deleted.")]
    assert len(done) == 1
