"""Typed text the engine must never move past silently, on a small fixture flow (not the shipped one).

The fixture declares one emergency concept ("stroke") with a phrase; the shipped content's language file
adds its frames and safety words for that concept.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.engine.conversation import Conversation
from bot.engine.engine import Engine
from bot.engine.model import EMERGENCY_CONFIRM, Flow
from bot.engine.replies import Echo, Notice, Typed
from tests.engine.conftest import TINY

PLACES = """\
  - id: place
    text: "Where is it?"
    next: weakness
    choices:
      - {label: "Arm", value: arm, mentions: ["arm", "hand"]}
      - {label: "Leg", value: leg, mentions: ["leg", "calf"]}
"""
FLOW = (
    TINY.replace("start: weakness", "start: place")
    .replace("steps:\n", "steps:\n" + PLACES)
    .replace("routing:\n", 'interrupts:\n  - {id: stroke, outcome: emergency, phrases: ["face drooping"]}\nrouting:\n')
)


@pytest.fixture
def engine(parse: Callable[[str], Flow]) -> Engine:
    return Engine({"tiny": parse(FLOW)})


def typed(engine: Engine, text: str) -> tuple[Conversation, tuple[object, ...]]:
    return engine.advance(Conversation(flow_id="tiny", step="place", version=1), Typed(text))


def test_text_not_understood_that_names_a_safety_word_gets_the_confirming_question(engine: Engine):
    moved, replies = typed(engine, "she is on the floor")
    assert moved.step == EMERGENCY_CONFIRM
    assert not any(isinstance(r, Notice) and r.key == "ui.not_understood" for r in replies)


def test_text_not_understood_without_one_is_asked_again(engine: Engine):
    moved, replies = typed(engine, "purple monkey dishwasher")
    assert moved.step == "place"
    assert any(isinstance(r, Notice) and r.key == "ui.not_understood" for r in replies)


def test_a_settled_sentence_with_a_safety_word_is_not_asked_about(engine: Engine):
    moved, _ = typed(engine, "in the film she fell on the floor")  # an `elsewhere` cue settles it
    assert moved.step == "place"


def test_an_emergency_description_never_fills_in_the_answer_it_mentions(engine: Engine):
    moved, _ = typed(engine, "my hand went numb")  # an `ask` frame, and "hand" names a place
    assert moved.step == EMERGENCY_CONFIRM and "place" not in moved.answers
    back, replies = engine.advance(moved, Typed("no"))
    assert back.step == "place" and "place" not in back.answers
    assert not [r for r in replies if isinstance(r, Echo) and r.label == "Arm"]


def test_another_language_says_so_and_asks_once(engine: Engine):
    moved, replies = typed(engine, "no puedo respirar")
    assert moved.step == EMERGENCY_CONFIRM
    assert [r.key for r in replies if isinstance(r, Notice)] == ["ui.english_only"]
