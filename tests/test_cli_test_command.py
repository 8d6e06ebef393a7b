"""`twitchcheck test` given the wrong thing says what and where in one `file:line` line, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from tests.support.flows import FLOWS_DIR

CASE = """\
flow: twitching
cases:
  - name: an emergency at the first question
    inputs: ["yes"]
    expect: {level: emergency}
"""


@pytest.fixture(autouse=True)
def project_flows(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The project's own flows, whatever the developer's shell or .env says."""
    monkeypatch.chdir(tmp_path)
    for name in ("TWITCHCHECK_FLOWS_DIR", "TWITCHCHECK_CONTENT_DIR", "LOG_LEVEL", "LOG_FORMAT"):
        monkeypatch.delenv(name, raising=False)


def failure(path: Path | str, capsys: pytest.CaptureFixture[str]) -> str:
    """The one error line `twitchcheck test <path>` printed, after checking it exited 1."""
    assert main(["test", str(path)]) == 1
    out, err = capsys.readouterr()
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert "Traceback" not in err and len(errors) == 1, err
    return errors[0]


def write(tmp_path: Path, text: str, name: str = "cases.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    error = failure(tmp_path / "nope.yaml", capsys)
    assert error.startswith(f"error: {tmp_path / 'nope.yaml'}:1: ") and "cannot read the file" in error


def test_a_flow_file(capsys: pytest.CaptureFixture[str]) -> None:
    error = failure(FLOWS_DIR / "twitching.yaml", capsys)
    assert f"twitching.yaml:{_line_of('steps:', FLOWS_DIR / 'twitching.yaml')}: " in error
    assert "this is a flow file, not a case file" in error and "twitchcheck check" in error


def test_a_file_without_cases(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    error = failure(write(tmp_path, "flow: twitching\n"), capsys)
    assert error.startswith(f"error: {tmp_path / 'cases.yaml'}:1: the case file has no `cases:`")


def test_empty_cases_say_why_they_fail(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    error = failure(write(tmp_path, "flow: twitching\ncases: []\n"), capsys)
    assert error.startswith(f"error: {tmp_path / 'cases.yaml'}:2: `cases` is empty")


def test_a_file_that_is_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(CASE.replace("an emergency", "une urgence à").encode("latin-1"))
    assert "latin1.yaml:3:" in failure(path, capsys)


def test_a_folder_runs_the_case_files_in_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, CASE, "one.yaml")
    write(tmp_path, CASE.replace("an emergency", "the same emergency"), "two.yaml")
    assert main(["test", str(tmp_path)]) == 0
    assert "2 passed, 0 failed" in capsys.readouterr().out


def test_a_folder_without_case_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    error = failure(tmp_path / "empty", capsys)
    assert error.startswith(f"error: {tmp_path / 'empty'}:1: this folder holds no case files")


def test_the_project_s_own_cases_and_corpus_still_run(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", str(FLOWS_DIR / "tests" / "language.yaml")]) == 0
    assert "language corpus" in capsys.readouterr().out


def _line_of(text: str, path: Path) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if line.startswith(text))


def test_output_piped_into_a_reader_that_stops_early_is_no_traceback():
    """`twitchcheck test | head -1`: the reader closes the pipe; the command leaves quietly."""
    import subprocess
    import sys

    shell = f"{sys.executable} -m bot test | head -c 1"
    finished = subprocess.run(shell, shell=True, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in finished.stderr and "BrokenPipeError" not in finished.stderr
