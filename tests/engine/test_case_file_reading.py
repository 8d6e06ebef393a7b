"""Case and corpus files that can't be read as UTF-8 are one located error, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.authoring.cases import run_cases
from bot.authoring.corpus import load_corpus
from bot.engine.engine import Engine
from bot.yamlfiles.errors import FlowErrors


@pytest.mark.parametrize("kind", ["cases", "corpus"])
def test_a_latin_1_case_file_is_one_located_error(engine: Engine, tmp_path: Path, kind: str):
    body = "flow: twitching\ncases: []\n" if kind == "cases" else "flow: twitching\nemergency: []\n"
    path = tmp_path / "latin.yaml"
    path.write_bytes((body + "# caf\xe9\n").encode("latin-1"))
    with pytest.raises(FlowErrors) as caught:
        run_cases(engine, path) if kind == "cases" else load_corpus(path, engine.flows)
    [problem] = caught.value.problems
    assert problem.source == str(path) and problem.line == 3
    assert "not UTF-8" in problem.what


def test_a_case_file_without_cases_is_a_located_error_not_a_crash(engine: Engine, tmp_path: Path):
    path = tmp_path / "no_cases.yaml"
    path.write_text("flow: twitching\n", encoding="utf-8")
    with pytest.raises(FlowErrors) as caught:
        run_cases(engine, path)
    assert [p.what for p in caught.value.problems] == ["the case file is missing 'cases'"]
