"""Flow diagrams for `twitchcheck graph`: Mermaid and Graphviz DOT.

Both draw the moves `check`'s exploration proves some path can make (`possible_moves`), so the
picture shows no edge that no one can take ("age → self_care" when every path through `age`
has a red flag). A step's choices that lead to the same place share one edge, labelled with
the choices; an edge taken only when a condition holds is dashed and labelled with that
condition instead: the branch's `when:`, "otherwise" for the branch after one, or each routing
rule that decides it ("rule 4: weakness is yes"), one per line so labels never run together.
Red-flag and emergency questions, and each outcome level, have their own colour. Should the
proof give up on a tangled flow, every transition of the Machine is drawn instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from bot.engine.machine import event_name, interrupt_event, machine_config
from bot.engine.model import AllOf, Always, AnswerIn, AnyOf, Condition, Flow, Level, Not, StepKind

TYPED = "typed_at_any_step"
"""The pseudo-node standing for "typed an emergency phrase, at any step"."""

START = "flow_start"
"""The entry dot; not `start` or `end`, which Mermaid may read as keywords."""

STEP_COLOURS = {StepKind.RED_FLAG: ("#ffe4cc", "#e65c00"), StepKind.EMERGENCY: ("#ffd6d6", "#cc0000")}
LEVEL_COLOURS = {
    Level.EMERGENCY: ("#ff9e9e", "#b30000"),
    Level.URGENT: ("#ffc9c9", "#e03131"),
    Level.ROUTINE: ("#ffe8cc", "#f08c00"),
    Level.SELF_CARE: ("#d3f9d8", "#2b8a3e"),
}


@dataclass(slots=True)
class Edge:
    """All moves from one node to another: their labels (a line each), and whether every one is conditional."""

    source: str
    dest: str
    labels: list[str] = field(default_factory=list)
    conditional: bool = True


def describe(condition: Condition) -> str:
    """A condition in words a maintainer reads at a glance: `who is child and any of weakness, gait is yes`."""
    if isinstance(condition, Always):
        return "always"
    if isinstance(condition, AnswerIn):
        return f"{condition.key} is {' or '.join(sorted(condition.values))}"
    if isinstance(condition, Not):
        inner = condition.part
        if isinstance(inner, AnswerIn):
            return f"{inner.key} is not {' or '.join(sorted(inner.values))}"
        return f"not ({describe(inner)})"
    if isinstance(condition, AnyOf):
        atoms = [part for part in condition.parts if isinstance(part, AnswerIn)]
        if len(atoms) == len(condition.parts) > 1 and len({atom.values for atom in atoms}) == 1:
            keys = ", ".join(dict.fromkeys(atom.key for atom in atoms))
            return f"any of {keys} is {' or '.join(sorted(atoms[0].values))}"
        return " or ".join(_part(part) for part in condition.parts)
    if isinstance(condition, AllOf):
        return " and ".join(_part(part) for part in condition.parts)
    return str(condition)


def _part(condition: Condition) -> str:
    text = describe(condition)
    nested = isinstance(condition, AllOf | AnyOf) and not text.startswith("any of")
    return f"({text})" if nested else text


def rule_label(flow: Flow, number: int) -> str:
    """`rule 4: weakness is yes`; the last rule, with no `when:`, is `rule 13: none of the above`."""
    when = flow.rules[number - 1].when
    return f"rule {number}: {'none of the above' if isinstance(when, Always) else describe(when)}"


def edges(flow: Flow) -> list[Edge]:
    """The moves some path can make, one edge per (source, destination), in flow order."""
    from bot.engine.check import possible_moves  # check imports content; graph stays light until drawn

    found_moves = possible_moves(flow)
    if found_moves is None:
        return _machine_edges(flow)
    order = {(s.id, c.value): (i, j) for i, s in enumerate(flow.steps.values()) for j, c in enumerate(s.choices)}
    moves = sorted(found_moves, key=lambda m: (*order[m.step, m.value], m.branch, m.rule or 0))
    found: dict[tuple[str, str], Edge] = {}
    plain: dict[tuple[str, str], list[str]] = {}
    rules: dict[tuple[str, str], set[int]] = {}
    for move in moves:
        step = flow.steps[move.step]
        edge = found.setdefault((move.step, move.target), Edge(move.step, move.target))
        choice = step.choice(move.value)
        assert choice is not None
        branch = choice.branches[move.branch]
        if move.rule is not None:
            numbers = rules.setdefault((move.step, move.target), set())
            numbers.update({move.rule, *deciding_rules(flow, step.key, move.value, move.target)})
            continue
        if not isinstance(branch.when, Always):
            label = f"if {describe(branch.when)}"
        elif move.branch > 0:
            label = "otherwise"
        else:
            plain.setdefault((move.step, move.target), []).append(choice.label)
            edge.conditional = False
            continue
        if label not in edge.labels:
            edge.labels.append(label)
    for key, labels in plain.items():
        found[key].labels.insert(0, " / ".join(dict.fromkeys(labels)))
    for key, numbers in rules.items():
        found[key].labels += _rule_labels(flow, sorted(numbers))
    for interrupt in flow.interrupts:
        edge = found.setdefault((TYPED, interrupt.outcome), Edge(TYPED, interrupt.outcome, conditional=False))
        edge.labels = [" / ".join([*edge.labels, interrupt.id])]
    return list(found.values())


MAX_RULES_IN_WORDS = 2
"""An edge decided by more routing rules than this names only their numbers (docs/medical.md lists them):
each rule's condition on its own line would make one label taller than the steps around it."""


def deciding_rules(flow: Flow, key: str, value: str, outcome: str) -> Iterator[int]:
    """The rules naming `outcome` that can still decide once `key` is `value`: not false, nor after one that holds."""
    from bot.engine.check import NEVER, substitute

    for number, rule in enumerate(flow.rules, start=1):
        when = substitute(rule.when, key, value)
        if rule.outcome == outcome and when != NEVER:
            yield number
        if isinstance(when, Always):
            return


def _rule_labels(flow: Flow, numbers: list[int]) -> list[str]:
    if len(numbers) > MAX_RULES_IN_WORDS:
        return [f"rules {', '.join(map(str, numbers))}"]
    return [rule_label(flow, number) for number in numbers]


def _machine_edges(flow: Flow) -> list[Edge]:
    """Every transition of the Machine, one edge per (source, destination): when the proof gives up."""
    labels = {event_name(s.id, c.value): c.label for s in flow.steps.values() for c in s.choices}
    names = {interrupt_event(x.id): x.id for x in flow.interrupts}
    found: dict[tuple[str, str], Edge] = {}
    for transition in machine_config(flow)["transitions"]:
        sources = transition["source"]
        source = TYPED if isinstance(sources, list) else sources
        edge = found.setdefault((source, transition["dest"]), Edge(source, transition["dest"]))
        label = labels.get(transition["trigger"]) or names.get(transition["trigger"], transition["trigger"])
        if label not in edge.labels:
            edge.labels.append(label)
        edge.conditional &= bool(transition.get("conditions"))
    return list(found.values())


class _Ids:
    """Diagram-safe node ids (`s_<step>`, `o_<outcome>`), unique even if two names sanitize alike."""

    def __init__(self, flow: Flow) -> None:
        self.ids: dict[str, str] = {TYPED: TYPED}
        taken = {TYPED, START}
        for prefix, names in (("s", flow.steps), ("o", flow.outcomes)):
            for name in names:
                base = candidate = f"{prefix}_{re.sub(r'[^A-Za-z0-9_]', '_', name)}"
                number = 1
                while candidate in taken:
                    number += 1
                    candidate = f"{base}_{number}"
                taken.add(candidate)
                self.ids[name] = candidate

    def __getitem__(self, name: str) -> str:
        return self.ids[name]


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;")


def _mermaid_nodes(flow: Flow, ids: _Ids) -> Iterator[str]:
    yield f'    {START}(("start")) --> {ids[flow.start]}'
    for step in flow.steps.values():
        yield f'    {ids[step.id]}["{_mermaid_text(step.id)}"]'
    for outcome in flow.outcomes.values():
        yield f'    {ids[outcome.id]}(["{outcome.level.mark} {_mermaid_text(outcome.id)}"])'
    if flow.interrupts:
        yield f'    {TYPED}>"typed emergency phrase, at any step"]'


def _mermaid_classes(flow: Flow, ids: _Ids) -> Iterator[str]:
    for kind, (fill, stroke) in STEP_COLOURS.items():
        members = [ids[s.id] for s in flow.steps.values() if s.kind == kind]
        if members:
            yield f"    classDef {kind} fill:{fill},stroke:{stroke},stroke-width:2px"
            yield f"    class {','.join(members)} {kind}"
    for level, (fill, stroke) in LEVEL_COLOURS.items():
        members = [ids[o.id] for o in flow.outcomes.values() if o.level == level]
        if members:
            yield f"    classDef level_{level.key} fill:{fill},stroke:{stroke}"
            yield f"    class {','.join(members)} level_{level.key}"


def to_mermaid(flow: Flow) -> str:
    """A Mermaid flowchart of the flow (renders on GitHub; `twitchcheck graph`)."""
    ids = _Ids(flow)
    title = json.dumps(flow.title, ensure_ascii=False)  # YAML front matter; JSON strings are valid YAML
    lines = ["---", f"title: {title}", "---", "flowchart TD", *_mermaid_nodes(flow, ids)]
    for edge in edges(flow):
        arrow = "-.->" if edge.conditional else "-->"
        label = "<br>".join(_mermaid_text(label) for label in edge.labels)
        lines.append(f'    {ids[edge.source]} {arrow}|"{label}"| {ids[edge.dest]}')
    lines += _mermaid_classes(flow, ids)
    return "\n".join(lines)


def _dot_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(flow: Flow) -> str:
    """A Graphviz digraph of the flow (`twitchcheck graph --format dot | dot -Tsvg`)."""
    ids = _Ids(flow)
    lines = [
        f"digraph {_dot_text(flow.id)} {{",
        f"    label={_dot_text(flow.title)};",
        "    rankdir=TB;",
        '    node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="Helvetica"];',
        f'    {START} [shape=circle, label="start"];',
        f"    {START} -> {ids[flow.start]};",
    ]
    for step in flow.steps.values():
        fill, stroke = STEP_COLOURS.get(step.kind, ("#ffffff", "#000000"))
        lines.append(f'    {ids[step.id]} [label={_dot_text(step.id)}, fillcolor="{fill}", color="{stroke}"];')
    for outcome in flow.outcomes.values():
        fill, stroke = LEVEL_COLOURS[outcome.level]
        label = _dot_text(f"{outcome.level.mark} {outcome.id}")
        lines.append(f'    {ids[outcome.id]} [label={label}, shape=ellipse, fillcolor="{fill}", color="{stroke}"];')
    if flow.interrupts:
        lines.append(f'    {TYPED} [label="typed emergency phrase, at any step", shape=note];')
    for edge in edges(flow):
        style = ", style=dashed" if edge.conditional else ""
        label = '"' + "\\n".join(_dot_text(label)[1:-1] for label in edge.labels) + '"'
        lines.append(f"    {ids[edge.source]} -> {ids[edge.dest]} [label={label}{style}];")
    lines.append("}")
    return "\n".join(lines)
