"""Typed answers: what people type maps to the choice they meant, and emergency phrases are spotted."""

from __future__ import annotations

import random
import string

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import DamerauLevenshtein

from bot.content.library import load_content
from bot.engine.emergency import EmergencyReader, Verdict
from bot.engine.loader import load_flows
from bot.engine.matching import ChoiceMatcher, normalize
from bot.engine.model import FLAG_VALUES, NO, NOT_SURE, YES, Step
from bot.engine.spelling import ordinary_words, word_typos
from tests.engine.conftest import CONTENT_DIR, FLOWS_DIR

# Loaded at import, so that Hypothesis and parametrize can sample the shipped steps directly.
SHIPPED = load_flows([FLOWS_DIR], load_content(CONTENT_DIR, CONTENT_DIR / "article.txt"))
STEPS = [step for flow in SHIPPED.values() for step in flow.steps.values()]
FLOW = SHIPPED["twitching"]
MATCHERS = {step.id: ChoiceMatcher(step, FLOW.synonyms) for step in STEPS}
FLAG_STEPS = [step for step in STEPS if set(FLAG_VALUES) <= {c.value for c in step.choices}]
INTERRUPTS = [x for flow in SHIPPED.values() for x in flow.interrupts]
READER = EmergencyReader(INTERRUPTS, FLOW.cues)


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
    # Asked again only when the typo is as close to another answer ("nor sure": "not sure" or "for sure").
    assert matcher.match(typed) in (choice.value, None)


@pytest.mark.parametrize(
    ("step", "typed", "meant"),
    [
        ("duration", "Lss than 2 weeks", "under_2_weeks"),
        ("everyday_causes", "yse", YES),
        ("weakness", "not shure", NOT_SURE),
    ],
)
def test_a_typo_in_a_label_is_forgiven(step: str, typed: str, meant: str):
    assert MATCHERS[step].match(typed) == meant


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
    # About 1 in 100 is read as an answer, mostly "y …" or "n …": a leading yes or no is taken as the answer.
    assert said.count(None) >= 970


# --- emergency language ------------------------------------------------------------------------


def test_every_shipped_phrase_fires_inside_a_sentence():
    for interrupt in INTERRUPTS:
        for phrase in interrupt.phrases:
            reading = READER.read(f"Help, {phrase.upper()}!!")
            assert (reading.verdict, reading.concept) == (Verdict.EMERGENCY, interrupt.id), phrase


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_a_typo_in_an_emergency_word_is_forgiven_when_it_makes_no_real_word(data: st.DataObject):
    phrase, interrupt = data.draw(st.sampled_from([(p, x) for x in INTERRUPTS for p in x.phrases]), label="phrase")
    said = normalize(phrase).split()
    at = data.draw(st.sampled_from([i for i, w in enumerate(said) if len(w) >= 6] or [0]))
    assume(len(said[at]) >= 6)
    typo = _typo(data.draw, said[at])
    assume(typo not in ordinary_words() and typo not in READER.known)
    near = [w for w in READER.targets if DamerauLevenshtein.distance(typo, w) <= word_typos(typo)]
    assume(near == [said[at]])
    assert READER.read(" ".join([*said[:at], typo, *said[at + 1 :]])).verdict is Verdict.EMERGENCY


@pytest.mark.parametrize(
    "typed",
    [
        "no",
        "yes",
        "not sure",
        "arm",
        "Arm or hand",
        "I can breathe fine",
        "breathing is fine",
        "less than 2 weeks",
        "I feel a bit weak after the gym",
        "cramps at night",
        "I can swallow fine",
        # the false alarms: look-alike words, negation, the distant past
        "I keep checking it",
        "had a bit of twitching",
        "my dad had a stroke years ago",
        "no trouble breathing",
        "I am not choking",
        "shaking a bit from coffee",
        "I was smoking a lot this week",
        "I was sitting at my desk",
        "I swim breaststroke every morning",
        "the shoes are fitting well",
        "never had a seizure in my life",
    ],
)
def test_ordinary_sentences_do_not_raise_the_alarm(typed: str):
    assert READER.read(typed).verdict is Verdict.NONE


@pytest.mark.parametrize(
    "typed",
    [
        "my smile is lopsided since this morning",
        "I can't catch my breath even sitting still",
        "my speech suddenly became slurred",
        "he's fitting and won't stop",
        "she's unconscious and won't wake up",
        "I suddenly can't lift my left arm",
        "my husband is having a seizure",
        "No, I can't breathe",
        "leg, and I can't breathe",
        "cant breath",
        "chokeing",
        "im chocking",
        "I cannot breath",
        "my face is droping",
    ],
)
def test_emergencies_in_plain_words_fire(typed: str):
    assert READER.read(typed).verdict is Verdict.EMERGENCY


@pytest.mark.parametrize(
    "typed", ["my dad had a stroke", "my arm went numb", "could this be a stroke?", "I had a seizure yesterday"]
)
def test_unclear_emergency_language_is_asked_about(typed: str):
    assert READER.read(typed).verdict is Verdict.CONFIRM


def test_no_shipped_button_label_or_synonym_raises_the_alarm():
    said = [phrase for matcher in MATCHERS.values() for phrase in matcher.exact]
    assert said and [phrase for phrase in said if READER.read(phrase).verdict is not Verdict.NONE] == []
