"""What people type, read through the real Telegram stack: own words, an account, emergencies, bad input.

Every assertion is on what the person sees: the bot's message texts and buttons.
"""

from __future__ import annotations

import pytest

from tests.support.botapi import BotApiStandIn, StoredMessage
from tests.support.harness import (
    MARKS,
    SECOND,
    SHIPPED,
    TO_LOCATION,
    Person,
    RunningBot,
    after,
    answered,
    default_label,
    headline,
    label,
    line,
    lines_of,
    says,
    shown,
)
from tests.support.paths import taps_before, walk

TO_ACCOUNT = taps_before(SHIPPED, "account")
"""The taps before the invitation to write an account (the safety screen, who, unwell too)."""


def first_line(text: str) -> str:
    return text.split("\n")[0]


# The questions, as the flow under test words them (their first line: a card may set the rest apart).
SAFETY, ACCOUNT, LOCATION, DURATION, EVERYDAY, WEAKNESS = (
    first_line(SHIPPED.steps[step].text)
    for step in (SHIPPED.start, "account", "location", "duration", "everyday_causes", "weakness")
)
CONFIRM = first_line(SHIPPED.prompts["emergency_confirm"].text)
UNDER, OVER = label("duration", "under_2_weeks"), label("duration", "over_2_weeks")
DURATIONS = [choice.label for choice in SHIPPED.steps["duration"].choices]
CARRY_ON = "Thank you for checking. Let's carry on."
REVIEW = "Here's what I understood:"
NOT_UNDERSTOOD = "Sorry, I didn't catch that."
NO_WORDS = "I didn't find any words in that message. Please tap a button or type your answer."
AMBIGUOUS = f"That could mean “{UNDER}” or “{OVER}”. Which one do you mean? Please tap a button."
ACCOUNT_EXAMPLE = "twitching in my left calf for about a month, lots of coffee and stress at work"
MAX_REPLIES = 30
"""More replies than any check needs: a loop that taps past it has gone round in circles."""


def person(api: BotApiStandIn, user_id: int, name: str, language: str = "en") -> Person:
    user = api.user(user_id, name, language_code=language)
    return Person(api, user, api.private(user))


def last(who: Person) -> StoredMessage:
    return who.api.last_bot_message(who.chat)


def asked(who: Person, question: str) -> bool:
    """Whether the bot ever put `question` to the person (on a card, before or after an edit)."""
    return any(text.startswith(question) or f"\n\n{question}" in text for text in shown(who.api, who.chat))


def alarms(who: Person) -> list[str]:
    return [m.text[:60] for m in who.api.bot_messages(who.chat) if headline(m).startswith("🚨")]


async def say_ok(who: Person, text: str, then: str) -> StoredMessage:
    """Type `text`; the newest bot message asks `then` (below the card's answer lines); return it."""
    await who.say(text)
    message = last(who)
    assert headline(message).startswith(then), (text, message.text[:120])
    return message


async def tap_no_until_the_end(who: Person) -> int:
    """Answer "No" (or the question's own no) to every question left; return how many replies that took."""
    replies = 0
    while not any(headline(m).startswith(MARKS) for m in who.api.bot_messages(who.chat)):
        assert replies < MAX_REPLIES, who.texts()[-1][:120]
        await who.tap(default_label(who.question()))
        replies += 1
    return replies


async def why(who: Person) -> str:
    await who.tap("Why this advice", last(who))
    text = who.texts()[-1]
    assert text.startswith("Why this advice\n"), text[:80]
    return text


# -- answers in people's own words ------------------------------------------------------------------------------


async def test_a_whole_check_typed_in_own_words_is_understood_and_echoed(bot: RunningBot, alice: Person) -> None:
    await alice.command("/start")
    await alice.say("nope")
    message = last(alice)
    assert answered(message) == lines_of({}, 1) and headline(message) == SECOND
    for tapped in TO_ACCOUNT[1:]:
        await alice.say(tapped.lower())
    message = last(alice)
    assert answered(message) == lines_of({}, len(TO_ACCOUNT)) and headline(message).startswith(ACCOUNT)
    assert message.button_texts == ["Skip"]

    await alice.say("skip")
    assert headline(last(alice)).startswith(LOCATION)
    answers = {"location": "leg", "duration": "over_2_weeks"}
    words = {"location": "my left calf", "duration": "about a month"}
    path = walk(SHIPPED, answers)
    at = [step.id for step, _ in path].index("location")
    for step, choice in path[at:]:
        if any(headline(m).startswith(MARKS) for m in alice.api.bot_messages(alice.chat)):
            break
        await alice.say(words.get(step.id, "no" if choice.value == "no" else choice.label.lower()))
        message = last(alice)
        if step.id in words:  # the words were read as the choice, echoed on the card, and the next question asked
            then = after(step.id, answers)
            assert answered(message)[-1] == line(step.id, answers[step.id])
            assert headline(message).startswith(first_line(then.text))
            assert message.button_texts == [c.label for c in then.choices]
    result = alice.recommendation()
    assert result.text.startswith(SHIPPED.outcomes["routine"].level.mark)
    assert f"• {SHIPPED.steps['duration'].topic}: {OVER}" in await why(alice)
    lines = [row for text in shown(alice.api, alice.chat) for row in text.split("\n") if row.startswith("✓")]
    assert line("duration", "over_2_weeks") in lines and not any(UNDER in row for row in lines)


@pytest.mark.parametrize(
    ("typed", "understood"),
    [
        ("1 month", "over_2_weeks"),
        ("1 year", "over_2_weeks"),
        ("for 6 weeks now", "over_2_weeks"),
        ("since last summer", "over_2_weeks"),
        ("2 days", "under_2_weeks"),
        ("3 days", "under_2_weeks"),
    ],
)
async def test_a_duration_is_read_by_its_meaning_not_its_leading_number(
    bot: RunningBot, alice: Person, typed: str, understood: str
) -> None:
    await alice.command("/start")
    await alice.tap_through(taps_before(SHIPPED, "duration", {"location": "face"}))
    then = after("duration", {"location": "face", "duration": understood})
    message = await say_ok(alice, typed, first_line(then.text))
    assert answered(message)[-1] == line("duration", understood)


async def test_an_answer_that_could_mean_two_things_is_asked_about(bot: RunningBot, alice: Person) -> None:
    await alice.command("/start")
    await alice.tap_through(taps_before(SHIPPED, "duration", {"location": "face"}))
    await alice.say("a week or two")
    again = last(alice)
    assert headline(again).startswith(f"{AMBIGUOUS}\n\n{DURATION}")
    assert again.button_texts == DURATIONS
    await alice.tap(OVER)
    then = after("duration", {"location": "face", "duration": "over_2_weeks"})
    assert headline(alice.question()).startswith(first_line(then.text))


# -- the person's own account -----------------------------------------------------------------------------------


async def test_an_account_is_reviewed_then_its_questions_are_skipped(bot: RunningBot, api, alice: Person) -> None:
    await alice.command("/start")
    await alice.tap_through(TO_ACCOUNT)
    assert headline(alice.question()).startswith(ACCOUNT)
    await alice.say(ACCOUNT_EXAMPLE)
    review = last(alice)
    told = {"location": "leg", "duration": "over_2_weeks", "everyday_causes": "yes"}
    path = walk(SHIPPED, told)
    summary = "".join(f"• {step.topic}: {choice.label}\n" for step, choice in path if step.key in told)
    assert headline(review) == f"{REVIEW}\n{summary}\nIs that right? If it is, I'll skip those questions."
    assert review.button_texts == ["Yes, that's right", "Change"]

    await alice.tap("Yes, that's right")
    ids = [step.id for step, _ in path]
    first_untold = next(s for s, _ in path[ids.index("account") + 1 :] if s.key not in told)
    assert headline(alice.question()).startswith(first_line(first_untold.text))
    replies = len(TO_ACCOUNT) + 2 + await tap_no_until_the_end(alice)  # the account and "Yes, that's right" too
    routine = SHIPPED.outcomes["routine"].level.mark
    assert headline(alice.recommendation()).startswith(routine)
    for skipped in (LOCATION, DURATION, EVERYDAY):
        assert not asked(alice, skipped), skipped

    # The same answers by buttons take two more replies: three questions skipped, one review tap added.
    bob = person(api, 1002, "Bob")
    await bob.command("/start")
    last_told = max(at for at, (step, _) in enumerate(path) if step.key in told)
    first = [choice.label for _, choice in path[: last_told + 1]]
    await bob.tap_through(first)
    by_buttons = len(first) + await tap_no_until_the_end(bob)
    assert headline(bob.recommendation()).startswith(routine)
    assert replies == by_buttons - 2
    assert f"• {SHIPPED.steps['duration'].topic}: {OVER}" in await why(alice)


async def test_change_after_an_account_asks_every_question(bot: RunningBot, alice: Person) -> None:
    await alice.command("/start")
    await alice.tap_through(TO_ACCOUNT)
    await alice.say(ACCOUNT_EXAMPLE)
    await alice.tap("Change")
    assert headline(alice.question()).startswith(f"Okay, I'll ask each question instead.\n\n{LOCATION}")
    answers = {"location": "leg", "duration": "over_2_weeks"}
    await alice.tap_through(taps_before(SHIPPED, "everyday_causes", answers)[len(TO_ACCOUNT) + 1 :])
    assert headline(alice.question()).startswith(EVERYDAY)
    await tap_no_until_the_end(alice)
    for question in (LOCATION, DURATION, EVERYDAY, WEAKNESS):
        assert asked(alice, question), question


async def test_an_account_that_states_nothing_still_asks_every_question(bot: RunningBot, alice: Person) -> None:
    await alice.command("/start")
    await alice.tap_through(TO_ACCOUNT)
    await alice.say("purple elephant")
    note = "Thank you for telling me. I'll ask a few short questions to be sure."
    assert headline(alice.question()).startswith(f"{note}\n\n{LOCATION}")


async def test_an_emergency_inside_an_account_goes_straight_to_the_emergency_advice(
    bot: RunningBot, api: BotApiStandIn
) -> None:
    sam = person(api, 1004, "Sam", "en-US")
    await sam.command("/start")
    await sam.tap_through(TO_ACCOUNT)
    await sam.say("twitching in my leg and now I can't breathe")
    result = sam.recommendation()
    assert result.text.startswith("🚨 Call emergency services now")
    assert "911 (US, Canada)" in result.text and "112 (EU and most mobiles)" in result.text  # en-US: a hint only
    assert not asked(sam, REVIEW)
    assert not asked(sam, CONFIRM)
    assert "• Your message mentioned something that can be a sign of an emergency." in await why(sam)


# -- emergency language: the one confirming question -------------------------------------------------------------


async def test_unclear_emergency_language_asks_once_and_no_carries_on(bot: RunningBot, alice: Person) -> None:
    await alice.command("/start")
    await alice.tap_through([*TO_LOCATION, label("location", "leg")])
    await alice.say("my dad had a stroke")
    confirm = last(alice)
    assert headline(confirm).startswith(CONFIRM) and "call your emergency number now" in confirm.text
    assert confirm.button_texts == ["Yes", "No", "Not sure"]
    await alice.tap("No")
    then = first_line(after("location", {"location": "leg"}).text)
    assert headline(alice.question()).startswith(f"{CARRY_ON}\n\n{then}")  # the same question again: nothing lost
    assert alarms(alice) == []
    await alice.command("/back")
    assert headline(alice.question()).endswith(f"\n\n{LOCATION}")  # the location answer was still there


async def test_an_answer_typed_with_unclear_emergency_language_is_asked_again_after_no(
    bot: RunningBot, alice: Person
) -> None:
    """An emergency description never fills in an answer: after "No", its question is asked again."""
    await alice.command("/start")
    await alice.tap_through([*TO_LOCATION])
    await alice.say("calf, my dad had a stroke")
    assert headline(last(alice)).startswith(CONFIRM)
    await alice.tap("No")
    question = last(alice)
    assert headline(question).startswith(CARRY_ON)
    assert not any(row.startswith(f"✓ {SHIPPED.steps['location'].topic}") for row in answered(question))


@pytest.mark.parametrize("typed", ["my dad had a stroke", "my arm went numb"])
async def test_yes_to_the_confirming_question_gives_the_emergency_advice(
    bot: RunningBot, alice: Person, typed: str
) -> None:
    await alice.command("/start")
    await alice.tap_through([*TO_LOCATION, label("location", "arm")])
    await alice.say(typed)
    assert headline(last(alice)).startswith(CONFIRM)
    await alice.tap("Yes")
    assert alice.recommendation().text.startswith("🚨 Call emergency services now")
    assert alice.recommendation().message_id == last(alice).message_id


@pytest.mark.parametrize(
    "typed",
    [
        "I keep checking it",
        "no trouble breathing",
        "had a bit of twitching",
        "my dad had a stroke years ago",
        "I am not choking",
        "I was smoking a lot this week",
    ],
)
async def test_everyday_sentences_raise_no_alarm(bot: RunningBot, alice: Person, typed: str) -> None:
    await alice.command("/start")
    await alice.tap_through([*TO_LOCATION])
    await alice.say(typed)
    again = last(alice)
    leg = SHIPPED.steps["location"].choices.index(SHIPPED.steps["location"].choice("leg"))  # type: ignore[arg-type]
    assert says(again, NOT_UNDERSTOOD) and f"{leg + 1}) {label('location', 'leg')}" in again.text
    assert f"\n\n{LOCATION}" in headline(again)
    assert alarms(alice) == [] and not asked(alice, CONFIRM)


async def test_everyday_sentences_at_the_safety_question_raise_no_alarm(bot: RunningBot, alice: Person) -> None:
    await alice.command("/start")
    await alice.say("no trouble breathing")
    assert answered(last(alice)) == lines_of({}, 1) and headline(last(alice)) == SECOND
    await alice.command("/restart")
    await alice.say("I keep checking it")
    assert headline(alice.question()).startswith(NOT_UNDERSTOOD)
    assert says(alice.question(), SAFETY)
    assert alarms(alice) == []


# -- bad input ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["😬😬😬", "👍", "...", "—  !!"])
async def test_a_message_without_words_is_told_so_and_loses_nothing(bot: RunningBot, alice: Person, typed: str) -> None:
    await alice.command("/start")
    await alice.tap_through([*TO_LOCATION, label("location", "leg")])
    await alice.say(typed)
    again = last(alice)
    then = after("location", {"location": "leg"})
    assert headline(again).startswith(f"{NO_WORDS}\n\n{first_line(then.text)}")
    assert again.button_texts == [choice.label for choice in then.choices]
    await alice.command("/back")
    assert f"\n\n{LOCATION}" in headline(alice.question())


async def test_4096_characters_get_a_kind_reply_and_lose_nothing(bot: RunningBot, alice: Person) -> None:
    await alice.command("/start")
    calm = {"location": "eye", "duration": "under_2_weeks"}
    await alice.tap_through(taps_before(SHIPPED, "everyday_causes", calm))
    essay = ("Honestly the internet says so many different things and nothing seems clear to me. " * 60)[:4096]
    assert len(essay) == 4096
    await alice.say(essay)
    again = last(alice)
    assert headline(again).startswith("That message is very long. Please answer with a short reply, or tap a button.")
    assert says(again, EVERYDAY)
    assert alarms(alice) == []
    await alice.tap("Yes")
    await tap_no_until_the_end(alice)
    assert headline(alice.recommendation()).startswith("🟢")
    reasons = await why(alice)
    assert all(f"• {line(key, value)[2:]}" in reasons for key, value in calm.items())


async def test_a_4096_character_account_is_still_read(bot: RunningBot, alice: Person) -> None:
    await alice.command("/start")
    await alice.tap_through(TO_ACCOUNT)
    ramble = "My left eyelid keeps twitching since yesterday and I have been drinking a lot of coffee. "
    account = (ramble + "It is really annoying and I keep thinking about it all day long at work. " * 60)[:4096]
    await alice.say(account)
    review = last(alice)
    eye, under = line("location", "eye")[2:], line("duration", "under_2_weeks")[2:]
    assert headline(review).startswith(f"{REVIEW}\n• {eye}\n• {under}")
    assert review.button_texts == ["Yes, that's right", "Change"]
    assert alarms(alice) == []


async def test_text_in_another_language_says_so_shows_the_numbers_and_loses_nothing(
    bot: RunningBot, alice: Person
) -> None:
    await alice.command("/start")
    await alice.tap_through([*TO_LOCATION, label("location", "arm")])
    await alice.say("Мышца на руке дёргается уже неделю")
    asked = last(alice)
    assert "only read English" in asked.text and "112" in asked.text
    assert CONFIRM in asked.text and alarms(alice) == []
    await alice.tap("No")
    again = last(alice)
    assert headline(again).endswith(after("location", {"location": "arm"}).text)
    assert line("location", "arm") in answered(again)


async def test_a_contradictory_account_does_not_answer_the_weakness_question(bot: RunningBot, alice: Person) -> None:
    await alice.command("/start")
    await alice.tap_through(TO_ACCOUNT)
    await alice.say("twitching in my thumb, no weakness, but my grip is weak")
    review = last(alice)
    assert headline(review).startswith(f"{REVIEW}\n• {line('location', 'arm')[2:]}\n")
    assert "weakness" not in review.text.lower()
    await alice.tap("Yes, that's right")
    answers = {"location": "arm"}
    path = taps_before(SHIPPED, "weakness", answers)
    await alice.tap_through(path[len(TO_ACCOUNT) + 2 :])  # after the account and the place it stated
    assert headline(alice.question()).startswith(WEAKNESS)
    await alice.tap("Yes")
    await tap_no_until_the_end(alice)
    assert headline(alice.recommendation()).startswith("🔴")
    assert f"• {line('weakness', 'yes')[2:]}" in await why(alice)


# A sentence that merely starts with a yes/no word ("I am", "I have", "no", "right") is not an answer.
@pytest.mark.parametrize(
    ("step", "typed"),
    [
        ("weakness", "no trouble breathing"),
        ("weakness", "I am worried it's ALS"),
        ("weakness", "I have been reading about ALS online"),
        ("everyday_causes", "I have no idea"),
        ("everyday_causes", "right leg actually"),
    ],
)
async def test_a_sentence_about_something_else_is_not_taken_as_the_answer(
    bot: RunningBot, alice: Person, step: str, typed: str
) -> None:
    await alice.command("/start")
    await alice.tap_through(taps_before(SHIPPED, step, {"location": "leg"}))
    question = first_line(SHIPPED.steps[step].text)
    assert headline(alice.question()).startswith(question)
    await alice.say(typed)
    assert says(alice.question(), question), alice.texts()[-1][:80]
