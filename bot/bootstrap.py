"""Load content and flows, validate and prove them safe: the one way every command starts."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from bot.content.completeness import incomplete_outcomes
from bot.content.library import Content, load_content
from bot.engine.engine import Engine
from bot.engine.loader import load_flows
from bot.engine.model import Flow
from bot.flow_versions import fingerprint
from bot.yamlfiles.errors import FlowErrors, FlowProblem


@dataclass(frozen=True)
class Loaded:
    content: Content
    flows: dict[str, Flow]
    warnings: list[FlowProblem]

    def engine(self) -> Engine:
        """The engine for these flows, built once (half a second for the shipped flow): it holds no
        conversation, so every front end and test started from this load shares it."""
        return self._engine

    @cached_property
    def _engine(self) -> Engine:
        return Engine(self.flows)

    def fingerprint(self) -> str:
        """The name of the version these flows and content make (bot/flow_versions.py), worked out once."""
        return self._fingerprint

    @cached_property
    def _fingerprint(self) -> str:
        return fingerprint(self.flows, self.content)


def load_all(flow_paths: list[Path], content_dir: Path, *, prove: bool = True) -> Loaded:
    """Content, then flows, then (with `prove`) the static safety check; raise FlowErrors on any error."""
    from bot.engine.check import account_leaks, check_flow, unused_excerpts

    content = load_content(content_dir, content_dir / "article.txt")
    flows = load_flows(flow_paths, content)
    problems: list[FlowProblem] = incomplete_outcomes(flows, content)
    for flow in flows.values():
        problems += account_leaks(flow)
    if prove:
        for flow in flows.values():
            problems += check_flow(flow)
    errors = [p for p in problems if not p.warning]
    if errors:
        raise FlowErrors(errors)
    warnings = [p for p in problems if p.warning] + list(unused_excerpts(flows, content))
    return Loaded(content, flows, warnings)
