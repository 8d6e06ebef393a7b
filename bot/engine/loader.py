"""Text in, frozen Flow out: YAML → shape check → meaning checks → Flow.

`parse_flow` does no I/O; `load_flow` reads one file; `load_flows` reads a folder.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import ValidationError

from bot.content.library import Content
from bot.engine.conditions import parse_condition
from bot.engine.errors import (
    ButtonLabelTooLongError,
    DeadEndError,
    DuplicateIdError,
    FlagValueError,
    FlowErrors,
    FlowProblem,
    MissingContentError,
    NoFlowsError,
    ShapeError,
    TextTooLongError,
    UnknownTargetError,
)
from bot.engine.model import (
    FLAG_VALUES,
    ROUTE,
    YES,
    Branch,
    Choice,
    ExcerptRule,
    Flow,
    Interrupt,
    Level,
    Outcome,
    Rule,
    Step,
)
from bot.engine.schema import ExcerptRuleSpec, FlowSpec, Next
from bot.engine.suggest import did_you_mean
from bot.engine.yaml_source import line_at, read_yaml

MAX_LABEL_BYTES = 64
MAX_TEXT_CHARS = 4096


def _slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_") or "choice"


class _FlowBuilder:
    """Runs the meaning checks while building, so every problem is collected in one pass."""

    def __init__(self, spec: FlowSpec, raw: Any, source: str, content: Content) -> None:
        self.spec, self.raw, self.source, self.content = spec, raw, source, content
        self.problems: list[FlowProblem] = []

    def line(self, path: tuple[Any, ...]) -> int:
        return line_at(self.raw, path)

    def report(self, kind: type[FlowProblem], path: tuple[Any, ...], what: str, fix: str) -> None:
        self.problems.append(kind(self.source, self.line(path), what, fix))

    def text(self, value: str, path: tuple[Any, ...]) -> str:
        """Resolve `@key` against content/ and check Telegram's length limit."""
        if value.startswith("@@"):
            value = value[1:]
        elif value.startswith("@"):
            key = value[1:]
            if key not in self.content.texts:
                self.report(
                    MissingContentError,
                    path,
                    f"text reference '@{key}' is not in content/",
                    did_you_mean(key, self.content.texts) or "add the key to content/<language>/texts.yaml",
                )
                return key
            value = self.content.texts[key]
        if len(value) > MAX_TEXT_CHARS:
            self.report(
                TextTooLongError,
                path,
                f"text is {len(value)} characters, over Telegram's {MAX_TEXT_CHARS}",
                "shorten it or split it",
            )
        return value

    def unique(self, kind: str, ids: list[tuple[str, tuple[Any, ...]]]) -> None:
        seen: dict[str, int] = {}
        for name, path in ids:
            if name in seen:
                self.report(
                    DuplicateIdError,
                    path,
                    f"{kind} id '{name}' is used twice (first on line {seen[name]})",
                    f"give each {kind} its own id",
                )
            else:
                seen[name] = self.line(path)

    def build(self) -> Flow:
        spec = self.spec
        step_ids = {step.id for step in spec.steps}
        outcome_ids = {outcome.id for outcome in spec.outcomes}
        self.unique("step", [(s.id, ("steps", i, "id")) for i, s in enumerate(spec.steps)])
        self.unique("outcome", [(o.id, ("outcomes", i, "id")) for i, o in enumerate(spec.outcomes)])
        self.unique("interrupt", [(x.id, ("interrupts", i, "id")) for i, x in enumerate(spec.interrupts)])
        self.unique(
            "answer key (`records`)",
            [(s.records or s.id, ("steps", i, "records" if s.records else "id")) for i, s in enumerate(spec.steps)],
        )
        for name in step_ids & outcome_ids:
            self.report(
                DuplicateIdError, ("outcomes",), f"'{name}' is both a step and an outcome", "rename one of them"
            )
        for name in step_ids | outcome_ids:
            if name == ROUTE:
                self.report(
                    DuplicateIdError,
                    ("steps",),
                    f"'{ROUTE}' is reserved for the routing rules",
                    "rename the step or outcome",
                )

        known = self._known_answers()
        steps = {step.id: step for step in self._steps(step_ids, outcome_ids, known)}
        if spec.start not in step_ids:
            self.report(
                UnknownTargetError,
                ("start",),
                f"start step '{spec.start}' does not exist",
                did_you_mean(spec.start, step_ids) or "set `start:` to the id of the first step",
            )

        rules = tuple(self._rules(outcome_ids, known))
        interrupts = tuple(self._interrupts(outcome_ids))
        excerpts = tuple(self._excerpt_rules(spec.excerpts, ("excerpts",), known))
        outcomes = {o.id: o for o in self._outcomes(known)}
        if self.problems:
            raise FlowErrors(self.problems)
        return Flow(
            id=spec.flow,
            title=spec.title,
            start=spec.start,
            steps=MappingProxyType(steps),
            outcomes=MappingProxyType(outcomes),
            rules=rules,
            interrupts=interrupts,
            excerpts=excerpts,
            max_excerpts=spec.max_excerpts,
            source=self.source,
        )

    def _known_answers(self) -> dict[str, frozenset[str]]:
        known: dict[str, frozenset[str]] = {}
        for step in self.spec.steps:
            key = step.records or step.id
            # Merge, so a duplicated step id is reported once and not again as impossible values.
            known[key] = known.get(key, frozenset()) | {c.value or _slug(c.label) for c in step.choices}
        return known

    def _targets(
        self,
        nxt: Next | None,
        path: tuple[Any, ...],
        step_ids: set[str],
        outcome_ids: set[str],
        known: Mapping[str, frozenset[str]],
        what: str,
    ) -> tuple[Branch, ...]:
        if nxt is None:
            self.report(
                DeadEndError,
                path,
                f"{what} leads nowhere",
                "add `next:` to the choice or to its step (a step id, an outcome id, or `route`)",
            )
            return ()
        branch_specs = (
            [(nxt, None, path)] if isinstance(nxt, str) else [(b.to, b.when, (*path, i)) for i, b in enumerate(nxt)]
        )
        branches = []
        for target, when, here in branch_specs:
            if target != ROUTE and target not in step_ids and target not in outcome_ids:
                self.report(
                    UnknownTargetError,
                    here,
                    f"{what} goes to unknown step '{target}'",
                    did_you_mean(target, step_ids | outcome_ids) or "define it or fix the name",
                )
            condition = parse_condition(when, (*here, "when"), known, self.line, self.source, self.problems)
            branches.append(Branch(target, condition, self.line(here)))
        if branches and branches[-1].when.keys():
            self.report(
                DeadEndError,
                path,
                f"{what} has no branch for when no condition holds",
                "end the list with a branch that has no `when:`",
            )
        return tuple(branches)

    def _steps(self, step_ids: set[str], outcome_ids: set[str], known: Mapping[str, frozenset[str]]) -> list[Step]:
        steps = []
        for i, s in enumerate(self.spec.steps):
            path = ("steps", i)
            self.unique(
                f"choice value in step '{s.id}'",
                [(c.value or _slug(c.label), (*path, "choices", j)) for j, c in enumerate(s.choices)],
            )
            choices = []
            step_branches: tuple[Branch, ...] | None = None
            for j, c in enumerate(s.choices):
                here = (*path, "choices", j)
                label = self.text(c.label, (*here, "label"))
                if len(label.encode()) > MAX_LABEL_BYTES:
                    self.report(
                        ButtonLabelTooLongError,
                        (*here, "label"),
                        f"button label is {len(label.encode())} bytes, over Telegram's {MAX_LABEL_BYTES}",
                        "shorten the label (emoji and accents take several bytes)",
                    )
                value = c.value or _slug(c.label)
                if c.next is not None:
                    branches = self._targets(
                        c.next, (*here, "next"), step_ids, outcome_ids, known, f"choice '{value}' of step '{s.id}'"
                    )
                elif s.next is None:
                    branches = self._targets(
                        None, here, step_ids, outcome_ids, known, f"choice '{value}' of step '{s.id}'"
                    )
                else:
                    # The step's shared `next:` is checked once (below), not once per choice.
                    if step_branches is None:
                        step_branches = self._targets(
                            s.next, (*path, "next"), step_ids, outcome_ids, known, f"step '{s.id}'"
                        )
                    branches = step_branches
                choices.append(Choice(value, label, branches, self.line(here)))
            if s.kind != "question":
                values = [c.value for c in choices]
                bad = [v for v in values if v not in FLAG_VALUES]
                if bad or YES not in values:
                    self.report(
                        FlagValueError,
                        (*path, "choices"),
                        f"{s.kind} step '{s.id}' records {', '.join(values)}",
                        f"its choices must record only {', '.join(FLAG_VALUES)}, and include yes",
                    )
            topic = self.text(s.topic, (*path, "topic")) if s.topic else s.id.replace("_", " ").capitalize()
            steps.append(
                Step(
                    s.id,
                    self.text(s.text, (*path, "text")),
                    s.kind,
                    s.records or s.id,
                    topic,
                    tuple(choices),
                    self.line(path),
                )
            )
        return steps

    def _rules(self, outcome_ids: set[str], known: Mapping[str, frozenset[str]]) -> list[Rule]:
        rules = []
        for i, r in enumerate(self.spec.routing):
            path = ("routing", i)
            if r.outcome not in outcome_ids:
                self.report(
                    UnknownTargetError,
                    (*path, "outcome"),
                    f"routing rule goes to unknown outcome '{r.outcome}'",
                    did_you_mean(r.outcome, outcome_ids) or "define the outcome or fix the name",
                )
            rules.append(
                Rule(
                    r.outcome,
                    parse_condition(r.when, (*path, "when"), known, self.line, self.source, self.problems),
                    self.line(path),
                )
            )
        if rules and rules[-1].when.keys():
            self.report(
                DeadEndError,
                ("routing",),
                "the routing rules have no catch-all at the end",
                "end `routing:` with a rule that has no `when:`",
            )
        return rules

    def _interrupts(self, outcome_ids: set[str]) -> list[Interrupt]:
        interrupts = []
        for i, x in enumerate(self.spec.interrupts):
            if x.outcome not in outcome_ids:
                self.report(
                    UnknownTargetError,
                    ("interrupts", i, "outcome"),
                    f"interrupt '{x.id}' goes to unknown outcome '{x.outcome}'",
                    did_you_mean(x.outcome, outcome_ids) or "define the outcome or fix the name",
                )
            interrupts.append(Interrupt(x.id, tuple(x.phrases), x.outcome, self.line(("interrupts", i))))
        return interrupts

    def _excerpt_rules(
        self, specs: list[ExcerptRuleSpec], path: tuple[Any, ...], known: Mapping[str, frozenset[str]]
    ) -> list[ExcerptRule]:
        rules = []
        for i, e in enumerate(specs):
            here = (*path, i)
            if e.excerpt not in self.content.excerpts:
                self.report(
                    MissingContentError,
                    (*here, "excerpt"),
                    f"excerpt '{e.excerpt}' is not in content/",
                    did_you_mean(e.excerpt, self.content.excerpts) or "add it to excerpts.yaml or fix the id",
                )
            when = parse_condition(e.when, (*here, "when"), known, self.line, self.source, self.problems)
            rules.append(ExcerptRule(e.excerpt, when, self.line(here)))
        return rules

    def _outcomes(self, known: Mapping[str, frozenset[str]]) -> list[Outcome]:
        outcomes = []
        for i, o in enumerate(self.spec.outcomes):
            path = ("outcomes", i)
            for j, source_id in enumerate(o.sources):
                if source_id not in self.content.sources:
                    self.report(
                        MissingContentError,
                        (*path, "sources", j),
                        f"source '{source_id}' is not in content/",
                        did_you_mean(source_id, self.content.sources) or "add it to sources.yaml",
                    )
            notes = tuple(
                (
                    parse_condition(n.when, (*path, "notes", j, "when"), known, self.line, self.source, self.problems),
                    self.text(n.text, (*path, "notes", j, "text")),
                )
                for j, n in enumerate(o.notes)
            )
            outcomes.append(
                Outcome(
                    id=o.id,
                    level=Level.from_key(o.level),
                    title=self.text(o.title, (*path, "title")),
                    recommendation=self.text(o.recommendation, (*path, "recommendation")),
                    watch_for=self.text(o.watch_for, (*path, "watch_for")),
                    tips=self.text(o.tips, (*path, "tips")) if o.tips else "",
                    notes=notes,
                    excerpts=tuple(self._excerpt_rules(o.excerpts, (*path, "excerpts"), known)),
                    sources=tuple(o.sources),
                    line=self.line(path),
                )
            )
        return outcomes


def _shape_problems(error: ValidationError, raw: Any, source: str) -> list[FlowProblem]:
    problems: list[FlowProblem] = []
    for item in error.errors():
        loc = tuple(part for part in item["loc"] if not (isinstance(part, str) and part in ("str", "list[BranchSpec]")))
        line = line_at(raw, loc)
        where = ".".join(str(part) for part in loc[:-1]) or "the flow"
        name = loc[-1] if loc else "flow"
        if item["type"] == "extra_forbidden":
            allowed = _allowed_keys(loc[:-1])
            hint = did_you_mean(str(name), allowed)
            problems.append(
                ShapeError(
                    source,
                    line,
                    f"unknown key '{name}' in {where}",
                    hint or f"allowed keys are: {', '.join(sorted(allowed))}",
                )
            )
        elif item["type"] == "missing":
            problems.append(ShapeError(source, line, f"{where} is missing '{name}'", f"add `{name}:`"))
        else:
            problems.append(
                ShapeError(
                    source,
                    line,
                    f"'{'.'.join(map(str, loc))}': {item['msg']}",
                    "fix the value's type (see docs/flows.md)",
                )
            )
    return problems


def _allowed_keys(loc: tuple[Any, ...]) -> set[str]:
    """The field names of the spec model found at `loc`, to suggest the intended key."""
    model: Any = FlowSpec
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            break
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        candidates = [a for a in (annotation, *args) if isinstance(a, type) and hasattr(a, "model_fields")]
        for arg in args:
            candidates += [
                a for a in getattr(arg, "__args__", ()) if isinstance(a, type) and hasattr(a, "model_fields")
            ]
        if not candidates:
            break
        model = candidates[0]
    return set(model.model_fields)


def parse_flow(text: str, content: Content, source: str = "<flow>") -> Flow:
    """Build a validated Flow from YAML text; raise FlowErrors listing every problem."""
    raw, problems = read_yaml(text, source)
    if raw is None and not problems:
        problems = [ShapeError(source, 1, "the flow file is empty", "start with `flow: <id>` (see docs/flows.md)")]
    if problems and raw is None:
        raise FlowErrors(problems)
    if not isinstance(raw, dict):
        raise FlowErrors([*problems, ShapeError(source, 1, "a flow must be a mapping", "start with `flow: <id>`")])
    try:
        spec = FlowSpec.model_validate(dict(raw))
    except ValidationError as error:
        raise FlowErrors(problems + _shape_problems(error, raw, source)) from None
    builder = _FlowBuilder(spec, raw, source, content)
    builder.problems.extend(problems)
    return builder.build()


def load_flow(path: Path, content: Content) -> Flow:
    """Read one flow file."""
    return parse_flow(path.read_text(encoding="utf-8"), content, source=str(path))


def flow_files(folder: Path) -> list[Path]:
    """The flow files in a folder (test cases live in flows/tests/ and are not flows)."""
    return sorted(p for p in folder.glob("*.y*ml") if p.is_file())


def load_flows(paths: list[Path], content: Content) -> dict[str, Flow]:
    """Load flow files and folders; raise FlowErrors with every problem of every file."""
    files: list[Path] = []
    problems: list[FlowProblem] = []
    for path in paths:
        if path.is_dir():
            found = flow_files(path)
            if not found:
                problems.append(
                    NoFlowsError(
                        str(path),
                        0,
                        "no flow files (*.yaml) in this folder",
                        "add a flow, e.g. copy the example in docs/flows.md",
                    )
                )
            files += found
        elif path.is_file():
            files.append(path)
        else:
            problems.append(NoFlowsError(str(path), 0, "no such file or folder", "check the path"))
    flows: dict[str, Flow] = {}
    for file in files:
        try:
            flow = load_flow(file, content)
        except FlowErrors as errors:
            problems += errors.problems
            continue
        if flow.id in flows:
            problems.append(
                DuplicateIdError(
                    str(file),
                    1,
                    f"flow id '{flow.id}' is also used by {flows[flow.id].source}",
                    "give each flow its own `flow:` id",
                )
            )
        flows[flow.id] = flow
    if problems:
        raise FlowErrors(problems)
    return flows
