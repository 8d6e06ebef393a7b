"""A person in a private chat holds the whole check by tapping buttons or typing."""

from __future__ import annotations

import pytest

from bot.bootstrap import Loaded
from tests.support.harness import (
    EMERGENCY,
    ROUTINE,
    SELF_CARE,
    SHIPPED,
    URGENT,
    Person,
    RunningBot,
    answered,
    headline,
    says,
)
from tests.support.paths import asked, longest, taps_before, walk

LOCATION = SHIPPED.steps["location"]


def after(step_id: str, answers: dict[str, str]) -> str:
    """The question asked after `step_id` on the path with these answers."""
    ids = asked(SHIPPED, answers)
    return SHIPPED.steps[ids[ids.index(step_id) + 1]].text


@pytest.mark.parametrize(
    ("path", "mark", "title"),
    [
        (EMERGENCY, "🚨", "Call emergency services now"),
        (URGENT, "🔴", "See a doctor within a few days"),
        (ROUTINE, "🟠", "Book a routine doctor's appointment"),  # no country set: "your doctor" (countries.yaml)
        (SELF_CARE, "🟢", "Likely harmless: self-care"),
    ],
    ids=["emergency", "urgent", "routine", "self_care"],
)
async def test_a_full_check_by_buttons_ends_in_its_level(
    bot: RunningBot, api, alice: Person, path, mark, title
) -> None:
    await alice.command("/start")
    await alice.tap_through(path)

    result = alice.recommendation()
    assert result.text.splitlines()[0] == f"{mark} {title}"
    last = alice.api.last_bot_message(alice.chat)
    summary = ["Summary for your doctor"] if mark in ("🔴", "🟠") else []
    remind = ["Remind me in 2 weeks"] if mark == "🟢" else []  # the follow-up (tests/e2e/test_reminders.py)
    country = ["🌍 Your country"]  # tests/e2e/test_countries.py
    assert last.button_texts == ["Why this advice", *summary, *remind, *country, "Start again", "Delete my data"]
    assert "information, not a diagnosis" in "\n".join(alice.texts())
    # One card for the whole check, edited once per press: at the end it lists every answer and has no
    # buttons left; the recommendation came as new messages below it.
    card, *recommendation = alice.api.bot_messages(alice.chat)
    assert card.text.startswith("Hi, I'm TwitchCheck") and not card.callback_data  # the welcome stays on top
    assert [line.rsplit(": ", 1)[1] for line in answered(card)] == path
    assert recommendation[0] is result and len(recommendation) == len(api.calls_to("sendMessage")) - 1
    assert len(api.calls_to("editMessageText")) == len(path)


async def test_every_button_press_is_answered(bot: RunningBot, alice: Person) -> None:
    await alice.command("/start")
    await alice.tap_through(URGENT[:4])
    assert all(alice.api.callback_query(q).answered for q in alice.presses)


async def test_emergency_shows_the_number_for_the_person_and_112(bot: RunningBot, api, alice: Person) -> None:
    uk = api.user(1003, "Uma", language_code="en-GB")
    person = Person(api, uk, api.private(uk))
    await person.command("/start")
    await person.tap("Yes")
    # "en-GB" is only a hint (tests/e2e/test_countries.py): the UK's number comes first, the others and 112 still show.
    assert "Call your emergency number now: 999 (UK), 911 (US, Canada)" in person.recommendation().text
    assert "112 (EU and most mobiles)" in person.recommendation().text


async def test_the_urgent_advice_quotes_the_als_passage_and_cites_nice(bot: RunningBot, alice: Person) -> None:
    await alice.command("/start")
    await alice.tap_through(URGENT)
    everything = "\n".join(alice.texts())
    assert "When evaluating for ALS, significant emphasis" in everything
    assert "Motor neurone disease: assessment and management (NG42)" in everything
    assert "Lasting weakness: Yes" in everything


async def test_everyday_causes_bring_the_stimulants_passage(bot: RunningBot, alice: Person) -> None:
    await alice.command("/start")
    await alice.tap_through(SELF_CARE)
    assert "High intake of stimulants like caffeine" in "\n".join(alice.texts())


async def test_typed_answers_work_like_buttons(bot: RunningBot, alice: Person) -> None:
    await alice.command("/start")
    # The URGENT path, typed: an option's number, a label in lower case, and "no" and "yes" as people type them.
    path = walk(SHIPPED, {"location": "arm", "duration": "under_2_weeks", "weakness": "yes"})
    noes = iter(["nope", "n", "NO."] + ["no"] * len(path))
    for step, choice in path:
        if step.id == "location":
            typed = str(step.choices.index(choice) + 1)
        elif choice.value == "no":
            typed = next(noes)
        elif choice.value == "yes":
            typed = "yeah"
        else:
            typed = choice.label.lower()
        await alice.say(typed)
    # The recommendation starts with its mark; the cards before it listed what was understood.
    assert alice.recommendation().text.startswith("🔴 See a doctor within a few days")
    cards = [m for m in alice.api.bot_messages(alice.chat) if answered(m)]
    assert (
        answered(cards[-1]) == [f"✓ {step.topic}: {choice.label}" for step, choice in path][: len(answered(cards[-1]))]
    )
    assert "✓ Where it twitches: Arm or hand" in answered(cards[-1])
    assert "✓ How long: Less than 2 weeks" in answered(cards[-1])


async def test_garbage_gets_a_hint_and_the_same_question(bot: RunningBot, alice: Person) -> None:
    await alice.command("/start")
    await alice.tap_through(taps_before(SHIPPED, "location"))
    before = headline(alice.question())
    await alice.say("purple elephant")
    again = alice.question()
    assert headline(again).startswith("Sorry, I didn't catch that")
    assert f"1) {LOCATION.choices[0].label}" in again.text
    assert headline(again).endswith(f"\n\n{before}")


async def test_an_emergency_phrase_interrupts_at_any_step(bot: RunningBot, alice: Person) -> None:
    await alice.command("/start")
    await alice.tap_through(taps_before(SHIPPED, "everyday_causes", {"location": "arm"}))
    await alice.say("I think my face is drooping")
    assert alice.recommendation().text.startswith("🚨")


async def test_back_and_restart(bot: RunningBot, alice: Person) -> None:
    await alice.command("/start")
    await alice.tap_through([*taps_before(SHIPPED, "location"), "Arm or hand"])
    await alice.command("/back")
    assert headline(alice.question()) == f"Okay, let's go back one question.\n\n{LOCATION.text}"
    await alice.command("/restart")
    assert headline(alice.question()).startswith("Okay, let's start again from the beginning.")
    assert says(alice.question(), SHIPPED.steps[SHIPPED.start].text) and answered(alice.question()) == []


async def test_stickers_and_photos_get_a_hint_and_lose_nothing(bot: RunningBot, api, alice: Person) -> None:
    await alice.command("/start")
    await alice.tap_through(taps_before(SHIPPED, "location"))
    update_id = api.send_sticker(alice.chat, alice.user)
    await api.wait_until_idle_for(update_id)
    update_id = api.send_photo(alice.chat, alice.user)
    await api.wait_until_idle_for(update_id)
    card = alice.question()
    assert headline(card) == f"Sorry, I can only read text. Please tap a button or type your answer.\n\n{LOCATION.text}"
    await alice.tap("Face")
    assert headline(alice.question()) == after("location", {"location": "face"})


async def test_very_long_text_is_answered_kindly(bot: RunningBot, alice: Person) -> None:
    await alice.command("/start")
    await alice.say("blah " * 800)
    assert headline(alice.question()).startswith("That message is very long.")


async def test_resuming_with_start_shows_the_open_question(bot: RunningBot, alice: Person) -> None:
    await alice.command("/start")
    await alice.tap_through([*taps_before(SHIPPED, "location"), "Face"])
    await alice.command("/start")
    assert headline(alice.question()) == after("location", {"location": "face"})


async def test_a_deep_link_payload_opens_the_named_flow(bot: RunningBot, alice: Person) -> None:
    await alice.command("/start twitching")
    assert headline(alice.question()) == SHIPPED.steps[SHIPPED.start].text


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
    assert names == ["start", "back", "restart", "cancel", "forget", "privacy", "country", *reminders, "about", "help"]


async def test_why_this_advice_button(bot: RunningBot, alice: Person) -> None:
    await alice.command("/start")
    await alice.tap_through(URGENT)
    await alice.tap("Why this advice", alice.api.last_bot_message(alice.chat))
    assert alice.texts()[-1].startswith(f"Why this advice\n• {SHIPPED.steps['weakness'].topic}: Yes")


async def test_cancel_deletes_the_check(bot: RunningBot, alice: Person) -> None:
    await alice.command("/start")
    await alice.tap("No")
    await alice.command("/cancel")
    assert "/start" in alice.texts()[-1]
    await alice.command("/cancel")
    assert alice.texts()[-1] != alice.texts()[-2]


async def test_the_longest_path_is_one_card_that_always_fits(
    bot: RunningBot, api, alice: Person, loaded: Loaded
) -> None:
    """Walk the path with the most questions, taking the longest label where there is a choice:
    the card is edited once per press, the stand-in accepts every edit (it refuses over 4,096
    characters or a bad keyboard), and the card ends listing every answer."""
    flow = loaded.flows[loaded.engine().default_flow]
    path = [choice.label for _, choice in longest(flow)]
    assert len(path) >= 15
    await alice.command("/start")
    card = alice.question()
    await alice.tap_through(path)
    assert all(call.ok for call in api.calls_to("editMessageText"))
    assert len(api.calls_to("editMessageText")) == len(path)
    final = next(m for m in api.bot_messages(alice.chat) if m.message_id == card.message_id)
    assert [line.split(": ", 1)[1] for line in answered(final)] == path and not final.callback_data
    assert alice.recommendation().text.startswith(("🔴", "🟠", "🟢"))
