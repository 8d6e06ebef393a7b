"""The pure conversation engine: `advance(conversation, input) -> (conversation, replies)`."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from bot.engine.conversation import Conversation
from bot.engine.machine import FlowMachine
from bot.engine.matching import ChoiceMatcher, PhraseSpotter
from bot.engine.model import Flow, Step
from bot.engine.replies import Command, Input, Notice, Pick, Question, Reason, Reply, Result, Typed

INTERRUPT_KEY = "_interrupt"
"""Answer key recording which emergency phrase list fired; never the typed words themselves."""

MAX_TYPED_CHARS = 4096
"""Longer text is cut before matching, so a pasted essay costs the same as a Telegram message."""


class Engine:
    """Holds one machine, matcher set and phrase spotter per flow; conversations stay outside."""

    def __init__(self, flows: Mapping[str, Flow]) -> None:
        self.flows = MappingProxyType(dict(flows))
        self.machines = {flow_id: FlowMachine(flow) for flow_id, flow in flows.items()}
        self.matchers = {
            (flow_id, step.id): ChoiceMatcher(step) for flow_id, flow in flows.items() for step in flow.steps.values()
        }
        self.rule_keys = {
            flow_id: frozenset().union(*(rule.when.keys() for rule in flow.rules)) for flow_id, flow in flows.items()
        }
        self.spotters = {
            flow_id: PhraseSpotter((phrase, x.id) for x in flow.interrupts for phrase in x.phrases)
            for flow_id, flow in flows.items()
        }

    @property
    def default_flow(self) -> str:
        """The flow /start opens when no deep-link payload names one."""
        return "twitching" if "twitching" in self.flows else next(iter(self.flows))

    def start(self, flow_id: str, version: int = 0) -> tuple[Conversation, tuple[Reply, ...]]:
        """A fresh conversation at the flow's first step; `version` continues a previous one's count."""
        flow = self.flows[flow_id]
        conversation = Conversation(flow_id=flow_id, step=flow.start, version=version + 1)
        return conversation, (Question(flow.steps[flow.start], 1),)

    def is_emergency(self, flow_id: str, text: str) -> bool:
        """True when typed text contains one of the flow's emergency phrases."""
        return self.spotters[flow_id].find(text[:MAX_TYPED_CHARS]) is not None

    def current(self, conversation: Conversation) -> tuple[Reply, ...]:
        """Show again where the person is: the open question, or the recommendation."""
        flow = self.flows[conversation.flow_id]
        if flow.is_outcome(conversation.step):
            return (self._result(flow, conversation),)
        return (Question(flow.steps[conversation.step], len(conversation.history) + 1),)

    def advance(self, conversation: Conversation, given: Input) -> tuple[Conversation, tuple[Reply, ...]]:
        """Apply one input. Never raises on what a person sends; unknown input changes nothing."""
        flow = self.flows.get(conversation.flow_id)
        if flow is None or (conversation.step not in flow.steps and not flow.is_outcome(conversation.step)):
            fresh, replies = self.start(flow.id if flow else self.default_flow, conversation.version)
            return fresh, (Notice("ui.restarted"), *replies)
        if given is Command.RESTART:
            fresh, replies = self.start(flow.id, conversation.version)
            return fresh, (Notice("ui.restarted"), *replies)
        if given is Command.BACK:
            return self._back(flow, conversation)
        if isinstance(given, Typed):
            return self._typed(flow, conversation, given.text[:MAX_TYPED_CHARS])
        if isinstance(given, Pick):
            return self._pick(flow, conversation, given)
        raise TypeError(f"unknown input {given!r}")

    def _typed(self, flow: Flow, conversation: Conversation, text: str) -> tuple[Conversation, tuple[Reply, ...]]:
        interrupt_id = self.spotters[flow.id].find(text)
        if interrupt_id is not None:
            return self._interrupt(flow, conversation, interrupt_id)
        if flow.is_outcome(conversation.step):
            return conversation, (Notice("ui.finished"),)
        step = flow.steps[conversation.step]
        value = self.matchers[flow.id, step.id].match(text)
        if value is None:
            return conversation, (Notice("ui.not_understood", {"options": _options(step)}), *self.current(conversation))
        return self._pick(flow, conversation, Pick(step.id, value))

    def _pick(self, flow: Flow, conversation: Conversation, pick: Pick) -> tuple[Conversation, tuple[Reply, ...]]:
        if pick.step != conversation.step:
            return conversation, (Notice("ui.stale_press"), *self.current(conversation))
        step = flow.steps[pick.step]
        if step.choice(pick.value) is None:
            return conversation, (Notice("ui.forged_press"), *self.current(conversation))
        answers = {**conversation.answers, step.key: pick.value}
        target = self.machines[flow.id].next_state(step.id, pick.value, answers)
        moved = conversation.bumped(step=target, answers=answers, history=(*conversation.history, step.id))
        return moved, self.current(moved)

    def _interrupt(
        self, flow: Flow, conversation: Conversation, interrupt_id: str
    ) -> tuple[Conversation, tuple[Reply, ...]]:
        if flow.is_outcome(conversation.step):
            # Finished already: the emergency still wins, and /back returns to the last question.
            origin = conversation.history[-1] if conversation.history else flow.start
            history = conversation.history[:-1]
            answers = {k: v for k, v in conversation.answers.items() if k != flow.steps[origin].key}
        else:
            origin, history, answers = conversation.step, conversation.history, dict(conversation.answers)
        target = self.machines[flow.id].interrupted(origin, interrupt_id)
        moved = conversation.bumped(
            step=target, answers={**answers, INTERRUPT_KEY: interrupt_id}, history=(*history, origin)
        )
        return moved, self.current(moved)

    def _back(self, flow: Flow, conversation: Conversation) -> tuple[Conversation, tuple[Reply, ...]]:
        if not conversation.history:
            return conversation, (Notice("ui.back_at_start"), *self.current(conversation))
        previous = conversation.history[-1]
        forget = {flow.steps[previous].key, INTERRUPT_KEY}
        answers = {k: v for k, v in conversation.answers.items() if k not in forget}
        moved = conversation.bumped(step=previous, answers=answers, history=conversation.history[:-1])
        return moved, (Notice("ui.went_back"), *self.current(moved))

    def _result(self, flow: Flow, conversation: Conversation) -> Result:
        outcome = flow.outcomes[conversation.step]
        answers = conversation.answers
        typed = INTERRUPT_KEY in answers
        wanted = [rule.excerpt for rule in (*outcome.excerpts, *flow.excerpts) if rule.when.holds(answers)]
        excerpts = tuple(dict.fromkeys(wanted))[: flow.max_excerpts]
        notes = tuple(text for when, text in outcome.notes if when.holds(answers))
        reasons = () if typed else _reasons(flow, conversation, self.rule_keys[flow.id])
        return Result(outcome, reasons, excerpts, notes, typed)


def _options(step: Step) -> str:
    return ", ".join(f"{number}) {choice.label}" for number, choice in enumerate(step.choices, start=1))


def _label(step: Step, value: str) -> str:
    choice = step.choice(value)
    return choice.label if choice else value


def _reasons(flow: Flow, conversation: Conversation, rule_keys: frozenset[str]) -> tuple[Reason, ...]:
    """The answers that led here: those the deciding rule tested.

    When the catch-all decided, every answer the rules read counts, plus the triggers that
    chose excerpts (caffeine, stress…), since those explain the self-care advice too.
    """
    answers = conversation.answers
    by_key = {flow.steps[step_id].key: flow.steps[step_id] for step_id in conversation.history}
    last = flow.steps[conversation.history[-1]] if conversation.history else None
    decided_by_route = last is not None and any(
        branch.target == "route"
        for choice in last.choices
        if choice.value == answers.get(last.key)
        for branch in choice.branches
    )
    if not decided_by_route:
        keys: list[str] = [last.key] if last else []
    else:
        rule = next(rule for rule in flow.rules if rule.when.holds(answers))
        keys = [atom.key for atom in rule.when.atoms() if atom.holds(answers)]
        if not keys:
            triggers = {atom.key for rule in flow.excerpts for atom in rule.when.atoms() if atom.holds(answers)}
            keys = [key for key in by_key if key in rule_keys or key in triggers]
    keys = list(dict.fromkeys(key for key in keys if key in by_key))
    return tuple(Reason(by_key[key].topic, _label(by_key[key], answers[key])) for key in keys)
