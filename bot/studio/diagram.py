"""The flow drawn as SVG, laid out here so the page needs no network and no JavaScript library.

The edges are the flow's own: each step's branches, and the routing rules drawn once, as a
`routing` node that every step handing over to routing points at and that leads to each outcome
a rule names (the Machine expands that into one transition per step and rule; drawn so, the
outcomes drown in crossing lines). tests/studio/test_diagram.py checks that every transition of
the Machine is an edge here, directly or through `routing`, so the picture cannot drift from
the behaviour. The layout is the classic layered one (Sugiyama), kept small:

1. break cycles: edges that go back along a depth-first search from the start are turned round;
2. layers: each node one row below its lowest predecessor (longest path), so an answer always
   reads downwards; a node with no way in (typed emergency phrases) sits just above its target;
3. edges longer than one row get a chain of invisible points, so they bend around the nodes;
4. order within rows: a few sweeps down and up, sorting by the mean place of the neighbours;
5. x positions: each node as near its neighbours' mean as the row's order and spacing allow
   (isotonic regression, solved exactly by pooling adjacent violators).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial

from bot.engine.graph import LEVEL_COLOURS, STEP_COLOURS, TYPED
from bot.engine.model import ROUTE, Flow, StepKind

START = "flow_start"
ROUTING = "flow_routing"
"""The node standing for the routing rules (`next: route`); not `route`, which a flow may not name a step."""
ROW = 96
"""Vertical distance between rows: room for an edge label between two nodes."""
GAP = 28
MARGIN = 24
NODE_HEIGHT = 44
LABEL_CHARS = 28
"""Longer edge labels are cut (the whole label is in the edge's tooltip and the step's panel)."""
MAX_LABELLED_FANOUT = 3
"""A node with more edges out than this (a step handing over to routing) leaves them unlabelled:
the labels would sit on top of each other; its panel lists every choice and where it leads."""
LABEL_LINE = 14.0
"""Height of one line of edge label text (11px), with room between lines."""
KIND_NAMES = {StepKind.RED_FLAG: "red flag", StepKind.EMERGENCY: "emergency", StepKind.ACCOUNT: "own account"}


@dataclass(slots=True)
class _Node:
    id: str
    kind: str
    label: str
    sub: str = ""
    width: float = 10.0
    height: float = NODE_HEIGHT
    classes: str = ""
    fill: str = "#ffffff"
    stroke: str = "#495057"
    tip: str = ""
    layer: int = 0
    x: float = 0.0
    dummy: bool = False


@dataclass(slots=True)
class _Edge:
    source: str
    dest: str
    labels: list[str]
    conditional: bool
    chain: list[str] = field(default_factory=list)
    """The nodes the edge passes, in drawing order (from source to dest, dummies between)."""


def _text_width(text: str, size: float = 13.0) -> float:
    units = sum(2 if ord(char) > 0xFFFF else 1 for char in text)
    return units * size * 0.6


def _nodes(flow: Flow) -> dict[str, _Node]:
    nodes = {START: _Node(START, "start", "start", width=54, height=28, classes="start")}
    for step in flow.steps.values():
        fill, stroke = STEP_COLOURS.get(step.kind, ("#ffffff", "#495057"))
        sub = KIND_NAMES.get(step.kind, step.topic)
        nodes[step.id] = _Node(
            step.id,
            "step",
            step.id,
            sub,
            max(_text_width(step.id, 14), _text_width(sub, 11)) + 28,
            classes=f"step {step.kind}",
            fill=fill,
            stroke=stroke,
            tip=step.text.strip().splitlines()[0] if step.text.strip() else step.id,
        )
    if flow.interrupts:
        label = "typed emergency phrase"
        nodes[TYPED] = _Node(TYPED, "typed", label, "at any step", _text_width(label, 14) + 28, classes="typed")
    if flow.rules:
        sub = "first rule that holds"
        nodes[ROUTING] = _Node(
            ROUTING, "routing", "routing", sub, _text_width(sub, 11) + 28, classes="routing", fill="#f1f3f5"
        )
    for outcome in flow.outcomes.values():
        fill, stroke = LEVEL_COLOURS[outcome.level]
        label = f"{outcome.level.mark} {outcome.id}"
        nodes[outcome.id] = _Node(
            outcome.id,
            "outcome",
            label,
            outcome.level.key,
            _text_width(label, 14) + 36,
            classes=f"outcome level_{outcome.level.key}",
            fill=fill,
            stroke=stroke,
            tip=outcome.title,
        )
    return nodes


def _edges(flow: Flow, nodes: Mapping[str, _Node]) -> list[_Edge]:
    """One edge per (from, to) some path takes (`check`'s walk): the choices' labels on it, dashed when
    every way along it has a condition; from `routing`, the numbers of the rules that can decide it."""
    from bot.engine.check import possible_moves
    from bot.engine.graph import deciding_rules

    found: dict[tuple[str, str], _Edge] = {(START, flow.start): _Edge(START, flow.start, [], False)}

    def add(source: str, dest: str, label: str, conditional: bool) -> None:
        edge = found.setdefault((source, dest), _Edge(source, dest, [], True))
        if label not in edge.labels:
            edge.labels.append(label)
        edge.conditional &= conditional

    moves = possible_moves(flow)
    if moves is None:  # the proof gave up: draw every branch and rule, as written
        for step in flow.steps.values():
            for choice in step.choices:
                for branch in choice.branches:
                    target = ROUTING if branch.target == ROUTE else branch.target
                    add(step.id, target, choice.label, bool(branch.when.keys()))
        for number, rule in enumerate(flow.rules, start=1):
            add(ROUTING, rule.outcome, str(number), bool(rule.when.keys()))
    else:
        rules: dict[str, set[int]] = {}
        for move in moves:
            step = flow.steps[move.step]
            made = step.choice(move.value)
            assert made is not None
            conditional = bool(made.branches[move.branch].when.keys()) or move.branch > 0
            add(move.step, move.target if move.rule is None else ROUTING, made.label, conditional)
            if move.rule is not None:
                numbers = rules.setdefault(move.target, set())
                numbers.update({move.rule, *deciding_rules(flow, step.key, move.value, move.target)})
        for number, rule in enumerate(flow.rules, start=1):
            if number in rules.get(rule.outcome, ()):
                add(ROUTING, rule.outcome, str(number), bool(rule.when.keys()))
    for interrupt in flow.interrupts:
        add(TYPED, interrupt.outcome, interrupt.id, False)
    return [edge for edge in found.values() if edge.source in nodes and edge.dest in nodes]


def _back_edges(nodes: Mapping[str, _Node], out: Mapping[str, list[str]]) -> set[tuple[str, str]]:
    """Edges that close a cycle on a depth-first search from the start (then from any node left)."""
    back: set[tuple[str, str]] = set()
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    for root in nodes:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(out[root]))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                back.add((node, child))
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(out[child])))
    return back


def _layers(nodes: Mapping[str, _Node], dag: list[tuple[str, str]]) -> None:
    """Longest-path layering; nodes with no way in sit one row above their nearest target."""
    preds: dict[str, list[str]] = {n: [] for n in nodes}
    succs: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in dag:
        preds[b].append(a)
        succs[a].append(b)
    waiting = {n: len(preds[n]) for n in nodes}
    todo = [n for n in nodes if not waiting[n]]
    order: list[str] = []
    while todo:
        node = todo.pop(0)
        order.append(node)
        for nxt in succs[node]:
            nodes[nxt].layer = max(nodes[nxt].layer, nodes[node].layer + 1)
            waiting[nxt] -= 1
            if not waiting[nxt]:
                todo.append(nxt)
    for node in order:
        if node != START and not preds[node] and succs[node]:
            nodes[node].layer = max(0, min(nodes[s].layer for s in succs[node]) - 1)


def _order_key(
    neighbours: Mapping[str, list[str]], place: Mapping[str, int], current: Mapping[str, int], name: str
) -> float:
    """The mean place of a node's neighbours in the row swept from; a node without any there stays put."""
    seen = [place[n] for n in neighbours[name] if n in place]
    return sum(seen) / len(seen) if seen else float(current[name])


def _isotonic(wanted: list[float], widths: list[float]) -> list[float]:
    """x positions nearest `wanted` (least squares) keeping the order and a gap between neighbours."""
    offsets = [0.0]
    for left, right in zip(widths, widths[1:], strict=False):
        offsets.append(offsets[-1] + left / 2 + GAP + right / 2)
    blocks: list[list[float]] = []  # [sum, count]
    for want, offset in zip(wanted, offsets, strict=True):
        blocks.append([want - offset, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
    placed: list[float] = []
    for total, count in blocks:
        placed += [total / count] * int(count)
    return [y + offset for y, offset in zip(placed, offsets, strict=True)]


class _Layout:
    def __init__(self, flow: Flow) -> None:
        self.nodes = _nodes(flow)
        self.edges = _edges(flow, self.nodes)
        self.labels: list[tuple[float, float, float]] = []  # edge labels drawn so far: centre x, baseline y, width
        out: dict[str, list[str]] = {n: [] for n in self.nodes}
        for edge in self.edges:
            if edge.source != edge.dest:
                out[edge.source].append(edge.dest)
        self.fanout = {name: len(targets) for name, targets in out.items()}
        back = _back_edges(self.nodes, out)
        dag = []
        for edge in self.edges:
            if edge.source == edge.dest:
                continue
            turned = (edge.source, edge.dest) in back
            dag.append((edge.dest, edge.source) if turned else (edge.source, edge.dest))
        _layers(self.nodes, dag)
        self._chains(back)
        self._order()
        self._place()

    def _chains(self, back: set[tuple[str, str]]) -> None:
        """Split edges longer than one row with invisible points; record each edge's chain."""
        self.up: dict[str, list[str]] = {n: [] for n in self.nodes}
        self.down: dict[str, list[str]] = {n: [] for n in self.nodes}
        count = 0
        for edge in self.edges:
            if edge.source == edge.dest:
                edge.chain = [edge.source]
                continue
            top, bottom = (edge.dest, edge.source) if (edge.source, edge.dest) in back else (edge.source, edge.dest)
            chain = [top]
            for layer in range(self.nodes[top].layer + 1, self.nodes[bottom].layer):
                count += 1
                dummy = f"~{count}"
                self.nodes[dummy] = _Node(dummy, "dummy", "", width=8, height=0, layer=layer, dummy=True)
                self.up[dummy], self.down[dummy] = [], []
                chain.append(dummy)
            chain.append(bottom)
            for a, b in zip(chain, chain[1:], strict=False):
                self.down[a].append(b)
                self.up[b].append(a)
            edge.chain = chain if top == edge.source else chain[::-1]

    def _order(self) -> None:
        depth = max(node.layer for node in self.nodes.values()) + 1
        self.rows: list[list[str]] = [[] for _ in range(depth)]
        for name, node in self.nodes.items():  # flow order first: steps as written, dummies where made
            self.rows[node.layer].append(name)
        for sweep in range(8):
            downwards = sweep % 2 == 0
            rows = range(1, depth) if downwards else range(depth - 2, -1, -1)
            for r in rows:
                neighbours = self.up if downwards else self.down
                other = self.rows[r - 1] if downwards else self.rows[r + 1]
                place = {name: i for i, name in enumerate(other)}
                current = {name: i for i, name in enumerate(self.rows[r])}

                self.rows[r].sort(key=partial(_order_key, neighbours, place, current))

    def _place(self) -> None:
        for row in self.rows:
            x = 0.0
            for name in row:
                node = self.nodes[name]
                node.x = x + node.width / 2
                x += node.width + GAP
        for sweep in range(12):
            last = sweep == 11
            downwards = sweep % 2 == 0
            rows = self.rows if downwards else self.rows[::-1]
            for row in rows:
                wanted = []
                for name in row:
                    links = (self.up[name] + self.down[name]) if last else (self.up if downwards else self.down)[name]
                    xs = [self.nodes[n].x for n in links]
                    wanted.append(sum(xs) / len(xs) if xs else self.nodes[name].x)
                placed = _isotonic(wanted, [self.nodes[n].width for n in row])
                for name, x in zip(row, placed, strict=True):
                    self.nodes[name].x = x
        left = min(node.x - node.width / 2 for node in self.nodes.values())
        for node in self.nodes.values():
            node.x += MARGIN - left

    def y(self, name: str) -> float:
        return MARGIN + self.nodes[name].layer * ROW + NODE_HEIGHT / 2

    def free_spot(self, x: float, y: float, width: float) -> tuple[float, float]:
        """Where a label centred at (x, y) goes so it overlaps no label placed before: moved down a line at a time."""
        while any(abs(x - ox) * 2 < width + other + 4 and abs(y - oy) < LABEL_LINE for ox, oy, other in self.labels):
            y += LABEL_LINE
        self.labels.append((x, y, width))
        return x, y


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _curve(points: list[tuple[float, float]]) -> str:
    parts = [f"M{points[0][0]:.1f},{points[0][1]:.1f}"]
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        bend = (y1 - y0) / 2
        parts.append(f"C{x0:.1f},{y0 + bend:.1f} {x1:.1f},{y1 - bend:.1f} {x1:.1f},{y1:.1f}")
    return " ".join(parts)


def _edge_svg(layout: _Layout, edge: _Edge) -> Iterable[str]:
    nodes = layout.nodes
    if edge.source == ROUTING:
        label = ("rule " if len(edge.labels) == 1 else "rules ") + ", ".join(edge.labels)
    else:
        label = " / ".join(edge.labels)
    short = label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"
    dash = " conditional" if edge.conditional else ""
    data = f'data-source="{_esc(edge.source)}" data-dest="{_esc(edge.dest)}"'
    if edge.source == edge.dest:
        node = nodes[edge.source]
        x, y = node.x + node.width / 2, layout.y(edge.source)
        path = f"M{x:.1f},{y - 8:.1f} C{x + 40:.1f},{y - 30:.1f} {x + 40:.1f},{y + 30:.1f} {x:.1f},{y + 8:.1f}"
        yield f'<g class="edge{dash}" {data}><title>{_esc(label)}</title><path d="{path}"/>'
        yield f'<text x="{x + 34:.1f}" y="{y:.1f}">{_esc(short)}</text></g>'
        return
    points = []
    for i, name in enumerate(edge.chain):
        node, y = nodes[name], layout.y(name)
        going_down = layout.y(edge.chain[-1]) >= layout.y(edge.chain[0])
        half = node.height / 2
        if i == 0:
            y += half if going_down else -half
        elif i == len(edge.chain) - 1:
            y -= half if going_down else -half
        points.append((node.x, y))
    yield f'<g class="edge{dash}" {data}><title>{_esc(edge.source)} → {_esc(edge.dest)}: {_esc(label)}</title>'
    yield f'<path d="{_curve(points)}" marker-end="url(#arrow)"/>'
    if short and layout.fanout[edge.source] <= MAX_LABELLED_FANOUT:
        # Near the start, where edges leave a step; a rule's number near the outcome it names.
        (x0, y0), (x1, y1) = points[-2:] if edge.source == ROUTING else points[:2]
        at = 0.6 if edge.source == ROUTING else 0.45
        x, y = layout.free_spot(x0 + (x1 - x0) * at, y0 + (y1 - y0) * at + 4, _text_width(short, 11))
        yield f'<text x="{x:.1f}" y="{y:.1f}">{_esc(short)}</text>'
    yield "</g>"


def _node_svg(layout: _Layout, node: _Node) -> Iterable[str]:
    x, y = node.x - node.width / 2, layout.y(node.id) - node.height / 2
    radius = node.height / 2 if node.kind in ("outcome", "start") else 8
    tip = f"<title>{_esc(node.tip)}</title>" if node.tip else ""
    yield (
        f'<g class="node {node.classes}" data-id="{_esc(node.id)}" transform="translate({x:.1f},{y:.1f})" '
        f'tabindex="0" role="button" aria-label="{_esc(node.label)}">{tip}'
    )
    yield (
        f'<rect width="{node.width:.1f}" height="{node.height:.1f}" rx="{radius:.1f}" '
        f'fill="{node.fill}" stroke="{node.stroke}"/>'
    )
    if node.sub:
        yield f'<text class="label" x="{node.width / 2:.1f}" y="19">{_esc(node.label)}</text>'
        yield f'<text class="sub" x="{node.width / 2:.1f}" y="35">{_esc(node.sub)}</text>'
    else:
        yield f'<text class="label" x="{node.width / 2:.1f}" y="{node.height / 2 + 5:.1f}">{_esc(node.label)}</text>'
    yield "</g>"


def to_svg(flow: Flow) -> str:
    """The flow as an SVG picture; nodes carry `data-id`, edges `data-source` and `data-dest` for the page."""
    layout = _Layout(flow)
    shown = [node for node in layout.nodes.values() if not node.dummy]
    width = max(node.x + node.width / 2 for node in layout.nodes.values()) + MARGIN + 40
    height = MARGIN * 2 + (max(node.layer for node in layout.nodes.values())) * ROW + NODE_HEIGHT
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="flow-diagram" data-flow="{_esc(flow.id)}" '
        f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" role="group" '
        f'aria-label="{_esc(flow.title)}">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" '
        'markerUnits="userSpaceOnUse" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker></defs>',
        '<g class="edges">',
    ]
    for edge in layout.edges:
        parts += _edge_svg(layout, edge)
    parts.append('</g><g class="nodes">')
    for node in shown:
        parts += _node_svg(layout, node)
    parts.append("</g></svg>")
    return "\n".join(parts)
