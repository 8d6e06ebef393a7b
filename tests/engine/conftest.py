"""Fixtures for engine tests: the content and flows under test (tests/support/flows.py), a tiny flow inline."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.content.library import Content, load_content
from bot.engine.engine import Engine
from bot.engine.loader import load_flows, parse_flow
from bot.engine.model import Flow
from bot.yamlfiles.errors import FlowErrors, FlowProblem
from tests.support.fixture_flows import ONE_OUTCOME_PER_LEVEL
from tests.support.flows import CONTENT_DIR, FLOWS_DIR

ROOT = Path(__file__).resolve().parents[2]

SAFE_ROUTING = (
    """\
routing:
  - outcome: urgent
    when: {weakness: "yes"}
  - outcome: routine
    when: {weakness: not_sure}
  - outcome: self_care
outcomes:
"""
    + ONE_OUTCOME_PER_LEVEL
)
"""Routing on a `weakness` red flag (yes: urgent, not sure: routine) and one outcome per level."""

TINY = (
    """\
flow: tiny
title: Tiny check
start: weakness
steps:
  - id: weakness
    kind: red_flag
    text: "Any weakness?"
    next: route
    choices:
      - {label: "Yes", value: "yes"}
      - {label: "No", value: "no"}
      - {label: "Not sure", value: not_sure}
"""
    + SAFE_ROUTING
)
"""The smallest valid flow: one red-flag question, safe routing, one outcome per level.

Tests change one thing in it with `str.replace`, so each test shows exactly what it breaks.
"""


@pytest.fixture(scope="session")
def content() -> Content:
    """The shipped English content, checked against the article."""
    return load_content(CONTENT_DIR, CONTENT_DIR / "article.txt")


@pytest.fixture(scope="session")
def shipped(content: Content) -> dict[str, Flow]:
    """Every flow in flows/, validated."""
    return load_flows([FLOWS_DIR], content)


@pytest.fixture(scope="session")
def twitching(shipped: dict[str, Flow]) -> Flow:
    return shipped["twitching"]


@pytest.fixture(scope="session")
def engine(shipped: dict[str, Flow]) -> Engine:
    """One engine for the shipped flows; it holds no conversation, so tests can share it."""
    return Engine(shipped)


@pytest.fixture
def parse(content: Content) -> Callable[[str], Flow]:
    """Build a flow from inline YAML (dedented), as `flow.yaml`."""

    def build(text: str) -> Flow:
        return parse_flow(textwrap.dedent(text), content, source="flow.yaml")

    return build


@pytest.fixture
def problems(content: Content) -> Callable[[str], list[FlowProblem]]:
    """The problems loading inline YAML reports; fails the test if it loads cleanly."""

    def collect(text: str) -> list[FlowProblem]:
        with pytest.raises(FlowErrors) as raised:
            parse_flow(textwrap.dedent(text), content, source="flow.yaml")
        return raised.value.problems

    return collect


@pytest.fixture
def line_of() -> Callable[[str, str], int]:
    """The 1-based line of the first line of `text` containing `needle`, to assert error lines readably."""

    def find(text: str, needle: str) -> int:
        for number, line in enumerate(textwrap.dedent(text).splitlines(), start=1):
            if needle in line:
                return number
        raise AssertionError(f"{needle!r} is not in the text")

    return find
