"""Typed answers: what people type maps to the choice they meant, and emergency phrases are spotted."""

from __future__ import annotations

import random
import string

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import DamerauLevenshtein

from bot.content.library import load_content
from bot.engine.loader import load_flows
from bot.engine.matching import ChoiceMatcher, PhraseSpotter, allowed_typos, normalize
from bot.engine.model import FLAG_VALUES, NO, NOT_SURE, YES, Step
from tests.engine.conftest import CONTENT_DIR, FLOWS_DIR

# Loaded at import, so that Hypothesis and parametrize can sample the shipped steps directly.
SHIPPED = load_flows([FLOWS_DIR], load_content(CONTENT_DIR, CONTENT_DIR / "article.txt"))
STEPS = [step for flow in SHIPPED.values() for step in flow.steps.values()]
MATCHERS = {step.id: ChoiceMatcher(step) for step in STEPS}
FLAG_STEPS = [step for step in STEPS if {c.value for c in step.choices} == set(FLAG_VALUES)]
INTERRUPTS = [x for flow in SHIPPED.values() for x in flow.interrupts]
SPOTTER = PhraseSpotter((phrase, x.id) for x in INTERRUPTS for phrase in x.phrases)


@st.composite
def noisy(draw: st.DrawFn, text: str) -> str:
    """`text` as a person might type it: odd case, stray punctuation and spaces."""
    cased = "".join(c.upper() if draw(st.booleans()) else c.lower() for c in text)
    spaced = draw(st.sampled_from([" ", "  ", "\t"])).join(cased.split(" "))
    before = draw(st.text(alphabet=" \t\n", max_size=3))
    after = draw(st.text(alphabet=" \t\n.!,;:", max_size=3))
    return before + draw(st.sampled_from(["", "'", '"'])) + spaced + after


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_each_way_of_naming_a_choice_maps_back_to_it(data: st.DataObject):
    step = data.draw(st.sampled_from(STEPS), label="step")
    number, choice = data.draw(st.sampled_from(list(enumerate(step.choices, start=1))), label="choice")
    form = data.draw(st.sampled_from([str(number), choice.label, choice.value, choice.value.replace("_", " ")]))
    typed = data.draw(noisy(form), label="typed")
    assert MATCHERS[step.id].match(typed) == choice.value


def _typo(draw: st.DrawFn, text: str) -> str:
    letters = [i for i, c in enumerate(text) if c.isalpha()]
    at = draw(st.sampled_from(letters))
    letter = draw(st.sampled_from(string.ascii_lowercase))
    kind = draw(st.sampled_from(["swap", "delete", "insert", "replace"]))
    if kind == "swap" and at + 1 < len(text):
        return text[:at] + text[at + 1] + text[at] + text[at + 2 :]
    if kind == "delete":
        return text[:at] + text[at + 1 :]
    if kind == "insert":
        return text[:at] + letter + text[at:]
    return text[:at] + letter + text[at + 1 :]


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_one_typo_in_a_label_of_five_letters_or_more_still_matches(data: st.DataObject):
    step = data.draw(st.sampled_from(STEPS), label="step")
    choice = data.draw(
        st.sampled_from([c for c in step.choices if sum(ch.isalpha() for ch in c.label) >= 5] or list(step.choices)),
        label="choice",
    )
    assume(sum(ch.isalpha() for ch in choice.label) >= 5)
    typed = _typo(data.draw, choice.label)
    matcher = MATCHERS[step.id]
    assert matcher.match(typed) == choice.value


@pytest.mark.parametrize("typed", ["No sure", "Non sure", "N ot sure"])
def test_a_typo_in_not_sure_is_never_read_as_no(typed: str):
    assert MATCHERS["weakness"].match(typed) == NOT_SURE


@pytest.mark.parametrize("step", FLAG_STEPS, ids=lambda step: step.id)
@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("yes", YES),
        ("Yeah", YES),
        ("yep", YES),
        ("y", YES),
        ("YES!", YES),
        ("no", NO),
        ("Nope", NO),
        ("n", NO),
        ("no.", NO),
        ("not sure", NOT_SURE),
        ("Dunno", NOT_SURE),
        ("idk", NOT_SURE),
        ("I don't know", NOT_SURE),
        ("?", NOT_SURE),
    ],
)
def test_everyday_yes_no_and_not_sure(step: Step, typed: str, meant: str):
    assert MATCHERS[step.id].match(typed) == meant


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(STEPS), st.text(max_size=200))
def test_any_text_never_raises(step: Step, typed: str):
    assert MATCHERS[step.id].match(typed) in {None, *(c.value for c in step.choices)}


@pytest.mark.parametrize("step", STEPS, ids=lambda step: step.id)
def test_random_letters_are_almost_never_understood(step: Step):
    rng = random.Random(step.id)
    alphabet = string.ascii_lowercase + "   "
    typed = ["".join(rng.choice(alphabet) for _ in range(rng.randint(4, 14))) for _ in range(1000)]
    said = [MATCHERS[step.id].match(text) for text in typed]
    # About 1 in 100 is read as an answer, mostly "y …" or "n …": the first word is taken as the answer.
    assert said.count(None) >= 970


# --- the emergency phrase spotter ----------------------------------------------------------------


def test_every_shipped_phrase_is_spotted_inside_a_sentence():
    for interrupt in INTERRUPTS:
        for phrase in interrupt.phrases:
            assert SPOTTER.find(f"Help, {phrase.upper()}!!") == interrupt.id, phrase


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_one_typo_pointing_to_one_known_word_is_forgiven(data: st.DataObject):
    """A typo is forgiven when exactly one word of the phrases is that close; ties stay unread."""
    phrase, interrupt = data.draw(st.sampled_from([(p, x) for x in INTERRUPTS for p in x.phrases]), label="phrase")
    words = normalize(phrase).split()
    at = data.draw(st.sampled_from([i for i, w in enumerate(words) if len(w) >= 4] or [0]))
    assume(len(words[at]) >= 4)
    typo = _typo(data.draw, words[at])
    vocabulary = SPOTTER.vocabulary
    near = [w for w in vocabulary if DamerauLevenshtein.distance(typo, w) <= allowed_typos(typo)]
    assume(typo not in vocabulary and near == [words[at]])
    assert SPOTTER.find(" ".join([*words[:at], typo, *words[at + 1 :]])) == interrupt.id


@pytest.mark.parametrize(
    "typed",
    [
        "no",
        "yes",
        "not sure",
        "arm",
        "Arm or hand",
        "leg",
        "I can breathe fine",
        "breathing is fine",
        "less than 2 weeks",
        "my arm twitches",
        "I feel a bit weak after the gym",
        "it's in my face",
        "I have been stressed",
        "coffee",
        "cramps at night",
        "I can swallow fine",
    ],
)
def test_ordinary_answers_do_not_raise_the_alarm(typed: str):
    assert SPOTTER.find(typed) is None


def test_spotter_does_not_fire_on_any_shipped_button_label_or_synonym():
    said = [phrase for matcher in MATCHERS.values() for phrase in matcher.exact]
    assert said and [phrase for phrase in said if SPOTTER.find(phrase)] == []


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("my face is droping", "stroke"),  # one typo in a long word
        ("im chocking", "choking"),  # the typo the design names
        ("can breathe", None),  # the opposite of "can't breathe": not corrected into it
        ("i am not choking", "choking"),  # negation is not understood; it errs on the side of care
        ("the shoes are fitting well", None),  # "fitting" alone is not a phrase: no false alarm
    ],
)
def test_what_the_spotter_really_does(typed: str, found: str | None):
    assert SPOTTER.find(typed) == found


@pytest.mark.parametrize("typed", ["I cannot breath", "struggling to breath"])
def test_common_misspellings_of_breathe_are_spotted(typed: str):
    assert SPOTTER.find(typed) == "breathing"
