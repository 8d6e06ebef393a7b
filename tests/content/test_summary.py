"""The summary for the doctor: plain lines a person can show or forward, only after 🟠 or 🔴."""

from __future__ import annotations

import pytest

from bot.bootstrap import Loaded, load_all
from bot.content.render import HTML, PLAIN, Action, Renderer
from bot.content.summary import doctor_summary
from bot.engine.conversation import Conversation
from bot.engine.model import LEVEL_MARKS, StepKind
from bot.engine.replies import Pick, Result, Typed
from tests.support.flows import CONTENT_DIR, FLOWS_DIR

MARKS = tuple(LEVEL_MARKS.values())
DATE = "2025-03-14"
CHOSEN = {
    "emergency_now": "no",
    "location": "arm",
    "duration": "under_2_weeks",
    "weakness": "not_sure",
    "cramps": "yes",
}
"""A 🔴 path: "Not sure" about weakness and "Yes" to cramps; every other question gets "No" or its first choice."""


@pytest.fixture(scope="module")
def loaded() -> Loaded:
    return load_all([FLOWS_DIR], CONTENT_DIR)


def finish(loaded: Loaded, chosen: dict[str, str], account: str | None = None) -> tuple[Conversation, Result]:
    """Answer every question (by value, as buttons do) until the outcome; optionally type an account first."""
    engine = loaded.engine()
    conversation, replies = engine.start(engine.default_flow)
    flow = engine.flows[conversation.flow_id]
    for _ in range(60):
        result = next((reply for reply in replies if isinstance(reply, Result)), None)
        if result is not None:
            return conversation, result
        step = flow.question(conversation.step)
        assert step is not None, conversation.step
        if step.kind == StepKind.ACCOUNT and account is not None:
            conversation, replies = engine.advance(conversation, Typed(account))
            continue
        values = [choice.value for choice in step.choices]
        value = chosen.get(step.id) or ("no" if "no" in values else values[0])
        conversation, replies = engine.advance(conversation, Pick(step.id, value))
    raise AssertionError("the check did not end")


def test_an_urgent_summary_lists_the_red_flags_with_not_sure_and_the_advice(loaded: Loaded) -> None:
    conversation, result = finish(loaded, CHOSEN)
    flow = loaded.engine().flows[conversation.flow_id]
    summary = doctor_summary(Renderer(loaded.content, PLAIN), flow, conversation, DATE)
    assert summary is not None and summary.buttons == ()
    lines = summary.text.split("\n")
    assert lines[0] == "Muscle twitching: a summary for the doctor"
    assert lines[1] == f"Date: {DATE}"
    assert "• Where it twitches: Arm or hand" in lines
    assert "• How long: Less than 2 weeks" in lines
    assert "• Lasting weakness: Not sure" in lines
    assert "• Repeated cramps: Yes" in lines
    flags = [s for s in flow.steps.values() if s.kind == StepKind.RED_FLAG and s.key in conversation.answers]
    assert len(flags) >= 5
    for step in flags:  # every red-flag question asked, with its answer
        assert any(line.startswith(f"• {step.topic}: ") for line in lines), step.topic
    assert f"Advice given: {result.outcome.title}" in lines
    for source in result.outcome.sources:
        assert any(loaded.content.sources[source].title in line for line in lines)
    assert lines[-1].startswith("This is information from a self-check") and "not a diagnosis" in lines[-1]


def test_no_line_starts_with_a_level_mark_and_no_ids_or_typed_words_appear(loaded: Loaded) -> None:
    account = "Zebedee here, chat 424242: my arm twitches for 3 days and I get cramps all the time"
    conversation, _ = finish(loaded, CHOSEN, account=account)
    flow = loaded.engine().flows[conversation.flow_id]
    for renderer in (Renderer(loaded.content, PLAIN), Renderer(loaded.content, HTML)):
        summary = doctor_summary(renderer, flow, conversation, DATE)
        assert summary is not None
        assert not any(line.lstrip().startswith(MARKS) for line in summary.text.split("\n"))
        for word in ("Zebedee", "424242", "twitches for", "not_sure", "under_2_weeks", "speech_swallow"):
            assert word not in summary.text


def test_routine_has_a_summary_and_its_button_self_care_has_neither(loaded: Loaded) -> None:
    renderer = Renderer(loaded.content, PLAIN)
    flow = loaded.engine().flows[loaded.engine().default_flow]
    for chosen, level, wanted in [
        ({**CHOSEN, "weakness": "no", "cramps": "no", "duration": "over_2_weeks"}, "routine", True),
        ({"emergency_now": "no", "location": "eye", "duration": "under_2_weeks"}, "self_care", False),
    ]:
        conversation, result = finish(loaded, chosen)
        assert result.outcome.level.key == level
        assert (doctor_summary(renderer, flow, conversation, DATE) is not None) is wanted
        actions = [b.action for m in renderer.result(result) for row in m.buttons for b in row]
        assert (Action.SUMMARY in actions) is wanted


def test_an_emergency_has_no_summary(loaded: Loaded) -> None:
    conversation, result = finish(loaded, {"emergency_now": "yes"})
    flow = loaded.engine().flows[conversation.flow_id]
    assert result.outcome.level.mark == "🚨"
    assert doctor_summary(Renderer(loaded.content, PLAIN), flow, conversation, DATE) is None
    assert doctor_summary(Renderer(loaded.content, PLAIN), flow, Conversation(flow.id, flow.start), DATE) is None
