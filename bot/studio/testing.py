"""Tests and coverage for the page: every case file and language corpus in the case folder, on the last good version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.authoring.cases import case_files
from bot.authoring.suite import run_suite
from bot.engine.engine import Engine


def run_tests(engine: Engine, tests_dir: Path, relative: Any = str) -> dict[str, Any]:
    """What `twitchcheck test --coverage` reports, as data: verdicts with transcripts, corpora, coverage, problems."""
    suite = run_suite(engine, case_files(tests_dir), coverage=True, keep_going=True)
    problems = [f"{relative(p.source)}:{p.line}: {p.what}; {p.fix}" for p in suite.problems]
    corpora = [
        {"file": relative(str(r.path)), "passed": r.corpus.passed, "lines": r.corpus.lines()}
        for r in suite.files
        if r.corpus is not None
    ]
    results = [
        {
            "file": relative(r.source),
            "line": r.line,
            "name": r.name,
            "passed": r.passed,
            "transcript": r.transcript,
        }
        for ran in suite.files
        for r in ran.results
    ]
    coverage = [
        {
            "flow": c.flow,
            "cases": c.cases,
            "lines": c.lines(),
            "counts": [{"kind": kind, "reached": c.reached(kind), "total": c.totals[kind]} for kind in c.totals],
            "gaps": [{"kind": g.kind, "name": g.name, "file": relative(g.source), "line": g.line} for g in c.gaps],
        }
        for c in suite.coverage
    ]
    return {
        "results": results,
        "corpora": corpora,
        "coverage": coverage,
        "problems": problems,
        "passed": suite.passed,
        "failed": suite.failed,
    }
