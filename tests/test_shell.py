"""`twitchcheck shell`: typed answers, an account, back vs "my back", and an emergency, as a person reads them."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.bootstrap import Loaded, load_all
from bot.shell import run_shell
from tests.support.flows import CONTENT_DIR, FLOWS_DIR
from tests.support.paths import walk

LOCATION = "Where is the twitching?"
DURATION = "How long has the twitching been going on?"
EXERCISE = "In the last few days, has any of this happened?\n• Hard exercise or a tough workout"
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


def test_answers_in_own_words_are_echoed_and_end_in_a_level(loaded: Loaded) -> None:
    code, out, _ = shell(loaded, "nope", "me", "no", "skip", "my left calf", "about a month", *["no"] * 12)
    assert code == 0
    assert "➜ No\n\nIn a sentence or two, what's going on?" in out  # after "me" and "no", each echoed
    assert f"➜ Leg or foot\n\n{DURATION}\n  1) Less than 2 weeks\n  2) 2 weeks or more\n  3) Not sure\n" in out
    assert "➜ 2 weeks or more\n\nLately, have you been having a lot of coffee" in out
    assert "➜ Less than 2 weeks" not in out
    assert "🟠 Book a routine" in out
    assert END_OF_INPUT not in out
    assert "Why this advice\n• How long: 2 weeks or more" in out
    assert "Start again" not in out  # result buttons are Telegram-only


def test_an_account_is_reviewed_and_yes_skips_its_questions(loaded: Loaded) -> None:
    account = "twitching in my left calf for about a month, lots of coffee and stress at work"
    code, out, _ = shell(loaded, "no", "me", "no", account, "yes", *["no"] * 12)
    assert code == 0
    assert (
        "Here's what I understood:\n"
        "• Where it twitches: Leg or foot\n"
        "• How long: 2 weeks or more\n"
        "• Caffeine: Yes\n"
        "• Stress or poor sleep: Yes\n"
        "\n"
        "Is that right? If it is, I'll skip those questions.\n"
        "  1) Yes, that's right\n"
        "  2) Change\n"
    ) in out
    assert f"➜ Yes, that's right\n\n{EXERCISE}" in out
    assert LOCATION not in out and DURATION not in out
    assert "🟠 Book a routine" in out


def test_back_alone_goes_back_but_my_back_is_a_place(loaded: Loaded) -> None:
    code, out, _ = shell(loaded, "no", "me", "no", "skip", "my back", "back", "calf")
    assert code == 0
    printed = blocks(out)
    at = printed.index("➜ Chest, back or tummy")
    assert printed[at + 1].startswith(DURATION)
    assert printed[at + 2] == "Okay, let's go back one question."
    assert printed[at + 3].startswith(LOCATION)
    assert printed[at + 4] == "➜ Leg or foot"
    assert printed[at + 5].startswith(DURATION)
    assert out.rstrip().endswith("Run `twitchcheck shell` to start again.")


def test_an_emergency_typed_mid_check_ends_with_the_emergency_advice(loaded: Loaded) -> None:
    code, out, stdin = shell(
        loaded, "no", "me", "no", "skip", "calf", "3 days", "yes", "my husband can't breathe", "no", "no"
    )
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
    typed = "\n".join(["no", "me", "no", "skip", "my calf", "1 month", *["no"] * 12]) + "\n"
    done = subprocess.run(
        [str(script), "shell"], input=typed, capture_output=True, text=True, cwd=tmp_path, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "➜ Leg or foot" in done.stdout and "➜ 2 weeks or more" in done.stdout
    assert "🟠 Book a routine" in done.stdout
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
