"""The docs made from the flows (`twitchcheck docs`): each flow's diagram, and the routing table of docs/medical.md.

`generated(flows, docs_dir) -> {path: text}` reads the current docs and returns what they should
say, so `--check` and the writer cannot disagree. The routing table sits between markers in
docs/medical.md; the prose around it stays hand-written. Each row is a rule of the flow: its
outcome, its condition as the flow states it (graph.describe), and the rule's `why:`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from bot.engine.graph import describe, to_mermaid
from bot.engine.model import Always, Flow

MEDICAL = "medical.md"
TABLE = re.compile(r"(<!-- routing-table -->\n)(.*?)(<!-- /routing-table -->)", re.S)
"""The generated part of docs/medical.md; the first flow (by id) is the one it describes."""


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def routing_table(flow: Flow) -> str:
    """The flow's routing rules in order, as a Markdown table: number, outcome, when, why."""
    lines = ["| # | outcome | when | why, and the source |", "|---|---|---|---|"]
    for number, rule in enumerate(flow.rules, start=1):
        outcome = flow.outcomes[rule.outcome]
        when = "none of the above" if isinstance(rule.when, Always) else describe(rule.when)
        lines.append(f"| {number} | {outcome.level.mark} `{rule.outcome}` | {_cell(when)} | {_cell(rule.why)} |")
    return "\n".join(lines) + "\n"


def generated(flows: Mapping[str, Flow], docs_dir: Path) -> dict[Path, str]:
    """Each generated file under `docs_dir` and what it should hold (docs/medical.md only if it has the markers)."""
    files = {docs_dir / f"{flow_id}.mmd": to_mermaid(flow) + "\n" for flow_id, flow in sorted(flows.items())}
    medical = docs_dir / MEDICAL
    if flows and medical.is_file():
        text = medical.read_text(encoding="utf-8")
        table = routing_table(flows[min(flows)])
        if TABLE.search(text):
            files[medical] = TABLE.sub(lambda found: found.group(1) + table + found.group(3), text, count=1)
    return files


def stale(files: Mapping[Path, str]) -> list[Path]:
    """The generated files whose text on disk differs from what the flows say (or that are missing)."""
    return [path for path, text in files.items() if not path.is_file() or path.read_text(encoding="utf-8") != text]
