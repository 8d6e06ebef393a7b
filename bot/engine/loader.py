"""Text in, frozen Flow out: YAML → shape check → meaning checks → Flow.

`parse_flow` does no I/O; `load_flow` reads one file; `load_flows` reads a folder.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import ValidationError

from bot.engine.conditions import parse_condition
from bot.engine.given import ContentView
from bot.engine.language_file import read_language
from bot.engine.model import (
    ACCOUNT_REVIEW,
    EMERGENCY_CONFIRM,
    FLAG_VALUES,
    NO,
    NOT_SURE,
    PROMPTS,
    ROUTE,
    YES,
    Branch,
    Choice,
    Cues,
    ExcerptRule,
    Flow,
    Interrupt,
    Level,
    Outcome,
    Range,
    Rule,
    Step,
    StepKind,
)
from bot.engine.quantities import durations
from bot.engine.schema import ExcerptRuleSpec, FlowSpec, Next, StepSpec
from bot.engine.suggest import did_you_mean
from bot.engine.text import normalize, words
from bot.yamlfiles.errors import (
    ButtonLabelTooLongError,
    DeadEndError,
    DuplicateIdError,
    FlagValueError,
    FlowErrors,
    FlowProblem,
    LanguageError,
    MissingContentError,
    NoFlowsError,
    RangeError,
    ShapeError,
    SharedWordsError,
    TextTooLongError,
    UnknownTargetError,
)
from bot.yamlfiles.yaml_source import line_at, read_source, read_yaml

MAX_LABEL_BYTES = 64
MAX_TEXT_CHARS = 4096


def _slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_") or "choice"


class _FlowBuilder:
    """Runs the meaning checks while building, so every problem is collected in one pass."""

    def __init__(self, spec: FlowSpec, raw: Any, source: str, content: ContentView) -> None:
        self.spec, self.raw, self.source, self.content = spec, raw, source, content
        self.problems: list[FlowProblem] = []

    def line(self, path: tuple[Any, ...]) -> int:
        return line_at(self.raw, path)

    def report(self, kind: type[FlowProblem], path: tuple[Any, ...], what: str, fix: str) -> None:
        self.problems.append(kind(self.source, self.line(path), what, fix))

    def misnamed(self, name: str, known: set[str], fallback: str) -> str:
        """The fix for a `next:` or rule naming nothing: where the close step or outcome is defined, and to rename one.

        "Did you mean" alone would steer the maintainer to copy a typo made in the definition's own `id:`.
        """
        hint = did_you_mean(name, known)
        if not hint:
            return fallback
        near = hint.split("'")[1]
        where = [("steps", i) for i, s in enumerate(self.spec.steps) if s.id == near]
        where += [("outcomes", i) for i, o in enumerate(self.spec.outcomes) if o.id == near]
        if not where:
            return hint
        kind = "step" if where[0][0] == "steps" else "outcome"
        return (
            f"{self.source}:{self.line(where[0])} defines {kind} '{near}'; "
            f"rename one of the two so they match ('{name}' here, or `id: {near}` there)"
        )

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
        named = [(s.id, ("steps", i, "id")) for i, s in enumerate(spec.steps)]
        named += [(o.id, ("outcomes", i, "id")) for i, o in enumerate(spec.outcomes)]
        for name, where in named:
            if name == ROUTE or name in PROMPTS:
                self.report(
                    DuplicateIdError,
                    where,
                    f"'{name}' is reserved for the engine's own questions and routing",
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
        language, language_cues, language_problems = read_language(
            self.content.language, self.content.language_source, {x.id for x in interrupts}
        )
        self.problems.extend(language_problems)
        if self.content.second_reader is not None and language.frames:
            language = dataclasses.replace(language, second_reader=self.content.second_reader)
        synonyms = self._flow_synonyms(known)
        self._check_cues()
        for i, s in enumerate(spec.steps):
            if s.id in steps:
                self._check_words(steps[s.id], synonyms, ("steps", i))
        prompts = self._prompts(steps)
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
            cues=Cues(
                **{name: (*phrases, *language_cues.get(name, ())) for name, phrases in spec.cues.model_dump().items()}
            ),
            language=language,
            synonyms=MappingProxyType(synonyms),
            prompts=MappingProxyType(prompts),
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
                    self.misnamed(target, step_ids | outcome_ids, "define it or fix the name"),
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
                choices.append(
                    Choice(
                        value,
                        label,
                        branches,
                        self.line(here),
                        synonyms=tuple(c.synonyms),
                        mentions=tuple(c.mentions),
                        range=self._range(c.range, (*here, "range")) if c.range else None,
                        explains=c.explains,
                        from_age=c.from_age,
                    )
                )
            self._check_step_kind(s, choices, path)
            if s.kind in (StepKind.RED_FLAG, StepKind.EMERGENCY):
                values = [c.value for c in choices]
                explained = {c.value for c in choices if c.explains} if s.kind == StepKind.RED_FLAG else set()
                bad = [v for v in values if v not in FLAG_VALUES and v not in explained]
                if bad or YES not in values:
                    self.report(
                        FlagValueError,
                        (*path, "choices"),
                        f"{s.kind} step '{s.id}' records {', '.join(values)}",
                        f"its choices must record only {', '.join(FLAG_VALUES)} (a red flag may add a choice with "
                        "`explains: true`), and include yes",
                    )
            for j, c in enumerate(s.choices):
                if c.from_age is not None and not c.explains:
                    self.report(
                        FlagValueError,
                        (*path, "choices", j, "from_age"),
                        f"choice '{c.value or _slug(c.label)}' of step '{s.id}' has `from_age` but explains nothing",
                        "`from_age` says from what age the choice's clear cause holds: add `explains: true`, "
                        "or remove `from_age`",
                    )
                if c.explains and s.kind != StepKind.RED_FLAG:
                    self.report(
                        FlagValueError,
                        (*path, "choices", j, "explains"),
                        f"choice '{c.value or _slug(c.label)}' of {s.kind} step '{s.id}' says it explains a red flag",
                        "`explains: true` belongs on a choice of a red_flag step; remove it",
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
                    quantity=s.quantity,
                    combined=s.combined,
                    symptom_words=tuple(normalize(w) for w in s.symptom_words),
                    from_account=s.from_account,
                    variants=tuple(
                        (
                            parse_condition(
                                v.when, (*path, "variants", j, "when"), known, self.line, self.source, self.problems
                            ),
                            self.text(v.text, (*path, "variants", j, "text")),
                        )
                        for j, v in enumerate(s.variants)
                    ),
                    required=s.required,
                )
            )
        accounts = [i for i, s in enumerate(self.spec.steps) if s.kind == StepKind.ACCOUNT]
        for i in accounts[1:]:
            self.report(
                DuplicateIdError,
                ("steps", i, "kind"),
                "a flow can invite the person's account only once",
                f"keep one step of kind `account` (the first is on line {self.line(('steps', accounts[0]))})",
            )
        return steps

    def _check_step_kind(self, s: StepSpec, choices: list[Choice], path: tuple[Any, ...]) -> None:
        """Accounts have one way on (Skip); quantities need ranges; `combined` names a choice."""
        values = [c.value for c in choices]
        if s.symptom_words and s.kind != StepKind.ACCOUNT:
            self.report(
                ShapeError,
                (*path, "symptom_words"),
                f"step '{s.id}' has `symptom_words`, which only an account step uses",
                "move them to the step of kind `account`, or remove them",
            )
        if s.kind == StepKind.ACCOUNT and len(choices) != 1:
            self.report(
                ShapeError,
                (*path, "choices"),
                f"account step '{s.id}' has {len(choices)} choices",
                'give it exactly one, the button that skips it: `- {label: "Skip", value: skip}`',
            )
        if s.combined is not None and s.combined not in values:
            self.report(
                UnknownTargetError,
                (*path, "combined"),
                f"`combined` names '{s.combined}', which is not a choice of step '{s.id}'",
                did_you_mean(s.combined, values) or f"use one of: {', '.join(values)}",
            )
        ranged = [(j, c) for j, c in enumerate(choices) if c.range is not None]
        if s.quantity is None and ranged:
            self.report(
                RangeError,
                (*path, "choices", ranged[0][0], "range"),
                f"step '{s.id}' has ranges but does not say what they measure",
                "add `quantity: duration` to the step",
            )
        if s.quantity is not None and not ranged:
            self.report(
                RangeError,
                (*path, "quantity"),
                f"step '{s.id}' reads a {s.quantity} but none of its choices has a `range`",
                "give the choices ranges, e.g. `range: {from: 0 days, below: 2 weeks}`",
            )
        specified = sum(1 for c in s.choices if c.range is not None)
        broken = len(ranged) < specified or any(c.range.high <= c.range.low for _, c in ranged if c.range)
        if s.quantity and ranged and not broken:  # a range that didn't parse is reported once, not as a gap too
            self._check_ranges(s.id, ranged, path)

    def _check_ranges(self, step_id: str, ranged: list[tuple[int, Choice]], path: tuple[Any, ...]) -> None:
        ordered = sorted(ranged, key=lambda item: item[1].range.low if item[1].range else 0.0)
        expected = 0.0
        for j, choice in ordered:
            assert choice.range is not None
            here = (*path, "choices", j, "range")
            if choice.range.low > expected:
                self.report(
                    RangeError,
                    here,
                    f"step '{step_id}': no choice covers {_days(expected)} to {_days(choice.range.low)}",
                    f"start this range `from: {_days(expected)}`, or add a choice for the gap",
                )
            elif choice.range.low < expected:
                self.report(
                    RangeError,
                    here,
                    f"step '{step_id}': the range of '{choice.value}' overlaps the one before it",
                    f"start it `from: {_days(expected)}`, where the previous range ends",
                )
            expected = max(expected, choice.range.high)
        if expected != float("inf"):
            j = ordered[-1][0]
            self.report(
                RangeError,
                (*path, "choices", j, "range"),
                f"step '{step_id}': nothing covers {_days(expected)} or more",
                "leave out `below:` on the last range, so every amount has a choice",
            )

    def _range(self, spec: Any, path: tuple[Any, ...]) -> Range | None:
        low = self._amount(spec.start, (*path, "from"))
        high = self._amount(spec.below, (*path, "below")) if spec.below is not None else float("inf")
        if low is None or high is None:
            return None
        if high <= low:
            self.report(RangeError, path, f"range ends ({spec.below}) before it starts ({spec.start})", "swap them")
        return Range(low, high)

    def _amount(self, text: str | float, path: tuple[Any, ...]) -> float | None:
        written = f"{text:g}" if isinstance(text, float) else str(text)
        if written.strip() in ("0", "0.0"):
            return 0.0  # nothing needs no unit
        found = durations(words(written))
        if len(found) != 1:
            self.report(
                RangeError,
                path,
                f"'{written}' is not one duration",
                "write a number and a unit, e.g. `2 weeks`, `0 days`",
            )
            return None
        return found[0].days

    def _check_cues(self) -> None:
        """A cue in two classes that pull opposite ways ("no" as negation and as now) makes the rules guess."""
        classes = self.spec.cues.model_dump()
        opposite = [("negation", "now"), ("negation", "not_negation"), ("distant_past", "now"), ("now", "maybe")]
        for first, second in opposite:
            for j, cue in enumerate(classes[second]):
                if normalize(cue) in {normalize(c) for c in classes[first]}:
                    self.report(
                        LanguageError,
                        ("cues", second, j),
                        f"cue '{cue}' is both a `{first}` and a `{second}` cue",
                        "keep it in one of the two lists",
                    )

    def _flow_synonyms(self, known: Mapping[str, frozenset[str]]) -> dict[str, tuple[str, ...]]:
        values = frozenset().union(*known.values()) if known else frozenset()
        for value in self.spec.synonyms:
            if value not in values:
                self.report(
                    UnknownTargetError,
                    ("synonyms", value),
                    f"synonyms for '{value}', but no choice records that value",
                    did_you_mean(value, values) or "use a value that choices record, like yes, no or not_sure",
                )
        return {value: tuple(phrases) for value, phrases in self.spec.synonyms.items()}

    def _check_words(self, step: Step, flow_synonyms: Mapping[str, tuple[str, ...]], path: tuple[Any, ...]) -> None:
        """One typed phrase must mean one choice: a word shared by two is a guess waiting to happen.

        Labels and values are registered first, so a clash is reported where the synonym was added.
        """
        own: list[tuple[str, int, list[str]]] = [
            (c.value, j, [c.label, c.value.replace("_", " ")]) for j, c in enumerate(step.choices)
        ]
        own += [(c.value, j, [*c.synonyms, *flow_synonyms.get(c.value, ())]) for j, c in enumerate(step.choices)]
        mentions = [(c.value, j, list(c.mentions)) for j, c in enumerate(step.choices)]
        for kind, listed in (("synonyms", own), ("mentions", mentions)):
            owner: dict[str, str] = {}
            for value, j, phrases in listed:
                for phrase in dict.fromkeys(normalize(p) for p in phrases):
                    first = owner.setdefault(phrase, value)
                    if first != value:
                        self.report(
                            SharedWordsError,
                            (*path, "choices", j, kind),
                            f"'{phrase}' means both '{first}' and '{value}' in step '{step.id}'",
                            f"keep it in the {kind} of one choice only",
                        )

    def _prompts(self, steps: Mapping[str, Step]) -> dict[str, Step]:
        """The engine's own questions, with texts from the flow's `prompts:` and labels from content."""
        spec = self.spec.prompts
        yes_no = (
            Choice(YES, self._label("buttons.yes", "Yes"), (), 0),
            Choice(NO, self._label("buttons.no", "No"), (), 0),
            Choice(NOT_SURE, self._label("buttons.not_sure", "Not sure"), (), 0),
        )
        prompts = {  # "Not sure" whether it is happening now is answered like "yes": the emergency advice
            EMERGENCY_CONFIRM: Step(
                EMERGENCY_CONFIRM,
                self.text(spec.emergency_confirm, ("prompts", "emergency_confirm")),
                StepKind.EMERGENCY,
                EMERGENCY_CONFIRM,
                "",
                yes_no,
            )
        }
        if any(step.kind == StepKind.ACCOUNT for step in steps.values()):
            review_choices = (
                Choice(YES, self._label("buttons.account_right", "Yes, that's right"), (), 0),
                Choice(NO, self._label("buttons.account_change", "Change"), (), 0),
            )
            prompts[ACCOUNT_REVIEW] = Step(
                ACCOUNT_REVIEW,
                self.text(spec.account_review, ("prompts", "account_review")),
                StepKind.QUESTION,
                ACCOUNT_REVIEW,
                "",
                review_choices,
            )
        return prompts

    def _label(self, key: str, default: str) -> str:
        return self.content.texts.get(key, default)

    def _rules(self, outcome_ids: set[str], known: Mapping[str, frozenset[str]]) -> list[Rule]:
        rules = []
        for i, r in enumerate(self.spec.routing):
            path = ("routing", i)
            if r.outcome not in outcome_ids:
                self.report(
                    UnknownTargetError,
                    (*path, "outcome"),
                    f"routing rule goes to unknown outcome '{r.outcome}'",
                    self.misnamed(r.outcome, outcome_ids, "define the outcome or fix the name"),
                )
            rules.append(
                Rule(
                    r.outcome,
                    parse_condition(r.when, (*path, "when"), known, self.line, self.source, self.problems),
                    self.line(path),
                    r.why,
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
            if not x.phrases and not x.patterns and not x.unclear and not x.unclear_patterns:
                self.report(
                    LanguageError,
                    ("interrupts", i),
                    f"emergency concept '{x.id}' has no phrases, patterns or unclear phrases",
                    "add `phrases: [...]` with what people type",
                )
            phrases = {normalize(p) for p in (*x.phrases, *x.unclear)}
            for j, phrase in enumerate(x.unless):
                if normalize(phrase) in phrases:
                    self.report(
                        LanguageError,
                        ("interrupts", i, "unless", j),
                        f"'{phrase}' is both a phrase and an `unless` of concept '{x.id}', so it can never fire",
                        "remove it from `unless`, or from the phrases",
                    )
            for field, j, pattern in [
                *(("patterns", j, p) for j, p in enumerate(x.patterns)),
                *(("unclear_patterns", j, p) for j, p in enumerate(x.unclear_patterns)),
            ]:
                if any(mark in pattern for mark in "'’"):
                    self.report(
                        LanguageError,
                        ("interrupts", i, field, j),
                        f"pattern {pattern!r} of concept '{x.id}' has an apostrophe, so it can never match",
                        "patterns see words without apostrophes: write `cant`, not `can't`",
                    )
                try:
                    re.compile(pattern)
                except re.error as error:
                    self.report(
                        LanguageError,
                        ("interrupts", i, field, j),
                        f"pattern {pattern!r} of concept '{x.id}' is not a regular expression ({error})",
                        "fix the pattern; patterns match lower-case words without punctuation",
                    )
            if x.outcome not in outcome_ids:
                self.report(
                    UnknownTargetError,
                    ("interrupts", i, "outcome"),
                    f"interrupt '{x.id}' goes to unknown outcome '{x.outcome}'",
                    did_you_mean(x.outcome, outcome_ids) or "define the outcome or fix the name",
                )
            interrupts.append(
                Interrupt(
                    x.id,
                    tuple(x.phrases),
                    x.outcome,
                    self.line(("interrupts", i)),
                    patterns=tuple(x.patterns),
                    unclear=tuple(x.unclear),
                    unless=tuple(x.unless),
                    unclear_patterns=tuple(x.unclear_patterns),
                )
            )
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


def _days(amount: float) -> str:
    return "no end" if amount == float("inf") else f"{amount:g} days"


def _shape_problems(error: ValidationError, raw: Any, source: str) -> list[FlowProblem]:
    problems: list[FlowProblem] = []
    for item in error.errors():
        loc = tuple(part for part in item["loc"] if not (isinstance(part, str) and part in _TYPE_TAGS))
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
        elif item["type"] == "literal_error":
            allowed_values = re.findall(r"'([^']*)'", str(item.get("ctx", {}).get("expected", "")))
            fix = did_you_mean(str(item.get("input")), allowed_values) or f"use one of: {', '.join(allowed_values)}"
            problems.append(ShapeError(source, line, f"'{'.'.join(map(str, loc))}': {item['msg']}", fix))
        else:
            kind = "value" if item["type"].startswith(("greater", "less")) else "value's type"
            problems.append(
                ShapeError(
                    source,
                    line,
                    f"'{'.'.join(map(str, loc))}': {item['msg']}",
                    f"fix the {kind} (see docs/flows.md)",
                )
            )
    return problems


_TYPE_TAGS = frozenset({"str", "int", "float", "constrained-str", "list[BranchSpec]", "list[str]"})
"""Names pydantic puts in an error's location for the branch of a union it tried: not the maintainer's keys."""


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
    return {field.alias or name for name, field in model.model_fields.items()}


def parse_flow(text: str, content: ContentView, source: str = "<flow>") -> Flow:
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


def load_flow(path: Path, content: ContentView) -> Flow:
    """Read one flow file."""
    return parse_flow(read_source(path), content, source=str(path))


def flow_files(folder: Path) -> list[Path]:
    """The flow files in a folder (test cases live in flows/tests/ and are not flows)."""
    return sorted(p for p in folder.glob("*.y*ml") if p.is_file())


def load_flows(paths: list[Path], content: ContentView) -> dict[str, Flow]:
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
