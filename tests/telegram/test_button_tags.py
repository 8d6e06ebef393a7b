"""Buttons name a question and a choice by tags of its id and value, checked against the current flow."""

from __future__ import annotations

import pytest

from bot.bootstrap import load_all
from bot.engine.engine import Engine
from bot.telegram.sender import ButtonTags
from tests.support.flows import CONTENT_DIR, FLOWS_DIR


@pytest.fixture(scope="module")
def engine() -> Engine:
    return load_all([FLOWS_DIR], CONTENT_DIR, prove=False).engine()


def test_every_question_and_choice_resolves_back_to_itself(engine: Engine) -> None:
    tags = ButtonTags(engine)
    for flow_id, flow in engine.flows.items():
        questions = (*flow.steps.values(), *flow.prompts.values())
        assert flow.prompts, "the engine's own prompts are asked with buttons too"
        for step in questions:
            assert tags.step(flow_id, tags.step_tag(flow_id, step.id)) == step.id
            for choice in step.choices:
                assert tags.choice(flow_id, step.id, tags.choice_tag(choice.value)) == choice.value


def test_a_tag_from_another_flow_or_an_unknown_value_resolves_to_nothing(engine: Engine) -> None:
    tags = ButtonTags(engine)
    flow_id = next(iter(engine.flows))
    start = engine.flows[flow_id].start
    assert tags.step(flow_id, tags.step_tag("another_flow", start)) is None
    assert tags.choice(flow_id, start, tags.choice_tag("maybe_later")) is None
    assert tags.choice(flow_id, "no_such_step", tags.choice_tag("yes")) is None


def test_two_choices_sharing_a_tag_resolve_to_nothing_rather_than_a_guess(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ButtonTags, "choice_tag", staticmethod(lambda value: "00000000"))
    tags = ButtonTags(engine)
    flow_id = next(iter(engine.flows))
    assert tags.choice(flow_id, engine.flows[flow_id].start, "00000000") is None
