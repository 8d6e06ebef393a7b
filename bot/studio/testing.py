"""Tests and coverage for the page: every case file and language corpus in the case folder, on the last good version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.engine.cases import CaseFile, case_files
from bot.engine.corpus import Corpus, run_corpus
from bot.engine.coverage import measure
from bot.engine.engine import Engine
from bot.engine.errors import FlowErrors


def run_tests(engine: Engine, tests_dir: Path, relative: Any = str) -> dict[str, Any]:
    """What `twitchcheck test --coverage` reports, as data: verdicts with transcripts, corpora, coverage, problems."""
    from bot.cli import read_test_file  # the one reader of case files, corpus or cases alike

    conversations: list[CaseFile] = []
    corpora: list[dict[str, Any]] = []
    problems: list[str] = []
    for path in case_files(tests_dir):
        try:
            tests = read_test_file(path, engine.flows)
        except FlowErrors as errors:
            problems += [f"{relative(p.source)}:{p.line}: {p.what}; {p.fix}" for p in errors.problems]
            continue
        if isinstance(tests, Corpus):
            report = run_corpus(engine, tests)
            corpora.append({"file": relative(str(path)), "passed": report.passed, "lines": report.lines()})
        else:
            conversations.append(tests)
    measured = measure(engine, conversations)
    results = [
        {
            "file": relative(r.source),
            "line": r.line,
            "name": r.name,
            "passed": r.passed,
            "transcript": r.transcript,
        }
        for r in measured.results
    ]
    coverage = [
        {
            "flow": c.flow,
            "cases": c.cases,
            "lines": c.lines(),
            "counts": [{"kind": kind, "reached": c.reached(kind), "total": c.totals[kind]} for kind in c.totals],
            "gaps": [{"kind": g.kind, "name": g.name, "file": relative(g.source), "line": g.line} for g in c.gaps],
        }
        for c in measured.coverage
    ]
    passed = sum(r["passed"] for r in results) + sum(c["passed"] for c in corpora)
    failed = len(results) + len(corpora) - passed
    return {
        "results": results,
        "corpora": corpora,
        "coverage": coverage,
        "problems": problems,
        "passed": passed,
        "failed": failed,
    }
