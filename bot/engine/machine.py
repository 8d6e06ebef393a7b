"""One `transitions` Machine per flow, built once and shared by every conversation.

Conversations stay plain data: each step is fired on a throwaway cursor object, never on
a model added to the machine (the way the transitions maintainers recommend for many
users), so the cost per update does not depend on how many people are mid-check.

Firing answers `Fired`: the transition that fired (transitions' `EventData.transition`), which
knows the step's branch that took it and, when that branch handed over to `route`, the routing
rule that decided. "Why this advice", the follow-up offer, `check`'s counter-examples and case
coverage all read it from here; nothing else re-implements "first match wins".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from transitions import EventData, Machine, Transition

from bot.engine.model import ROUTE, Branch, Condition, Flow, Rule

ROUTE_EVENT = "route"
"""The trigger that routes on the answers alone, from the `route` pseudo-state (`FlowMachine.route`)."""


def event_name(step_id: str, value: str) -> str:
    """The trigger fired when `value` is chosen at `step_id`."""
    return f"{step_id}={value}"


def interrupt_event(interrupt_id: str) -> str:
    return f"!{interrupt_id}"


@dataclass(frozen=True, slots=True)
class Fired:
    """The transition that fired: where it leads, and what in the flow decided it.

    `branch` is the step's branch that took it (None for a typed emergency's interrupt); `rule` the
    routing rule that chose the outcome when that branch goes to `route`, and `index` its position in
    `flow.rules`. `line` is the deciding line of the flow file: the rule's, else the branch's (or the
    interrupt's)."""

    dest: str
    line: int = 0
    branch: Branch | None = None
    rule: Rule | None = None
    index: int | None = None

    @property
    def routed(self) -> bool:
        """Whether a routing rule decided (the branch went to `route`)."""
        return self.rule is not None

    def where(self, flow: Flow) -> str:
        """`flows/twitching.yaml:42`: the deciding line, as problems name it."""
        return f"{flow.source}:{self.line}"


class _Transition(Transition):
    """A transition that carries what it stands for in the flow (`Fired`), passed as `add_transition`'s
    extra keyword (the extension point transitions documents for subclasses of Transition)."""

    def __init__(self, *args: Any, fired: Fired, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fired = fired

    def _change_state(self, event_data: EventData) -> None:
        # Runs only once the conditions held (as transitions' own NestedTransition extends it), so the
        # transitions tried and refused before it cost nothing extra. `self` is `event_data.transition`.
        super()._change_state(event_data)
        cast(_Cursor, event_data.model).fired = self.fired


class _Machine(Machine):
    transition_cls = _Transition


class _Cursor:
    """The light model a trigger runs on: the state name, and the transition that last fired."""

    __slots__ = ("state", "fired")

    def __init__(self, state: str) -> None:
        self.state = state
        self.fired: Fired | None = None


def _guards(*conditions: Condition) -> list[Condition]:
    return [condition for condition in conditions if condition.keys()]


def machine_config(flow: Flow) -> dict[str, Any]:
    """The Machine's keyword arguments, in transitions' own config shape (also used by `graph`).

    Each transition's `fired` is the extra keyword transitions hands to its Transition class."""
    transitions: list[dict[str, Any]] = []
    for step in flow.steps.values():
        for choice in step.choices:
            trigger = event_name(step.id, choice.value)
            for branch in choice.branches:
                if branch.target == ROUTE:
                    transitions += [
                        {
                            "trigger": trigger,
                            "source": step.id,
                            "dest": rule.outcome,
                            "conditions": _guards(branch.when, rule.when),
                            "fired": Fired(rule.outcome, rule.line, branch, rule, index),
                        }
                        for index, rule in enumerate(flow.rules)
                    ]
                else:
                    transitions.append(
                        {
                            "trigger": trigger,
                            "source": step.id,
                            "dest": branch.target,
                            "conditions": _guards(branch.when),
                            "fired": Fired(branch.target, branch.line, branch),
                        }
                    )
    for interrupt in flow.interrupts:
        transitions.append(
            {
                "trigger": interrupt_event(interrupt.id),
                "source": list(flow.steps),
                "dest": interrupt.outcome,
                "fired": Fired(interrupt.outcome, interrupt.line),
            }
        )
    return {
        "states": [*flow.steps, *flow.outcomes],
        "transitions": transitions,
        "initial": flow.start,
        "auto_transitions": False,
        "send_event": False,
    }


class FlowMachine:
    """Fires a flow's transitions for any conversation without holding per-person state."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self.machine = _Machine(model=None, **machine_config(flow))
        self.machine.add_state(ROUTE)
        for index, rule in enumerate(flow.rules):
            fired = Fired(rule.outcome, rule.line, None, rule, index)
            guards: list[Any] = _guards(rule.when)
            self.machine.add_transition(ROUTE_EVENT, ROUTE, rule.outcome, conditions=guards, fired=fired)
        self._events = self.machine.events

    def fire(self, step_id: str, value: str, answers: Mapping[str, str]) -> Fired:
        """The transition answering `value` at `step_id` fires, given all answers including this one."""
        return self._fire(event_name(step_id, value), step_id, answers)

    def next_state(self, step_id: str, value: str, answers: Mapping[str, str]) -> str:
        """Where answering `value` at `step_id` leads, given all answers including this one."""
        return self.fire(step_id, value, answers).dest

    def fired_last(self, history: Sequence[str], answers: Mapping[str, str]) -> Fired | None:
        """The transition the last answer of `history` fired, given the answers (None before any answer, or
        when that answer no longer fires anything: a conversation from another version of the flow)."""
        if not history or history[-1] not in self.flow.steps:
            return None
        step = self.flow.steps[history[-1]]
        value = answers.get(step.key)
        if value is None:
            return None
        try:
            return self.fire(step.id, value, answers)
        except LookupError:
            return None

    def route(self, answers: Mapping[str, str]) -> Fired:
        """The routing rule that decides for these answers, as a step's `next: route` would fire it."""
        return self._fire(ROUTE_EVENT, ROUTE, answers)

    def interrupted(self, step_id: str, interrupt_id: str) -> str:
        """The outcome an interrupt jumps to from `step_id`."""
        return self._fire(interrupt_event(interrupt_id), step_id, {}).dest

    def _fire(self, trigger: str, state: str, answers: Mapping[str, str]) -> Fired:
        cursor = _Cursor(state)
        event = self._events.get(trigger)
        if event is None or not event.trigger(cursor, answers) or cursor.fired is None:
            raise LookupError(f"flow '{self.flow.id}': no transition for {trigger!r} from {state!r}")
        return cursor.fired
