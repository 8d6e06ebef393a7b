"""The studio's SVG diagram: every step and outcome once, every transition the machine fires, nothing overlapping."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bot.content.library import load_content
from bot.engine.graph import TYPED, edges
from bot.engine.loader import load_flows
from bot.engine.model import Flow
from bot.studio.diagram import ROUTING, START, to_svg
from tests.support.flows import CONTENT_DIR, FLOWS_DIR

ROOT = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def twitching() -> Flow:
    content = load_content(CONTENT_DIR, CONTENT_DIR / "article.txt")
    return load_flows([FLOWS_DIR], content)["twitching"]


def boxes(svg: ET.Element) -> dict[str, tuple[float, float, float, float]]:
    """Each node's rectangle: x, y, width, height."""
    found = {}
    for node in svg.iter(f"{SVG}g"):
        if "node" in node.get("class", "").split():
            x, y = map(float, re.findall(r"[-\d.]+", node.get("transform", ""))[:2])
            rect = node.find(f"{SVG}rect")
            assert rect is not None
            found[node.get("data-id", "")] = (x, y, float(rect.get("width", 0)), float(rect.get("height", 0)))
    return found


def drawn_edges(svg: ET.Element) -> set[tuple[str, str]]:
    return {
        (edge.get("data-source", ""), edge.get("data-dest", ""))
        for edge in svg.iter(f"{SVG}g")
        if "edge" in edge.get("class", "").split()
    }


def test_every_step_and_outcome_is_drawn_once(twitching: Flow) -> None:
    svg = ET.fromstring(to_svg(twitching))
    assert set(boxes(svg)) == {START, TYPED, ROUTING, *twitching.steps, *twitching.outcomes}
    flagged = {n.get("data-id") for n in svg.iter(f"{SVG}g") if "red_flag" in n.get("class", "").split()}
    assert flagged == {step.id for step in twitching.steps.values() if step.kind == "red_flag"}


def test_every_move_some_path_makes_is_drawn_and_nothing_else(twitching: Flow) -> None:
    """Directly, or (a step handing over to routing) through the one routing node; `graph` draws the same moves."""
    drawn = drawn_edges(ET.fromstring(to_svg(twitching)))
    machine = {(edge.source, edge.dest) for edge in edges(twitching)}
    for source, dest in machine:
        assert (source, dest) in drawn or {(source, ROUTING), (ROUTING, dest)} <= drawn, (source, dest)
    for source, dest in drawn - {(START, twitching.start)}:
        if dest == ROUTING:
            assert any((source, rule.outcome) in machine for rule in twitching.rules), source
        elif source == ROUTING:
            assert any(d == dest and s in twitching.steps for s, d in machine), dest
        else:
            assert (source, dest) in machine, (source, dest)


def test_no_two_nodes_overlap_and_answers_read_downwards(twitching: Flow) -> None:
    svg = ET.fromstring(to_svg(twitching))
    nodes = boxes(svg)
    placed = list(nodes.items())
    for i, (a, (ax, ay, aw, ah)) in enumerate(placed):
        for b, (bx, by, bw, bh) in placed[i + 1 :]:
            apart = ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay
            assert apart, f"{a} and {b} overlap"
    for source, dest in drawn_edges(svg):
        if source != TYPED:
            assert nodes[source][1] < nodes[dest][1], f"{source} → {dest} goes up"


def test_texts_are_escaped(twitching: Flow) -> None:
    from dataclasses import replace

    tricky = replace(twitching, title='<script>alert("x")</script>')
    svg = to_svg(tricky)
    assert "<script>" not in svg and "&lt;script&gt;" in svg


def test_no_two_edge_labels_overlap(twitching: Flow) -> None:
    svg = ET.fromstring(to_svg(twitching))
    labels = [
        (float(text.get("x", 0)), float(text.get("y", 0)), len(text.text or "") * 11 * 0.6)
        for edge in svg.iter(f"{SVG}g")
        if "edge" in edge.get("class", "").split()
        for text in edge.iter(f"{SVG}text")
    ]
    assert len(labels) > 10
    for i, (ax, ay, aw) in enumerate(labels):
        for bx, by, bw in labels[i + 1 :]:
            assert abs(ax - bx) * 2 >= aw + bw or abs(ay - by) >= 12, ((ax, ay), (bx, by))


def test_an_edge_no_path_can_take_is_not_drawn(twitching: Flow) -> None:
    """`medicines` goes to the routing only after a "not sure" to a red flag, so that edge never leads to
    self-care; routing names the rules."""
    drawn = drawn_edges(ET.fromstring(to_svg(twitching)))
    assert ("medicines", ROUTING) in drawn and ("weakness_spreading", ROUTING) in drawn
    assert (ROUTING, "self_care") in drawn
    assert ("medicines", "self_care") not in {(edge.source, edge.dest) for edge in edges(twitching)}
