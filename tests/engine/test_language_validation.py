"""One test per rule for the language keys (synonyms, mentions, ranges, concepts, accounts), YAML inline.

Each test starts from `TINY` (tests/engine/conftest.py) and adds or breaks exactly one thing.
"""

from __future__ import annotations

import pytest

from bot.authoring.corpus import read_corpus
from bot.engine.matching import ChoiceMatcher
from bot.yamlfiles.errors import (
    DuplicateIdError,
    FlowErrors,
    LanguageError,
    RangeError,
    ShapeError,
    SharedWordsError,
    UnknownTargetError,
)
from bot.yamlfiles.yaml_source import read_yaml
from tests.engine.conftest import TINY

DURATION = """\
  - id: how_long
    text: "How long?"
    next: weakness
    quantity: duration
    choices:
      - {label: "Less than 2 weeks", value: short, range: {from: 0 days, below: 2 weeks}}
      - {label: "2 weeks or more", value: long, range: {from: 2 weeks}}
"""
WITH_DURATION = TINY.replace("start: weakness", "start: how_long").replace("steps:\n", "steps:\n" + DURATION)


def test_a_duration_question_with_ranges_is_valid(parse):
    flow = parse(WITH_DURATION)
    [short, long] = flow.steps["how_long"].choices
    assert short.range is not None and long.range is not None
    assert (short.range.low, short.range.high, long.range.low, long.range.high) == (0, 14, 14, float("inf"))


def test_a_synonym_shared_by_two_choices(problems, line_of):
    text = TINY.replace('{label: "No", value: "no"}', '{label: "No", value: "no", synonyms: ["not sure"]}')
    [problem] = problems(text)
    assert isinstance(problem, SharedWordsError)
    assert problem.line == line_of(text, 'synonyms: ["not sure"]')
    assert problem.what == "'not sure' means both 'not_sure' and 'no' in step 'weakness'"
    assert problem.fix == "keep it in the synonyms of one choice only"


def test_a_mention_shared_by_two_choices(problems, line_of):
    text = TINY.replace('value: "yes"}', 'value: "yes", mentions: [weak]}').replace(
        "value: not_sure}", "value: not_sure, mentions: [weak]}"
    )
    [problem] = problems(text)
    assert isinstance(problem, SharedWordsError)
    assert problem.line == line_of(text, "value: not_sure, mentions")
    assert "'weak' means both 'yes' and 'not_sure'" in problem.what


def test_a_flow_synonym_that_clashes_with_a_label(problems):
    text = TINY.replace("steps:", 'synonyms:\n  "yes": ["no"]\nsteps:')
    [problem] = problems(text)
    assert isinstance(problem, SharedWordsError)
    assert problem.what == "'no' means both 'no' and 'yes' in step 'weakness'"


def test_flow_synonyms_for_a_value_no_choice_records(problems, line_of):
    text = TINY.replace("steps:", 'synonyms:\n  yess: ["yeah"]\nsteps:')
    [problem] = problems(text)
    assert isinstance(problem, UnknownTargetError)
    assert problem.line == line_of(text, "yess:")
    assert problem.what == "synonyms for 'yess', but no choice records that value"
    assert problem.fix == "did you mean 'yes'?"


def test_ranges_that_overlap(problems, line_of):
    text = WITH_DURATION.replace("range: {from: 2 weeks}", "range: {from: 10 days}")
    [problem] = problems(text)
    assert isinstance(problem, RangeError)
    assert problem.line == line_of(text, "from: 10 days")
    assert problem.what == "step 'how_long': the range of 'long' overlaps the one before it"
    assert problem.fix == "start it `from: 14 days`, where the previous range ends"


def test_ranges_that_leave_a_gap(problems, line_of):
    text = WITH_DURATION.replace("range: {from: 2 weeks}", "range: {from: 3 weeks}")
    [problem] = problems(text)
    assert isinstance(problem, RangeError)
    assert problem.line == line_of(text, "from: 3 weeks")
    assert problem.what == "step 'how_long': no choice covers 14 days to 21 days"


def test_ranges_that_leave_long_amounts_uncovered(problems):
    text = WITH_DURATION.replace("range: {from: 2 weeks}", "range: {from: 2 weeks, below: 1 year}")
    [problem] = problems(text)
    assert isinstance(problem, RangeError)
    assert problem.what == "step 'how_long': nothing covers 365 days or more"


def test_a_range_that_is_not_a_duration(problems, line_of):
    text = WITH_DURATION.replace("from: 2 weeks}", "from: two weaks}")
    found = problems(text)
    assert isinstance(found[0], RangeError)
    assert found[0].line == line_of(text, "two weaks")
    assert found[0].what == "'two weaks' is not one duration"


def test_ranges_without_a_quantity(problems, line_of):
    text = WITH_DURATION.replace("    quantity: duration\n", "")
    [problem] = problems(text)
    assert isinstance(problem, RangeError)
    assert problem.fix == "add `quantity: duration` to the step"


def test_combined_names_an_unknown_choice(problems, line_of):
    text = TINY.replace("    next: route\n", "    next: route\n    combined: several\n")
    [problem] = problems(text)
    assert isinstance(problem, UnknownTargetError)
    assert problem.line == line_of(text, "combined: several")


def test_a_concept_without_phrases(problems, line_of):
    text = TINY + "interrupts:\n  - {id: breathing, outcome: emergency}\n"
    [problem] = problems(text)
    assert isinstance(problem, LanguageError)
    assert problem.what == "emergency concept 'breathing' has no phrases, patterns or unclear phrases"


def test_a_pattern_that_is_not_a_regular_expression(problems, line_of):
    text = TINY + 'interrupts:\n  - id: breathing\n    outcome: emergency\n    patterns: ["cant (breathe"]\n'
    [problem] = problems(text)
    assert isinstance(problem, LanguageError)
    assert problem.line == line_of(text, "cant (breathe")
    assert problem.what.startswith("pattern 'cant (breathe' of concept 'breathing' is not a regular expression")


def test_an_unknown_cue_class(problems, line_of):
    text = TINY + "cues:\n  negations: [no]\n"
    [problem] = problems(text)
    assert isinstance(problem, ShapeError)
    assert problem.line == line_of(text, "negations:")
    assert problem.fix == "did you mean 'negation'?"


ACCOUNT = """\
  - id: story
    kind: account
    text: "In a sentence or two, what's going on?"
    next: weakness
    choices: [{label: "Skip", value: skip}]
"""


def test_an_account_step_with_two_choices(problems, line_of):
    text = TINY.replace("start: weakness", "start: story").replace(
        "steps:\n", "steps:\n" + ACCOUNT.replace('[{label: "Skip", value: skip}]', "[{label: Skip}, {label: Later}]")
    )
    [problem] = problems(text)
    assert isinstance(problem, ShapeError)
    assert problem.what == "account step 'story' has 2 choices"


def test_two_account_steps(problems):
    second = ACCOUNT.replace("id: story", "id: story_again").replace("next: weakness", "next: story")
    text = TINY.replace("start: weakness", "start: story_again").replace("steps:\n", "steps:\n" + second + ACCOUNT)
    found = problems(text)
    assert any(isinstance(p, DuplicateIdError) and "only once" in p.what for p in found)


@pytest.mark.parametrize("reserved", ["emergency_confirm", "account_review"])
def test_the_engines_prompt_ids_are_reserved(problems, reserved: str):
    text = TINY.replace("start: weakness", f"start: {reserved}").replace("id: weakness", f"id: {reserved}")
    found = problems(text)
    assert any(isinstance(p, DuplicateIdError) and f"'{reserved}' is reserved" in p.what for p in found)


# --- the language corpus file ------------------------------------------------------------------


def corpus_problems(text: str, shipped) -> list:
    raw, _ = read_yaml(text, "language.yaml")
    with pytest.raises(FlowErrors) as caught:
        read_corpus(raw, shipped, "language.yaml")
    return caught.value.problems


def test_a_corpus_answer_for_an_unknown_choice(shipped, line_of):
    text = "flow: twitching\nanswers:\n  - {step: location, text: calf, expect: calf}\n"
    [problem] = corpus_problems(text, shipped)
    assert isinstance(problem, UnknownTargetError)
    assert problem.line == 3 and problem.what == "step 'location' has no 'calf'"


def test_a_corpus_sentence_with_an_unknown_class(shipped):
    text = "flow: twitching\nemergency:\n  - {text: help, expect: emergencyy}\n"
    [problem] = corpus_problems(text, shipped)
    assert isinstance(problem, ShapeError) and problem.fix == "did you mean 'emergency'?"


def test_a_corpus_account_may_not_expect_a_red_flag_no(shipped):
    text = 'flow: twitching\naccounts:\n  - {text: "no weakness", expect: {weakness: "no"}}\n'
    [problem] = corpus_problems(text, shipped)
    assert isinstance(problem, ShapeError) and problem.fix == "red flags are only taken as yes"


def test_a_pattern_with_an_apostrophe_can_never_match(problems, line_of):
    text = TINY + 'interrupts:\n  - id: choking\n    outcome: emergency\n    patterns: ["can\'t swallow"]\n'
    [problem] = problems(text)
    assert isinstance(problem, LanguageError) and problem.line == line_of(text, "can't swallow")
    assert problem.fix == "patterns see words without apostrophes: write `cant`, not `can't`"


def test_an_unless_that_is_also_a_phrase_can_never_fire(problems, line_of):
    text = (
        TINY + "interrupts:\n  - id: seizure\n    outcome: emergency\n    phrases: [seizure]\n    unless: [seizure]\n"
    )
    [problem] = problems(text)
    assert isinstance(problem, LanguageError)
    assert problem.what == "'seizure' is both a phrase and an `unless` of concept 'seizure', so it can never fire"


def test_a_cue_in_two_opposite_classes(problems, line_of):
    text = TINY + "cues:\n  negation: [no]\n  now: [now, no]\n"
    [problem] = problems(text)
    assert isinstance(problem, LanguageError) and problem.what == "cue 'no' is both a `negation` and a `now` cue"


def test_a_misspelt_range_key_suggests_from(problems):
    text = WITH_DURATION.replace("range: {from: 2 weeks}", "range: {form: 2 weeks}")
    found = problems(text)
    assert any(p.what.startswith("unknown key 'form'") and p.fix == "did you mean 'from'?" for p in found)


def test_a_misspelt_kind_suggests_the_kind_meant(problems):
    text = TINY.replace("kind: red_flag", "kind: redflag")
    [problem] = problems(text)
    assert isinstance(problem, ShapeError) and problem.fix == "did you mean 'red_flag'?"


def test_max_excerpts_must_be_a_whole_number(problems):
    [problem] = problems(TINY.replace("steps:", "max_excerpts: true\nsteps:"))
    assert isinstance(problem, ShapeError) and "max_excerpts" in problem.what


def test_a_no_then_a_reason_it_cannot_be_known_is_not_sure(parse):
    text = TINY.replace('value: "yes"}', 'value: "yes", mentions: ["family history"]}').replace(
        "value: not_sure}", 'value: not_sure, mentions: ["never met my dad", "adopted"]}'
    )
    matcher = ChoiceMatcher(parse(text).steps["weakness"])
    assert matcher.match("no, never met my dad") == "not_sure"
    assert matcher.match("no, never") == "no"
    assert matcher.match("not sure about family history, I was adopted") == "not_sure"  # a hedge, and why
    assert matcher.match("yes, family history") == "yes"


def test_a_guessed_amount_a_conclusion_without_a_comma_and_a_guess_near_a_boundary(parse):
    step = parse(TINY.replace('value: "yes"}', 'value: "yes", mentions: ["dropping cups"]}')).steps["weakness"]
    matcher = ChoiceMatcher(step)
    assert matcher.match("dropping cups more, maybe 3 this week") == "yes"  # the guess is how many
    assert matcher.match("dropping cups more, maybe") == "not_sure"
    assert matcher.match("dropping cups, once a month maybe") == "yes"  # the guess is how often
    assert matcher.match("I can still lift my shopping so no") == "no"
    weeks = ChoiceMatcher(
        parse(
            WITH_DURATION.replace(
                "value: long, range: {from: 2 weeks}}",
                'value: long, range: {from: 2 weeks}}\n      - {label: "Not sure", value: not_sure}',
            )
        ).steps["how_long"]
    )
    assert weeks.match("couple of weeks, hard to say") == "not_sure"  # at the boundary, and unsure
    assert weeks.match("couple of weeks") == "long"
    assert weeks.match("four months, hard to say exactly") == "long"  # far from it
    assert weeks.match("on and off for ages, honestly can't say") == "not_sure"  # a vague amount, unsure


def test_a_question_back_is_asked_about_not_read_as_an_answer(parse):
    matcher = ChoiceMatcher(parse(TINY.replace('value: "yes"}', 'value: "yes", mentions: ["weak"]}')).steps["weakness"])
    assert matcher.match("weak") == "yes"
    for question in ["wdym by weak", "what kind of weak, like tired?", "what sort of weak do you mean"]:
        assert matcher.match(question) is None, question


def test_doubt_whether_it_counts_is_no_doubt_about_it(parse):
    matcher = ChoiceMatcher(
        parse(TINY.replace('value: "yes"}', 'value: "yes", mentions: ["new inhaler"]}')).steps["weakness"]
    )
    assert matcher.match("a new inhaler last month, not sure that counts") == "yes"
    assert matcher.match("a new inhaler last month, not sure") == "not_sure"
