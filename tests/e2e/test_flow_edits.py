"""A flow edited under an old button (reload or redeploy) can make the button stale, never mean something else."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bot.bootstrap import load_all
from tests.support.botapi import StoredMessage
from tests.support.flows import CONTENT_DIR, FLOWS_DIR
from tests.support.harness import SECOND, Person, RunningBot, answered, headline

FLOW = FLOWS_DIR / "twitching.yaml"
YES = '      - {label: "Yes", value: "yes", next: emergency,\n'
NO = '      - {label: "No", value: "no", next: '
"""The safety question's "No", wherever it leads."""


def edited_flow(folder: Path, edit: Callable[[str], str]) -> Path:
    """A copy of the shipped flow with `edit` applied to its text, in its own folder."""
    folder.mkdir()
    text = FLOW.read_text(encoding="utf-8")
    changed = edit(text)
    assert changed != text, "the edit did not apply; has the shipped flow changed?"
    (folder / FLOW.name).write_text(changed, encoding="utf-8")
    return folder


def swap_yes_and_no(text: str) -> str:
    """Put the safety question's "No" choice (with its synonyms line) before "Yes" (with its mentions)."""
    start = text.index(YES)
    middle = text.index(NO, start)
    end = text.index('      - {label: "Not sure"', middle)
    return text[:start] + text[middle:end] + text[start:middle] + text[end:]


def drop_not_sure(text: str) -> str:
    """Remove the safety question's "Not sure" choice."""
    return text.replace('      - {label: "Not sure", value: "not_sure", next: emergency}\n', "", 1)


async def test_an_old_yes_still_means_yes_after_the_choices_are_reordered(
    bot: RunningBot, api, alice: Person, tmp_path: Path
) -> None:
    await alice.command("/start")
    question = alice.question()
    assert question.button_texts[:2] == ["Yes", "No"]
    assert bot.runtime is not None
    bot.runtime.reload(load_all([edited_flow(tmp_path / "flows", swap_yes_and_no)], CONTENT_DIR))
    await alice.tap("Yes", question)  # the button on screen, signed before the edit
    assert answered(shown(alice, question)) == ["✓ Emergency signs now: Yes"]
    assert alice.recommendation().text.startswith("🚨")
    assert not any(t.endswith(SECOND) for t in alice.texts())


async def test_an_old_no_still_means_no_after_a_redeploy_that_reorders_the_choices(
    bot: RunningBot, api, alice: Person, tmp_path: Path
) -> None:
    await alice.command("/start")
    question = alice.question()
    await bot.stop()
    bot.loaded = load_all([edited_flow(tmp_path / "flows", swap_yes_and_no)], CONTENT_DIR)
    await bot.start()
    await alice.tap("No", question)
    assert answered(shown(alice, question)) == ["✓ Emergency signs now: No"]
    assert not any(t.startswith("🚨") for t in alice.texts())
    assert headline(alice.question()) == SECOND


async def test_a_button_for_a_removed_choice_is_stale_after_a_redeploy_and_the_question_is_asked_again(
    bot: RunningBot, api, alice: Person, tmp_path: Path
) -> None:
    """A reload lets Alice finish on her version (tests/e2e/test_safe_reload.py); a redeploy keeps only the new one."""
    await alice.command("/start")
    question = alice.question()
    await bot.stop()
    bot.loaded = load_all([edited_flow(tmp_path / "flows", drop_not_sure)], CONTENT_DIR)
    await bot.start()
    sent_before = len(api.calls_to("sendMessage", chat_id=alice.chat.id))
    query_id = await alice.tap("Not sure", question)
    assert api.callback_query(query_id).answer["text"] == "That button doesn't work any more."
    assert not any(t.startswith("🚨") for t in alice.texts())
    asked = [c.params["text"] for c in api.calls_to("sendMessage", chat_id=alice.chat.id)[sent_before:]]
    assert len(asked) == 1 and asked[0].startswith("First, a safety question")
    assert alice.question().button_texts == ["Yes", "No"]
    await alice.tap("No")
    assert headline(alice.question()) == SECOND


def shown(alice: Person, message: StoredMessage) -> StoredMessage:
    """The message as it is now on Alice's screen."""
    return next(m for m in alice.api.bot_messages(alice.chat) if m.message_id == message.message_id)
