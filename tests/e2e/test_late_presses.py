"""A press Telegram will no longer let us answer (handled late, after downtime or a backlog) still counts."""

from __future__ import annotations

import sqlite3

import pytest

from tests.support.harness import SECOND, TO_LOCATION, Person, RunningBot, answered, headline

TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"


def too_old(api, count: int = 1) -> None:  # type: ignore[no-untyped-def]
    """The next `count` answerCallbackQuery calls fail the way Telegram refuses a late answer."""
    api.fail_next("answerCallbackQuery", status=400, count=count, description=TOO_OLD)


def refused_answers(api) -> int:  # type: ignore[no-untyped-def]
    return len([c for c in api.calls_to("answerCallbackQuery") if c.status == 400])


async def test_a_late_answer_is_saved_and_the_next_question_shown(
    bot: RunningBot, api, alice: Person, caplog: pytest.LogCaptureFixture
) -> None:
    await alice.command("/start")
    too_old(api)
    await alice.tap("No")
    assert refused_answers(api) == 1
    logged = [r for r in caplog.records if getattr(r, "event", "") == "press_answer_failed"]
    assert [r.fields for r in logged] == [{"error": "BadRequest"}]  # type: ignore[attr-defined]
    assert answered(alice.question()) == ["✓ Emergency signs now: No"]
    assert headline(alice.question()) == SECOND
    assert not any("answers are safe" in t for t in alice.texts())
    await alice.tap_through(TO_LOCATION[1:])
    assert headline(alice.question()).startswith("Where is the twitching?")


async def test_a_late_forget_confirmation_still_deletes(bot: RunningBot, api, alice: Person) -> None:
    await alice.command("/start")
    await alice.tap("No")
    database = bot.settings.data_dir / "twitchcheck.sqlite3"
    await alice.command("/forget")
    too_old(api)
    await alice.tap("Yes, delete everything", api.last_bot_message(alice.chat))
    assert refused_answers(api) == 1
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT COUNT(*) FROM conversations").fetchone()[0] == 0
    assert "deleted" in api.last_bot_message(alice.chat).text.lower()
    assert not any("answers are safe" in t for t in alice.texts())


@pytest.mark.parametrize("action", ["Start again", "Why this advice", "Delete my data"])
async def test_late_result_buttons_still_act(bot: RunningBot, api, alice: Person, action: str) -> None:
    await alice.command("/start")
    await alice.tap("Yes")
    sent_before = len(api.calls_to("sendMessage", chat_id=alice.chat.id))
    too_old(api)
    await alice.tap(action, alice.recommendation())
    assert refused_answers(api) == 1
    sent = [c.params["text"] for c in api.calls_to("sendMessage", chat_id=alice.chat.id)[sent_before:]]
    assert sent and not any("answers are safe" in t for t in sent)


async def test_late_stale_and_forged_presses_are_refused_quietly(bot: RunningBot, api, alice: Person) -> None:
    await alice.command("/start")
    first = alice.question()
    old_yes = first.callback_data[0]
    await alice.tap("No")
    too_old(api, count=2)
    stale = api.press(alice.chat, alice.user, first, old_yes, on_screen=False)
    forged = api.press(alice.chat, alice.user, first, "garbage", on_screen=False)
    await api.wait_until_idle_for(api.callback_query(forged).update_id)
    assert refused_answers(api) == 2
    assert not api.callback_query(stale).answered and not api.callback_query(forged).answered
    assert not any("answers are safe" in t for t in alice.texts())
    assert headline(alice.question()) == SECOND
