"""Issue 18's new outcomes, each reached by buttons through Telegram (and, in tests/test_shell.py, the shell).

The taps are found by the answers' values in the flow the bot runs (tests/support/paths.py), and the
expected heading is the outcome's own mark and title, so rewording a question changes none of this.
"""

from __future__ import annotations

import pytest

from tests.support.harness import SHIPPED, Person, RunningBot, answered
from tests.support.paths import walk

NEW_OUTCOMES = {
    "child_today": {"who": "child", "child_age": "under_1", "infant_signs": "yes"},
    "child_gp": {"who": "child", "child_age": "over_5"},
    "passed_today": {"unwell": "yes", "unwell_which": "passed"},
    "unwell_today": {"unwell": "yes", "unwell_which": "fever"},
    "mnd_team": {"unwell": "yes", "unwell_which": "mnd"},
    "urgent_today": {"location": "arm", "weakness": "yes", "breathing": "yes"},
}
"""Answers that reach each outcome v3 added (urgent_today through NICE NG127: weakness with breathing signs)."""


@pytest.mark.parametrize("outcome", list(NEW_OUTCOMES))
async def test_each_new_outcome_is_reached_by_buttons(bot: RunningBot, alice: Person, outcome: str) -> None:
    path = walk(SHIPPED, NEW_OUTCOMES[outcome])
    await alice.command("/start")
    await alice.tap_through([choice.label for _, choice in path])
    expected = SHIPPED.outcomes[outcome]
    result = alice.recommendation()
    assert result.text.splitlines()[0] == f"{expected.level.mark} {expected.title}"
    assert "information, not a diagnosis" in "\n".join(alice.texts())
    card = alice.api.bot_messages(alice.chat)[0]
    assert [line.rsplit(": ", 1)[1] for line in answered(card)] == [choice.label for _, choice in path]


async def test_a_carer_is_asked_about_the_person(bot: RunningBot, alice: Person) -> None:
    """ "Another adult" words the questions after it for "the person", not "you"."""
    path = walk(SHIPPED, {"who": "adult"})
    ids = [step.id for step, _ in path]
    await alice.command("/start")
    await alice.tap_through([choice.label for _, choice in path[: ids.index("who") + 1]])
    unwell = SHIPPED.steps[ids[ids.index("who") + 1]]
    worded = unwell.worded({"who": "adult"}).text
    assert worded != unwell.text and worded in alice.question().text
