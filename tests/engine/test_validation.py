"""One test per validation rule, each with the YAML inline: the error's class, line and text.

Every test starts from `TINY`, a valid flow, and breaks exactly one thing in it.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.authoring.cases import parse_cases
from bot.content.library import Content
from bot.engine.errors import (
    ButtonLabelTooLongError,
    DeadEndError,
    DuplicateIdError,
    FlagValueError,
    FlowErrors,
    MissingContentError,
    NoFlowsError,
    ShapeError,
    TextTooLongError,
    UnknownTargetError,
    YamlSyntaxError,
)
from bot.engine.loader import load_flows
from bot.engine.model import Level
from bot.engine.yaml_source import MAX_DEPTH
from tests.engine.conftest import TINY


def test_tiny_flow_is_valid(parse):
    flow = parse(TINY)
    assert list(flow.steps) == ["weakness"]
    assert [rule.outcome for rule in flow.rules] == ["urgent", "routine", "self_care"]


def test_yaml_syntax_error_gives_line_and_column(problems, line_of):
    text = TINY.replace('text: "Any weakness?"', "text: Any weakness: even a little?")
    [problem] = problems(text)
    assert isinstance(problem, YamlSyntaxError)
    assert (problem.line, problem.column) == (line_of(text, "even a little"), 23)
    assert str(problem) == (
        f"flow.yaml:{problem.line}:23: this text contains `: `, which YAML reads as the start of a key; "
        'put the whole text in quotes: `text: "Note: drink water"`'
    )


def test_unknown_key_suggests_the_key_meant(problems, line_of):
    text = TINY.replace("    next: route", "    nxt: route")
    [problem] = problems(text)
    assert isinstance(problem, ShapeError)
    assert problem.line == line_of(text, "nxt:")
    assert problem.what == "unknown key 'nxt' in steps.0"
    assert problem.fix == "did you mean 'next'?"


def test_missing_required_key(problems, line_of):
    text = TINY.replace('    text: "Any weakness?"\n', "")
    [problem] = problems(text)
    assert isinstance(problem, ShapeError)
    assert problem.line == line_of(text, "- id: weakness")
    assert str(problem) == f"flow.yaml:{problem.line}: steps.0 is missing 'text'; add `text:`"


def test_duplicate_step_id(problems, line_of):
    second = """\
  - id: weakness
    kind: red_flag
    text: "Any weakness at all?"
    next: route
    choices: [{label: "Yes", value: "yes"}, {label: "No", value: "no"}, {label: "Not sure", value: not_sure}]
routing:"""
    text = TINY.replace("routing:", second)
    found = problems(text)
    step_problem = found[0]
    assert isinstance(step_problem, DuplicateIdError)
    assert step_problem.line == line_of(text, "Any weakness at all?") - 2
    assert step_problem.what == "step id 'weakness' is used twice (first on line 5)"
    assert step_problem.fix == "give each step its own id"


def test_duplicate_mapping_key(problems, line_of):
    text = TINY.replace("    next: route", "    next: route\n    text: Any weakness now?")
    [problem] = problems(text)
    assert isinstance(problem, DuplicateIdError)
    assert problem.line == line_of(text, "Any weakness now?")
    assert problem.what == f"key 'text' appears twice in this mapping (first on line {line_of(text, 'text:')})"


def test_unknown_target_step(problems, line_of):
    text = TINY.replace('{label: "No", value: "no"}', '{label: "No", value: "no", next: wastng}')
    [problem] = problems(text)
    assert isinstance(problem, UnknownTargetError)
    assert problem.line == line_of(text, "next: wastng")
    assert problem.what == "choice 'no' of step 'weakness' goes to unknown step 'wastng'"
    assert problem.fix == "define it or fix the name"


def test_unknown_outcome_in_routing(problems, line_of):
    text = TINY.replace("  - outcome: urgent", "  - outcome: urgnt")
    [problem] = problems(text)
    assert isinstance(problem, UnknownTargetError)
    assert problem.line == line_of(text, "outcome: urgnt")
    assert str(problem) == (
        f"flow.yaml:{problem.line}: routing rule goes to unknown outcome 'urgnt'; flow.yaml:"
        f"{line_of(text, '- {id: urgent')} defines outcome 'urgent'; rename one of the two so they match "
        "('urgnt' here, or `id: urgent` there)"
    )


def test_a_typo_in_a_steps_own_id_names_its_definition_and_suggests_renaming_either(problems, line_of):
    text = TINY.replace("start: weakness", "start: first").replace(
        "steps:\n",
        """steps:
  - id: first
    text: "First?"
    next: weakness
    choices: [{label: "Ok", value: ok}]
""",
    )
    text = text.replace("  - id: weakness", "  - id: weaknes")
    found = [p for p in problems(text) if isinstance(p, UnknownTargetError) and "goes to" in p.what]
    assert [(p.line, p.what) for p in found] == [
        (line_of(text, "next: weakness"), "step 'first' goes to unknown step 'weakness'")
    ]
    assert found[0].fix == (
        f"flow.yaml:{line_of(text, '- id: weaknes')} defines step 'weaknes'; "
        "rename one of the two so they match ('weakness' here, or `id: weaknes` there)"
    )


def test_unknown_start(problems):
    [problem] = problems(TINY.replace("start: weakness", "start: weaknes"))
    assert isinstance(problem, UnknownTargetError)
    assert problem.line == 3
    assert problem.what == "start step 'weaknes' does not exist"
    assert problem.fix == "did you mean 'weakness'?"


def test_missing_content_reference(problems, line_of):
    text = TINY.replace('text: "Any weakness?"', 'text: "@questions.nope"')
    [problem] = problems(text)
    assert isinstance(problem, MissingContentError)
    assert problem.line == line_of(text, "@questions.nope")
    assert problem.what == "text reference '@questions.nope' is not in content/"
    # The hint is whatever key is closest; a near miss gets the right one:
    [near] = problems(TINY.replace('text: "Any weakness?"', 'text: "@questions.weaknes"'))
    assert near.fix == "did you mean 'questions.weakness'?"


def test_missing_excerpt_id(problems, line_of):
    text = TINY.replace("title: Rest,", "title: Rest, excerpts: [{excerpt: stimulant}],")
    [problem] = problems(text)
    assert isinstance(problem, MissingContentError)
    assert problem.line == line_of(text, "stimulant}")
    assert str(problem) == (
        f"flow.yaml:{problem.line}: excerpt 'stimulant' is not in content/; did you mean 'stimulants'?"
    )


def test_missing_source_id(problems, line_of):
    text = TINY.replace("title: Rest,", "title: Rest, sources: [nhs_twiching],")
    [problem] = problems(text)
    assert isinstance(problem, MissingContentError)
    assert problem.line == line_of(text, "nhs_twiching")
    assert problem.what == "source 'nhs_twiching' is not in content/"
    assert problem.fix == "did you mean 'nhs_twitching'?"


def test_label_over_64_bytes_counts_bytes_not_characters(problems, line_of):
    label = "😬" * 17  # 17 characters, but 4 bytes each in UTF-8
    text = TINY.replace('{label: "No", value: "no"}', f'{{label: "{label}", value: "no"}}')
    [problem] = problems(text)
    assert isinstance(problem, ButtonLabelTooLongError)
    assert problem.line == line_of(text, label)
    assert problem.what == "button label is 68 bytes, over Telegram's 64"
    assert problem.fix == "shorten the label (emoji and accents take several bytes)"


def test_text_over_4096_characters(problems, line_of):
    text = TINY.replace('text: "Any weakness?"', 'text: "' + "a" * 4097 + '"')
    [problem] = problems(text)
    assert isinstance(problem, TextTooLongError)
    assert problem.line == line_of(text, 'text: "aaa')
    assert str(problem) == (
        f"flow.yaml:{problem.line}: text is 4097 characters, over Telegram's 4096; shorten it or split it"
    )


def test_choice_that_leads_nowhere(problems, line_of):
    text = (
        TINY.replace("    next: route\n", "")
        .replace('value: "yes"}', 'value: "yes", next: route}')
        .replace("value: not_sure}", "value: not_sure, next: route}")
    )
    [problem] = problems(text)
    assert isinstance(problem, DeadEndError)
    assert problem.line == line_of(text, 'value: "no"')
    assert problem.what == "choice 'no' of step 'weakness' leads nowhere"
    assert problem.fix == "add `next:` to the choice or to its step (a step id, an outcome id, or `route`)"


def test_branch_list_without_catch_all(problems, line_of):
    text = TINY.replace(
        '{label: "No", value: "no"}', '{label: "No", value: "no", next: [{to: route, when: {weakness: "no"}}]}'
    )
    [problem] = problems(text)
    assert isinstance(problem, DeadEndError)
    assert problem.line == line_of(text, 'value: "no", next:')
    assert problem.what == "choice 'no' of step 'weakness' has no branch for when no condition holds"
    assert problem.fix == "end the list with a branch that has no `when:`"


def test_routing_without_catch_all(problems, line_of):
    text = TINY.replace("  - outcome: self_care\n", '  - outcome: self_care\n    when: {weakness: "no"}\n')
    [problem] = problems(text)
    assert isinstance(problem, DeadEndError)
    assert problem.line == line_of(text, "routing:")
    assert str(problem) == (
        f"flow.yaml:{problem.line}: the routing rules have no catch-all at the end; "
        "end `routing:` with a rule that has no `when:`"
    )


def test_red_flag_step_only_records_yes_no_not_sure(problems, line_of):
    text = TINY.replace('{label: "Not sure", value: not_sure}', '{label: "A bit", value: a_bit}').replace(
        "when: {weakness: not_sure}", "when: {weakness: a_bit}"
    )
    [problem] = problems(text)
    assert isinstance(problem, FlagValueError)
    assert problem.line == line_of(text, "choices:")
    assert problem.what == "red_flag step 'weakness' records yes, no, a_bit"
    assert problem.fix == (
        "its choices must record only yes, no, not_sure (a red flag may add a choice with `explains: true`), "
        "and include yes"
    )


def test_condition_on_unknown_answer_key(problems, line_of):
    text = TINY.replace('when: {weakness: "yes"}', 'when: {weaknes: "yes"}')
    [problem] = problems(text)
    assert isinstance(problem, UnknownTargetError)
    assert problem.line == line_of(text, "weaknes:")
    assert problem.what == "condition reads answer 'weaknes', which no step records"
    assert problem.fix == "did you mean 'weakness'?"


def test_condition_on_impossible_value(problems, line_of):
    text = TINY.replace('when: {weakness: "yes"}', 'when: {weakness: "yse"}')
    [problem] = problems(text)
    assert isinstance(problem, UnknownTargetError)
    assert problem.line == line_of(text, '"yse"')
    assert str(problem) == f"flow.yaml:{problem.line}: answer 'weakness' is never 'yse'; did you mean 'yes'?"


def test_unquoted_yes_and_no_stay_text(parse):
    flow = parse(
        TINY.replace('value: "yes"', "value: yes")
        .replace('value: "no"', "value: no")
        .replace('{weakness: "yes"}', "{weakness: yes}")
    )
    assert [choice.value for choice in flow.steps["weakness"].choices] == ["yes", "no", "not_sure"]
    assert flow.rules[0].when.holds({"weakness": "yes"})


def test_empty_flows_folder(content: Content, tmp_path: Path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "cases.yaml").write_text("flow: tiny\ncases: []\n")
    with pytest.raises(FlowErrors) as raised:
        load_flows([tmp_path], content)
    [problem] = raised.value.problems
    assert isinstance(problem, NoFlowsError)
    assert (problem.source, problem.line) == (str(tmp_path), 0)
    assert problem.what == "no flow files (*.yaml) in this folder"


def test_control_character_is_one_located_error(problems, line_of):
    text = TINY.replace('text: "Any weakness?"', 'text: "Any\x0bweakness?"')
    [problem] = problems(text)
    assert isinstance(problem, YamlSyntaxError)
    assert (problem.line, problem.column) == (line_of(text, 'text: "Any'), 15)
    assert str(problem) == (
        f"flow.yaml:{problem.line}:15: the file contains the control character U+000B, which YAML does not "
        "allow; delete it (it often comes from pasting out of another program)"
    )


def test_nesting_deeper_than_the_limit_is_one_located_error(problems, line_of):
    text = TINY.replace('    when: {weakness: "yes"}', "    when: " + "{not: " * 300 + '{weakness: "yes"}' + "}" * 300)
    [problem] = problems(text)
    assert isinstance(problem, YamlSyntaxError)
    assert problem.line == line_of(text, "{not: {not:")
    assert problem.what == f"lists and mappings nested more than {MAX_DEPTH} deep"


def test_nesting_just_under_the_limit_still_loads_and_runs(parse):
    # the file, the routing list, the rule, 46 `not`s and the condition: 50 levels
    when = "{not: " * 46 + '{weakness: "no"}' + "}" * 46
    flow = parse(TINY.replace('    when: {weakness: "yes"}', f"    when: {when}"))
    assert flow.rules[0].when.holds({"weakness": "no"})


def laughing_when(levels: int) -> str:
    """A `when:` whose alias `*a<n>` stands for ten copies of `*a<n-1>`: 10**levels conditions in 1 KB."""
    node = '&a0 {weakness: "yes"}'
    for level in range(1, levels + 1):
        node = f"&a{level} {{any: [{node}, {', '.join([f'*a{level - 1}'] * 9)}]}}"
    return TINY.replace('    when: {weakness: "yes"}', f"    when: {node}")


def test_aliases_that_multiply_the_file_are_refused_quickly(problems, line_of):
    text = laughing_when(5)
    started = time.perf_counter()
    [problem] = problems(text)
    assert time.perf_counter() - started < 1  # 10x per level before: 5 levels took seconds, 7 took minutes
    assert isinstance(problem, YamlSyntaxError)
    assert problem.line == line_of(text, "&a5")
    assert problem.what.startswith("alias '*a2' makes the file too big once expanded")
    assert problem.fix == "repeat the part in full, or use fewer aliases of aliases"


def test_a_few_aliases_of_aliases_still_load(parse):
    flow = parse(laughing_when(1))
    assert flow.rules[0].when.holds({"weakness": "yes"})


def test_several_problems_are_reported_at_once(problems, line_of):
    text = (
        TINY.replace("  - outcome: urgent", "  - outcome: urgnt")
        .replace('{label: "No", value: "no"}', '{label: "' + "é" * 33 + '", value: "no"}')
        .replace("title: Rest,", "title: Rest, sources: [nhs_twiching],")
    )
    found = problems(text)
    assert sorted((type(p).__name__, p.line) for p in found) == sorted(
        [
            ("UnknownTargetError", line_of(text, "outcome: urgnt")),
            ("ButtonLabelTooLongError", line_of(text, "éé")),
            ("MissingContentError", line_of(text, "nhs_twiching")),
        ]
    )
    assert len(str(FlowErrors(found)).splitlines()) == 3


# --- conversation case files (flows/tests/*.yaml) ----------------------------------------------

CASES = """\
flow: twitching
cases:
  - name: weakness means seeing a doctor soon
    inputs: [no, arm, "less than 2 weeks", no, no, no, no, no, yes, no, no, no, no]
    expect: {level: urgent}
"""


@pytest.fixture
def case_problems(shipped):
    def collect(text: str) -> list:
        with pytest.raises(FlowErrors) as raised:
            parse_cases(text, shipped, source="cases.yaml")
        return raised.value.problems

    return collect


def test_case_file_is_valid(shipped):
    [case] = parse_cases(CASES, shipped, source="cases.yaml").cases
    assert case.inputs[:3] == ("no", "arm", "less than 2 weeks")
    assert (case.line, case.expect.level) == (3, Level.URGENT)


def test_case_file_yaml_syntax_error(case_problems, line_of):
    text = CASES.replace("- name: weakness means", "- name: weakness: means")
    [problem] = case_problems(text)
    assert isinstance(problem, YamlSyntaxError)
    assert (problem.line, problem.column) == (line_of(text, "weakness: means"), 19)


def test_case_file_unknown_key_suggests_the_key_meant(case_problems, line_of):
    text = CASES.replace("    expect:", "    expects:")
    found = case_problems(text)
    assert [(type(p), p.line, p.what, p.fix) for p in found] == [
        (ShapeError, line_of(text, "expects:"), "unknown key 'expects' in the case", "did you mean 'expect'?"),
        (ShapeError, line_of(text, "- name:"), "the case is missing 'expect'", "add `expect:`"),
    ]


def test_case_file_names_an_unknown_step(case_problems, line_of):
    text = CASES.replace("expect: {level: urgent}", "expect: {step: weaknes}")
    [problem] = case_problems(text)
    assert isinstance(problem, UnknownTargetError)
    assert problem.line == line_of(text, "weaknes}")
    assert str(problem) == f"cases.yaml:{problem.line}: no step 'weaknes' in this flow; did you mean 'weakness'?"


def test_case_file_names_an_unknown_level_or_flow(case_problems):
    found = case_problems(CASES.replace("flow: twitching", "flow: twitchin").replace("level: urgent", "level: urgen"))
    assert [(type(p), p.line, p.what, p.fix) for p in found] == [
        (UnknownTargetError, 1, "no flow 'twitchin'", "did you mean 'twitching'?"),
        (ShapeError, 5, "no level 'urgen'", "did you mean 'urgent'?"),
    ]


def test_case_file_input_read_as_a_boolean(case_problems):
    [problem] = case_problems(CASES.replace("inputs: [no, arm,", "inputs: [true, arm,"))
    assert isinstance(problem, ShapeError)
    assert (problem.line, problem.what) == (4, "input True is not text")


def test_case_file_duplicate_case_names(case_problems):
    text = CASES + CASES.split("cases:\n")[1]
    [problem] = case_problems(text)
    assert isinstance(problem, DuplicateIdError)
    assert (problem.line, problem.what) == (
        6,
        "case name 'weakness means seeing a doctor soon' is used twice (first on line 3)",
    )


BY_STEP = """\
flow: twitching
defaults: "no"
cases:
  - name: weakness means seeing a doctor soon
    answers: {location: arm, weakness: "yes"}
    expect: {level: urgent}
"""


def test_case_file_by_step_is_valid(shipped):
    [case] = parse_cases(BY_STEP, shipped, source="cases.yaml").cases
    assert (case.inputs, dict(case.answers or {}), case.default) == ((), {"location": "arm", "weakness": "yes"}, "no")


def test_case_defaults_override_the_file_defaults(shipped):
    text = BY_STEP.replace("    expect:", "    defaults: not sure\n    expect:")
    [case] = parse_cases(text, shipped, source="cases.yaml").cases
    assert case.default == "not sure"


def test_case_file_answers_name_an_unknown_step(case_problems, line_of):
    text = BY_STEP.replace('weakness: "yes"}', 'weaknes: "yes"}')
    [problem] = case_problems(text)
    assert isinstance(problem, UnknownTargetError)
    assert problem.line == line_of(text, "weaknes:")
    assert str(problem) == (
        f"cases.yaml:{problem.line}: answer for step 'weaknes', which is not in this flow; did you mean 'weakness'?"
    )


def test_case_file_answers_must_be_a_mapping(case_problems, line_of):
    text = BY_STEP.replace('answers: {location: arm, weakness: "yes"}', "answers: [arm, yes]")
    [problem] = case_problems(text)
    assert isinstance(problem, ShapeError)
    assert (problem.line, problem.what) == (
        line_of(text, "answers:"),
        "`answers` must map step ids to what is typed there",
    )


def test_case_file_answer_read_as_a_boolean(case_problems, line_of):
    [problem] = case_problems(BY_STEP.replace('weakness: "yes"', "weakness: true"))
    assert isinstance(problem, ShapeError)
    assert (problem.line, problem.what) == (5, "the answer for 'weakness' must be text, not True")
    assert problem.fix == 'quote it: "true", "~"'


def test_case_file_defaults_must_be_text(case_problems):
    [problem] = case_problems(BY_STEP.replace('defaults: "no"', "defaults: [no]"))
    assert isinstance(problem, ShapeError)
    assert (problem.line, problem.what) == (2, "`defaults` must be text, not ['no']")


def test_case_without_answers_or_inputs(case_problems):
    [problem] = case_problems(BY_STEP.replace('    answers: {location: arm, weakness: "yes"}\n', ""))
    assert isinstance(problem, ShapeError)
    assert (problem.line, problem.what) == (4, "the case has neither `answers` nor `inputs`")


def test_case_defaults_without_answers(case_problems):
    [problem] = case_problems(CASES.replace("    expect:", '    defaults: "no"\n    expect:'))
    assert isinstance(problem, ShapeError)
    assert (problem.line, problem.what, problem.fix) == (
        5,
        "`defaults` is only used with `answers`",
        "add `answers:`, or remove `defaults:`",
    )
