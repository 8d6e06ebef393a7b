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
        """A new engine for these flows. Not kept here: a bot that reloads must be able to free the engine
        of a version no check needs any more (tests/e2e/test_safe_reload.py)."""
        return Engine(self.flows)

    def fingerprint(self) -> str:
        """The name of the version these flows and content make (bot/flow_versions.py), worked out once: it
        reads every field of every flow, as long as building the engine takes."""
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
