"""Case coverage: which steps, choices, routing rules, outcomes and excerpts no conversation case reaches.

The cases are played by `run_case` itself on an Engine that notes what each turn did, so
coverage counts exactly what the engine did for each case, never a second guess at it:
a step is reached when it is asked; a choice when a conversation records it (also from a
person's account); a routing rule when it decides an ending; an outcome when a case ends
there; an excerpt when a recommendation shows it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bot.authoring.cases import CaseFile, CaseResult, run_case
from bot.engine.check import used_excerpts
from bot.engine.conversation import Conversation
from bot.engine.engine import INTERRUPT_KEY, Engine
from bot.engine.model import Flow
from bot.engine.replies import Input, Question, Reply, Result

KINDS = ("step", "choice", "routing rule", "outcome", "excerpt")
"""The parts coverage counts, in the order it lists them."""


@dataclass(frozen=True, slots=True)
class Gap:
    """One part of a flow that no case reaches, located like a problem (`file:line`)."""

    kind: str
    name: str
    source: str
    line: int

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.kind} {self.name}"


@dataclass(frozen=True, slots=True)
class Coverage:
    """One flow's coverage by its cases: per kind, how many parts there are, and those not reached."""

    flow: str
    source: str
    cases: int
    totals: Mapping[str, int]
    gaps: tuple[Gap, ...]

    def reached(self, kind: str) -> int:
        """How many parts of `kind` some case reaches."""
        return self.totals[kind] - sum(gap.kind == kind for gap in self.gaps)

    def lines(self) -> list[str]:
        """The report `twitchcheck test --coverage` prints, and the studio shows."""
        if not self.cases:
            return [f"coverage of {self.flow} ({self.source}): no conversation cases; add some in flows/tests/"]
        counts = ", ".join(f"{_plural(kind)} {self.reached(kind)}/{self.totals[kind]}" for kind in KINDS)
        lines = [f"coverage of {self.flow} by {self.cases} case(s): {counts}"]
        if self.gaps:
            lines.append("  not reached by any case:")
            lines += [f"    {gap}" for gap in self.gaps]
        else:
            lines.append("  every step, choice, routing rule, outcome and excerpt is reached")
        return lines


def _plural(kind: str) -> str:
    return kind + "s"


@dataclass(slots=True)
class _Seen:
    steps: set[str] = field(default_factory=set)
    choices: set[tuple[str, str]] = field(default_factory=set)
    rules: set[int] = field(default_factory=set)
    outcomes: set[str] = field(default_factory=set)
    excerpts: set[str] = field(default_factory=set)
    cases: int = 0


class _Noting(Engine):
    """An Engine that notes, per flow, what each turn asked, recorded, decided and showed."""

    def __init__(self, flows: Mapping[str, Flow]) -> None:
        super().__init__(flows)
        self.seen = {flow_id: _Seen() for flow_id in flows}

    def start(
        self, flow_id: str, version: int = 0, prefill: Mapping[str, str] | None = None
    ) -> tuple[Conversation, tuple[Reply, ...]]:
        conversation, replies = super().start(flow_id, version, prefill)
        self._note(conversation, conversation, replies)
        return conversation, replies

    def advance(self, conversation: Conversation, given: Input) -> tuple[Conversation, tuple[Reply, ...]]:
        moved, replies = super().advance(conversation, given)
        self._note(conversation, moved, replies)
        return moved, replies

    def _note(self, before: Conversation, after: Conversation, replies: tuple[Reply, ...]) -> None:
        flow = self.flows.get(after.flow_id)
        if flow is None:
            return
        seen = self.seen[flow.id]
        seen.steps |= {r.step.id for r in replies if isinstance(r, Question) and r.step.id in flow.steps}
        old, new = before.history, after.history
        if new[: len(old)] == old and before.flow_id == after.flow_id:
            added = new[len(old) :]
            if INTERRUPT_KEY in after.answers and INTERRUPT_KEY not in before.answers:
                added = added[:-1]  # the step an emergency phrase was typed at: nothing was chosen there
            for step_id in added:
                value = after.answers.get(flow.steps[step_id].key)
                if value is not None:
                    seen.choices.add((step_id, value))
        for result in (r for r in replies if isinstance(r, Result)):
            seen.outcomes.add(result.outcome.id)
            seen.excerpts.update(result.excerpts)
            decided = result.decided  # the transition the machine fired, None for a typed emergency
            if decided is not None and decided.index is not None:
                seen.rules.add(decided.index)


@dataclass(frozen=True, slots=True)
class Measured:
    """The verdict of every case, and each flow's coverage by them."""

    results: tuple[CaseResult, ...]
    coverage: tuple[Coverage, ...]


def measure(engine: Engine, files: Iterable[CaseFile]) -> Measured:
    """Run every case of `files` on the engine's flows; return the verdicts and the coverage of every flow."""
    noting = _Noting(engine.flows)
    results: list[CaseResult] = []
    for file in files:
        for case in file.cases:
            if file.flow in noting.seen:
                noting.seen[file.flow].cases += 1
            results.append(run_case(noting, file.flow, case, file.source))
    return Measured(tuple(results), tuple(_coverage(flow, noting.seen[flow.id]) for flow in engine.flows.values()))


def _coverage(flow: Flow, seen: _Seen) -> Coverage:
    src = flow.source
    gaps: list[Gap] = []
    gaps += [Gap("step", f"'{s.id}'", src, s.line) for s in flow.steps.values() if s.id not in seen.steps]
    choices = [(s, c) for s in flow.steps.values() for c in s.choices]
    gaps += [
        Gap("choice", f"'{s.id}: {c.label}' ({c.value})", src, c.line or s.line)
        for s, c in choices
        if (s.id, c.value) not in seen.choices
    ]
    gaps += [
        Gap("routing rule", f"{i + 1} → {rule.outcome}", src, rule.line)
        for i, rule in enumerate(flow.rules)
        if i not in seen.rules
    ]
    gaps += [Gap("outcome", f"'{o.id}'", src, o.line) for o in flow.outcomes.values() if o.id not in seen.outcomes]
    shown = used_excerpts(flow)
    where: dict[str, int] = {}
    for rule in (*flow.excerpts, *(r for o in flow.outcomes.values() for r in o.excerpts)):
        where.setdefault(rule.excerpt, rule.line)
    gaps += [
        Gap("excerpt", f"'{e}'", src, where[e]) for e in sorted(shown, key=where.__getitem__) if e not in seen.excerpts
    ]
    totals = {
        "step": len(flow.steps),
        "choice": len(choices),
        "routing rule": len(flow.rules),
        "outcome": len(flow.outcomes),
        "excerpt": len(shown),
    }
    return Coverage(flow.id, src, seen.cases, totals, tuple(gaps))
