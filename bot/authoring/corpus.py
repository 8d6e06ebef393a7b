"""The language corpus (`flows/tests/language.yaml`): what typed text must mean, with figures.

    flow: twitching
    emergency:  [{text: "I can't breathe", expect: emergency}, {text: "no trouble breathing", expect: calm}]
    answers:    [{step: location, text: "my calf", expect: leg}, {step: duration, text: "a week or two", expect: ask}]
    accounts:   [{text: "calf twitching for 3 days, lots of coffee", expect: {location: leg, caffeine: "yes"}}]

Safety misses always fail: an emergency read as calm, a calm sentence read as an emergency,
an answer recorded as a choice it does not mean, an account filling in a wrong answer.
Understanding misses (asked again instead of understood, an answer not found in an account,
an unneeded confirming question) fail only beyond the targets: 95% of typed answers
understood first time, 80% of an account's stated answers found.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from bot.engine import quantities
from bot.engine.conversation import Conversation
from bot.engine.emergency import Verdict
from bot.engine.engine import Engine
from bot.engine.errors import FlowErrors, FlowProblem, ShapeError, UnknownTargetError
from bot.engine.model import ACCOUNT_REVIEW, EMERGENCY_CONFIRM, NO, YES, Flow, StepKind
from bot.engine.replies import Pick, Typed
from bot.engine.suggest import did_you_mean
from bot.engine.yaml_source import LineDict, LineList, read_source, read_yaml

CORPUS_KEYS = ("flow", "emergency", "answers", "accounts", "today")
CLASSES = {"emergency": Verdict.EMERGENCY, "confirm": Verdict.CONFIRM, "calm": Verdict.NONE}
ASK = "ask"
UNSAFE = {("emergency", "calm"), ("confirm", "calm"), ("calm", "emergency")}
"""(expected, read as) pairs that always fail: a missed emergency, or a false alarm."""
ANSWER_TARGET = 0.95
ACCOUNT_TARGET = 0.80
MAX_REPLIES = 60
"""A simulated check that has not ended after this many replies is stuck: reported, never looped."""


@dataclass(frozen=True, slots=True)
class SentenceCase:
    text: str
    expect: str
    line: int


@dataclass(frozen=True, slots=True)
class AnswerCase:
    step: str
    text: str
    expect: str
    line: int


@dataclass(frozen=True, slots=True)
class AccountCase:
    text: str
    expect: Mapping[str, str]
    line: int


@dataclass(frozen=True, slots=True)
class Corpus:
    flow: str
    sentences: tuple[SentenceCase, ...]
    answers: tuple[AnswerCase, ...]
    accounts: tuple[AccountCase, ...]
    source: str
    today: date | None = None
    """The day the cases were written for: "since Easter" is read against it, so the corpus never ages."""


def is_corpus(raw: Any) -> bool:
    """A case file holding a language corpus rather than conversation cases."""
    return isinstance(raw, dict) and any(key in raw for key in CORPUS_KEYS[1:])


# --- reading ----------------------------------------------------------------------------------


class _Reader:
    def __init__(self, source: str, flow: Flow | None) -> None:
        self.source, self.flow = source, flow
        self.problems: list[FlowProblem] = []

    def problem(self, kind: type[FlowProblem], line: int, what: str, fix: str) -> None:
        self.problems.append(kind(self.source, line, what, fix))

    def items(self, raw: LineDict, key: str, fields: tuple[str, ...]) -> list[tuple[LineDict, int]]:
        if key not in raw:
            return []
        listed = raw[key]
        if not isinstance(listed, LineList):
            self.problem(ShapeError, raw.key_lines.get(key, raw.line), f"`{key}` must be a list", "write `- {...}`")
            return []
        found = []
        for item, line in zip(listed, listed.item_lines, strict=True):
            if not isinstance(item, LineDict):
                self.problem(
                    ShapeError, line, f"an item of `{key}` must be a mapping", f"write {{{', '.join(fields)}}}"
                )
                continue
            for name in item:
                if name not in fields:
                    hint = did_you_mean(name, fields) or f"allowed keys are: {', '.join(fields)}"
                    self.problem(ShapeError, item.key_lines[name], f"unknown key '{name}'", hint)
            missing = [name for name in fields if name not in item]
            if missing:
                self.problem(ShapeError, line, f"missing {', '.join(missing)}", f"add `{missing[0]}:`")
                continue
            if not isinstance(item["text"], str):
                self.problem(ShapeError, line, "`text` must be text", "quote it")
                continue
            found.append((item, line))
        return found

    def sentences(self, raw: LineDict) -> list[SentenceCase]:
        cases = []
        for item, line in self.items(raw, "emergency", ("text", "expect")):
            expect = str(item["expect"])
            if expect not in CLASSES:
                hint = did_you_mean(expect, CLASSES) or "use emergency, confirm or calm"
                self.problem(ShapeError, item.key_lines["expect"], f"no class '{expect}'", hint)
                continue
            cases.append(SentenceCase(item["text"], expect, line))
        return cases

    def answers(self, raw: LineDict) -> list[AnswerCase]:
        cases = []
        for item, line in self.items(raw, "answers", ("step", "text", "expect")):
            step_id, expect = str(item["step"]), str(item["expect"])
            step = self.flow.steps.get(step_id) if self.flow else None
            if self.flow is not None and step is None:
                hint = did_you_mean(step_id, self.flow.steps) or "use a step id from the flow"
                self.problem(UnknownTargetError, item.key_lines["step"], f"no step '{step_id}'", hint)
                continue
            if step is not None and expect != ASK and step.choice(expect) is None:
                values = [c.value for c in step.choices]
                hint = did_you_mean(expect, values) or f"use one of: {', '.join([*values, ASK])}"
                self.problem(UnknownTargetError, item.key_lines["expect"], f"step '{step_id}' has no '{expect}'", hint)
                continue
            cases.append(AnswerCase(step_id, item["text"], expect, line))
        return cases

    def accounts(self, raw: LineDict) -> list[AccountCase]:
        cases = []
        by_key = {step.key: step for step in self.flow.steps.values()} if self.flow else {}
        for item, line in self.items(raw, "accounts", ("text", "expect")):
            expect = item["expect"]
            if not isinstance(expect, LineDict):
                self.problem(ShapeError, item.key_lines["expect"], "`expect` must be a mapping", "write {key: value}")
                continue
            ok = True
            for key, value in expect.items():
                step = by_key.get(key)
                where = expect.key_lines[key]
                if self.flow is not None and step is None:
                    hint = did_you_mean(key, by_key) or "use an answer key from the flow"
                    self.problem(UnknownTargetError, where, f"no question records '{key}'", hint)
                    ok = False
                elif step is not None and step.choice(str(value)) is None:
                    self.problem(UnknownTargetError, where, f"'{key}' has no value '{value}'", "use a choice value")
                    ok = False
                elif step is not None and step.is_flag and value != YES:
                    self.problem(
                        ShapeError, where, f"'{key}: {value}' from an account", "red flags are only taken as yes"
                    )
                    ok = False
            if ok:
                cases.append(AccountCase(item["text"], {str(k): str(v) for k, v in expect.items()}, line))
        return cases


def load_corpus(path: Path, flows: Mapping[str, Flow]) -> Corpus | None:
    """The corpus in a case file, or None when the file holds conversation cases instead."""
    raw, problems = read_yaml(read_source(path), str(path))
    if not is_corpus(raw):
        return None
    if problems:
        raise FlowErrors(problems)
    return read_corpus(raw, flows, str(path))


def read_corpus(raw: LineDict, flows: Mapping[str, Flow], source: str) -> Corpus:
    """Build a corpus from a case file already read as YAML; raise FlowErrors (file:line) on mistakes."""
    flow_id = raw.get("flow")
    flow = flows.get(flow_id) if isinstance(flow_id, str) else None
    reader = _Reader(source, flow)
    if flow is None:
        hint = did_you_mean(str(flow_id), flows) or f"flows: {', '.join(sorted(flows))}"
        reader.problem(UnknownTargetError, raw.key_lines.get("flow", raw.line), f"no flow '{flow_id}'", hint)
    for key in raw:
        if key not in CORPUS_KEYS:
            hint = did_you_mean(key, CORPUS_KEYS) or f"allowed keys are: {', '.join(CORPUS_KEYS)}"
            reader.problem(ShapeError, raw.key_lines[key], f"unknown key '{key}' in the corpus", hint)
    today = raw.get("today")
    if today is not None and not isinstance(today, date):
        try:
            today = date.fromisoformat(str(today))
        except ValueError:
            reader.problem(ShapeError, raw.key_lines["today"], f"`today: {today}` is not a date", "write 2026-12-06")
            today = None
    corpus = Corpus(
        str(flow_id),
        tuple(reader.sentences(raw)),
        tuple(reader.answers(raw)),
        tuple(reader.accounts(raw)),
        source,
        today,
    )
    if reader.problems:
        raise FlowErrors(reader.problems)
    return corpus


# --- running ----------------------------------------------------------------------------------


@dataclass
class CorpusReport:
    """Figures per class, the misses, and whether the corpus meets its targets."""

    sentences: Counter[tuple[str, str]] = field(default_factory=Counter)
    answers_right: int = 0
    answers_asked: int = 0
    answers_wrong: int = 0
    answers_total: int = 0
    stated: int = 0
    found: int = 0
    wrong_fills: int = 0
    replies_account: list[int] = field(default_factory=list)
    replies_buttons: list[int] = field(default_factory=list)
    answers_wrong_level: int = 0
    misses: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def first_sight(self) -> list[str]:
        """The figures issue targets are set on: caught counts the confirming question as caught."""
        out = []
        seen = self.sentences

        def share(part: int, whole: int) -> str:
            return f"{part}/{whole} ({part / whole:.0%})" if whole else "0/0"

        emergencies = sum(seen["emergency", got] for got in CLASSES)
        if emergencies:
            caught = seen["emergency", "emergency"] + seen["emergency", "confirm"]
            out.append(f"  emergencies caught (🚨 or confirming question): {share(caught, emergencies)}")
        unclear = sum(seen["confirm", got] for got in CLASSES)
        if unclear:
            asked = seen["confirm", "confirm"] + seen["confirm", "emergency"]
            out.append(f"  unclear sentences asked about or 🚨: {share(asked, unclear)}")
        calm = sum(seen["calm", got] for got in CLASSES)
        if calm:
            out.append(
                f"  calm sentences: 🚨 {seen['calm', 'emergency']}, asked to confirm "
                f"{share(seen['calm', 'confirm'], calm)}"
            )
        if self.answers_total:
            out.append(
                f"  typed answers right {share(self.answers_right, self.answers_total)}, "
                f"recorded as another choice that can change the advice: {self.answers_wrong_level}"
            )
        return out

    def lines(self) -> list[str]:
        """The figures, as `twitchcheck test` prints them."""
        out = []
        if self.sentences:
            out.append("emergency language (expected → read as):")
            for expected in CLASSES:
                row = {got: self.sentences[expected, got] for got in CLASSES if self.sentences[expected, got]}
                total = sum(row.values())
                if total:
                    out.append(f"  {expected:<9} {total:>4}: " + ", ".join(f"{got} {n}" for got, n in row.items()))
        if self.answers_total:
            share = self.answers_right / self.answers_total
            out.append(
                f"typed answers: {self.answers_total}, understood first time {self.answers_right} ({share:.1%}), "
                f"asked again {self.answers_asked}, recorded wrongly {self.answers_wrong}"
            )
        if self.stated:
            out.append(
                f"accounts: {len(self.replies_account)}, stated answers {self.stated}, found {self.found} "
                f"({self.found / self.stated:.1%}), filled wrongly {self.wrong_fills}"
            )
        if self.replies_account:
            account = sum(self.replies_account) / len(self.replies_account)
            buttons = sum(self.replies_buttons) / len(self.replies_buttons)
            out.append(
                f"replies per check, same answers: {account:.1f} with the account, {buttons:.1f} by buttons "
                f"({buttons - 1:.1f} without the Skip tap)"
            )
        out += self.first_sight()
        out += [f"  miss: {miss}" for miss in self.misses]
        out += [f"  ✗ {failure}" for failure in self.failures]
        return out


def run_corpus(engine: Engine, corpus: Corpus) -> CorpusReport:
    """Read every sentence, answer and account of the corpus and compare with what it expects."""
    if corpus.today is None:
        return _run_corpus(engine, corpus)
    written_for = corpus.today
    clock, quantities.today = quantities.today, lambda: written_for
    try:
        return _run_corpus(engine, corpus)
    finally:
        quantities.today = clock


def _run_corpus(engine: Engine, corpus: Corpus) -> CorpusReport:
    report = CorpusReport()
    flow = engine.flows[corpus.flow]
    where = corpus.source
    places = _typing_places(flow)
    deciding = _deciding_steps(flow)
    for case in corpus.sentences:
        verdict = _typed_verdict(engine, flow, case, places)
        name = next(key for key, known in CLASSES.items() if known is verdict)
        report.sentences[case.expect, name] += 1
        if case.expect == name:
            continue
        said = f"{where}:{case.line}: {case.text!r} is {case.expect}, read as {name}"
        (report.failures if (case.expect, name) in UNSAFE else report.misses).append(said)
    parser = engine.parsers[flow.id]
    for answer in corpus.answers:
        report.answers_total += 1
        match = engine.matchers[flow.id, answer.step].read(answer.text, parser.parse(answer.text))
        got = match.value or ASK
        said = f"{where}:{answer.line}: at {answer.step}, {answer.text!r} means {answer.expect}, read as {got}"
        if got == answer.expect:
            report.answers_right += 1
        elif got == ASK:
            report.answers_asked += 1
            report.misses.append(said)
        else:
            report.answers_wrong += 1
            report.answers_wrong_level += answer.step in deciding
            report.failures.append(said)
    reader = engine.accounts[flow.id]
    for account in corpus.accounts:
        filled = reader.read(parser.parse(account.text))
        report.stated += len(account.expect)
        report.found += sum(1 for key, value in account.expect.items() if filled.get(key) == value)
        for key, value in filled.items():
            if account.expect.get(key) != value:
                report.wrong_fills += 1
                report.failures.append(f"{where}:{account.line}: {_wrong_fill(flow, key, value)}")
        missed = [f"{k}: {v}" for k, v in account.expect.items() if filled.get(k) != v]
        if missed:
            report.misses.append(f"{where}:{account.line}: not found: {', '.join(missed)}")
        with_account, by_buttons = _replies(engine, flow, account)
        report.replies_account.append(with_account)
        report.replies_buttons.append(by_buttons)
    _targets(report)
    return report


def _wrong_fill(flow: Flow, key: str, value: str) -> str:
    """The failure for an answer an account filled in but does not state: the key, its step, and the way out."""
    step = next((s for s in flow.steps.values() if s.key == key), None)
    if step is None:
        return f"filled in {key}: {value}, which it does not state"
    return (
        f"filled in {key}: {value}, which it does not state; step '{step.id}' ({flow.source}:{step.line}) "
        "takes its answer from accounts: narrow its choices' `mentions`, or give it `from_account: never`"
    )


def _typing_places(flow: Flow) -> list[str]:
    """Where a sentence is typed in the corpus: the account step, and the first plain question after it."""
    account = flow.account_step
    steps = list(flow.steps.values())
    after = steps[steps.index(account) + 1 :] if account is not None else steps  # "Where is it?", not "Who for?"
    plain = next((s.id for s in after if s.kind == StepKind.QUESTION), None)
    return [step for step in (account.id if account else None, plain) if step is not None]


def _typed_verdict(engine: Engine, flow: Flow, case: SentenceCase, places: list[str]) -> Verdict:
    """What the engine does with the sentence wherever it is typed; the worse case for what it expects.

    An emergency must be caught at every place, and a calm sentence must stay calm at every place.
    """
    if not places:
        return engine.read_emergency(flow.id, case.text).verdict
    found = [engine.screen(flow.id, case.text, step) for step in places]
    return max(found) if case.expect == "calm" else min(found)


def _deciding_steps(flow: Flow) -> frozenset[str]:
    """Steps whose answer can change the advice: safety questions, branching ones, and those routing reads."""
    read = {atom.key for rule in flow.rules for atom in rule.when.atoms()}
    return frozenset(
        step.id
        for step in flow.steps.values()
        if step.is_flag or step.key in read or len({b.target for c in step.choices for b in c.branches}) > 1
    )


def _targets(report: CorpusReport) -> None:
    if report.answers_total and report.answers_right / report.answers_total < ANSWER_TARGET:
        report.failures.append(f"typed answers understood first time below {ANSWER_TARGET:.0%}")
    if report.stated and report.found / report.stated < ACCOUNT_TARGET:
        report.failures.append(f"account answers found below {ACCOUNT_TARGET:.0%}")


def _replies(engine: Engine, flow: Flow, account: AccountCase) -> tuple[int, int]:
    """Replies a person sends to finish the check: writing this account, or tapping every answer.

    Both people give the same answers: what the account states, and "no" (or the first
    choice) to everything else. The safety question is answered "No" first in both.
    """
    truth = dict(account.expect)
    step_key = {step.id: step.key for step in flow.steps.values()}

    def tap(conversation: Conversation) -> Pick:
        step = flow.question(conversation.step)
        assert step is not None
        if step.id in (EMERGENCY_CONFIRM,):
            return Pick(step.id, NO)
        if step.id == ACCOUNT_REVIEW:
            return Pick(step.id, YES)
        wanted = truth.get(step_key[step.id])
        values = [choice.value for choice in step.choices]
        return Pick(step.id, wanted if wanted in values else NO if NO in values else values[0])

    def finish(conversation: Conversation, sent: int) -> int:
        while not flow.is_outcome(conversation.step) and sent < MAX_REPLIES:
            conversation, _ = engine.advance(conversation, tap(conversation))
            sent += 1
        return sent

    start, _ = engine.start(flow.id)
    typed = start
    sent = 0
    while not flow.is_outcome(typed.step) and sent < MAX_REPLIES:
        step = flow.question(typed.step)
        if step is not None and step.kind == StepKind.ACCOUNT:
            typed, _ = engine.advance(typed, Typed(account.text))
            sent += 1
            break
        typed, _ = engine.advance(typed, tap(typed))
        sent += 1
    return finish(typed, sent), finish(start, 0)
