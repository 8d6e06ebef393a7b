"""The statistical second reader: read exactly as scikit-learn scores it, and only ever adding a question."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.engine.conversation import Conversation
from bot.engine.engine import Engine
from bot.engine.model import EMERGENCY_CONFIRM, Flow
from bot.engine.replies import Typed
from bot.engine.second_reader import SecondReader, char_wb_grams
from bot.engine.training import NGRAMS, train
from tests.engine.test_no_silent_moving_on import FLOW

SENTENCES = [
    ("he is lying on the ground and will not wake", 1),
    ("she went grey and is gasping", 1),
    ("my toddler went floppy and blue", 1),
    ("grandad is talking rubbish and drooling", 1),
    ("my eyelid twitches when I am tired", 0),
    ("calf twitching after the gym", 0),
    ("I drink a lot of coffee at work", 0),
    ("my thumb jumps now and then", 0),
]


def test_the_pure_python_reader_scores_as_scikit_learn_does():
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [text for text, _ in SENTENCES] * 2
    labels = [label for _, label in SENTENCES] * 2
    model = train(texts, labels)
    analyse = TfidfVectorizer(analyzer="char_wb", ngram_range=NGRAMS).build_analyzer()
    for text in ("he will not wake up", "my calf twitches", "blue and floppy!"):
        assert sorted(char_wb_grams(text, *NGRAMS)) == sorted(analyse(text))
    assert model.probability("he is grey and will not wake") > 0.5 > model.probability("my eyelid twitches")


class Always(SecondReader):
    """A second reader that always says the same."""

    def __init__(self, probability: float) -> None:
        object.__setattr__(self, "value", probability)
        super().__init__({}, 0.0, 0.7)

    def probability(self, text: str) -> float:
        return self.value  # type: ignore[attr-defined, no-any-return]


@pytest.fixture
def flow(parse: Callable[[str], Flow]) -> Flow:
    return parse(FLOW)


def engine_with(flow: Flow, probability: float) -> Engine:
    import dataclasses

    language = dataclasses.replace(flow.language, second_reader=Always(probability))
    return Engine({"tiny": dataclasses.replace(flow, language=language)})


def at_place(engine: Engine, text: str) -> Conversation:
    moved, _ = engine.advance(Conversation(flow_id="tiny", step="place", version=1), Typed(text))
    return moved


def test_its_maybe_asks_about_text_not_understood(flow: Flow):
    text = "something is really not right with him"
    assert at_place(engine_with(flow, 0.0), text).step == "place"
    assert at_place(engine_with(flow, 0.99), text).step == EMERGENCY_CONFIRM


def test_it_never_reads_short_answers_and_never_removes_an_alarm(flow: Flow):
    sure = engine_with(flow, 0.99)
    assert at_place(sure, "my calf").answers == {"place": "leg"}
    unsure = engine_with(flow, 0.0)
    assert at_place(unsure, "her face drooping now").step == "emergency"


def test_a_buttons_own_words_typed_out_are_never_second_guessed(parse: Callable[[str], Flow]):
    label = "Leg, foot or the calf muscle"
    flow = parse(FLOW.replace('{label: "Leg", value: leg', f'{{label: "{label}", value: leg'))
    sure = engine_with(flow, 0.99)
    assert at_place(sure, label.lower()).answers == {"place": "leg"}
    assert at_place(sure, "it is in my calf most of the time").step == EMERGENCY_CONFIRM  # a mention: it may ask


def test_one_word_said_over_and_over_is_not_read(flow: Flow):
    assert at_place(engine_with(flow, 0.99), "blah " * 50).step == "place"  # too few different words
