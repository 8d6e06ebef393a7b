"""Tests and coverage for the page: every case file and language corpus in the case folder, on the last good version.

The page asks for them after every good save, so they run in a child process (`Apart`): the suite of
the shipped flow takes a couple of seconds of CPU, which in a thread would hold the interpreter lock and
slow the next reload, the part a maintainer waits for. The child is forked, so it tests the engine in
memory (the last good version, even when the files on disk are broken now), at a lower priority, and a
newer save stops it (the studio then runs the tests on the newest good version).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.authoring.cases import case_files
from bot.authoring.suite import run_suite
from bot.engine.check import Move, possible_moves
from bot.engine.engine import Engine
from bot.engine.model import Flow
from bot.studio.explain import place

GAP_NAME = re.compile(r"^'([^':]+)(?::.*)?'|^(\d+) → ")
"""A coverage gap's name as coverage.py writes it: `'step'`, `'step: Label' (value)`, `'outcome'`, `3 → urgent`."""


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
            "at": place(r.source, r.line, relative),
            "name": r.name,
            "passed": r.passed,
            "transcript": r.transcript,
        }
        for ran in suite.files
        for r in ran.results
    ]
    found_moves: dict[str, list[Move]] = {}

    def moves(flow: Flow) -> list[Move]:
        if flow.id not in found_moves:
            found_moves[flow.id] = possible_moves(flow) or []
        return found_moves[flow.id]

    coverage = [
        {
            "flow": c.flow,
            "cases": c.cases,
            "lines": c.lines(),
            "counts": [{"kind": kind, "reached": c.reached(kind), "total": c.totals[kind]} for kind in c.totals],
            "gaps": [
                {
                    "kind": g.kind,
                    "name": g.name,
                    "file": relative(g.source),
                    "line": g.line,
                    "at": place(g.source, g.line, relative),
                    "reach": reach(engine.flows[c.flow], g.kind, g.name, moves) if c.flow in engine.flows else None,
                }
                for g in c.gaps
            ],
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


def reach(
    flow: Flow, kind: str, name: str, moves: Callable[[Flow], list[Move]] = lambda f: possible_moves(f) or []
) -> str | None:
    """The step at which a case for a gap starts: the gap's own step, or the step whose answer some path
    takes to the routing rule or outcome; None for an excerpt (its answers are spread over the check)."""
    found = GAP_NAME.match(name)
    if found is None or kind == "excerpt":
        return None
    if kind in ("step", "choice"):
        return found.group(1) if found.group(1) in flow.steps else None
    if kind == "routing rule" and found.group(2):
        return next((m.step for m in moves(flow) if m.rule == int(found.group(2))), None)
    if kind == "outcome":
        return next((m.step for m in moves(flow) if m.target == found.group(1)), None)
    return None


CHILD_NICENESS = 10
"""The test run yields the CPU to the studio's own reloads on a busy machine."""


class Apart:
    """One test run in a forked child process (in this process where fork is not available: Windows), which a
    newer save can stop, so the reload a maintainer waits for never shares the CPU with a stale run."""

    def __init__(self) -> None:
        self.child: Any = None
        self.stopped = False

    def run(self, engine: Engine, tests_dir: Path, relative: Any = str) -> dict[str, Any] | None:
        """`run_tests`'s report, or None when `stop` ended the run. Blocks: call it from a worker thread."""
        if "fork" not in multiprocessing.get_all_start_methods():
            return run_tests(engine, tests_dir, relative)
        context = multiprocessing.get_context("fork")
        reader, writer = context.Pipe(duplex=False)
        self.child = context.Process(target=_child, args=(writer, engine, tests_dir, relative), daemon=True)
        if self.stopped:
            return None
        self.child.start()
        writer.close()
        try:
            sent: dict[str, Any] = reader.recv()
        except EOFError:
            sent = {"error": f"the test run stopped (exit code {self.child.exitcode})"}
        finally:
            reader.close()
            self.child.join()
        if self.stopped:
            return None
        if "error" in sent:
            raise RuntimeError(sent["error"])
        return sent

    def stop(self) -> None:
        """End the run (a newer save came): its report would be of a version no longer on disk."""
        self.stopped = True
        child = self.child
        if child is not None and child.pid is not None and child.is_alive():
            child.terminate()


def _child(writer: Any, engine: Engine, tests_dir: Path, relative: Any) -> None:
    with contextlib.suppress(OSError):
        os.nice(CHILD_NICENESS)
    try:
        report: dict[str, Any] = run_tests(engine, tests_dir, relative)
    except Exception as error:  # sent to the page as the run's error, never lost in a child's stderr
        report = {"error": f"{type(error).__name__}: {error}"}
    writer.send(report)
    writer.close()
