"""A step's `variants:` (other words picked by the answers) and `required: true` (asked on every path below 🔴)."""

from __future__ import annotations

from collections.abc import Callable

from bot.engine.check import check_flow
from bot.engine.conversation import Conversation
from bot.engine.engine import Engine
from bot.engine.model import Flow
from bot.engine.replies import Pick, Question
from bot.yamlfiles.errors import FlowProblem, SkippedFlagsError
from tests.engine.conftest import SAFE_ROUTING

WHO_FIRST = (
    """\
flow: who
title: Who first
start: who
steps:
  - id: who
    text: "Who is this for?"
    required: true
    next: weakness
    choices: [{label: "Me", value: me}, {label: "Someone else", value: other}]
  - id: weakness
    kind: red_flag
    text: "Have you noticed weakness?"
    variants: [{when: {who: other}, text: "Has the person noticed weakness?"}]
    next: route
    choices: [{label: "Yes", value: "yes"}, {label: "No", value: "no"}, {label: "Not sure", value: not_sure}]
"""
    + SAFE_ROUTING
)


def _asked(engine: Engine, who: str) -> str:
    conversation, _ = engine.start("who")
    _, replies = engine.advance(conversation, Pick("who", who))
    question = next(r for r in replies if isinstance(r, Question))
    return question.step.text


def test_a_variant_picks_the_words_for_someone_else(parse: Callable[[str], Flow]) -> None:
    engine = Engine({"who": parse(WHO_FIRST)})
    assert _asked(engine, "other") == "Has the person noticed weakness?"
    assert _asked(engine, "me") == "Have you noticed weakness?"


def test_a_variant_changes_only_the_words(parse: Callable[[str], Flow]) -> None:
    flow = parse(WHO_FIRST)
    step = flow.steps["weakness"]
    worded = step.worded({"who": "other"})
    assert worded.choices == step.choices and worded.key == step.key and worded.kind == step.kind
    assert step.worded({}) is step
    assert Conversation(flow_id="who", step="weakness", version=1).answers == {}


def test_a_variant_reading_an_unknown_answer_is_refused_with_its_line(
    problems: Callable[[str], list[FlowProblem]], line_of: Callable[[str, str], int]
) -> None:
    text = WHO_FIRST.replace("{when: {who: other}", "{when: {whom: other}")
    found = problems(text)
    assert found and found[0].line == line_of(text, "whom: other")
    assert "whom" in str(found[0])


def test_a_path_below_urgent_that_skips_a_required_step_fails_the_check(parse: Callable[[str], Flow]) -> None:
    # weakness first, and `who` only after a "not sure": the "no" path ends at 🟢 without asking it.
    text = (
        WHO_FIRST.replace("start: who", "start: weakness")
        .replace('{label: "Not sure", value: not_sure}]', '{label: "Not sure", value: not_sure, next: who}]')
        .replace("    next: weakness\n", "    next: route\n")
    )
    found = check_flow(parse(text))
    skipped = [p for p in found if isinstance(p, SkippedFlagsError)]
    assert skipped and "who" in skipped[0].skipped


def test_a_required_step_on_every_path_passes_the_check(parse: Callable[[str], Flow]) -> None:
    assert check_flow(parse(WHO_FIRST)) == []
