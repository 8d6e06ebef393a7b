"""`twitchcheck shell`: after 🟠 or 🔴, `summary` prints the summary for the doctor; anything else finishes."""

from __future__ import annotations

import io

import pytest

from bot.bootstrap import Loaded, load_all
from bot.engine.replies import Pick
from bot.shell import run_shell
from tests.support.flows import CONTENT_DIR, FLOWS_DIR

OFFER = "Type summary to see a summary for your doctor, or press Enter to finish."
TITLE = "Muscle twitching: a summary for the doctor"
URGENT = {
    "emergency_now": "no",
    "location": "arm",
    "duration": "under_2_weeks",
    "weakness": "not_sure",
    "cramps": "yes",
}
SELF_CARE = {"emergency_now": "no", "location": "eye", "duration": "under_2_weeks"}


@pytest.fixture(scope="module")
def loaded() -> Loaded:
    return load_all([FLOWS_DIR], CONTENT_DIR)


def typed_numbers(loaded: Loaded, chosen: dict[str, str]) -> list[str]:
    """The choice numbers a person types to reach the outcome: the chosen value, else "No" (or the first)."""
    engine = loaded.engine()
    conversation, _ = engine.start(engine.default_flow)
    flow = engine.flows[conversation.flow_id]
    lines: list[str] = []
    while not flow.is_outcome(conversation.step):
        step = flow.question(conversation.step)
        assert step is not None and len(lines) < 60
        values = [choice.value for choice in step.choices]
        value = chosen.get(step.id) or ("no" if "no" in values else values[0])
        lines.append(str(values.index(value) + 1))
        conversation, _ = engine.advance(conversation, Pick(step.id, value))
    return lines


def shell(loaded: Loaded, lines: list[str]) -> tuple[int, str, io.StringIO]:
    stdin, stdout = io.StringIO("".join(f"{line}\n" for line in lines)), io.StringIO()
    return run_shell(loaded.engine(), loaded.content, stdin=stdin, stdout=stdout), stdout.getvalue(), stdin


def test_summary_after_an_urgent_outcome_prints_it(loaded: Loaded) -> None:
    code, out, stdin = shell(loaded, [*typed_numbers(loaded, URGENT), "summary", "left over"])
    assert code == 0
    assert "🔴 See a doctor" in out
    offer_at = out.index(OFFER)
    assert out.index("\n🔴 ") < offer_at < out.index(f"\n{TITLE}\nDate: ")
    summary = out[out.index(TITLE) :]
    assert "• Lasting weakness: Not sure\n" in summary and "• Repeated cramps: Yes\n" in summary
    assert "not a diagnosis" in summary
    assert stdin.read() == "left over\n"  # one line read after the outcome, no more


@pytest.mark.parametrize("after", [[""], ["no"], []])
def test_enter_anything_else_or_the_end_of_input_finishes_quietly(loaded: Loaded, after: list[str]) -> None:
    code, out, _ = shell(loaded, [*typed_numbers(loaded, URGENT), *after])
    assert code == 0 and OFFER in out and TITLE not in out
    assert "End of input" not in out


def test_self_care_offers_no_summary_and_reads_nothing_more(loaded: Loaded) -> None:
    code, out, stdin = shell(loaded, [*typed_numbers(loaded, SELF_CARE), "summary"])
    assert code == 0 and "🟢 " in out
    assert OFFER not in out and TITLE not in out
    assert stdin.read() == "summary\n"


def test_the_shell_help_mentions_summary(loaded: Loaded) -> None:
    _, out, _ = shell(loaded, ["help"])
    assert "• summary - " in out
