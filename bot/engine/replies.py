"""What the engine asks the front ends to show: plain data, rendered later per medium."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from bot.engine.machine import Fired
from bot.engine.model import Outcome, Step


class Command(Enum):
    """Navigation the person asks for, from a command or a button."""

    BACK = "back"
    RESTART = "restart"


COMMANDS = {"/back": Command.BACK, "/restart": Command.RESTART}
"""Navigation typed as a command, in every front end (`/back@TwitchCheckBot` too, as in a group chat)."""

TYPED_COMMANDS = {
    "back": Command.BACK,
    "go back": Command.BACK,
    "restart": Command.RESTART,
    "start again": Command.RESTART,
}
"""Navigation typed without a slash: a command only when it is the whole message and not an answer
here ("back" at "Where is the twitching?" is a place; "my back" always is). The engine reads these."""


def command_of(text: str) -> Command | None:
    """The command `text` is (its first word, without a bot's `@name`), or None."""
    first = text.split()[0] if text.strip() else ""
    return COMMANDS.get(first.split("@")[0].lower())


@dataclass(frozen=True, slots=True)
class Pick:
    """A button press: the step it belonged to and the value of the chosen choice."""

    step: str
    value: str


@dataclass(frozen=True, slots=True)
class Typed:
    """Free text the person typed."""

    text: str


Input = Pick | Typed | Command


@dataclass(frozen=True, slots=True)
class Reason:
    """One line of "why this advice": a question's topic and the answer given."""

    topic: str
    answer: str


@dataclass(frozen=True, slots=True)
class Question:
    """Ask `step`; `number` counts questions answered so far plus one.

    `summary` lists what the engine understood, for the account review ("Where: Leg or foot").
    """

    step: Step
    number: int
    summary: tuple[Reason, ...] = ()


@dataclass(frozen=True, slots=True)
class Echo:
    """How a typed answer was read ("➜ Leg or foot"), so the person can see it and go back."""

    topic: str
    label: str


@dataclass(frozen=True, slots=True)
class Notice:
    """A short message from content/ (`ui.*`), with its placeholders."""

    key: str
    values: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Result:
    """The recommendation: the outcome, why, which excerpts and notes fit the answers."""

    outcome: Outcome
    reasons: tuple[Reason, ...]
    excerpts: tuple[str, ...]
    notes: tuple[str, ...]
    typed_emergency: bool = False
    followup: bool = False
    """Offer "Remind me in 2 weeks" (bot/engine/followup.py decides)."""
    decided: Fired | None = None
    """The transition that ended the check: the branch, and the routing rule (`index`, `line`) when one
    decided. None for a typed emergency."""


Reply = Question | Notice | Result | Echo
