"""The flows and content the tests run, and the docs generated from them.

By default these are the repository's own `flows/`, `content/en/` and `docs/`. A run with
`TWITCHCHECK_FLOWS_DIR` and `TWITCHCHECK_CONTENT_DIR` set (the settings the bot itself reads,
bot/config.py) tests that copy instead: issue 21's proof (`tests/test_flow_independence.py`) runs the
whole suite over a copy with a question inserted, to show that only the flow's own cases depend on it.
The docs generated from a copy (`twitchcheck docs`) sit in `docs/` next to its `flows/`.

Tests that need a flow of a known shape use a fixture flow (`tests/support/fixture_flows.py`) instead.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from bot.bootstrap import Loaded, load_all
from bot.config import DEFAULT_CONTENT, DEFAULT_FLOWS
from bot.engine.model import Flow

FLOWS_DIR = Path(os.environ.get("TWITCHCHECK_FLOWS_DIR", "").strip() or DEFAULT_FLOWS).resolve()
CONTENT_DIR = Path(os.environ.get("TWITCHCHECK_CONTENT_DIR", "").strip() or DEFAULT_CONTENT).resolve()
DOCS_DIR = FLOWS_DIR.parent / "docs"
MAIN = "twitching"
"""The flow a bare /start opens."""


@cache
def loaded(prove: bool = True) -> Loaded:
    """The flows under test with their content, loaded once per run (`prove` runs `check` as start-up does)."""
    return load_all([FLOWS_DIR], CONTENT_DIR, prove=prove)


def main_flow() -> Flow:
    """The flow a bare /start opens, from the flows under test."""
    return loaded(prove=False).flows[MAIN]
