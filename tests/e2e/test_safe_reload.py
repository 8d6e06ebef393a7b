"""Safe reloads (issue 12): a check in progress finishes on the flow version it started with, new
checks start on the new one, and after a restart a check continues if it still fits the flow or
starts again with one kind line. Nobody sees an error, or a question from a flow that is gone.

They run on the fixture flow `steps`, edited into a version 2, so no edit of the shipped flow changes them."""

from __future__ import annotations

import html
import re
import weakref
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.bootstrap import Loaded, load_all
from tests.support.botapi import BotApiStandIn
from tests.support.fixture_flows import load_steps, question, steps_flow
from tests.support.flows import CONTENT_DIR
from tests.support.harness import MARKS, Person, RunningBot, settings_for

QUESTIONS = 4
FIRST, SECOND, GONE, LAST = (question(n) for n in range(1, QUESTIONS + 1))
"""The fixture flow `steps` (tests/support/fixture_flows.py): version 2 drops question 3."""
REWORDED = "How many days or weeks has it been twitching?"
"""Question 2, as version 2 words it."""
CHANGED = "The check has been updated since you started, so let's begin again from the first question."
ERROR = "Sorry, something went wrong"


@pytest.fixture
def loaded(tmp_path: Path) -> Loaded:
    """Version 1 of the fixture flow: four yes/no questions; "No" to all of them ends at 🟢."""
    return load_steps(tmp_path / "flows", QUESTIONS)


def without_gone(text: str) -> str:
    """Version 2, first part: question 3 removed, question 2 goes straight to question 4."""
    start, end = text.index("  - id: q3\n"), text.index("  - id: q4\n")
    return (text[:start] + text[end:]).replace("    next: q3\n", "    next: q4\n", 1)


def reworded(text: str) -> str:
    """Version 2: no question 3, and question 2 asked in other words."""
    return without_gone(text).replace(f'    text: "{SECOND}"\n', f'    text: "{REWORDED}"\n', 1)


def flows(tmp_path: Path, edit: Callable[[str], str]) -> Path:
    folder = tmp_path / f"flows-{edit.__name__}"
    folder.mkdir()
    text = steps_flow(QUESTIONS)
    changed = edit(text)
    assert changed != text
    (folder / "steps.yaml").write_text(changed, encoding="utf-8")
    return folder


def load(folder: Path) -> Loaded:
    return load_all([folder], CONTENT_DIR, prove=False)


def said(api: BotApiStandIn, person: Person, since: int = 0) -> list[str]:
    """Every text the bot sent or edited into `person`'s chat after call `since`, as plain text."""
    calls = [*api.calls_to("sendMessage", since=since), *api.calls_to("editMessageText", since=since)]
    mine = sorted((c for c in calls if str(c.params.get("chat_id")) == str(person.chat.id)), key=lambda c: c.seq)
    return [html.unescape(re.sub(r"<[^>]+>", "", str(c.params["text"]))) for c in mine]


def asked(api: BotApiStandIn, person: Person, question: str, since: int = 0) -> bool:
    return any(question in text for text in said(api, person, since))


async def answer_until_advice(person: Person) -> str:
    """Tap "No" at each question until the recommendation comes; return its text."""
    for _ in range(30):
        advice = [m.text for m in person.api.bot_messages(person.chat) if m.text.startswith(MARKS)]
        if advice:
            return advice[-1]
        await person.tap("No")
    raise AssertionError("the check did not end")


async def redeploy(bot: RunningBot, folder: Path) -> None:
    """Stop the bot and start a new process over the same store with the flows in `folder`."""
    await bot.stop()
    bot.loaded = load(folder)
    await bot.start()


async def test_a_check_in_progress_finishes_on_its_version_and_a_new_one_starts_on_the_new_version(
    bot: RunningBot, api: BotApiStandIn, alice: Person, bob: Person, tmp_path: Path
) -> None:
    await alice.command("/start")
    on_screen = alice.question()
    assert FIRST in on_screen.text
    assert bot.runtime is not None
    bot.runtime.reload(load(flows(tmp_path, reworded)))

    await alice.tap("No", on_screen)  # her button from before the reload
    assert (await answer_until_advice(alice)).startswith("🟢")
    assert asked(api, alice, SECOND) and asked(api, alice, GONE)
    assert not asked(api, alice, REWORDED)

    await bob.command("/start")
    assert (await answer_until_advice(bob)).startswith("🟢")
    assert asked(api, bob, REWORDED)
    assert not asked(api, bob, SECOND) and not asked(api, bob, GONE)
    assert not any(ERROR in text for text in said(api, alice) + said(api, bob))


async def test_restarting_a_check_after_a_reload_starts_it_on_the_new_version(
    bot: RunningBot, api: BotApiStandIn, alice: Person, tmp_path: Path
) -> None:
    await alice.command("/start")
    await alice.tap("No")
    assert bot.runtime is not None
    bot.runtime.reload(load(flows(tmp_path, reworded)))
    since = len(api.calls)
    await alice.command("/restart")
    assert (await answer_until_advice(alice)).startswith("🟢")
    assert asked(api, alice, REWORDED, since) and not asked(api, alice, GONE, since)


async def test_after_a_restart_a_button_for_a_question_that_is_gone_starts_again_with_a_kind_line(
    bot: RunningBot, api: BotApiStandIn, alice: Person, tmp_path: Path
) -> None:
    await alice.command("/start")
    await alice.tap_through(["No", "No"])
    on_screen = alice.question()
    assert GONE in on_screen.text
    await redeploy(bot, flows(tmp_path, without_gone))

    since = len(api.calls)
    await alice.tap("Yes", on_screen)
    after = said(api, alice, since)
    assert any(CHANGED in text for text in after), after
    assert FIRST in alice.question().text
    assert not any(text.startswith(MARKS) or ERROR in text or GONE in text for text in after)
    await alice.tap("No")
    assert SECOND in alice.question().text


async def test_after_a_restart_typing_at_a_question_that_is_gone_is_not_taken_as_an_answer_to_the_first(
    bot: RunningBot, api: BotApiStandIn, alice: Person, tmp_path: Path
) -> None:
    """Her "yes" answered the question that is gone, not the first one: she gets the kind line and the first."""
    await alice.command("/start")
    await alice.tap_through(["No", "No"])
    await redeploy(bot, flows(tmp_path, without_gone))

    since = len(api.calls)
    await alice.say("yes")
    after = said(api, alice, since)
    assert any(CHANGED in text for text in after), after
    assert not any(text.startswith(MARKS) or ERROR in text for text in after)
    assert FIRST in alice.question().text
    await alice.say("no")  # now an answer to the question on screen
    assert SECOND in alice.question().text


async def test_after_a_restart_a_check_whose_step_and_answers_still_fit_carries_on(
    bot: RunningBot, api: BotApiStandIn, alice: Person, tmp_path: Path
) -> None:
    await alice.command("/start")
    await alice.tap("No")
    on_screen = alice.question()
    assert SECOND in on_screen.text
    await redeploy(bot, flows(tmp_path, without_gone))

    since = len(api.calls)
    await alice.tap("No", on_screen)
    assert LAST in alice.question().text
    assert (await answer_until_advice(alice)).startswith("🟢")
    after = said(api, alice, since)
    assert not any(CHANGED in text or FIRST in text or GONE in text for text in after)


async def test_after_a_restart_start_explains_once_and_then_a_typed_answer_answers_the_first_question(
    bot: RunningBot, api: BotApiStandIn, alice: Person, tmp_path: Path
) -> None:
    await alice.command("/start")
    await alice.tap_through(["No", "No"])
    await redeploy(bot, flows(tmp_path, without_gone))

    since = len(api.calls)
    await alice.command("/start")
    assert any(CHANGED in text for text in said(api, alice, since))
    assert FIRST in alice.question().text
    since = len(api.calls)
    await alice.say("no")
    assert SECOND in alice.question().text
    assert not any(CHANGED in text for text in said(api, alice, since))


async def test_a_version_no_check_needs_any_more_is_dropped_and_its_memory_freed(
    api: BotApiStandIn, loaded: Loaded, alice: Person, tmp_path: Path
) -> None:
    """The bot sets its heap aside from garbage collection when it starts (issue 22), so a flow version
    loaded then is freed only if nothing in it is a reference cycle; else every reload under `--watch`
    would keep one more version for good. (This bot builds its own engine: test bots otherwise share one.)"""
    bot = await RunningBot(api, loaded, settings_for(api, tmp_path / "data"), share_engine=False).start()
    try:
        assert bot.runtime is not None
        versions = bot.runtime.handlers.service.versions
        first = weakref.ref(next(iter(versions.current.engine.machines.values())))  # a transitions Machine: cyclic
        bot.runtime.reload(load(flows(tmp_path, reworded)))
        await alice.command("/start")  # on the new version: nobody is on the first one
        bot.runtime.sweep_versions()
        assert len(versions.ids) == 1
        assert first() is None
    finally:
        await bot.stop()
