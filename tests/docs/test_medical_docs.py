"""docs/medical.md must match the shipped flow: its routing table is the flow's rules, in order, with real sources."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.content.library import Content, load_content
from bot.engine.loader import load_flows
from bot.engine.model import Flow
from tests.support.flows import CONTENT_DIR, DOCS_DIR, FLOWS_DIR

ROOT = Path(__file__).resolve().parents[2]
DOC = DOCS_DIR / "medical.md"


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(CONTENT_DIR, CONTENT_DIR / "article.txt")


@pytest.fixture(scope="module")
def twitching(content: Content) -> Flow:
    return load_flows([FLOWS_DIR], content)["twitching"]


def routing_rows() -> list[list[str]]:
    text = DOC.read_text(encoding="utf-8")
    found = re.search(r"<!-- routing-table -->\n(.*?)<!-- /routing-table -->", text, re.S)
    assert found, "docs/medical.md has no routing table between its markers"
    lines = [line for line in found.group(1).splitlines() if line.startswith("| ") and not line.startswith("| #")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]


def test_the_routing_table_is_the_flows_rules_in_order(twitching: Flow):
    rows = routing_rows()
    documented = [(int(number), outcome) for number, outcome, *_ in rows]
    shipped = [
        (index, f"{twitching.outcomes[rule.outcome].level.mark} `{rule.outcome}`")
        for index, rule in enumerate(twitching.rules, start=1)
    ]
    assert documented == shipped


def test_every_source_the_routing_table_names_exists(content: Content):
    cited = {name for row in routing_rows() for name in re.findall(r"`([a-z0-9_]+)`", row[-1])}
    assert cited and cited <= set(content.sources), cited - set(content.sources)
