"""Try it, without a browser: turns as a person sees them, and saving a conversation as a case that passes."""

from __future__ import annotations

from typing import Any

import pytest

from bot.authoring.cases import run_cases
from bot.bootstrap import Loaded
from bot.studio.trial import TrialError, case_file, save_case, turn
from tests.studio.conftest import Project
from tests.support.paths import pick, taps_before


class Person:
    """Holds a conversation through `turn` the way the page does, keeping the log the page keeps."""

    def __init__(self, good: Loaded) -> None:
        self.good, self.engine = good, good.engine()
        self.log: list[dict[str, Any]] = []
        self.shown = turn(good, self.engine, "twitching", None, {"kind": "start"})

    def act(self, action: dict[str, Any], logged: dict[str, Any] | None = None) -> dict[str, Any]:
        if logged is not None:
            self.log.append(logged if "command" in logged else {"step": self.shown["step"], **logged})
        self.shown = turn(self.good, self.engine, "twitching", self.shown["conversation"], action)
        return self.shown

    def tap(self, label: str) -> dict[str, Any]:
        buttons = [b for m in self.shown["messages"] for row in m["buttons"] for b in row if b["action"] == "answer"]
        button = next(b for b in buttons if b["label"] == label)
        return self.act({"kind": "pick", "step": self.shown["step"], "value": button["value"]}, {"text": label})

    def type(self, text: str) -> dict[str, Any]:
        return self.act({"kind": "typed", "text": text}, {"text": text})

    def tap_to(self, step_id: str) -> dict[str, Any]:
        """Tap the buttons the flow's default path takes ("no", "skip", else the first) until `step_id` is asked."""
        for label in taps_before(self.good.flows["twitching"], step_id):
            if self.shown["step"] == step_id:
                break
            self.tap(label)
        assert self.shown["step"] == step_id
        return self.shown

    def to_the_end(self, answers: dict[str, str] | None = None) -> dict[str, Any]:
        """Tap, at each question left, the button for its answer in `answers`, else its "no", "skip" or first."""
        flow = self.good.flows["twitching"]
        while not self.shown["finished"]:
            step = flow.question(self.shown["step"])  # a step, or a question the engine asks itself
            assert step is not None
            self.tap(pick(step, (answers or {}).get(step.key)).label)
        return self.shown


@pytest.fixture
def good(project: Project) -> Loaded:
    workspace = project.workspace()
    workspace.reload()
    assert workspace.snapshot.good is not None
    return workspace.snapshot.good


def test_a_turn_shows_what_telegram_shows(good: Loaded) -> None:
    person = Person(good)
    welcome, question = person.shown["messages"]
    assert question["step"] == "emergency_now" and [b["label"] for row in question["buttons"] for b in row] == [
        "Yes",
        "No",
        "Not sure",
    ]
    person.tap_to("account")
    person.type("twitching in my calf for 3 days")
    location = good.flows["twitching"].steps["location"]
    leg = pick(location, "leg").label
    assert (
        person.shown["step"] == "account_review" and f"• {location.topic}: {leg}" in person.shown["messages"][0]["html"]
    )
    end = person.to_the_end()
    assert end["level"] == "self_care" and end["messages"][0]["html"].startswith("🟢 <b>")
    actions = [b["action"] for m in end["messages"] for row in m["buttons"] for b in row]
    assert actions == ["why", "restart"]  # nothing to delete here
    why = person.act({"kind": "why"})["messages"][0]["html"]
    assert why.startswith("<b>Why this advice</b>")


def test_a_conversation_with_an_account_is_saved_by_step_and_passes(good: Loaded, project: Project) -> None:
    person = Person(good)
    person.tap_to("account")
    person.type("twitching in my calf for 3 days, loads of coffee")
    person.tap("Yes, that's right")
    person.to_the_end({"everyday_causes": "yes"})
    saved = save_case(person.engine, project.tests, "an account", person.shown["conversation"], person.log)
    assert saved.form == "answers" and saved.file == case_file(project.tests, "twitching")
    assert '      account: "twitching in my calf for 3 days, loads of coffee"\n' in saved.text
    assert '      account_review: "Yes, that\'s right"\n' in saved.text
    assert "location:" not in saved.text  # taken from the account, never typed
    assert [r.passed for r in run_cases(person.engine, saved.file)] == [True]


def test_an_emergency_typed_after_the_advice_is_saved_in_order(good: Loaded, project: Project) -> None:
    person = Person(good)
    person.tap_to("location")
    person.to_the_end()
    person.type("I can't breathe")
    assert person.shown["level"] == "emergency"
    saved = save_case(person.engine, project.tests, "typed after the advice", person.shown["conversation"], person.log)
    assert saved.form == "inputs" and saved.text.rstrip().endswith('expect: {level: "emergency", outcome: "emergency"}')
    assert [r.passed for r in run_cases(person.engine, saved.file)] == [True]


def test_back_and_restart_are_replayed_from_the_last_restart(good: Loaded, project: Project) -> None:
    person = Person(good)
    person.tap("No")
    person.act({"kind": "restart"}, {"command": "restart"})
    person.tap_to("location")
    person.tap("Face")
    person.act({"kind": "back"}, {"command": "back"})
    person.tap("In more than one place")
    person.to_the_end()
    assert person.shown["level"] == "routine"
    first = save_case(person.engine, project.tests, "several places", person.shown["conversation"], person.log)
    assert first.form == "answers" and '      location: "In more than one place"\n' in first.text
    second = save_case(person.engine, project.tests, "several places, again", person.shown["conversation"], person.log)
    assert first.file == second.file
    assert [r.passed for r in run_cases(person.engine, first.file)] == [True, True]
    with pytest.raises(TrialError, match="is used twice"):
        save_case(person.engine, project.tests, "several places", person.shown["conversation"], person.log)
