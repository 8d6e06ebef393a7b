"""Running case files as `twitchcheck test` and the studio's Tests tab both do: `run_suite(engine, files) -> Suite`.

Conversation cases and language corpora are run in file order; with `coverage`, the cases are played
by `measure` (bot/authoring/coverage.py), which gives the same verdicts and each flow's coverage too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.authoring.cases import CaseFile, CaseResult, run_case
from bot.authoring.corpus import Corpus, CorpusReport, run_corpus
from bot.authoring.coverage import Coverage, measure
from bot.authoring.files import read_test_file
from bot.engine.engine import Engine
from bot.yamlfiles.errors import FlowErrors, FlowProblem


@dataclass(frozen=True, slots=True)
class Ran:
    """One case file's outcome: its corpus report, or its cases' verdicts."""

    path: Path
    corpus: CorpusReport | None = None
    results: tuple[CaseResult, ...] = ()


@dataclass(frozen=True, slots=True)
class Suite:
    """Every file run, each flow's coverage (with `coverage`), and the files that could not be read."""

    files: tuple[Ran, ...]
    coverage: tuple[Coverage, ...]
    problems: tuple[FlowProblem, ...]

    @property
    def passed(self) -> int:
        return sum(r.corpus.passed if r.corpus else sum(c.passed for c in r.results) for r in self.files)

    @property
    def failed(self) -> int:
        return sum(not r.corpus.passed if r.corpus else sum(not c.passed for c in r.results) for r in self.files)


def run_suite(engine: Engine, paths: Iterable[Path], *, coverage: bool = False, keep_going: bool = False) -> Suite:
    """Run every case file; a file that cannot be read raises FlowErrors, or with `keep_going` is noted and skipped."""
    read: list[tuple[Path, CaseFile | Corpus]] = []
    problems: list[FlowProblem] = []
    for path in paths:
        try:
            read.append((path, read_test_file(path, engine.flows)))
        except FlowErrors as errors:
            if not keep_going:
                raise
            problems += errors.problems
    conversations = [tests for _, tests in read if isinstance(tests, CaseFile)]
    measured = measure(engine, conversations) if coverage else None
    played = iter(measured.results) if measured else None
    files: list[Ran] = []
    for path, tests in read:
        if isinstance(tests, Corpus):
            files.append(Ran(path, corpus=run_corpus(engine, tests)))
        elif played is not None:
            files.append(Ran(path, results=tuple(next(played) for _ in tests.cases)))
        else:
            files.append(Ran(path, results=tuple(run_case(engine, tests.flow, c, str(path)) for c in tests.cases)))
    return Suite(tuple(files), measured.coverage if measured else (), tuple(problems))
