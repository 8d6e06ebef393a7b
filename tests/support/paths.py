"""Button paths through a flow, found by the answers' values in the flow under test (issue 21).

A test says what the person answers (`{"weakness": "yes"}`) and `taps(flow, answers)` walks the flow
the way the engine does, so it keeps working when a maintainer rewords a question, adds one or moves
one. Where the test gives no answer the person taps "no", else "skip", else the first choice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from functools import cache

from bot.engine.conversation import Conversation
from bot.engine.engine import Engine
from bot.engine.model import ROUTE, Choice, Flow, Level, Step
from bot.engine.replies import Pick, Reply

DEFAULTS = ("no", "skip")
"""Values taken where a test gives no answer, in this order; otherwise the step's first choice."""


def walk(flow: Flow, answers: Mapping[str, str] | None = None) -> list[tuple[Step, Choice]]:
    """Each step asked and the choice tapped there, from the start to an outcome, by button only."""
    wanted = dict(answers or {})
    unknown = set(wanted) - {step.key for step in flow.steps.values()}
    assert not unknown, f"{flow.id} asks nothing recorded as {sorted(unknown)}"
    given: dict[str, str] = {}
    path: list[tuple[Step, Choice]] = []
    at = flow.start
    while at in flow.steps:
        step = flow.steps[at]
        assert len(path) < 4 * len(flow.steps), f"{flow.id} loops at {at}"
        choice = pick(step, wanted.get(step.key))
        given[step.key] = choice.value
        path.append((step, choice))
        at = next(branch.target for branch in choice.branches if branch.when.holds(given))
    return path


def taps(flow: Flow, answers: Mapping[str, str] | None = None) -> list[str]:
    """The labels of the buttons a person presses to give `answers` (by key), "no" elsewhere."""
    return [choice.label for _, choice in walk(flow, answers)]


def asked(flow: Flow, answers: Mapping[str, str] | None = None) -> list[str]:
    """The ids of the steps asked on that path."""
    return [step.id for step, _ in walk(flow, answers)]


def press(
    engine: Engine,
    conversation: Conversation,
    answers: Mapping[str, str] | None = None,
    until: str | None = None,
) -> tuple[Conversation, tuple[Reply, ...]]:
    """Press, by value, a button at each question the engine asks: up to the question `until`, or to an outcome.

    `answers` gives values by answer key, as for `walk`; elsewhere "no", else "skip", else the first choice.
    The engine decides what is asked next, so questions filled in from an account are skipped as they are.
    """
    flow = engine.flows[conversation.flow_id]
    wanted = dict(answers or {})
    replies: tuple[Reply, ...] = ()
    for _ in range(4 * len(flow.steps)):
        if conversation.step not in flow.steps or conversation.step == until:
            break
        step = flow.steps[conversation.step]
        conversation, replies = engine.advance(conversation, Pick(step.id, pick(step, wanted.get(step.key)).value))
    assert until is None or conversation.step == until, (
        f"{until!r} was not asked; the check is at {conversation.step!r}"
    )
    return conversation, replies


def start(
    engine: Engine, flow_id: str, answers: Mapping[str, str] | None = None, until: str | None = None
) -> tuple[Conversation, tuple[Reply, ...]]:
    """A fresh conversation in `flow_id`, answered by `press`."""
    conversation, replies = engine.start(flow_id)
    if until == conversation.step:
        return conversation, replies
    return press(engine, conversation, answers, until)


def pick(step: Step, value: str | None) -> Choice:
    """The choice recording `value`; with no value, "no", else "skip", else the first choice."""
    if value is not None:
        choice = step.choice(value)
        assert choice is not None, f"step {step.id!r} has no choice {value!r}"
        return choice
    for default in DEFAULTS:
        if (choice := step.choice(default)) is not None:
            return choice
    return step.choices[0]


def taps_before(flow: Flow, step_id: str, answers: Mapping[str, str] | None = None) -> list[str]:
    """The labels pressed on the way to `step_id`, which the path must ask."""
    path = walk(flow, answers)
    ids = [step.id for step, _ in path]
    assert step_id in ids, f"{step_id!r} is not asked on {ids}"
    return [choice.label for _, choice in path[: ids.index(step_id)]]


def lengths(flow: Flow, fixed: Mapping[str, str] | None = None) -> Counter[int]:
    """How many button paths ask n questions, for every n (`fixed` pins some answers, such as who).

    Every combination of button answers is one path; the account invitation, answered with Skip,
    counts as a question. Paths are counted, not listed: a state is the step plus the answers a
    later branch can still read, so the count stays small however many paths there are.
    """
    read = frozenset().union(*(b.when.keys() for s in flow.steps.values() for c in s.choices for b in c.branches))

    @cache
    def from_step(step_id: str, known: frozenset[tuple[str, str]]) -> Counter[int]:
        if step_id not in flow.steps:
            return Counter({0: 1})
        step = flow.steps[step_id]
        total: Counter[int] = Counter()
        for choice in step.choices:
            if fixed and step.key in fixed and choice.value != fixed[step.key]:
                continue
            answers = dict(known) | {step.key: choice.value}
            target = next(b.target for b in choice.branches if b.when.holds(answers))
            kept = frozenset((k, v) for k, v in answers.items() if k in read)
            for n, count in from_step(target, kept).items():
                total[n + 1] += count
        return total

    return from_step(flow.start, frozenset())


def longest(flow: Flow) -> list[tuple[Step, Choice]]:
    """The button path with the most questions that ends below 🚨, the longest labels on ties.

    Like `lengths`, a state is the step plus the answers a later branch can still read (and the routing
    rules, when one of them can end at 🚨), so the search stays small however many paths there are.
    """
    alarming = [rule for rule in flow.rules if flow.outcomes[rule.outcome].level is Level.EMERGENCY]
    read = frozenset().union(
        *(rule.when.keys() for rule in flow.rules if alarming),
        *(b.when.keys() for s in flow.steps.values() for c in s.choices for b in c.branches),
    )

    def ends_calm(target: str, answers: dict[str, str]) -> bool:
        if target == ROUTE:
            if not alarming:
                return True
            target = next(rule.outcome for rule in flow.rules if rule.when.holds(answers))
        return flow.outcomes[target].level is not Level.EMERGENCY

    @cache
    def best(step_id: str, known: frozenset[tuple[str, str]]) -> tuple[tuple[str, str], ...] | None:
        step = flow.steps[step_id]
        found: tuple[tuple[str, str], ...] | None = None
        for choice in step.choices:
            answers = dict(known) | {step.key: choice.value}
            target = next(b.target for b in choice.branches if b.when.holds(answers))
            if target in flow.steps:
                rest = best(target, frozenset((k, v) for k, v in answers.items() if k in read))
                if rest is None:
                    continue
            elif not ends_calm(target, answers):
                continue
            else:
                rest = ()
            path = ((step_id, choice.value), *rest)
            if found is None or _weight(flow, path) > _weight(flow, found):
                found = path
        return found

    path = best(flow.start, frozenset())
    assert path is not None, f"{flow.id} has no path that ends below 🚨"
    return [(flow.steps[step_id], _choice(flow.steps[step_id], value)) for step_id, value in path]


def _choice(step: Step, value: str) -> Choice:
    choice = step.choice(value)
    assert choice is not None
    return choice


def _weight(flow: Flow, path: tuple[tuple[str, str], ...]) -> tuple[int, int]:
    return len(path), sum(len(_choice(flow.steps[step_id], value).label) for step_id, value in path)


def figures(counts: Counter[int]) -> tuple[int, int, int]:
    """Shortest, median and longest number of questions over the paths counted."""
    total, running = sum(counts.values()), 0
    for n in sorted(counts):
        running += counts[n]
        if running * 2 >= total:
            return min(counts), n, max(counts)
    raise ValueError("no paths")
