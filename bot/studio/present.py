"""Flows, problems and steps as JSON-ready data for the page; pure, no I/O."""

from __future__ import annotations

import re
from typing import Any

from bot.content.render import HTML, Renderer
from bot.engine.errors import EndlessLoopError, SkippedFlagsError, UnsafeRouteError
from bot.engine.model import ROUTE, Always, Flow
from bot.engine.replies import Question
from bot.studio.diagram import ROUTING, to_svg
from bot.studio.explain import Relative, condition_text, place, uses
from bot.studio.workspace import Snapshot, Workspace

PATH_PART = re.compile(r"([A-Za-z0-9_]+)=([^\s→,]+)")
OUTCOME_PART = re.compile(r"[🚨🔴🟠🟢] ([A-Za-z0-9_]+)")
"""A counter-example as `check` prints it: `emergency_now=no → weakness=yes → 🟢 self_care`."""
PATHS = (UnsafeRouteError, SkippedFlagsError, EndlessLoopError)
"""The problems whose message holds such a path."""


def counter_example(what: str, flow: Flow | None) -> tuple[list[str], str | None]:
    """The steps of a counter-example path named in a problem, and the outcome it ends at."""
    if flow is None:
        return [], None
    steps = [step for step, _ in PATH_PART.findall(what) if step in flow.steps]
    outcome = next((o for o in OUTCOME_PART.findall(what) if o in flow.outcomes), None)
    return steps, outcome


def problems(snapshot: Snapshot, workspace: Workspace) -> list[dict[str, Any]]:
    """Every problem of the current files: where, what, the fix, and its path on the diagram if it has one."""
    flows = snapshot.drawn.flows if snapshot.drawn else {}
    found = []
    for problem in snapshot.problems:
        flow = next((f for f in flows.values() if f.source == problem.source), None)
        path, outcome = counter_example(problem.what, flow) if isinstance(problem, PATHS) else ([], None)
        found.append(
            {
                "kind": type(problem).__name__,
                "warning": problem.warning,
                "file": workspace.relative(problem.source),
                "source": problem.source,
                "line": problem.line,
                "what": problem.what,
                "fix": problem.fix,
                "text": f"{workspace.relative(problem.source)}:{problem.line}: {problem.what}; {problem.fix}",
                "flow": flow.id if flow else None,
                "at": place(problem.source, problem.line, workspace.relative),
                "path": path,
                "outcome": outcome,
            }
        )
    return found


def state(snapshot: Snapshot, workspace: Workspace) -> dict[str, Any]:
    """What the page shows after a reload: the diagrams, the problems and which versions are in use."""
    drawn = snapshot.drawn
    return {
        "version": snapshot.version,
        "loaded_at": snapshot.loaded_at,
        "valid": snapshot.valid is not None,
        "good": not snapshot.errors and snapshot.valid is not None,
        "good_version": snapshot.good_version,
        "tryable": sorted(snapshot.good.flows) if snapshot.good else [],
        "problems": problems(snapshot, workspace),
        "flows": [
            {"id": flow.id, "title": flow.title, "file": workspace.relative(flow.source), "svg": to_svg(flow)}
            for flow in (drawn.flows.values() if drawn else ())
        ],
    }


def _where(flow: Flow, target: str) -> str:
    if target == ROUTE:
        return "routing (the first rule that holds)"
    if target in flow.outcomes:
        outcome = flow.outcomes[target]
        return f"{outcome.level.mark} {outcome.id}"
    return target


def node(snapshot: Snapshot, flow_id: str, node_id: str, relative: Relative = str) -> dict[str, Any] | None:
    """A step as the person sees it, with its choices and where each leads; or an outcome and what leads to it."""
    loaded = snapshot.drawn
    flow = loaded.flows.get(flow_id) if loaded else None
    if loaded is None or flow is None:
        return None
    renderer = Renderer(loaded.content, HTML)
    step = flow.steps.get(node_id)
    if step is not None:
        message = renderer.question(Question(step, 1))
        return {
            "type": "step",
            "id": step.id,
            "kind": step.kind,
            "key": step.key,
            "topic": step.topic,
            "line": step.line,
            "file": flow.source,
            "html": message.text,
            "choices": [
                {
                    "label": choice.label,
                    "value": choice.value,
                    "line": choice.line,
                    "leads": [
                        {
                            "target": branch.target,
                            "to": _where(flow, branch.target),
                            "when": "" if isinstance(branch.when, Always) else condition_text(branch.when),
                        }
                        for branch in choice.branches
                    ],
                }
                for choice in step.choices
            ],
            "routing": _rules(flow) if any(b.target == ROUTE for c in step.choices for b in c.branches) else [],
            "at": place(flow.source, step.line, relative),
            "uses": uses(flow, step, relative),
        }
    if node_id == ROUTING:
        first = min((rule.line for rule in flow.rules), default=0)
        return {"type": "routing", "id": node_id, "line": first, "file": flow.source, "routing": _rules(flow)}
    outcome = flow.outcomes.get(node_id)
    if outcome is None:
        return None
    return {
        "type": "outcome",
        "id": outcome.id,
        "level": outcome.level.key,
        "mark": outcome.level.mark,
        "line": outcome.line,
        "file": flow.source,
        "html": f"{outcome.level.mark} {HTML.bold(outcome.title)}\n{HTML.escape(outcome.recommendation)}",
        "routing": [rule for rule in _rules(flow) if rule["outcome"] == outcome.id],
        "excerpts": [rule.excerpt for rule in outcome.excerpts],
    }


def _rules(flow: Flow) -> list[dict[str, Any]]:
    return [
        {"number": i + 1, "outcome": rule.outcome, "line": rule.line, "when": condition_text(rule.when)}
        for i, rule in enumerate(flow.rules)
    ]
