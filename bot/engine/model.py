"""The flow model: frozen data built once from YAML, shared by every conversation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum


class Level(IntEnum):
    """Triage levels, ordered so that a higher value means more urgent care."""

    SELF_CARE = 0
    ROUTINE = 1
    URGENT = 2
    EMERGENCY = 3

    @property
    def mark(self) -> str:
        """The emoji that starts the recommendation's first line (design §3)."""
        return LEVEL_MARKS[self]

    @property
    def key(self) -> str:
        """The level's name as written in flows and content."""
        return self.name.lower()

    @classmethod
    def from_key(cls, key: str) -> Level:
        """Parse a level name such as `self_care`."""
        return cls[key.upper()]


LEVEL_MARKS = {
    Level.EMERGENCY: "🚨",
    Level.URGENT: "🔴",
    Level.ROUTINE: "🟠",
    Level.SELF_CARE: "🟢",
}

YES, NO, NOT_SURE = "yes", "no", "not_sure"
FLAG_VALUES = (YES, NO, NOT_SURE)
"""The only answer values a red-flag or emergency question may record."""

ROUTE = "route"
"""The reserved target that hands over to the flow's routing rules."""


class StepKind:
    """What a question is about; red-flag and emergency questions carry the safety invariant."""

    QUESTION = "question"
    RED_FLAG = "red_flag"
    EMERGENCY = "emergency"
    ALL = (QUESTION, RED_FLAG, EMERGENCY)


class Condition:
    """A predicate over recorded answers, written as data in the flow (never `eval`)."""

    __slots__ = ()

    def holds(self, answers: Mapping[str, str]) -> bool:
        raise NotImplementedError

    def keys(self) -> frozenset[str]:
        """Every answer key this condition reads."""
        raise NotImplementedError

    def atoms(self) -> tuple[AnswerIn, ...]:
        """The answer tests inside, used to explain "why this advice"."""
        raise NotImplementedError

    def __call__(self, answers: Mapping[str, str]) -> bool:
        """Let `transitions` use the condition directly as a transition guard."""
        return self.holds(answers)


@dataclass(frozen=True, slots=True)
class Always(Condition):
    """The catch-all condition: a branch or rule without `when`."""

    def holds(self, answers: Mapping[str, str]) -> bool:
        return True

    def keys(self) -> frozenset[str]:
        return frozenset()

    def atoms(self) -> tuple[AnswerIn, ...]:
        return ()


@dataclass(frozen=True, slots=True)
class AnswerIn(Condition):
    """True when the answer recorded under `key` is one of `values`."""

    key: str
    values: frozenset[str]

    def holds(self, answers: Mapping[str, str]) -> bool:
        return answers.get(self.key) in self.values

    def keys(self) -> frozenset[str]:
        return frozenset((self.key,))

    def atoms(self) -> tuple[AnswerIn, ...]:
        return (self,)


@dataclass(frozen=True, slots=True)
class AllOf(Condition):
    parts: tuple[Condition, ...]

    def holds(self, answers: Mapping[str, str]) -> bool:
        return all(part.holds(answers) for part in self.parts)

    def keys(self) -> frozenset[str]:
        return frozenset().union(*(part.keys() for part in self.parts))

    def atoms(self) -> tuple[AnswerIn, ...]:
        return tuple(atom for part in self.parts for atom in part.atoms())


@dataclass(frozen=True, slots=True)
class AnyOf(Condition):
    parts: tuple[Condition, ...]

    def holds(self, answers: Mapping[str, str]) -> bool:
        return any(part.holds(answers) for part in self.parts)

    def keys(self) -> frozenset[str]:
        return frozenset().union(*(part.keys() for part in self.parts))

    def atoms(self) -> tuple[AnswerIn, ...]:
        return tuple(atom for part in self.parts for atom in part.atoms())


@dataclass(frozen=True, slots=True)
class Not(Condition):
    part: Condition

    def holds(self, answers: Mapping[str, str]) -> bool:
        return not self.part.holds(answers)

    def keys(self) -> frozenset[str]:
        return self.part.keys()

    def atoms(self) -> tuple[AnswerIn, ...]:
        return ()  # a negated test never explains why advice was given


ALWAYS = Always()


@dataclass(frozen=True, slots=True)
class Branch:
    """One way out of a choice: go to `target` if `when` holds (first match wins)."""

    target: str
    when: Condition = ALWAYS
    line: int = 0


@dataclass(frozen=True, slots=True)
class Choice:
    """A button: its label, the value it records, and where it leads."""

    value: str
    label: str
    branches: tuple[Branch, ...]
    line: int = 0


@dataclass(frozen=True, slots=True)
class Step:
    """One question, asked as one message with one button per choice."""

    id: str
    text: str
    kind: str
    key: str
    topic: str
    choices: tuple[Choice, ...]
    line: int = 0

    def choice(self, value: str) -> Choice | None:
        """The choice recording `value`, if any."""
        for choice in self.choices:
            if choice.value == value:
                return choice
        return None

    @property
    def is_flag(self) -> bool:
        """Red-flag and emergency questions carry the safety invariant."""
        return self.kind in (StepKind.RED_FLAG, StepKind.EMERGENCY)


@dataclass(frozen=True, slots=True)
class Rule:
    """A routing rule: the first rule whose `when` holds picks the outcome."""

    outcome: str
    when: Condition = ALWAYS
    line: int = 0


@dataclass(frozen=True, slots=True)
class Interrupt:
    """Phrases that, typed at any step, jump straight to an outcome."""

    id: str
    phrases: tuple[str, ...]
    outcome: str
    line: int = 0


@dataclass(frozen=True, slots=True)
class ExcerptRule:
    """Show an article excerpt when the answers match."""

    excerpt: str
    when: Condition = ALWAYS
    line: int = 0


@dataclass(frozen=True, slots=True)
class Outcome:
    """Where a conversation ends: a triage level and what to tell the person."""

    id: str
    level: Level
    title: str
    recommendation: str
    watch_for: str
    tips: str = ""
    notes: tuple[tuple[Condition, str], ...] = ()
    excerpts: tuple[ExcerptRule, ...] = ()
    sources: tuple[str, ...] = ()
    line: int = 0


@dataclass(frozen=True, slots=True)
class Flow:
    """A whole conversation, validated; the engine builds one Machine from it."""

    id: str
    title: str
    start: str
    steps: Mapping[str, Step]
    outcomes: Mapping[str, Outcome]
    rules: tuple[Rule, ...]
    interrupts: tuple[Interrupt, ...] = ()
    excerpts: tuple[ExcerptRule, ...] = ()
    max_excerpts: int = 4
    source: str = "<flow>"
    lines: Mapping[str, int] = field(default_factory=dict)

    def is_outcome(self, state: str) -> bool:
        """True when `state` ends the conversation."""
        return state in self.outcomes
