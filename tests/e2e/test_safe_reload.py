"""Safe reloads (issue 12): a check in progress finishes on the flow version it started with, new
checks start on the new one, and after a restart a check continues if it still fits the flow or
starts again with one kind line. Nobody sees an error, or a question from a flow that is gone."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path

from bot.bootstrap import load_all
from tests.e2e.test_flow_edits import edited_flow
from tests.support.botapi import BotApiStandIn
from tests.support.flows import CONTENT_DIR
from tests.support.harness import MARKS, SECOND, TO_LOCATION, Person, RunningBot

SAFETY = "First, a safety question."
ACCOUNT = SECOND
"""The question after "No" at the safety screen."""
LOCATION = "Where is the twitching?"
DURATION = "How long has the twitching been going on?"
REWORDED = "How many days or weeks has it been twitching?"
CAFFEINE = "Lately, have you been having a lot of coffee, tea, cola or energy drinks?"
STRESS = "stress"
CHANGED = "The check has been updated since you started, so let's begin again from the first question."
ERROR = "Sorry, something went wrong"
PICKS = (*TO_LOCATION, "Leg or foot", "2 weeks or more", "No")
"""Labels tapped, first one offered, through a check that ends in 🟠 (harness.ROUTINE, whatever the questions)."""


def without_caffeine(text: str) -> str:
    """The shipped flow without its caffeine question (and the excerpt only that question chose)."""
    start, end = text.index("  - id: caffeine\n"), text.index("  - id: stress_sleep\n")
    text = text[:start] + text[end:]
    text = text.replace("    next: caffeine\n", "    next: stress_sleep\n", 1)
    text = text.replace("{to: caffeine}", "{to: stress_sleep}").replace('[{caffeine: "yes"}, ', "[")
    return text.replace('  - {excerpt: stimulants, when: {caffeine: "yes"}}\n', "", 1)


def reworded(text: str) -> str:
    """Version 2: no caffeine question, and the duration question asked in other words."""
    return without_caffeine(text).replace('    text: "@questions.duration"\n', f'    text: "{REWORDED}"\n', 1)


def flows(tmp_path: Path, edit: Callable[[str], str]) -> Path:
    return edited_flow(tmp_path / f"flows-{edit.__name__}", edit)


def said(api: BotApiStandIn, person: Person, since: int = 0) -> list[str]:
    """Every text the bot sent or edited into `person`'s chat after call `since`, as plain text."""
    calls = [*api.calls_to("sendMessage", since=since), *api.calls_to("editMessageText", since=since)]
    mine = sorted((c for c in calls if str(c.params.get("chat_id")) == str(person.chat.id)), key=lambda c: c.seq)
    return [html.unescape(re.sub(r"<[^>]+>", "", str(c.params["text"]))) for c in mine]


def asked(api: BotApiStandIn, person: Person, question: str, since: int = 0) -> bool:
    return any(question in text for text in said(api, person, since))


async def answer_until_advice(person: Person) -> str:
    """Tap the first of PICKS each question offers until the recommendation comes; return its text."""
    for _ in range(30):
        advice = [m.text for m in person.api.bot_messages(person.chat) if m.text.startswith(MARKS)]
        if advice:
            return advice[-1]
        offered = person.question().button_texts
        await person.tap(next(label for label in PICKS if label in offered))
    raise AssertionError("the check did not end")


async def redeploy(bot: RunningBot, folder: Path) -> None:
    """Stop the bot and start a new process over the same store with the flows in `folder`."""
    await bot.stop()
    bot.loaded = load_all([folder], CONTENT_DIR)
    await bot.start()


async def test_a_check_in_progress_finishes_on_its_version_and_a_new_one_starts_on_the_new_version(
    bot: RunningBot, api: BotApiStandIn, alice: Person, bob: Person, tmp_path: Path
) -> None:
    await alice.command("/start")
    await alice.tap_through(TO_LOCATION)
    on_screen = alice.question()
    assert LOCATION in on_screen.text
    assert bot.runtime is not None
    bot.runtime.reload(load_all([flows(tmp_path, reworded)], CONTENT_DIR))

    await alice.tap("Leg or foot", on_screen)  # her button from before the reload
    assert (await answer_until_advice(alice)).startswith("🟠")
    assert asked(api, alice, DURATION) and asked(api, alice, CAFFEINE)
    assert not asked(api, alice, REWORDED)

    await bob.command("/start")
    assert (await answer_until_advice(bob)).startswith("🟠")
    assert asked(api, bob, REWORDED)
    assert not asked(api, bob, DURATION) and not asked(api, bob, CAFFEINE)
    assert not any(ERROR in text for text in said(api, alice) + said(api, bob))


async def test_restarting_a_check_after_a_reload_starts_it_on_the_new_version(
    bot: RunningBot, api: BotApiStandIn, alice: Person, tmp_path: Path
) -> None:
    await alice.command("/start")
    await alice.tap("No")
    assert bot.runtime is not None
    bot.runtime.reload(load_all([flows(tmp_path, reworded)], CONTENT_DIR))
    await alice.command("/restart")
    assert (await answer_until_advice(alice)).startswith("🟠")
    assert asked(api, alice, REWORDED) and not asked(api, alice, CAFFEINE)


async def test_after_a_restart_a_button_for_a_question_that_is_gone_starts_again_with_a_kind_line(
    bot: RunningBot, api: BotApiStandIn, alice: Person, tmp_path: Path
) -> None:
    await alice.command("/start")
    await alice.tap_through([*TO_LOCATION, "Leg or foot", "2 weeks or more"])
    on_screen = alice.question()
    assert CAFFEINE in on_screen.text
    await redeploy(bot, flows(tmp_path, without_caffeine))

    since = len(api.calls)
    await alice.tap("Yes", on_screen)
    after = said(api, alice, since)
    assert any(CHANGED in text for text in after), after
    assert SAFETY in alice.question().text
    assert not any(text.startswith(MARKS) or ERROR in text or CAFFEINE in text for text in after)
    await alice.tap("No")
    assert ACCOUNT in alice.question().text


async def test_after_a_restart_typing_at_a_question_that_is_gone_is_not_taken_as_an_answer_to_the_first(
    bot: RunningBot, api: BotApiStandIn, alice: Person, tmp_path: Path
) -> None:
    """Her "yes" was about coffee, not about an emergency: she gets the kind line and the safety question."""
    await alice.command("/start")
    await alice.tap_through([*TO_LOCATION, "Leg or foot", "2 weeks or more"])
    await redeploy(bot, flows(tmp_path, without_caffeine))

    since = len(api.calls)
    await alice.say("yes")
    after = said(api, alice, since)
    assert any(CHANGED in text for text in after), after
    assert not any(text.startswith(MARKS) or ERROR in text for text in after)
    assert SAFETY in alice.question().text
    await alice.say("no")  # now an answer to the question on screen
    assert ACCOUNT in alice.question().text


async def test_after_a_restart_a_check_whose_step_and_answers_still_fit_carries_on(
    bot: RunningBot, api: BotApiStandIn, alice: Person, tmp_path: Path
) -> None:
    await alice.command("/start")
    await alice.tap_through([*TO_LOCATION, "Leg or foot"])
    on_screen = alice.question()
    assert DURATION in on_screen.text
    await redeploy(bot, flows(tmp_path, without_caffeine))

    since = len(api.calls)
    await alice.tap("2 weeks or more", on_screen)
    assert STRESS in alice.question().text.lower()
    assert (await answer_until_advice(alice)).startswith("🟠")
    after = said(api, alice, since)
    assert not any(CHANGED in text or SAFETY in text or LOCATION in text or CAFFEINE in text for text in after)


async def test_after_a_restart_start_explains_once_and_then_a_typed_answer_answers_the_first_question(
    bot: RunningBot, api: BotApiStandIn, alice: Person, tmp_path: Path
) -> None:
    await alice.command("/start")
    await alice.tap_through([*TO_LOCATION, "Leg or foot", "2 weeks or more"])
    await redeploy(bot, flows(tmp_path, without_caffeine))

    since = len(api.calls)
    await alice.command("/start")
    assert any(CHANGED in text for text in said(api, alice, since))
    assert SAFETY in alice.question().text
    since = len(api.calls)
    await alice.say("no")
    assert ACCOUNT in alice.question().text
    assert not any(CHANGED in text for text in said(api, alice, since))
