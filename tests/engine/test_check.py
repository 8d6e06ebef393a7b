"""The static safety proof: reachability, endless loops, and the invariants of docs/medical.md."""

from __future__ import annotations

import time
from types import MappingProxyType
from typing import NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.engine import check
from bot.engine.check import check_flow, format_path
from bot.engine.machine import FlowMachine
from bot.engine.model import (
    ALWAYS,
    NO,
    NOT_SURE,
    ROUTE,
    YES,
    AllOf,
    AnswerIn,
    AnyOf,
    Branch,
    Choice,
    Condition,
    Flow,
    Interrupt,
    Level,
    Not,
    Outcome,
    Rule,
    Step,
    StepKind,
)
from bot.yamlfiles.errors import (
    EndlessLoopError,
    FlagValueError,
    SkippedFlagsError,
    UnreachableStepError,
    UnsafeRouteError,
)
from tests.benchmarks.bench_engine import generated_flow
from tests.engine.conftest import SAFE_ROUTING, TINY
from tests.support.fixture_flows import ONE_OUTCOME_PER_LEVEL

TWO_STEPS = (
    """\
flow: two
title: Two questions
start: emergency_now
steps:
  - id: emergency_now
    kind: emergency
    text: "Trouble breathing right now?"
    choices:
      - {label: "Yes", value: "yes", next: emergency}
      - {label: "No", value: "no", next: weakness}
  - id: weakness
    kind: red_flag
    text: "Any weakness?"
    next: route
    choices: [{label: "Yes", value: "yes"}, {label: "No", value: "no"}, {label: "Not sure", value: not_sure}]
"""
    + SAFE_ROUTING
)


def test_safe_flows_pass(parse):
    assert check_flow(parse(TINY)) == []
    assert check_flow(parse(TWO_STEPS)) == []


def test_shipped_flow_passes(twitching):
    assert check_flow(twitching) == []


def test_unreachable_step(parse, line_of):
    text = TINY.replace(
        "routing:",
        """\
  - id: wasting
    kind: red_flag
    text: "Any wasting?"
    next: route
    choices: [{label: "Yes", value: "yes"}, {label: "No", value: "no"}]
routing:""",
    )
    [problem] = check_flow(parse(text))
    assert isinstance(problem, UnreachableStepError)
    assert problem.line == line_of(text, "- id: wasting")
    assert str(problem) == (
        f"flow.yaml:{problem.line}: step 'wasting' is never asked: no choice leads to it; "
        "link it from a choice's `next:` or delete it"
    )


def test_step_behind_a_condition_that_never_holds_is_unreachable(parse, line_of):
    text = TWO_STEPS.replace(
        '{label: "No", value: "no", next: weakness}',
        ('{label: "No", value: "no", next: [{to: weakness, when: {emergency_now: "yes"}}, {to: self_care}]}'),
    )
    [problem] = check_flow(parse(text))
    assert isinstance(problem, UnreachableStepError)
    assert problem.line == line_of(text, "- id: weakness")
    assert problem.what == (
        "step 'weakness' is never asked: the conditions on every branch into it can never hold together"
    )


def test_endless_loop_names_its_steps(parse, line_of):
    text = TWO_STEPS.replace("    next: route\n", "    next: again\n").replace(
        "routing:",
        """\
  - id: again
    text: "Shall I ask again?"
    next: weakness
    choices: [{label: "Yes", value: "yes"}, {label: "Of course", value: "of_course"}]
routing:""",
    )
    [problem] = check_flow(parse(text))
    assert isinstance(problem, EndlessLoopError)
    assert problem.line == line_of(text, "- id: weakness")
    assert problem.what == (
        "steps 'weakness', 'again' form a loop with no way out: no answer leads from them to an outcome"
    )


def test_loop_whose_exit_never_applies_is_endless(parse, line_of):
    text = TWO_STEPS.replace("    next: route\n", "    next: again\n").replace(
        "routing:",
        """\
  - id: again
    text: "Shall I ask again?"
    choices:
      - {label: "Yes", value: "yes", next: weakness}
      - {label: "No", value: "no", next: [{to: route, when: {emergency_now: "yes"}}, {to: weakness}]}
routing:""",
    )
    [problem] = check_flow(parse(text))
    assert isinstance(problem, EndlessLoopError)
    assert problem.line == line_of(text, "- id: weakness")
    assert problem.what == (
        "after emergency_now=no, steps 'weakness', 'again' loop forever: the branches leading out of them never apply"
    )


def test_red_flag_yes_to_self_care_gives_the_counter_example(parse, line_of):
    text = TWO_STEPS.replace('  - outcome: urgent\n    when: {weakness: "yes"}\n', "")
    [problem] = check_flow(parse(text))
    assert isinstance(problem, UnsafeRouteError)
    rule_line = line_of(text, "- outcome: self_care")
    assert problem.line == rule_line
    assert problem.what == "emergency_now=no → weakness=yes → 🟢 self_care"
    assert problem.fix == (
        "a red flag answered yes must give 🔴 urgent or higher: "
        f"add a rule before line {rule_line} sending red-flag answers to an urgent outcome"
    )


def test_red_flag_yes_to_routine_is_also_unsafe(parse, line_of):
    text = TWO_STEPS.replace("- outcome: urgent", "- outcome: routine")
    [problem] = check_flow(parse(text))
    assert problem.what == "emergency_now=no → weakness=yes → 🟠 routine"
    assert problem.line == line_of(text, 'when: {weakness: "yes"}') - 1


def test_red_flag_not_sure_to_self_care_is_caught(parse, line_of):
    text = TWO_STEPS.replace("  - outcome: routine\n    when: {weakness: not_sure}\n", "")
    [problem] = check_flow(parse(text))
    assert isinstance(problem, UnsafeRouteError)
    assert problem.what == "emergency_now=no → weakness=not_sure → 🟢 self_care"
    assert problem.line == line_of(text, "- outcome: self_care")
    assert problem.fix.startswith("a red flag answered not sure must never give 🟢 self_care: add a rule before line")


def test_emergency_yes_must_give_emergency(parse, line_of):
    text = TWO_STEPS.replace('value: "yes", next: emergency}', 'value: "yes", next: urgent}')
    [problem] = check_flow(parse(text))
    assert isinstance(problem, UnsafeRouteError)
    assert problem.line == line_of(text, "next: urgent")
    assert problem.what == "emergency_now=yes → 🔴 urgent"
    assert problem.fix == (
        "an emergency sign answered yes must give 🚨 emergency: "
        "point this branch at an emergency outcome, or at `route`"
    )


def test_red_flag_yes_counts_even_if_a_loop_asks_again(parse):
    text = TWO_STEPS.replace("    next: route\n", "    next: sure\n").replace(
        "routing:",
        """\
  - id: sure
    text: "Are you sure about that?"
    choices:
      - {label: "Ask me again", value: again, next: weakness}
      - {label: "Yes", value: "yes", next: route}
routing:""",
    )
    assert [p.what for p in check_flow(parse(text))] == [
        "emergency_now=no → weakness=yes → sure=again → weakness=no → sure=yes → 🟢 self_care",
        "emergency_now=no → weakness=yes → sure=again → weakness=not_sure → sure=yes → 🟠 routine",
        "emergency_now=no → weakness=not_sure → sure=again → weakness=no → sure=yes → 🟢 self_care",
    ]


def test_interrupt_to_a_non_emergency_outcome_is_caught(parse, line_of):
    text = TINY.replace(
        "steps:",
        """\
interrupts:
  - id: breathing
    outcome: urgent
    phrases: ["can't breathe"]
steps:""",
    )
    [problem] = check_flow(parse(text))
    assert isinstance(problem, UnsafeRouteError)
    assert problem.line == line_of(text, "- id: breathing")
    assert str(problem) == (
        f"""flow.yaml:{problem.line}: typed "can't breathe" → 🔴 urgent; interrupt 'breathing' """
        "is for emergency signs: point it at an outcome with `level: emergency`"
    )


def test_each_deciding_rule_is_reported_once(parse):
    text = TWO_STEPS.replace('  - outcome: urgent\n    when: {weakness: "yes"}\n', "").replace(
        "  - outcome: routine\n    when: {weakness: not_sure}\n", ""
    )
    found = check_flow(parse(text))
    assert [p.what for p in found] == [
        "emergency_now=no → weakness=yes → 🟢 self_care",
        "emergency_now=no → weakness=not_sure → 🟢 self_care",
    ]
    assert len({p.line for p in found}) == 1


def test_a_tangled_flow_gives_up_and_says_so(twitching, monkeypatch):
    monkeypatch.setattr(check, "MAX_STATES", 5)
    [problem] = check_flow(twitching)
    assert isinstance(problem, UnsafeRouteError)
    assert problem.what == "the proof gave up after 5 combinations of answers that still matter"


def test_thousand_step_flow_is_proved_within_two_seconds():
    flow = generated_flow(1000)
    started = time.perf_counter()
    assert check_flow(flow) == []
    assert time.perf_counter() - started < 2.0


# --- the coverage invariant: every flag is asked before an outcome below 🔴 -----------------------

SCREENED = (
    """\
flow: screened
title: A context question, then the flags
start: emergency_now
steps:
  - id: emergency_now
    kind: emergency
    text: "Trouble breathing right now?"
    choices:
      - {label: "Yes", value: "yes", next: emergency}
      - {label: "No", value: "no", next: caffeine}
  - id: caffeine
    text: "Coffee today?"
    choices:
      - {label: "Yes", value: "yes", next: weakness}
      - {label: "No", value: "no", next: weakness}
  - id: weakness
    kind: red_flag
    text: "Any weakness?"
    next: wasting
    choices: [{label: "Yes", value: "yes"}, {label: "No", value: "no"}, {label: "Not sure", value: not_sure}]
  - id: wasting
    kind: red_flag
    text: "A thinner muscle?"
    next: route
    choices: [{label: "Yes", value: "yes"}, {label: "No", value: "no"}, {label: "Not sure", value: not_sure}]
routing:
  - outcome: urgent
    when: {any: [{weakness: "yes"}, {wasting: "yes"}]}
  - outcome: routine
    when: {any: [{weakness: not_sure}, {wasting: not_sure}, {caffeine: "yes"}]}
  - outcome: self_care
"""
    + "outcomes:\n"
    + ONE_OUTCOME_PER_LEVEL
)
"""An emergency screen, a context question, two red flags; each test below reroutes one of its choices."""


def test_screened_flow_passes(parse):
    assert check_flow(parse(SCREENED)) == []


def test_a_choice_that_jumps_to_routine_skips_every_red_flag(parse, line_of):
    text = SCREENED.replace(
        '{label: "Yes", value: "yes", next: weakness}', '{label: "Yes", value: "yes", next: routine}'
    )
    [problem] = check_flow(parse(text))
    assert isinstance(problem, SkippedFlagsError)
    assert problem.line == line_of(text, "next: routine")
    assert problem.what == "emergency_now=no → caffeine=yes → 🟠 routine"
    assert problem.skipped == ("weakness", "wasting")
    assert str(problem) == (
        f"flow.yaml:{problem.line}: emergency_now=no → caffeine=yes → 🟠 routine; "
        "a path ending below 🔴 urgent must ask the emergency screen and every red-flag question first; "
        "this one never asks 'weakness', 'wasting': lead this branch on to 'weakness', or to an urgent or "
        "emergency outcome"
    )


def test_a_choice_that_jumps_to_route_before_the_flags_is_reported_at_the_branch(parse, line_of):
    text = SCREENED.replace('{label: "No", value: "no", next: weakness}', '{label: "No", value: "no", next: route}')
    [problem] = check_flow(parse(text))
    assert isinstance(problem, SkippedFlagsError)
    assert problem.line == line_of(text, "next: route}")
    assert problem.what == "emergency_now=no → caffeine=no → 🟢 self_care"
    assert problem.skipped == ("weakness", "wasting")


def test_skipping_one_red_flag_fails(parse, line_of):
    text = SCREENED.replace(
        '{label: "Yes", value: "yes", next: weakness}', '{label: "Yes", value: "yes", next: wasting}'
    )
    [problem] = check_flow(parse(text))
    assert isinstance(problem, SkippedFlagsError)
    assert problem.line == line_of(text, "next: wasting}")
    assert problem.what == "emergency_now=no → caffeine=yes → wasting=no → 🟠 routine"
    assert problem.skipped == ("weakness",)


def test_skipping_the_emergency_screen_fails(parse, line_of):
    text = SCREENED.replace("start: emergency_now", "start: caffeine").replace(
        '{label: "No", value: "no", next: weakness}', '{label: "No", value: "no", next: emergency_now}'
    )
    [problem] = check_flow(parse(text))
    assert isinstance(problem, SkippedFlagsError)
    assert problem.line == line_of(text, '{label: "Yes", value: "yes", next: weakness}')
    assert problem.what == "caffeine=yes → weakness=no → wasting=no → 🟠 routine"
    assert problem.skipped == ("emergency_now",)


def test_urgent_or_emergency_outcomes_need_no_flags_first(parse):
    for target in ("urgent", "emergency"):
        text = SCREENED.replace(
            '{label: "Yes", value: "yes", next: weakness}', f'{{label: "Yes", value: "yes", next: {target}}}'
        )
        assert check_flow(parse(text)) == []


def test_a_follow_up_asked_only_after_a_yes_is_not_required(parse):
    text = SCREENED.replace(
        """\
    next: route
    choices: [{label: "Yes", value: "yes"}, {label: "No", value: "no"}, {label: "Not sure", value: not_sure}]
""",
        """\
    choices:
      - {label: "Yes", value: "yes", next: sudden}
      - {label: "No", value: "no", next: route}
      - {label: "Not sure", value: not_sure, next: route}
  - id: sudden
    kind: emergency
    text: "Did it start suddenly today?"
    choices:
      - {label: "Yes", value: "yes", next: emergency}
      - {label: "No", value: "no", next: route}
""",
    )
    flow = parse(text)
    assert flow.steps["sudden"].kind == StepKind.EMERGENCY
    assert check_flow(flow) == []


def test_a_flag_asked_in_a_loop_counts_as_asked_once_the_loop_is_left(parse):
    text = SCREENED.replace(
        """\
    next: wasting
    choices: [{label: "Yes", value: "yes"}, {label: "No", value: "no"}, {label: "Not sure", value: not_sure}]
""",
        """\
    choices:
      - {label: "Yes", value: "yes", next: urgent}
      - {label: "No", value: "no", next: review}
      - {label: "Not sure", value: not_sure, next: urgent}
  - id: review
    text: "Go over those again?"
    choices:
      - {label: "Again", value: again, next: caffeine}
      - {label: "Done", value: done, next: wasting}
""",
    )
    assert check_flow(parse(text)) == []


def test_format_path(twitching):
    assert format_path(twitching, [("emergency_now", "no"), ("weakness", "yes")], "self_care") == (
        "emergency_now=no → weakness=yes → 🟢 self_care"
    )


# --- the proof agrees with brute force ------------------------------------------------------------

OUTCOMES = MappingProxyType({level.key: Outcome(level.key, level, level.key, "do", "watch") for level in Level})
DEMAND = {
    (StepKind.RED_FLAG, YES): Level.URGENT,
    (StepKind.EMERGENCY, YES): Level.EMERGENCY,
    (StepKind.RED_FLAG, NOT_SURE): Level.ROUTINE,
    (StepKind.EMERGENCY, NOT_SURE): Level.ROUTINE,
}
"""The invariant restated independently of bot.engine.check."""


def _condition(draw: st.DrawFn, values: dict[str, tuple[str, ...]], nested: bool = True) -> Condition:
    """An answer test, or (one level deep) all/any/not of them."""
    shape = draw(st.integers(0, 4 if nested else 1))
    if shape <= 1:
        key = draw(st.sampled_from(sorted(values)))
        return AnswerIn(key, frozenset(draw(st.sets(st.sampled_from(values[key]), min_size=1))))
    if shape == 4:
        return Not(_condition(draw, values, nested=False))
    parts = (_condition(draw, values, nested=False), _condition(draw, values, nested=False))
    return AllOf(parts) if shape == 2 else AnyOf(parts)


@st.composite
def small_flows(draw: st.DrawFn) -> Flow:
    """Flows of up to six steps with random kinds, loops, branches, rules and interrupts."""
    size = draw(st.integers(1, 6))
    ids = [f"q{i}" for i in range(size)]
    kinds = {i: draw(st.sampled_from(StepKind.ALL)) for i in ids}
    values = {
        i: draw(
            st.sampled_from(
                [("a", "b"), ("a", "b", "c")]
                if kinds[i] == StepKind.QUESTION
                else [(YES, NO), (YES, NO, NOT_SURE), (YES, NOT_SURE)]
            )
        )
        for i in ids
    }
    targets = st.sampled_from([*ids, *OUTCOMES, ROUTE])

    def decisions() -> list[tuple[str, Condition]]:
        guarded = [(draw(targets), _condition(draw, values)) for _ in range(draw(st.integers(0, 2)))]
        return [*guarded, (draw(targets), ALWAYS)]

    lines = iter(range(100, 10_000))  # each branch and rule on its own line, as in a file
    steps = {}
    for n, step_id in enumerate(ids):
        choices = tuple(
            Choice(v, v, tuple(Branch(t, c, line=next(lines)) for t, c in decisions())) for v in values[step_id]
        )
        steps[step_id] = Step(step_id, step_id, kinds[step_id], step_id, step_id, choices, line=n + 1)
    rules = tuple(
        Rule(t if t in OUTCOMES else draw(st.sampled_from(list(OUTCOMES))), c, line=next(lines)) for t, c in decisions()
    )
    interrupts = tuple(
        Interrupt("typed", ("help",), o, line=50) for o in draw(st.lists(st.sampled_from(list(OUTCOMES)), max_size=1))
    )
    return Flow(
        id="small",
        title="Small",
        start=ids[0],
        steps=MappingProxyType(steps),
        outcomes=OUTCOMES,
        rules=rules,
        interrupts=interrupts,
        source="small.yaml",
    )


class BruteForce(NamedTuple):
    """What exploring every concrete state finds."""

    unsafe: set[tuple[str, Level]]
    """Violations of the safety invariant, as (outcome, level the answers demanded)."""
    asked: set[str]
    """The steps some path asks."""
    endless: bool
    """Whether some state can never reach an outcome."""
    required: frozenset[str]
    """The flag steps some path asks before any flag is answered yes."""
    uncovered: bool
    """Whether some path ends below 🔴 without asking every required flag."""


def brute_force(flow: Flow) -> BruteForce:
    """Every concrete state, through the real FlowMachine, with the flags asked while the level is below 🔴."""
    machine = FlowMachine(flow)
    unsafe: set[tuple[str, Level]] = set()
    start = (flow.start, frozenset[tuple[str, str]](), Level.SELF_CARE, frozenset[str]())
    seen, todo, edges, ending = {start}, [start], {}, set()
    bare: list[frozenset[str]] = []
    while todo:
        state = todo.pop()
        step_id, answers, need, flagged = state
        step = flow.steps[step_id]
        if step.kind in (StepKind.RED_FLAG, StepKind.EMERGENCY):
            flagged |= {step_id}
        edges[state] = []
        for choice in step.choices:
            now = {**dict(answers), step.key: choice.value}
            demand = max(need, DEMAND.get((step.kind, choice.value), Level.SELF_CARE))
            asked = flagged if demand < Level.URGENT else frozenset[str]()
            target = machine.next_state(step_id, choice.value, now)
            if target in flow.outcomes:
                if flow.outcomes[target].level < demand:
                    unsafe.add((target, demand))
                elif flow.outcomes[target].level < Level.URGENT:
                    bare.append(asked)
                ending.add(state)
                continue
            following = (target, frozenset(now.items()), demand, asked)
            edges[state].append(following)
            if following not in seen:
                seen.add(following)
                todo.append(following)
    can_end = set(ending)
    changed = True
    while changed:
        changed = False
        for state, nexts in edges.items():
            if state not in can_end and any(n in can_end for n in nexts):
                can_end.add(state)
                changed = True
    required = frozenset(
        s[0] for s in seen if s[2] < Level.URGENT and flow.steps[s[0]].kind in (StepKind.RED_FLAG, StepKind.EMERGENCY)
    )
    return BruteForce(
        unsafe,
        {s[0] for s in seen},
        len(can_end) < len(seen),
        required,
        any(not required <= asked for asked in bare),
    )


def replayed(flow: Flow, path: str) -> tuple[str, Level]:
    """Follow a printed counter-example through the real machine: its outcome, and the level its answers demand."""
    outcome, demand, _, _ = _followed(flow, path)
    assert flow.outcomes[outcome].level < demand
    return outcome, demand


def _followed(flow: Flow, path: str) -> tuple[str, Level, list[str], list[int]]:
    """A printed path through the real machine: outcome, level demanded, steps asked, and each branch's line."""
    *answers, end = path.split(" → ")
    machine, recorded, state, demand = FlowMachine(flow), {}, flow.start, Level.SELF_CARE
    asked, lines = [], []
    for answer in answers:
        step_id, value = answer.split("=")
        assert step_id == state
        step = flow.steps[step_id]
        recorded[step.key] = value
        demand = max(demand, DEMAND.get((step.kind, value), Level.SELF_CARE))
        asked.append(step_id)
        choice = step.choice(value)
        assert choice is not None
        lines.append(next(b.line for b in choice.branches if b.when.holds(recorded)))
        state = machine.next_state(step_id, value, recorded)
    mark, outcome = end.split(" ")
    assert (state, flow.outcomes[outcome].level.mark) == (outcome, mark)
    return outcome, demand, asked, lines


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_flows())
def test_proof_agrees_with_brute_force(flow: Flow):
    brute = brute_force(flow)
    found = check_flow(flow)
    paths = [p.what for p in found if isinstance(p, UnsafeRouteError) and "=" in p.what]
    typed = [p for p in found if isinstance(p, UnsafeRouteError) and p.what.startswith("typed")]
    assert {replayed(flow, path) for path in paths} == brute.unsafe
    assert bool(typed) == any(flow.outcomes[x.outcome].level != Level.EMERGENCY for x in flow.interrupts)
    assert {p.line for p in found if isinstance(p, UnreachableStepError)} == {
        step.line for step in flow.steps.values() if step.id not in brute.asked
    }
    if brute.endless:
        assert any(isinstance(p, EndlessLoopError) for p in found)
    skipping = [p for p in found if isinstance(p, SkippedFlagsError)]
    assert bool(skipping) == brute.uncovered
    for problem in skipping:
        outcome, demand, asked, lines = _followed(flow, problem.what)
        assert max(demand, flow.outcomes[outcome].level) < Level.URGENT
        assert set(problem.skipped) == brute.required - set(asked) != set()
        assert problem.line in lines


@pytest.mark.parametrize("size", [1, 3])
def test_generated_flows_are_safe_when_small(size):
    assert check_flow(generated_flow(size)) == []


# --- a red flag's "yes, with a clear cause" (`explains: true`) -----------------------------------------

EXPLAINED = TINY.replace(
    '      - {label: "Not sure", value: not_sure}\n',
    '      - {label: "Not sure", value: not_sure}\n'
    '      - {label: "Yes, with a clear cause", value: explained, explains: true}\n',
    1,
)


def test_an_explained_yes_that_ends_at_self_care_is_unsafe(parse):
    problems = check_flow(parse(EXPLAINED))
    assert [type(p) for p in problems] == [UnsafeRouteError]
    assert "weakness=explained" in problems[0].what


def test_an_explained_yes_routed_to_a_routine_appointment_is_safe(parse):
    routed = EXPLAINED.replace(
        "  - outcome: routine\n    when: {weakness: not_sure}\n",
        "  - outcome: routine\n    when: {weakness: [not_sure, explained]}\n",
    )
    assert check_flow(parse(routed)) == []


def test_explains_belongs_on_a_red_flag_only(problems):
    plain = EXPLAINED.replace("    kind: red_flag\n", "", 1)
    [problem] = problems(plain)
    assert isinstance(problem, FlagValueError) and "explains" in problem.fix


def test_a_counter_example_keeps_only_the_answers_that_lead_to_the_fault(parse):
    text = SCREENED.replace('when: {any: [{weakness: "yes"}, {wasting: "yes"}]}', 'when: {weakness: "yes"}').replace(
        ', {caffeine: "yes"}]}', "]}"
    )
    found = check_flow(parse(text))
    assert all(isinstance(problem, UnsafeRouteError) for problem in found)
    # Breadth-first, the paths answer the coffee question with its first choice, "yes"; nothing reads it.
    assert [problem.what for problem in found] == [
        "emergency_now=no → caffeine=no → weakness=no → wasting=yes → 🟢 self_care",
        "emergency_now=no → caffeine=no → weakness=not_sure → wasting=yes → 🟠 routine",
    ]


def test_a_minimal_counter_example_keeps_the_answers_its_outcome_needs(parse):
    text = SCREENED.replace('when: {any: [{weakness: "yes"}, {wasting: "yes"}]}', 'when: {weakness: "yes"}')
    assert [p.what for p in check_flow(parse(text))] == [
        "emergency_now=no → caffeine=yes → weakness=no → wasting=yes → 🟠 routine",
        "emergency_now=no → caffeine=no → weakness=no → wasting=yes → 🟢 self_care",
    ]


def test_from_age_belongs_on_an_explaining_choice(problems):
    stray = TINY.replace('{label: "Not sure", value: not_sure}', '{label: "Not sure", value: not_sure, from_age: 60}')
    [problem] = problems(stray)
    assert isinstance(problem, FlagValueError) and "explains: true" in problem.fix
