"""The flow model: frozen data built once from YAML, shared by every conversation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import IntEnum

from bot.engine.frames import EMPTY_LANGUAGE, Language


class Level(IntEnum):
    """Triage levels, ordered so that a higher value means more urgent care."""

    SELF_CARE = 0
    ROUTINE = 1
    URGENT = 2
    EMERGENCY = 3

    @property
    def mark(self) -> str:
        """The emoji that starts the recommendation's first line (docs/medical.md, "The four levels")."""
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

EMERGENCY_CONFIRM = "emergency_confirm"
"""The engine's own question when typed text may describe an emergency: "Is this happening now?"."""

ACCOUNT_REVIEW = "account_review"
"""The engine's own question after reading a person's account: "I understood: … Right?"."""

PROMPTS = (EMERGENCY_CONFIRM, ACCOUNT_REVIEW)
"""Reserved ids: these questions are built by the engine, not written as steps."""


class StepKind:
    """What a question is about; red-flag and emergency questions carry the safety invariant."""

    QUESTION = "question"
    RED_FLAG = "red_flag"
    EMERGENCY = "emergency"
    ACCOUNT = "account"
    """Invites the person's own account in a sentence or two; its one choice is "Skip"."""
    ALL = (QUESTION, RED_FLAG, EMERGENCY, ACCOUNT)


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
class Range:
    """Quantities from `low` (included) up to `high` (excluded), in the quantity's base unit."""

    low: float
    high: float = float("inf")

    def __contains__(self, amount: float) -> bool:
        return self.low <= amount and (amount < self.high or self.high == float("inf"))


@dataclass(frozen=True, slots=True)
class Choice:
    """A button: its label, the value it records, where it leads, and the words that mean it.

    `synonyms` are whole typed answers ("I think so"); `mentions` are words that name the
    choice inside a longer text ("calf" for the leg, "coffee" for caffeine: yes); `range`
    takes a typed quantity ("3 days") by its meaning.
    """

    value: str
    label: str
    branches: tuple[Branch, ...]
    line: int = 0
    synonyms: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    range: Range | None = None
    explains: bool = False
    """On a red-flag step, a "yes" with a clear, common cause: treated like "not sure" (never self-care)."""
    from_age: int | None = None
    """With `explains`: the age from which the cause holds ("being over 60"), so "I'm 67 and get cramps most
    nights" is this choice."""


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
    quantity: str | None = None
    """The kind of quantity its choices' ranges measure (`duration`, in days)."""
    combined: str | None = None
    """The choice recorded when a typed answer names two or more others ("calf and arm")."""
    symptom_words: tuple[str, ...] = ()
    """On an account step: places and durations count only in a part of the account naming one."""
    from_account: str = "any"
    """`yes_only`: a mention, in an account or a typed answer, can only answer "yes" (for a question that
    asks about several things at once, where "no gym" says nothing about a tummy bug). `never`: an
    account never answers it (a follow-up, whose words mean something only after its question)."""
    variants: tuple[tuple[Condition, str], ...] = ()
    """Other words for the question, each with the answers that pick it ("the person" for a carer);
    the first whose condition holds replaces `text`."""
    required: bool = False
    """Asked on every path that ends below 🔴, like a flag (`twitchcheck check` proves it)."""

    def worded(self, answers: Mapping[str, str]) -> Step:
        """This step with the words its variants pick for these answers (itself when none holds)."""
        for when, text in self.variants:
            if when.holds(answers):
                return replace(self, text=text)
        return self

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
    why: str = ""
    """Why the rule exists and its source, for people: docs/medical.md's routing table (`twitchcheck docs`)."""


@dataclass(frozen=True, slots=True)
class Interrupt:
    """An emergency concept: typed at any step, its language jumps straight to an outcome.

    `phrases` and `patterns` (regular expressions over the normalised words) fire unless a
    cue says otherwise; `unclear` phrases and `unclear_patterns` are asked about first; `unless` phrases mean
    it is something else ("can't breathe through my nose"): between the same commas, or anywhere in the clause
    for a vague sign.
    """

    id: str
    phrases: tuple[str, ...]
    outcome: str
    line: int = 0
    patterns: tuple[str, ...] = ()
    unclear: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    unclear_patterns: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Cues:
    """Words that change what an emergency phrase means, after NegEx and ConText (see emergency.py)."""

    negation: tuple[str, ...] = ()
    not_negation: tuple[str, ...] = ()
    distant_past: tuple[str, ...] = ()
    recent_past: tuple[str, ...] = ()
    now: tuple[str, ...] = ()
    maybe: tuple[str, ...] = ()
    boundary: tuple[str, ...] = ()
    elsewhere: tuple[str, ...] = ()
    """Not happening to anyone here and now: a film, the news, "what if", a joke."""
    passed: tuple[str, ...] = ()
    """It has passed ("fine now"): read as the recent past, and its "now" is no now cue."""
    topic: tuple[str, ...] = ()
    """Just before a sign's name, it is a subject to learn about ("the signs of a stroke")."""
    before_today: tuple[str, ...] = ()
    """A time before today ("last week", "last month"): with `passed`, an event that is over."""
    irrealis: tuple[str, ...] = ()
    """A wish or a condition ("I'd ring", "would"): a `now` cue just after it is no now ("I'd ring an ambulance")."""
    setting: tuple[str, ...] = ()
    """Where something happened, naming a film or a game as a place ("at the cinema", "in the middle of a
    game"): it says nothing itself, and the `elsewhere` cue inside it is no cue."""
    tone: tuple[str, ...] = ()
    """Laughter ("lol", "haha"): like `elsewhere` for a sign of the writer ("I can't breathe lol"), nothing for
    someone else's, which people type nervously ("my mum's face looks droopy lol")."""


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
    cues: Cues = Cues()
    synonyms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Whole-answer phrasings for every choice recording a value ("not that I know of" → no)."""
    prompts: Mapping[str, Step] = field(default_factory=dict)
    """The engine's own questions (emergency confirmation, account review), by reserved id."""
    language: Language = EMPTY_LANGUAGE
    """The emergency frames, word classes and safety words of the content's language."""

    def is_outcome(self, state: str) -> bool:
        """True when `state` ends the conversation."""
        return state in self.outcomes

    def question(self, state: str) -> Step | None:
        """The step or engine prompt asked at `state`, if it is a question."""
        return self.steps.get(state) or self.prompts.get(state)

    @property
    def account_step(self) -> Step | None:
        """The step that invites the person's own account, if the flow has one."""
        return next((step for step in self.steps.values() if step.kind == StepKind.ACCOUNT), None)
