"""docs/deploy.md must not drift from the code: every setting, log event and metric is documented."""

from __future__ import annotations

import re
from pathlib import Path

from bot.metrics import Metrics

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")


def table_cells(text: str) -> set[str]:
    """Every `code` span in the doc's table rows."""
    return {span for line in text.splitlines() if line.startswith("|") for span in re.findall(r"`([^`]+)`", line)}


def test_every_setting_the_code_reads_is_in_the_environment_table() -> None:
    config = (ROOT / "bot" / "config.py").read_text(encoding="utf-8")
    read = set(re.findall(r'(?:env|_int)\("([A-Z_]+)"', config))
    assert len(read) >= 14, read  # the pattern still finds the reads
    assert read - table_cells(DEPLOY) == set()
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert read - set(re.findall(r"^([A-Z_]+)=", example, re.MULTILINE)) == set()


def test_every_log_event_is_in_the_log_table() -> None:
    events = set()
    for path in (ROOT / "bot").rglob("*.py"):
        events |= set(re.findall(r'log_event\(\s*\w+,\s*"(\w+)"', path.read_text(encoding="utf-8")))
    assert {"outcome", "error", "api_retry"} <= events
    documented = {word for cell in table_cells(DEPLOY) for word in re.split(r"\W+", cell)}
    assert events - documented == set()


def test_every_metric_is_in_the_metrics_table() -> None:
    names = {metric.name for metric in Metrics().registry.collect()}
    exposed = {f"{name}_total" if not name.endswith("_seconds") else name for name in names}
    assert exposed - table_cells(DEPLOY) == set()
