"""`twitchcheck shell`: typed answers, an account, back vs "my back", and an emergency, as a person reads them."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.bootstrap import Loaded, load_all
from bot.engine.model import Flow
from bot.shell import run_shell
from tests.support.flows import CONTENT_DIR, FLOWS_DIR, main_flow
from tests.support.paths import asked, walk

END_OF_INPUT = "End of input: the check stopped before the end."


@pytest.fixture(scope="module")
def loaded() -> Loaded:
    return load_all([FLOWS_DIR], CONTENT_DIR)


def shell(loaded: Loaded, *lines: str) -> tuple[int, str, io.StringIO]:
    """Run the shell on `lines` typed one by one; the exit code, everything printed, and stdin."""
    stdin, stdout = io.StringIO("".join(f"{line}\n" for line in lines)), io.StringIO()
    code = run_shell(loaded.engine(), loaded.content, stdin=stdin, stdout=stdout)
    return code, stdout.getvalue(), stdin


def blocks(out: str) -> list[str]:
    """What the shell printed, one block per message (messages are separated by a blank line)."""
    return [block for block in out.split("\n\n") if block.strip()]


def typed(flow: Flow, answers: dict[str, str], words: dict[str, str] | None = None) -> list[str]:
    """What a person types along the button path with these answers: `words` at some steps, else the label."""
    return [(words or {}).get(step.id, choice.label) for step, choice in walk(flow, answers)]


def question(flow: Flow, step_id: str) -> str:
    """How the shell shows a question: its text, then its choices numbered."""
    step = flow.steps[step_id]
    return step.text + "\n" + "".join(f"  {n}) {c.label}\n" for n, c in enumerate(step.choices, start=1))


def after(flow: Flow, step_id: str, answers: dict[str, str]) -> str:
    """The id of the question asked after `step_id` on the button path with these answers."""
    ids = asked(flow, answers)
    return ids[ids.index(step_id) + 1]


def test_answers_in_own_words_are_echoed_and_end_in_a_level(loaded: Loaded) -> None:
    flow = loaded.flows["twitching"]
    answers = {"location": "leg", "duration": "over_2_weeks"}
    words = {"emergency_now": "nope", "location": "my left calf", "duration": "about a month"}
    code, out, _ = shell(loaded, *typed(flow, answers, words))
    assert code == 0
    leg, month = flow.steps["location"].choice("leg"), flow.steps["duration"].choice("over_2_weeks")
    assert leg and month
    assert f"➜ {leg.label}\n\n{question(flow, after(flow, 'location', answers))}" in out
    assert f"➜ {month.label}\n\n{flow.steps[after(flow, 'duration', answers)].text}" in out
    assert f"\n{flow.outcomes['routine'].level.mark} " in out  # a level mark starts only the recommendation
    assert END_OF_INPUT not in out
    assert f"Why this advice\n• {flow.steps['duration'].topic}: {month.label}" in out
    assert "Start again" not in out  # result buttons are Telegram-only


def test_an_account_is_reviewed_and_yes_skips_its_questions(loaded: Loaded) -> None:
    flow = loaded.flows["twitching"]
    told = {"location": "leg", "duration": "over_2_weeks", "everyday_causes": "yes"}
    account = "twitching in my left calf for about a month, lots of coffee and stress at work"
    path = walk(flow, told)
    ids = [step.id for step, _ in path]
    before = [choice.label for _, choice in path[: ids.index("account")]]
    code, out, _ = shell(loaded, *before, account, "yes", *["no"] * len(path))
    assert code == 0
    summary = "".join(f"• {step.topic}: {choice.label}\n" for step, choice in path if step.key in told)
    assert (
        f"Here's what I understood:\n{summary}\nIs that right? If it is, I'll skip those questions.\n"
        "  1) Yes, that's right\n  2) Change\n"
    ) in out
    first_untold = next(s.id for s, _ in path[ids.index("account") + 1 :] if s.key not in told)
    assert f"➜ Yes, that's right\n\n{flow.steps[first_untold].text}" in out
    assert not [key for key in told if flow.steps[key].text in out]  # none of the told questions is asked
    assert f"\n{flow.outcomes['routine'].level.mark} " in out  # a level mark starts only the recommendation


def test_back_alone_goes_back_but_my_back_is_a_place(loaded: Loaded) -> None:
    flow = loaded.flows["twitching"]
    before = [choice.label for _, choice in walk(flow)][: asked(flow).index("location")]
    code, out, _ = shell(loaded, *before, "my back", "back", "calf")
    assert code == 0
    printed = blocks(out)
    trunk, leg = flow.steps["location"].choice("trunk"), flow.steps["location"].choice("leg")
    assert trunk and leg
    at = printed.index(f"➜ {trunk.label}")
    assert printed[at + 1].startswith(flow.steps[after(flow, "location", {"location": "trunk"})].text)
    assert printed[at + 2] == "Okay, let's go back one question."
    assert printed[at + 3].startswith(flow.steps["location"].text)
    assert printed[at + 4] == f"➜ {leg.label}"
    assert printed[at + 5].startswith(flow.steps[after(flow, "location", {"location": "leg"})].text)
    assert out.rstrip().endswith("Run `twitchcheck shell` to start again.")


def test_an_emergency_typed_mid_check_ends_with_the_emergency_advice(loaded: Loaded) -> None:
    flow = loaded.flows["twitching"]
    before = typed(flow, {"location": "leg"}, {"location": "calf"})[: asked(flow).index("weakness")]
    code, out, stdin = shell(loaded, *before, "my husband can't breathe", "no", "no")
    assert code == 0
    printed = blocks(out)
    alarm = next(i for i, block in enumerate(printed) if block.startswith("🚨"))
    assert printed[alarm].startswith("🚨 Call emergency services now\n")
    assert "112 (EU and most mobiles)" in out[out.index("🚨") :]  # no country in the shell: the list of numbers
    assert "• Your message mentioned something that can be a sign of an emergency." in out
    assert END_OF_INPUT not in out
    assert stdin.read() == "no\nno\n"  # it stopped reading at the emergency


def test_the_installed_console_script_holds_a_check(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("twitchcheck")
    flow = main_flow()
    answers = {"location": "leg", "duration": "over_2_weeks"}
    words = typed(flow, answers, {"location": "my calf", "duration": "1 month"})
    done = subprocess.run(
        [str(script), "shell"],
        input="\n".join(words) + "\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    leg, month = flow.steps["location"].choice("leg"), flow.steps["duration"].choice("over_2_weeks")
    assert leg and month and f"➜ {leg.label}" in done.stdout and f"➜ {month.label}" in done.stdout
    assert f"\n{flow.outcomes['routine'].level.mark} " in done.stdout
    assert END_OF_INPUT not in done.stdout


TELEGRAM_ONLY = ("/forget", "/start", "/privacy", "/about", "/twitch", "/excerpt", "/cancel", "group", "button")


def test_the_shell_speaks_of_typing_not_tapping(loaded: Loaded) -> None:
    code, out, _ = shell(loaded, "purple", "", "no", "me", "no", "skip", "somewhere", "yes an", "calf")
    assert code == 0
    assert not re.search(r"\btap", out, re.IGNORECASE)
    assert not [word for word in TELEGRAM_ONLY if word in out.lower()]
    assert "Sorry, I didn't catch that. Please type a number or an answer: 1) Yes, 2) No, 3) Not sure" in out
    assert "I didn't find any words there. Please type the number of a choice, or your answer." in out
    assert "Or type Skip, and I'll just ask the questions.\n  1) Skip\n" in out


def test_help_lists_the_shell_commands_only(loaded: Loaded) -> None:
    code, out, _ = shell(loaded, "help")
    assert code == 0
    help_text = blocks(out)[2]
    assert help_text.startswith("How to answer: type the number of a choice, or the answer itself")
    for command in ("/back", "/restart", "/help", "/quit"):
        assert f"• {command} - " in help_text
    assert not [word for word in TELEGRAM_ONLY if word in help_text.lower()]
    assert blocks(out)[3].startswith("First, a safety question.")  # and the question again


@pytest.mark.parametrize("command", ["/forget", "/privacy", "/start", "/twitch"])
def test_a_telegram_command_is_explained_not_read_as_an_answer(loaded: Loaded, command: str) -> None:
    code, out, _ = shell(loaded, "no", "me", "no", command)
    assert code == 0
    printed = blocks(out)
    at = printed.index(f"There's no {command} in the shell. You can type /back, /restart, /help or /quit.")
    assert printed[at - 1].startswith("In a sentence or two, what's going on?")
    assert printed[at + 1].startswith("In a sentence or two, what's going on?")  # not taken as the account
    assert "Thank you for telling me" not in out


def test_telegram_users_still_see_the_telegram_wording(loaded: Loaded) -> None:
    from bot.content.render import Renderer
    from bot.engine.replies import Notice

    [message] = Renderer(loaded.content).render(Notice("ui.not_understood", {"options": "1) Yes"}))
    assert message.text == "Sorry, I didn't catch that. Please tap a button, or type one of: 1) Yes"


NEW_OUTCOMES = {
    "child_today": {"who": "child", "child_age": "under_1", "infant_signs": "yes"},
    "child_gp": {"who": "child", "child_age": "over_5"},
    "passed_today": {"unwell": "yes", "unwell_which": "passed"},
    "unwell_today": {"unwell": "yes", "unwell_which": "fever"},
    "mnd_team": {"unwell": "yes", "unwell_which": "mnd"},
    "urgent_today": {"location": "arm", "weakness": "yes", "breathing": "yes"},
}
"""Issue 18's new outcomes, and answers that reach them (tests/e2e/test_clinical_outcomes.py: in Telegram)."""


@pytest.mark.parametrize("outcome", list(NEW_OUTCOMES))
def test_each_new_outcome_is_reached_by_typing_the_answers(loaded: Loaded, outcome: str) -> None:
    flow = loaded.flows["twitching"]
    typed = [str(step.choices.index(choice) + 1) for step, choice in walk(flow, NEW_OUTCOMES[outcome])]
    code, out, _ = shell(loaded, *typed)
    assert code == 0 and END_OF_INPUT not in out
    expected = flow.outcomes[outcome]
    assert f"{expected.level.mark} {expected.title}\n" in out
    assert "information, not a diagnosis" in out
