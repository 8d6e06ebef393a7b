"""Flow diagrams for `twitchcheck graph`: Mermaid and Graphviz DOT.

Both are drawn from `machine_config(flow)`, the same transitions the running Machine fires,
so the picture cannot drift from the behaviour. A step's choices that lead to the same place
share one edge; an edge taken only when a condition holds is dashed (routing draws one
from the step to each outcome a rule names); red-flag and emergency questions, and each
outcome level, have their own colour.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from bot.engine.machine import event_name, interrupt_event, machine_config
from bot.engine.model import Flow, Level, StepKind

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
    """All transitions from one node to another: their labels, and whether every one is conditional."""

    source: str
    dest: str
    labels: list[str] = field(default_factory=list)
    conditional: bool = True


def edges(flow: Flow) -> list[Edge]:
    """The machine's transitions collapsed to one edge per (source, destination), in flow order."""
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
        lines.append(f'    {ids[edge.source]} {arrow}|"{_mermaid_text(" / ".join(edge.labels))}"| {ids[edge.dest]}')
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
        lines.append(f"    {ids[edge.source]} -> {ids[edge.dest]} [label={_dot_text(' / '.join(edge.labels))}{style}];")
    lines.append("}")
    return "\n".join(lines)
