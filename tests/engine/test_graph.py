"""`twitchcheck graph`: only the moves some path makes, conditions on conditional edges, labels one per line."""

from __future__ import annotations

from bot.engine.graph import describe, edges, to_dot, to_mermaid
from bot.engine.model import AllOf, AnswerIn, AnyOf, Not
from tests.support.fixture_flows import ONE_OUTCOME_PER_LEVEL

AGED = (
    """\
flow: aged
title: Age only after a not sure
start: weakness
steps:
  - id: weakness
    kind: red_flag
    text: "Any weakness?"
    choices:
      - {label: "Yes", value: "yes", next: route}
      - {label: "No", value: "no", next: route}
      - label: "Not sure"
        value: not_sure
        next:
          - {to: age, when: {weakness: not_sure}}
          - {to: route}
  - id: age
    text: "Are you 50 or older?"
    next: route
    choices: [{label: "50 or older", value: "yes"}, {label: "Under 50", value: "no"}]
routing:
  - outcome: urgent
    when: {weakness: "yes"}
  - outcome: urgent
    when: {all: [{age: "yes"}, {weakness: not_sure}]}
  - outcome: routine
    when: {weakness: not_sure}
  - outcome: self_care
outcomes:
"""
    + ONE_OUTCOME_PER_LEVEL
)
"""`age` is asked only after "not sure", so no path goes from it to self-care, though rule 4 would."""


def test_an_edge_no_path_can_take_is_not_drawn(parse):
    flow = parse(AGED)
    drawn = {(edge.source, edge.dest) for edge in edges(flow)}
    assert drawn == {
        ("weakness", "urgent"),
        ("weakness", "self_care"),
        ("weakness", "age"),
        ("age", "urgent"),
        ("age", "routine"),
    }
    assert not [
        line for line in to_mermaid(flow).splitlines() if line.startswith("    s_age") and "o_self_care" in line
    ]


def test_a_routed_edge_is_labelled_with_its_rules_conditions_not_its_choices(parse):
    text = to_mermaid(parse(AGED))
    # The edges are exact; a label names each rule that the answer on it does not rule out.
    assert '    s_age -.->|"rule 1: weakness is yes<br>rule 2: age is yes and weakness is not_sure"| o_urgent' in text
    assert '    s_age -.->|"rule 3: weakness is not_sure"| o_routine' in text
    assert '    s_weakness -.->|"rule 4: none of the above"| o_self_care' in text
    assert "50 or older" not in text


def test_a_branch_with_a_condition_is_labelled_with_it_and_two_rules_go_on_two_lines(parse):
    flow = parse(AGED)
    text = to_mermaid(flow)
    assert '    s_weakness -.->|"if weakness is not_sure"| s_age' in text
    two = AGED.replace(
        "when: {weakness: not_sure}\n  - outcome: self_care",
        'when: {weakness: not_sure}\n  - outcome: routine\n    when: {age: "no"}\n  - outcome: self_care',
    )
    assert '    s_age -.->|"rule 3: weakness is not_sure<br>rule 4: age is no"| o_routine' in to_mermaid(parse(two))
    assert 's_age -> o_routine [label="rule 3: weakness is not_sure\\nrule 4: age is no", style=dashed];' in to_dot(
        parse(two)
    )


def test_an_unconditional_edge_keeps_its_choices(parse):
    text = to_mermaid(
        parse(AGED.replace('{label: "No", value: "no", next: route}', '{label: "No", value: "no", next: age}'))
    )
    assert '    s_weakness -->|"No<br>if weakness is not_sure"| s_age' in text


def test_conditions_read_as_words():
    weak, gait = AnswerIn("weakness", frozenset({"yes"})), AnswerIn("gait", frozenset({"yes"}))
    child = AnswerIn("who", frozenset({"child"}))
    assert describe(AllOf((child, AnyOf((weak, gait))))) == "who is child and any of weakness, gait is yes"
    assert describe(AnyOf((child, AllOf((weak, gait))))) == "who is child or (weakness is yes and gait is yes)"
    assert describe(Not(child)) == "who is not child"
    assert describe(AnswerIn("age", frozenset({"yes", "not_sure"}))) == "age is not_sure or yes"
