"""One `transitions` Machine per flow, built once and shared by every conversation.

Conversations stay plain data: each step is fired on a throwaway cursor object, never on
a model added to the machine (the way the transitions maintainers recommend for many
users), so the cost per update does not depend on how many people are mid-check.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from transitions import Machine

from bot.engine.model import ROUTE, Condition, Flow


def event_name(step_id: str, value: str) -> str:
    """The trigger fired when `value` is chosen at `step_id`."""
    return f"{step_id}={value}"


def interrupt_event(interrupt_id: str) -> str:
    return f"!{interrupt_id}"


class _Cursor:
    """The light model a trigger runs on: just the state name."""

    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


def _guards(*conditions: Condition) -> list[Condition]:
    return [condition for condition in conditions if condition.keys()]


def machine_config(flow: Flow) -> dict[str, Any]:
    """The Machine's keyword arguments, in transitions' own config shape (also used by `graph`)."""
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
                        }
                        for rule in flow.rules
                    ]
                else:
                    transitions.append(
                        {
                            "trigger": trigger,
                            "source": step.id,
                            "dest": branch.target,
                            "conditions": _guards(branch.when),
                        }
                    )
    for interrupt in flow.interrupts:
        transitions.append(
            {"trigger": interrupt_event(interrupt.id), "source": list(flow.steps), "dest": interrupt.outcome}
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
        self.machine = Machine(model=None, **machine_config(flow))
        self._events = self.machine.events

    def next_state(self, step_id: str, value: str, answers: Mapping[str, str]) -> str:
        """Where answering `value` at `step_id` leads, given all answers including this one."""
        return self._fire(event_name(step_id, value), step_id, answers)

    def interrupted(self, step_id: str, interrupt_id: str) -> str:
        """The outcome an interrupt jumps to from `step_id`."""
        return self._fire(interrupt_event(interrupt_id), step_id, {})

    def _fire(self, trigger: str, state: str, answers: Mapping[str, str]) -> str:
        cursor = _Cursor(state)
        event = self._events.get(trigger)
        if event is None or not event.trigger(cursor, answers):
            raise LookupError(f"flow '{self.flow.id}': no transition for {trigger!r} from {state!r}")
        return cursor.state
