"""A person in a private chat holds the whole check by tapping buttons or typing."""

from __future__ import annotations

import pytest

from tests.e2e.harness import EMERGENCY, ROUTINE, SELF_CARE, URGENT, Person, RunningBot


@pytest.mark.parametrize(
    ("path", "mark", "title"),
    [
        (EMERGENCY, "🚨", "Call emergency services now"),
        (URGENT, "🔴", "See a doctor within a few days"),
        (ROUTINE, "🟠", "Book a routine GP appointment"),
        (SELF_CARE, "🟢", "Likely harmless: self-care"),
    ],
    ids=["emergency", "urgent", "routine", "self_care"],
)
async def test_a_full_check_by_buttons_ends_in_its_level(bot: RunningBot, alice: Person, path, mark, title) -> None:
    await alice.command("/start")
    await alice.tap_through(path)

    result = alice.recommendation()
    assert result.text.splitlines()[0] == f"{mark} {title}"
    last = alice.api.last_bot_message(alice.chat)
    summary = ["Summary for your doctor"] if mark in ("🔴", "🟠") else []
    remind = ["Remind me in 2 weeks"] if mark == "🟢" else []  # the follow-up (tests/e2e/test_reminders.py)
    assert last.button_texts == ["Why this advice", *summary, *remind, "Start again", "Delete my data"]
    assert "information, not a diagnosis" in "\n".join(alice.texts())
    # The chat reads as a transcript: every answered question shows its answer and has no buttons left.
    answered = [m for m in alice.api.bot_messages(alice.chat) if "➜" in m.text]
    assert len(answered) == len(path)
    assert all(not m.callback_data for m in answered)
    assert [m.text.rsplit("➜ ", 1)[1] for m in answered] == path


async def test_every_button_press_is_answered(bot: RunningBot, alice: Person) -> None:
    await alice.command("/start")
    await alice.tap_through(URGENT[:4])
    assert all(alice.api.callback_query(q).answered for q in alice.presses)


async def test_emergency_shows_the_number_for_the_person_and_112(bot: RunningBot, api, alice: Person) -> None:
    uk = api.user(1003, "Uma", language_code="en-GB")
    person = Person(api, uk, api.private(uk))
    await person.command("/start")
    await person.tap("Yes")
    assert "Call 999 now. (112 also works" in person.recommendation().text


async def test_the_urgent_advice_quotes_the_als_passage_and_cites_nice(bot: RunningBot, alice: Person) -> None:
    await alice.command("/start")
    await alice.tap_through(URGENT)
    everything = "\n".join(alice.texts())
    assert "When evaluating for ALS, significant emphasis" in everything
    assert "Motor neurone disease: assessment and management (NG42)" in everything
    assert "Lasting weakness: Yes" in everything


async def test_caffeine_brings_the_stimulants_passage(bot: RunningBot, alice: Person) -> None:
    await alice.command("/start")
    await alice.tap_through(SELF_CARE)
    assert "High intake of stimulants like caffeine" in "\n".join(alice.texts())


async def test_typed_answers_work_like_buttons(bot: RunningBot, alice: Person) -> None:
    await alice.command("/start")
    typed_answers = ["no", "skip", "3", "less than 2 weeks", "nope", "n", "NO.", "no", "no", "yeah", *["no"] * 5]
    for typed in typed_answers:
        await alice.say(typed)
    # The last typed answer is echoed just before the recommendation, never above its mark.
    assert alice.recommendation().text.startswith("🔴 See a doctor within a few days")
    assert alice.texts()[alice.texts().index(alice.recommendation().text) - 1] == "➜ No"


async def test_garbage_gets_a_hint_and_the_same_question(bot: RunningBot, alice: Person) -> None:
    await alice.command("/start")
    await alice.tap_through(["No", "Skip"])
    before = alice.question().text
    await alice.say("purple elephant")
    texts = alice.texts()
    assert texts[-2].startswith("Sorry, I didn't catch that")
    assert "1) Eye or eyelid" in texts[-2]
    assert texts[-1] == before


async def test_an_emergency_phrase_interrupts_at_any_step(bot: RunningBot, alice: Person) -> None:
    await alice.command("/start")
    await alice.tap_through(["No", "Skip", "Arm or hand", "Less than 2 weeks"])
    await alice.say("I think my face is drooping")
    assert alice.recommendation().text.startswith("🚨")


async def test_back_and_restart(bot: RunningBot, alice: Person) -> None:
    await alice.command("/start")
    await alice.tap_through(["No", "Skip", "Arm or hand"])
    await alice.command("/back")
    assert alice.question().text.startswith("Where is the twitching?")
    await alice.command("/restart")
    assert alice.question().text.startswith("First, a safety question")


async def test_stickers_and_photos_get_a_hint_and_lose_nothing(bot: RunningBot, api, alice: Person) -> None:
    await alice.command("/start")
    await alice.tap_through(["No", "Skip"])
    update_id = api.send_sticker(alice.chat, alice.user)
    await api.wait_until_idle_for(update_id)
    update_id = api.send_photo(alice.chat, alice.user)
    await api.wait_until_idle_for(update_id)
    texts = alice.texts()
    assert texts[-2].startswith("I can only read text") or "only read text" in texts[-2]
    assert texts[-1].startswith("Where is the twitching?")
    await alice.tap("Face")
    assert alice.question().text.startswith("How long")


async def test_very_long_text_is_answered_kindly(bot: RunningBot, alice: Person) -> None:
    await alice.command("/start")
    await alice.say("blah " * 800)
    assert "very long" in alice.texts()[-2]


async def test_resuming_with_start_shows_the_open_question(bot: RunningBot, alice: Person) -> None:
    await alice.command("/start")
    await alice.tap_through(["No", "Skip", "Face"])
    await alice.command("/start")
    assert alice.question().text.startswith("How long")


async def test_a_deep_link_payload_opens_the_named_flow(bot: RunningBot, alice: Person) -> None:
    await alice.command("/start twitching")
    assert alice.question().text.startswith("First, a safety question")


async def test_help_privacy_and_about(bot: RunningBot, alice: Person) -> None:
    await alice.command("/help")
    await alice.command("/privacy")
    await alice.command("/about")
    help_text, privacy, about = alice.texts()[-3:]
    assert "/forget" in help_text
    assert "after 7 days" in privacy
    assert "NICE" in about and "information, not a diagnosis" in about


async def test_commands_are_registered(bot: RunningBot, api) -> None:
    names = [command["command"] for command in api.commands()]
    reminders = ["remind", "reminders", "cancelreminder"]
    assert names == ["start", "back", "restart", "cancel", "forget", "privacy", *reminders, "about", "help"]


async def test_why_this_advice_button(bot: RunningBot, alice: Person) -> None:
    await alice.command("/start")
    await alice.tap_through(URGENT)
    await alice.tap("Why this advice", alice.api.last_bot_message(alice.chat))
    assert alice.texts()[-1].startswith("Why this advice\n• Lasting weakness: Yes")


async def test_cancel_deletes_the_check(bot: RunningBot, alice: Person) -> None:
    await alice.command("/start")
    await alice.tap("No")
    await alice.command("/cancel")
    assert "/start" in alice.texts()[-1]
    await alice.command("/cancel")
    assert alice.texts()[-1] != alice.texts()[-2]
