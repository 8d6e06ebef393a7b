"""Conversation test cases written in YAML (`flows/tests/*.yaml`), run by `twitchcheck test`.

    flow: twitching
    cases:
      - name: weakness means seeing a doctor soon
        inputs: [no, arm, "less than 2 weeks", no, no, no, no, no, yes, no, no, no, no]
        expect: {level: urgent}

`inputs` are typed as a person would type them (numbers, labels, "nope", typos, emergency
phrases), plus the commands `/back` and `/restart`. `expect` may hold any of: `level`,
`outcome` or `step` (where the conversation must be after the last input), `asked` and
`not_asked` (steps that must, or must not, have been shown), and `excerpts` (shown with the
recommendation). Mistakes in a case file are reported as `file:line` like flow mistakes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.engine.check import used_excerpts
from bot.engine.conversation import Conversation
from bot.engine.engine import Engine
from bot.engine.errors import DuplicateIdError, FlowErrors, FlowProblem, ShapeError, UnknownTargetError
from bot.engine.model import Flow, Level
from bot.engine.replies import Command, Input, Notice, Question, Reply, Result, Typed
from bot.engine.suggest import did_you_mean
from bot.engine.yaml_source import LineDict, LineList, read_source, read_yaml

COMMANDS = {"/back": Command.BACK, "/restart": Command.RESTART, "/start": Command.RESTART}
"""What a typed command means in a case; `/start@bot` works too, as in a group chat."""

FILE_KEYS = ("flow", "cases")
CASE_KEYS = ("name", "inputs", "expect")
EXPECT_KEYS = ("level", "outcome", "step", "asked", "not_asked", "excerpts")


@dataclass(frozen=True, slots=True)
class Expect:
    """What must hold once every input has been typed."""

    level: Level | None = None
    outcome: str | None = None
    step: str | None = None
    asked: tuple[str, ...] = ()
    not_asked: tuple[str, ...] = ()
    excerpts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    inputs: tuple[str, ...]
    expect: Expect
    line: int = 0


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
        self.keys(raw, FILE_KEYS, FILE_KEYS, "the case file")
        flow_id = raw.get("flow")
        flow = self.flows.get(flow_id) if isinstance(flow_id, str) else None
        if "flow" in raw and flow is None:
            self.problem(
                UnknownTargetError,
                raw.key_lines["flow"],
                f"no flow '{flow_id}'",
                did_you_mean(str(flow_id), self.flows) or f"flows: {', '.join(sorted(self.flows))}",
            )
        cases = raw.get("cases", _empty())
        if not isinstance(cases, LineList):
            self.problem(
                ShapeError,
                raw.key_lines.get("cases", raw.line),
                "`cases` must be a list",
                "write each case as `- name: ...`",
            )
            return CaseFile(str(flow_id), (), self.source)
        built = [self.case(item, line, flow) for item, line in zip(cases, cases.item_lines, strict=True)]
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

    def case(self, item: Any, line: int, flow: Flow | None) -> Case | None:
        if not isinstance(item, LineDict):
            self.problem(
                ShapeError, line, "a case must be a mapping", "write `- name: ...`, `inputs: [...]`, `expect: {...}`"
            )
            return None
        self.keys(item, CASE_KEYS, CASE_KEYS, "the case")
        name = item.get("name")
        if "name" in item and not isinstance(name, str):
            self.problem(ShapeError, item.key_lines["name"], "the case name must be text", "quote it")
        inputs = self.inputs(item)
        expect = self.expect(item, flow)
        if expect is None or not isinstance(name, str):
            return None
        return Case(name, inputs, expect, line)

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
            excerpts=self.names(raw, "excerpts", excerpts, "excerpt the flow shows", flow is not None),
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
    """What typing `typed` means: a command (also as `/back@bot`) or an answer."""
    command = typed.strip().lower().split("@", 1)[0]
    return COMMANDS.get(command, Typed(typed))


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
    return failures


def run_case(engine: Engine, flow_id: str, case: Case, source: str = "") -> CaseResult:
    """Type a case's inputs into a fresh conversation and compare where it ends with `expect`."""
    flow = engine.flows[flow_id]
    conversation, replies = engine.start(flow_id)
    asked = {flow.start}
    lines = []
    for typed in case.inputs:
        question = flow.question(conversation.step)
        lines.append(
            f"  {conversation.step}: {_first_line(question.text)}"
            if question
            else f"  (finished at {conversation.step})"
        )
        conversation, replies = engine.advance(conversation, as_input(typed))
        asked |= {reply.step.id for reply in replies if isinstance(reply, Question)}
        lines.append(f"    > {typed!r:<24} → {_led_to(replies, conversation)}")
    final = engine.current(conversation)
    result = next((reply for reply in final if isinstance(reply, Result)), None)
    failures = _verdict(flow, case.expect, conversation, asked, result)
    lines += [f"  ✗ {failure}" for failure in failures]
    return CaseResult(case.name, not failures, "\n".join(lines), tuple(failures), source, case.line)


def run_cases(engine: Engine, path: Path) -> list[CaseResult]:
    """Run every case in a file; raise FlowErrors (file:line) if the file itself is wrong."""
    cases = parse_cases(read_source(path), engine.flows, source=str(path))
    return [run_case(engine, cases.flow, case, str(path)) for case in cases.cases]
