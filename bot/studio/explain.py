"""Why "Try it" did what it did, and where a step's answer is used: each as lines with their `file:line`.

`read_trace(engine, conversation, text)` asks the engine's own readers what typed text meant at the
step it was typed at (the emergency reader first, as the engine does, then the step's answer reader, or
the account reader), and each names what matched (`Match.how`, `Reading.cause`). `decided(flow, before,
after)` names the branch or routing rule that took a conversation to where it is: a routing rule is the
first whose `when:` holds, exactly as the machine's ordered conditional transitions pick it. `uses(flow,
step)` lists every condition that reads a step's answer. Nothing here changes a conversation.

A phrase's own line (a synonym or mention inside a choice, a phrase of an emergency concept) is found by
`locate`: the first line from its choice's or concept's line on that quotes it, within that item.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.content.render import SUMMARY_LEVELS
from bot.engine.conversation import Conversation
from bot.engine.emergency import Reading, Verdict
from bot.engine.engine import INTERRUPT_KEY, MAX_TYPED_CHARS, Engine
from bot.engine.matching import READINGS, Match
from bot.engine.model import ROUTE, AllOf, Always, AnswerIn, AnyOf, Condition, Flow, Not, Step, StepKind
from bot.engine.text import normalize, sentences

Relative = Callable[[str], str]
"""How the page names a file: relative to the folder the studio was started in."""


def place(source: str, line: int, relative: Relative = str) -> dict[str, Any]:
    """A `file:line` the page shows as a link to the maintainer's editor (`path` is absolute)."""
    return {"file": relative(source), "path": str(Path(source).resolve()), "line": line}


@lru_cache(maxsize=8)
def _lines(source: str, stamp: float) -> tuple[str, ...]:
    try:
        return tuple(Path(source).read_text(encoding="utf-8", errors="replace").splitlines())
    except OSError:
        return ()


def locate(source: str, start: int, needle: str) -> int:
    """The line, from `start` on and within the item that starts there, that quotes `needle`; else `start`."""
    try:
        stamp = Path(source).stat().st_mtime
    except OSError:
        return start
    lines = _lines(source, stamp)
    if not needle or not 0 < start <= len(lines):
        return start
    indent = len(lines[start - 1]) - len(lines[start - 1].lstrip())
    wanted = normalize(needle)
    for number in range(start, len(lines) + 1):
        text = lines[number - 1]
        stripped = text.lstrip()
        if number > start and stripped and len(text) - len(stripped) <= indent and not stripped.startswith("#"):
            break  # the next item of the same list, or a key of a level above: the item ended
        if needle in text or (wanted and wanted in normalize(text)):
            return number
    return start


def _entry(kind: str, text: str, where: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"kind": kind, "text": text, "at": where}


def read_trace(engine: Engine, conversation: Conversation, text: str, relative: Relative = str) -> list[dict[str, Any]]:
    """How `text`, typed at the conversation's step, was read: emergency language, an answer, an account."""
    flow = engine.flows[conversation.flow_id]
    text = text[:MAX_TYPED_CHARS]
    if not normalize(text):
        return []
    reading = engine.read_emergency(flow.id, text)
    found: list[dict[str, Any]] = []
    if reading.cause is not None:
        found.append(_emergency(flow, reading, relative))
        if reading.verdict is Verdict.EMERGENCY:
            return found
    step = flow.question(conversation.step)
    if step is None:
        return found
    parsed = engine.parsers[flow.id].parse(text, sentences(text))
    if step.kind == StepKind.ACCOUNT:
        return found + _account(engine, flow, parsed, relative)
    match = engine.matchers[flow.id, step.id].read(text, parsed)
    found.append(_answer(flow, step, match, relative))
    return found


def _emergency(flow: Flow, reading: Reading, relative: Relative) -> dict[str, Any]:
    cause = reading.cause
    assert cause is not None
    verdict = {
        Verdict.EMERGENCY: "emergency language",
        Verdict.CONFIRM: "may be emergency language, asked once",
        Verdict.NONE: "emergency language ruled out (a cue: negation, the past, elsewhere)",
    }[reading.verdict]
    concept = reading.concept or "?"
    if cause.kind == "frame":
        where = place(flow.language.source, cause.line, relative) if flow.language.source else None
        what = f"the frame [{cause.declared}] of concept '{concept}'"
    else:
        interrupt = next((i for i in flow.interrupts if i.id == concept), None)
        line = locate(flow.source, cause.line, cause.declared) if interrupt else cause.line
        where = place(flow.source, line, relative)
        what = f"the {cause.kind} “{cause.declared}” of concept '{concept}'"
    if reading.verdict is Verdict.NONE:
        concept_of = next((i.id for i in flow.interrupts if i.line == cause.line), None)
        what = what.replace("'?'", f"'{concept_of}'") if concept_of else what
    return _entry("emergency", f"{verdict}: “{cause.said}” matched {what}", where)


def _answer(flow: Flow, step: Step, match: Match, relative: Relative) -> dict[str, Any]:
    if match.value is None:
        if match.ambiguous:
            options = " or ".join(_label(step, value) for value in match.candidates)
            return _entry(
                "unclear", f"could mean {options} ({READINGS.get(match.how, match.how)} “{match.phrase}”): asked"
            )
        return _entry("unclear", f"not read as an answer to '{step.id}'")
    choice = step.choice(match.value)
    label = choice.label if choice else match.value
    how = READINGS.get(match.how, match.how)
    start = choice.line if choice else step.line
    if match.how == "flow synonym":
        start = _top_key_line(flow.source, "synonyms") or start
        line = locate(flow.source, start, match.phrase)
    elif match.how in ("synonym", "mention", "negated mention", "typo", "label", "hedge"):
        phrase = match.phrase.split(", ")[0]
        line = locate(flow.source, start, phrase) if match.how != "hedge" else start
    elif match.how == "combined":
        line = start
    else:
        line = start
    said = f" “{match.phrase}”" if match.phrase else ""
    return _entry(
        "answer", f"{step.key} = {match.value} (“{label}”) by {how}{said}", place(flow.source, line, relative)
    )


def _account(engine: Engine, flow: Flow, parsed: Any, relative: Relative) -> list[dict[str, Any]]:
    told = engine.accounts[flow.id].read(parsed)
    if not told:
        return [_entry("unclear", "the account states no answer")]
    by_key = {step.key: step for step in flow.steps.values()}
    found = []
    for key, value in told.items():
        step = by_key[key]
        choice = step.choice(value)
        seen: list[tuple[str, str, bool]] = []
        engine.matchers[flow.id, step.id].mentioned(parsed, account=True, seen=seen)
        phrase = next((p for v, p, _ in seen if v == value and p), "")
        how = f"mention “{phrase}”" if phrase else "an amount, by the choice's range" if step.quantity else "its words"
        line = locate(flow.source, choice.line, phrase) if choice and phrase else choice.line if choice else step.line
        label = choice.label if choice else value
        found.append(
            _entry(
                "account", f"from the account: {key} = {value} (“{label}”) by {how}", place(flow.source, line, relative)
            )
        )
    return found


def _top_key_line(source: str, key: str) -> int:
    try:
        stamp = Path(source).stat().st_mtime
    except OSError:
        return 0
    return next((n for n, line in enumerate(_lines(source, stamp), start=1) if line.startswith(f"{key}:")), 0)


def _label(step: Step, value: str) -> str:
    choice = step.choice(value)
    return f"“{choice.label}”" if choice else value


# --- what decided a move -----------------------------------------------------------------------------------


def decided(flow: Flow, before: Conversation, after: Conversation, relative: Relative = str) -> dict[str, Any] | None:
    """The branch or routing rule that took `before` to `after`, when an answer moved it on; else None.

    The routing rule is the first whose `when:` holds: the transition the machine fires (machine.py orders a
    choice's transitions to `route` as the rules are written, and the first whose conditions hold wins)."""
    if after.step == before.step or not after.history or len(after.history) <= len(before.history):
        return None
    if INTERRUPT_KEY in after.answers and INTERRUPT_KEY not in before.answers:
        concept = after.answers[INTERRUPT_KEY]
        interrupt = next((i for i in flow.interrupts if i.id == concept), None)
        line = interrupt.line if interrupt else 0
        return _entry(
            "rule", f"emergency concept '{concept}' leads straight to {after.step}", place(flow.source, line, relative)
        )
    last = flow.steps.get(after.history[-1])
    if last is None:
        return None
    value = after.answers.get(last.key)
    choice = last.choice(value) if value is not None else None
    if choice is None:
        return None
    branch = next((b for b in choice.branches if b.when.holds(after.answers)), None)
    if branch is None:
        return None
    if branch.target == ROUTE and after.step in flow.outcomes:
        number, rule = next((n, r) for n, r in enumerate(flow.rules, start=1) if r.when.holds(after.answers))
        when = "no condition (the catch-all)" if isinstance(rule.when, Always) else _condition(rule.when)
        return _entry(
            "rule",
            f"routing rule {number} decided: → {rule.outcome} when {when}",
            place(flow.source, rule.line, relative),
        )
    if isinstance(branch.when, Always):
        return None  # the only way on: nothing to explain
    return _entry(
        "rule",
        f"{last.id} = {value} went to {branch.target}: `next` when {_condition(branch.when)}",
        place(flow.source, branch.line or choice.line, relative),
    )


def condition_text(condition: Condition) -> str:
    """A condition as a maintainer reads it: `weakness is yes or not_sure`, `any of (…)`."""
    if isinstance(condition, Always):
        return "always"
    if isinstance(condition, AnswerIn):
        return f"{condition.key} is {' or '.join(sorted(condition.values))}"
    if isinstance(condition, AnyOf | AllOf):
        word = "any" if isinstance(condition, AnyOf) else "all"
        return f"{word} of ({'; '.join(condition_text(part) for part in condition.parts)})"
    if isinstance(condition, Not):
        return f"not ({condition_text(condition.part)})"
    return repr(condition)


_condition = condition_text


# --- where an answer is used -------------------------------------------------------------------------------


def uses(flow: Flow, step: Step, relative: Relative = str) -> list[dict[str, Any]]:
    """Every place that reads `step`'s answer: routing rules, `when:` on next and variants, excerpts, notes, summary."""
    key = step.key
    found: list[dict[str, Any]] = []

    def reads(condition: Condition) -> bool:
        return key in _read_keys(condition)

    for number, rule in enumerate(flow.rules, start=1):
        if reads(rule.when):
            found.append(
                _entry(
                    "routing",
                    f"routing rule {number}: → {rule.outcome} when {_condition(rule.when)}",
                    place(flow.source, rule.line, relative),
                )
            )
    for other in flow.steps.values():
        for choice in other.choices:
            for branch in choice.branches:
                if reads(branch.when):
                    found.append(
                        _entry(
                            "condition",
                            f"{other.id}: “{choice.label}” goes to {branch.target} when {_condition(branch.when)}",
                            place(flow.source, branch.line or choice.line, relative),
                        )
                    )
        for when, _ in other.variants:
            if reads(when):
                found.append(
                    _entry(
                        "condition",
                        f"{other.id}: other words when {_condition(when)}",
                        place(flow.source, other.line, relative),
                    )
                )
    for rule in _excerpt_rules(flow):
        if reads(rule.when):
            found.append(
                _entry(
                    "excerpt",
                    f"excerpt '{rule.excerpt}' when {_condition(rule.when)}",
                    place(flow.source, rule.line, relative),
                )
            )
    for outcome in flow.outcomes.values():
        for when, _ in outcome.notes:
            if reads(when):
                found.append(
                    _entry(
                        "excerpt",
                        f"a note of {outcome.id} when {_condition(when)}",
                        place(flow.source, outcome.line, relative),
                    )
                )
    summary = _in_summary(flow, step)
    if summary:
        found.append(_entry("summary", summary, place(flow.source, step.line, relative)))
    return found


def _excerpt_rules(flow: Flow) -> Iterable[Any]:
    yield from flow.excerpts
    for outcome in flow.outcomes.values():
        yield from outcome.excerpts


def _in_summary(flow: Flow, step: Step) -> str:
    """How the summary for the doctor (render.py `summary`) shows this answer, or ""."""
    levels = " or ".join(level.mark for level in sorted(SUMMARY_LEVELS, reverse=True))
    if step.kind == StepKind.RED_FLAG:
        return f"the summary for the doctor ({levels}), among the red flags"
    routed = {rule_key for rule in flow.rules for rule_key in _read_keys(rule.when)}
    routed |= {k for s in flow.steps.values() for c in s.choices for b in c.branches for k in _read_keys(b.when)}
    if step.kind == StepKind.QUESTION and step.key in routed:
        return f"the summary for the doctor ({levels}), about the twitching"
    return ""


def _read_keys(condition: Condition) -> frozenset[str]:
    """The answer keys a condition reads (a Condition, not a mapping, despite the method's name)."""
    return condition.keys()
