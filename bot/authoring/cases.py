"""Conversation test cases written in YAML (`flows/tests/*.yaml`), run by `twitchcheck test`.

    flow: twitching
    defaults: "no"
    cases:
      - name: weakness means seeing a doctor soon
        answers: {location: arm, duration: "less than 2 weeks", weakness: "yes"}
        expect: {level: urgent}
      - name: /back on the first question stays there
        inputs: [/back]
        expect: {step: emergency_now}

`answers` give, by step id, what the person types at that step; a step not listed gets the
`defaults` text (case, then file level) when that names one of its choices, else its first
choice's label. Adding a question to the flow therefore leaves such cases as they were.
`inputs` are typed in order, for cases where order is the point (`/back`, `/restart`, an
emergency typed after the advice); a case with both types its `inputs` first, then answers
by step until it ends. Typed text may be anything a person types (numbers, labels, "nope",
typos, emergency phrases). `expect` may hold any of: `level`, `outcome` or `step` (where
the conversation must be at the end; answering by step stops at that step), `asked` and
`not_asked` (steps that must, or must not, have been shown), and `excerpts` (shown with the
recommendation). Mistakes in a case file are reported as `file:line` like flow mistakes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from bot.engine.check import used_excerpts
from bot.engine.conversation import Conversation
from bot.engine.engine import Engine
from bot.engine.model import Flow, Level, Step
from bot.engine.replies import Command, Input, Notice, Question, Reply, Result, Typed
from bot.engine.suggest import did_you_mean
from bot.session import MemoryStore, Session, now
from bot.yamlfiles.errors import DuplicateIdError, FlowErrors, FlowProblem, ShapeError, UnknownTargetError
from bot.yamlfiles.yaml_source import LineDict, LineList, read_source, read_yaml

START = "/start"
"""Typed in a case, a new check (as Telegram's /start after the advice); `/start@bot` works too. The
session reads the other commands (`/back`, `/restart`) itself."""

FILE_KEYS = ("flow", "defaults", "cases")
CASE_KEYS = ("name", "inputs", "answers", "defaults", "expect")
EXPECT_KEYS = ("level", "outcome", "step", "asked", "not_asked", "excerpts", "not_excerpts")

KEY = "case"
"""The one conversation a case plays, in its session's memory store."""

MAX_ASKS = 3
"""How often one step may be asked while answering by step: an answer is the same every
time, so a step that keeps coming back means its answer is not understood, or a loop."""


@dataclass(frozen=True, slots=True)
class Expect:
    """What must hold once every input has been typed."""

    level: Level | None = None
    outcome: str | None = None
    step: str | None = None
    asked: tuple[str, ...] = ()
    not_asked: tuple[str, ...] = ()
    excerpts: tuple[str, ...] = ()
    not_excerpts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Case:
    """One conversation: `inputs` typed in order, then (when `answers` is given) answers by step."""

    name: str
    inputs: tuple[str, ...]
    expect: Expect
    line: int = 0
    answers: Mapping[str, str] | None = None
    """Step id -> what is typed there; None when the case is positional only."""
    default: str | None = None
    """Typed at a step `answers` leaves out, when it names one of that step's choices."""


@dataclass(frozen=True, slots=True)
class CaseFile:
    flow: str
    cases: tuple[Case, ...]
    source: str


@dataclass(frozen=True, slots=True)
class CaseResult:
    """One case's verdict; `transcript` shows each question, what was typed and where it led."""

    name: str
    passed: bool
    transcript: str
    failures: tuple[str, ...] = ()
    source: str = ""
    line: int = 0

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}"


# --- reading ----------------------------------------------------------------------------------


class _Reader:
    """Checks a case file's shape and names while building it, collecting every problem."""

    def __init__(self, source: str, flows: Mapping[str, Flow]) -> None:
        self.source, self.flows = source, flows
        self.problems: list[FlowProblem] = []

    def problem(self, kind: type[FlowProblem], line: int, what: str, fix: str) -> None:
        self.problems.append(kind(self.source, line, what, fix))

    def keys(self, node: LineDict, allowed: tuple[str, ...], required: tuple[str, ...], where: str) -> None:
        for key in node:
            if key not in allowed:
                self.problem(
                    ShapeError,
                    node.key_lines[key],
                    f"unknown key '{key}' in {where}",
                    did_you_mean(key, allowed) or f"allowed keys are: {', '.join(allowed)}",
                )
        for key in required:
            if key not in node:
                self.problem(ShapeError, node.line, f"{where} is missing '{key}'", f"add `{key}:`")

    def file(self, raw: Any) -> CaseFile:
        if not isinstance(raw, LineDict):
            self.problem(
                ShapeError,
                getattr(raw, "line", 1),
                "a case file must be a mapping",
                "start with `flow: <flow id>` and `cases:`",
            )
            return CaseFile("", (), self.source)
        self.keys(raw, FILE_KEYS, ("flow", "cases"), "the case file")
        flow_id = raw.get("flow")
        flow = self.flows.get(flow_id) if isinstance(flow_id, str) else None
        if "flow" in raw and flow is None:
            self.problem(
                UnknownTargetError,
                raw.key_lines["flow"],
                f"no flow '{flow_id}'",
                did_you_mean(str(flow_id), self.flows) or f"flows: {', '.join(sorted(self.flows))}",
            )
        default = self.text(raw, "defaults", "`defaults` must be text", 'write e.g. `defaults: "no"`')
        cases = raw.get("cases", _empty())
        if not isinstance(cases, LineList):
            self.problem(
                ShapeError,
                raw.key_lines.get("cases", raw.line),
                "`cases` must be a list",
                "write each case as `- name: ...`",
            )
            return CaseFile(str(flow_id), (), self.source)
        built = [self.case(item, line, flow, default) for item, line in zip(cases, cases.item_lines, strict=True)]
        self._unique([case for case in built if case is not None])
        return CaseFile(str(flow_id), tuple(case for case in built if case is not None), self.source)

    def _unique(self, cases: list[Case]) -> None:
        first: dict[str, int] = {}
        for case in cases:
            if case.name in first:
                self.problem(
                    DuplicateIdError,
                    case.line,
                    f"case name '{case.name}' is used twice (first on line {first[case.name]})",
                    "give each case its own name",
                )
            first.setdefault(case.name, case.line)

    def case(self, item: Any, line: int, flow: Flow | None, file_default: str | None) -> Case | None:
        if not isinstance(item, LineDict):
            self.problem(
                ShapeError, line, "a case must be a mapping", "write `- name: ...`, `answers: {...}`, `expect: {...}`"
            )
            return None
        self.keys(item, CASE_KEYS, ("name", "expect"), "the case")
        if "inputs" not in item and "answers" not in item:
            self.problem(
                ShapeError,
                item.line,
                "the case has neither `answers` nor `inputs`",
                "add `answers: {<step>: <typed>}`, or `inputs: [...]` when the order is the point",
            )
        if "defaults" in item and "answers" not in item:
            self.problem(
                ShapeError,
                item.key_lines["defaults"],
                "`defaults` is only used with `answers`",
                "add `answers:`, or remove `defaults:`",
            )
        name = item.get("name")
        if "name" in item and not isinstance(name, str):
            self.problem(ShapeError, item.key_lines["name"], "the case name must be text", "quote it")
        inputs = self.inputs(item)
        answers = self.answers(item, flow)
        default = self.text(item, "defaults", "`defaults` must be text", 'write e.g. `defaults: "no"`')
        expect = self.expect(item, flow)
        if expect is None or not isinstance(name, str):
            return None
        return Case(name, inputs, expect, line, answers, default if default is not None else file_default)

    def text(self, node: LineDict, key: str, what: str, fix: str) -> str | None:
        """A value typed as text (a number is typed as its digits); None when absent or not text."""
        value = node.get(key)
        if value is None and key not in node:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.problem(ShapeError, node.key_lines[key], f"{what}, not {value!r}", fix)
            return None
        return str(value)

    def answers(self, item: LineDict, flow: Flow | None) -> Mapping[str, str] | None:
        if "answers" not in item:
            return None
        raw = item["answers"]
        if raw is None:
            raw = LineDict()
            raw.key_lines = {}
        if not isinstance(raw, LineDict):
            self.problem(
                ShapeError,
                item.key_lines["answers"],
                "`answers` must map step ids to what is typed there",
                'write `answers: {location: arm, weakness: "yes"}`',
            )
            return None
        steps = {**flow.steps, **flow.prompts} if flow else {}
        typed: dict[str, str] = {}
        for step in raw:
            if flow is not None and step not in steps:
                self.problem(
                    UnknownTargetError,
                    raw.key_lines[step],
                    f"answer for step '{step}', which is not in this flow",
                    did_you_mean(str(step), steps) or "use a step id from the flow file",
                )
                continue
            said = self.text(raw, step, f"the answer for '{step}' must be text", 'quote it: "true", "~"')
            if said is not None:
                typed[str(step)] = said
        return MappingProxyType(typed)

    def inputs(self, item: LineDict) -> tuple[str, ...]:
        raw = item.get("inputs", _empty())
        if not isinstance(raw, LineList):
            self.problem(
                ShapeError,
                item.key_lines.get("inputs", item.line),
                "`inputs` must be a list",
                'write `inputs: [no, arm, "less than 2 weeks"]`',
            )
            return ()
        typed = []
        for value, line in zip(raw, raw.item_lines, strict=True):
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                self.problem(
                    ShapeError, line, f"input {value!r} is not text", 'quote it, as a person would type it: "true", "~"'
                )
                continue
            typed.append(str(value))
        return tuple(typed)

    def expect(self, item: LineDict, flow: Flow | None) -> Expect | None:
        raw = item.get("expect")
        if not isinstance(raw, LineDict) or not raw:
            if "expect" in item:
                self.problem(
                    ShapeError,
                    item.key_lines["expect"],
                    "`expect` must name what should happen",
                    "write e.g. `expect: {level: urgent}`, `{step: <id>}` or `{outcome: <id>}`",
                )
            return None
        self.keys(raw, EXPECT_KEYS, (), "expect")
        level = raw.get("level")
        if level is not None and level not in [lvl.key for lvl in Level]:
            self.problem(
                ShapeError,
                raw.key_lines["level"],
                f"no level '{level}'",
                did_you_mean(str(level), [lvl.key for lvl in Level]) or "use emergency, urgent, routine or self_care",
            )
            level = None
        steps = {**flow.steps, **flow.prompts} if flow else {}
        outcomes = flow.outcomes if flow else {}
        excerpts = used_excerpts(flow) if flow else set()
        return Expect(
            level=Level.from_key(level) if isinstance(level, str) else None,
            outcome=self.name(raw, "outcome", outcomes, "outcome", flow is not None),
            step=self.name(raw, "step", steps, "step", flow is not None),
            asked=self.names(raw, "asked", steps, "step", flow is not None),
            not_asked=self.names(raw, "not_asked", steps, "step", flow is not None),
            excerpts=self.names(raw, "excerpts", excerpts, "excerpt", flow is not None),
            not_excerpts=self.names(raw, "not_excerpts", excerpts, "excerpt", flow is not None),
        )

    def name(self, raw: LineDict, key: str, known: Any, kind: str, check: bool) -> str | None:
        value = raw.get(key)
        if value is None:
            return None
        if check and value not in known:
            self.problem(
                UnknownTargetError,
                raw.key_lines[key],
                f"no {kind} '{value}' in this flow",
                did_you_mean(str(value), known) or "use an id from the flow file",
            )
        return str(value)

    def names(self, raw: LineDict, key: str, known: Any, kind: str, check: bool) -> tuple[str, ...]:
        value = raw.get(key)
        if value is None:
            return ()
        values = value if isinstance(value, list) else [value]
        for name in values:
            if check and name not in known:
                self.problem(
                    UnknownTargetError,
                    raw.key_lines[key],
                    f"no {kind} '{name}' in this flow",
                    did_you_mean(str(name), known) or "use an id from the flow file",
                )
        return tuple(str(name) for name in values)


def _empty() -> LineList:
    """An empty list that still knows its (no) item lines, for a key left out."""
    empty = LineList()
    empty.item_lines = []
    return empty


def parse_cases(text: str, flows: Mapping[str, Flow], source: str = "<cases>") -> CaseFile:
    """Build a case file from YAML text; raise FlowErrors listing every problem (no I/O)."""
    raw, problems = read_yaml(text, source)
    if problems and raw is None:
        raise FlowErrors(problems)
    reader = _Reader(source, flows)
    reader.problems += problems
    cases = reader.file(raw)
    if reader.problems:
        raise FlowErrors(reader.problems)
    return cases


def case_files(folder: Path) -> list[Path]:
    """The case files in a folder, in name order."""
    return sorted(p for p in folder.glob("*.y*ml") if p.is_file()) if folder.is_dir() else []


# --- running ----------------------------------------------------------------------------------


def as_input(typed: str) -> Input:
    """What typing `typed` means: `/start` is a restart; anything else goes to the session as typed."""
    return Command.RESTART if typed.strip().lower().split("@", 1)[0] == START else Typed(typed)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


_NOTICES = {
    "ui.not_understood": "not understood, asked again",
    "ui.ambiguous": "could mean two answers, asked which",
    "ui.empty_text": "no words, asked again",
    "ui.account_nothing": "nothing to take from it, carries on",
    "ui.stale_press": "ignored (an old button)",
    "ui.forged_press": "ignored (not a choice here)",
    "ui.finished": "already finished",
    "ui.back_at_start": "already at the first question",
    "ui.went_back": "went back to {step}",
    "ui.restarted": "restarted at {step}",
}


def _led_to(replies: tuple[Reply, ...], conversation: Conversation) -> str:
    """Where an input led, as a person reading the transcript would say it."""
    notices = {reply.key for reply in replies if isinstance(reply, Notice)}
    result = next((reply for reply in replies if isinstance(reply, Result)), None)
    if result is not None:
        typed = " (emergency phrase spotted)" if result.typed_emergency else ""
        return f"{result.outcome.level.mark} {result.outcome.id}{typed}"
    for key, said in _NOTICES.items():
        if key in notices:
            return said.format(step=conversation.step)
    return conversation.step


def _verdict(
    flow: Flow, expect: Expect, conversation: Conversation, asked: set[str], result: Result | None
) -> list[str]:
    """Every way the conversation's end differs from what the case expects."""
    failures: list[str] = []
    outcome = flow.outcomes.get(conversation.step)
    where = f"{outcome.level.mark} {outcome.id}" if outcome else f"step '{conversation.step}'"
    if expect.level is not None and (outcome is None or outcome.level != expect.level):
        failures.append(f"expected level {expect.level.mark} {expect.level.key}, but it ended at {where}")
    if expect.outcome is not None and conversation.step != expect.outcome:
        failures.append(f"expected outcome '{expect.outcome}', but it ended at {where}")
    if expect.step is not None and conversation.step != expect.step:
        failures.append(f"expected to be at step '{expect.step}', but it is at {where}")
    failures += [f"expected step '{s}' to be asked, but it never was" for s in expect.asked if s not in asked]
    failures += [f"expected step '{s}' not to be asked, but it was" for s in expect.not_asked if s in asked]
    shown = result.excerpts if result else ()
    failures += [
        f"expected excerpt '{e}' to be shown; shown: {', '.join(shown) or 'none'}"
        for e in expect.excerpts
        if e not in shown
    ]
    failures += [f"expected excerpt '{e}' not to be shown, but it was" for e in expect.not_excerpts if e in shown]
    return failures


def answer_at(step: Step, case: Case) -> str:
    """What a by-step case types at `step`: its answer, else the default if it names a choice there."""
    if case.answers is not None and step.id in case.answers:
        return case.answers[step.id]
    default = (case.default or "").strip().casefold()
    if any(default in (choice.value.casefold(), choice.label.casefold()) for choice in step.choices):
        return str(case.default)
    return step.choices[0].label if step.choices else ""


class _Run:
    """One case being played: the conversation, the steps shown and the transcript so far."""

    def __init__(self, engine: Engine, flow_id: str) -> None:
        self.session: Session[None, MemoryStore] = Session(engine)
        self.flow = engine.flows[flow_id]
        self.conversation = now(self.session.start(KEY, flow_id)).conversation
        self.asked = {self.flow.start}
        self.lines: list[str] = []

    def type(self, typed: str) -> None:
        question = self.flow.question(self.conversation.step)
        self.lines.append(
            f"  {self.conversation.step}: {_first_line(question.text)}"
            if question
            else f"  (finished at {self.conversation.step})"
        )
        turn = now(self.session.handle(KEY, as_input(typed)))
        self.conversation, replies = turn.conversation, turn.replies
        self.asked |= {reply.step.id for reply in replies if isinstance(reply, Question)}
        self.lines.append(f"    > {typed!r:<24} → {_led_to(replies, self.conversation)}")

    def by_step(self, case: Case) -> list[str]:
        """Answer each question by its step id until the end (or `expect.step`); the failures on the way."""
        times: dict[str, int] = {}
        while not self.flow.is_outcome(self.conversation.step) and self.conversation.step != case.expect.step:
            step = self.flow.question(self.conversation.step)
            assert step is not None
            times[step.id] = times.get(step.id, 0) + 1
            if times[step.id] > MAX_ASKS:
                return [
                    f"step '{step.id}' was asked {MAX_ASKS} times and again: its answer "
                    f"{answer_at(step, case)!r} is not understood there, or the flow goes round in a loop"
                ]
            self.type(answer_at(step, case))
        unused = [step for step in case.answers or {} if step not in times]
        return [f"the answer for step '{step}' was never typed: the step was not asked" for step in unused]


def run_case(engine: Engine, flow_id: str, case: Case, source: str = "") -> CaseResult:
    """Type a case's inputs, then its answers by step, and compare where it ends with `expect`."""
    run = _Run(engine, flow_id)
    for typed in case.inputs:
        run.type(typed)
    failures = run.by_step(case) if case.answers is not None else []
    result = next((reply for reply in engine.current(run.conversation) if isinstance(reply, Result)), None)
    failures += _verdict(run.flow, case.expect, run.conversation, run.asked, result)
    lines = run.lines + [f"  ✗ {failure}" for failure in failures]
    return CaseResult(case.name, not failures, "\n".join(lines), tuple(failures), source, case.line)


def run_cases(engine: Engine, path: Path) -> list[CaseResult]:
    """Run every case in a file; raise FlowErrors (file:line) if the file itself is wrong."""
    cases = parse_cases(read_source(path), engine.flows, source=str(path))
    return [run_case(engine, cases.flow, case, str(path)) for case in cases.cases]
