"""The fresh rounds (flows/tests/fresh/) stay safe: every emergency caught, no calm sentence alarmed.

Their typed answers are measured, not gated: flows/tests/README.md gives the figures.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.authoring.corpus import load_corpus, run_corpus
from bot.engine.engine import Engine
from tests.support.flows import FLOWS_DIR

FRESH = sorted((FLOWS_DIR / "tests" / "fresh").glob("*.yaml"))


@pytest.mark.parametrize("path", FRESH, ids=[p.stem for p in FRESH])
def test_a_fresh_round_catches_every_emergency_and_alarms_no_calm_sentence(engine: Engine, path: Path):
    corpus = load_corpus(path, engine.flows)
    assert corpus is not None
    report = run_corpus(engine, corpus)
    seen = report.sentences
    assert seen["emergency", "calm"] == 0, [m for m in report.failures if "is emergency" in m]
    assert seen["calm", "emergency"] == 0, [m for m in report.failures if "is calm" in m]
    unclear = sum(seen["confirm", got] for got in ("emergency", "confirm", "calm"))
    assert seen["confirm", "calm"] <= unclear // 10, [m for m in report.failures if "is confirm" in m]
