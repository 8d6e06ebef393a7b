"""The machine answers which transition fired: the branch, and the routing rule (index, line) that decided."""

from __future__ import annotations

from bot.engine.engine import Engine
from bot.engine.machine import FlowMachine
from bot.engine.replies import Pick, Result, Typed
from tests.engine.conftest import TINY

TWO_STEPS = (
    TINY.replace(
        """    next: route
    choices:
      - {label: "Yes", value: "yes"}""",
        """    choices:
      - {label: "Yes", value: "yes", next: urgent}""",
    )
    .replace('      - {label: "No", value: "no"}', '      - {label: "No", value: "no", next: route}')
    .replace(
        '      - {label: "Not sure", value: not_sure}', '      - {label: "Not sure", value: not_sure, next: route}'
    )
)


def test_a_routed_answer_names_the_rule_that_decided(parse, line_of) -> None:
    flow = parse(TINY)
    fired = FlowMachine(flow).fire("weakness", "not_sure", {"weakness": "not_sure"})
    assert (fired.dest, fired.routed, fired.index) == ("routine", True, 1)
    assert fired.rule is flow.rules[1] and fired.line == line_of(TINY, "outcome: routine")
    assert fired.where(flow) == f"flow.yaml:{line_of(TINY, 'outcome: routine')}"
    assert fired.branch is not None and fired.branch.target == "route"


def test_a_branch_that_ends_the_check_itself_names_no_rule(parse, line_of) -> None:
    flow = parse(TWO_STEPS)
    fired = FlowMachine(flow).fire("weakness", "yes", {"weakness": "yes"})
    assert (fired.dest, fired.routed, fired.index, fired.rule) == ("urgent", False, None, None)
    assert fired.line == line_of(TWO_STEPS, "next: urgent")


def test_route_decides_on_the_answers_alone(parse) -> None:
    machine = FlowMachine(parse(TINY))
    assert [machine.route(answers).index for answers in ({"weakness": "yes"}, {"weakness": "no"}, {})] == [0, 2, 2]


def test_the_recommendation_says_which_transition_ended_the_check(parse) -> None:
    flow = parse(TINY)
    engine = Engine({flow.id: flow})
    fresh, _ = engine.start(flow.id)
    finished, replies = engine.advance(fresh, Pick("weakness", "yes"))
    [result] = [reply for reply in replies if isinstance(reply, Result)]
    assert result.decided is not None and result.decided.index == 0 and result.decided.rule is flow.rules[0]
    assert engine.decided(finished) == result.decided
    _, typed = engine.advance(fresh, Typed("I can't breathe"))
    assert all(reply.decided is None for reply in typed if isinstance(reply, Result))
