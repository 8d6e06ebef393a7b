"""The summary for the doctor through the real Telegram stack: a 🔴 check by buttons, then its button."""

from __future__ import annotations

import re

from bot.bootstrap import Loaded
from tests.support.harness import MARKS, Person, RunningBot

SUMMARY = "Summary for your doctor"
URGENT = {
    "emergency_now": "no",
    "location": "arm",
    "duration": "under_2_weeks",
    "weakness": "not_sure",
    "cramps": "yes",
}
SELF_CARE = {"emergency_now": "no", "location": "eye", "duration": "under_2_weeks"}


async def answer_until_the_advice(alice: Person, loaded: Loaded, chosen: dict[str, str]) -> None:
    """Tap through the check: the chosen value where given, else "No" (or the first choice)."""
    flow = loaded.engine().flows[loaded.engine().default_flow]
    for _ in range(60):
        if any(text.startswith(MARKS) for text in alice.texts()):
            return
        shown = alice.question().text
        step = max((s for s in flow.steps.values() if s.text in shown), key=lambda s: len(s.text))
        values = [choice.value for choice in step.choices]
        choice = step.choice(chosen.get(step.id) or ("no" if "no" in values else values[0]))
        assert choice is not None
        await alice.tap(choice.label)
    raise AssertionError("the check did not end")


async def test_an_urgent_check_sends_a_plain_summary_for_the_doctor(
    bot: RunningBot, api, alice: Person, loaded: Loaded
) -> None:
    await alice.command("/start")
    await answer_until_the_advice(alice, loaded, URGENT)
    assert alice.recommendation().text.startswith("🔴")
    advice = alice.question()
    assert SUMMARY in advice.button_texts
    query_id = await alice.tap(SUMMARY, advice)
    assert api.callback_query(query_id).answered
    summary = api.last_bot_message(alice.chat).text
    lines = summary.split("\n")
    assert lines[0] == "Muscle twitching: a summary for the doctor"
    assert re.fullmatch(r"Date: \d{4}-\d{2}-\d{2}", lines[1])
    assert "• Where it twitches: Arm or hand" in lines and "• How long: Less than 2 weeks" in lines
    assert "• Lasting weakness: Not sure" in lines and "• Repeated cramps: Yes" in lines
    assert "Advice given: See a doctor" in summary and "not a diagnosis" in summary
    assert not any(line.startswith(MARKS) for line in lines)
    assert str(alice.user.id) not in summary and "Alice" not in summary
    alice.recommendation()  # still exactly one message with a level mark


async def test_a_summary_button_from_before_a_restart_is_stale(
    bot: RunningBot, api, alice: Person, loaded: Loaded
) -> None:
    await alice.command("/start")
    await answer_until_the_advice(alice, loaded, URGENT)
    advice = alice.question()
    await alice.command("/restart")
    sent = len(api.bot_messages(alice.chat))
    query_id = await alice.tap(SUMMARY, advice)
    assert "moved on" in api.callback_query(query_id).answer["text"]
    assert not any("summary for the doctor" in m.text for m in api.bot_messages(alice.chat)[sent:])


async def test_a_self_care_outcome_has_no_summary_button(bot: RunningBot, api, alice: Person, loaded: Loaded) -> None:
    await alice.command("/start")
    await answer_until_the_advice(alice, loaded, SELF_CARE)
    assert alice.recommendation().text.startswith("🟢")
    assert SUMMARY not in alice.question().button_texts
    assert "Why this advice" in alice.question().button_texts
