"""Files that can't be read as YAML give one `file:line` error in every command, never a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.cli import main
from bot.content.library import load_content
from bot.engine.errors import FlowErrors, YamlSyntaxError
from tests.engine.conftest import CONTENT_DIR, TINY

NOT_UTF8 = "the file is not UTF-8 text (byte 0xe9)"
BAD_FILES = {
    "latin-1": (TINY.replace("Any weakness?", "Any faiblesse musculaire, café?").encode("latin-1"), 7, NOT_UTF8),
    "control character": (TINY.replace("Any weakness?", "Any\x0bweakness?").encode(), 7, "control character U+000B"),
    "nested 300 deep": (TINY.replace("Tiny check", "[" * 300 + "]" * 300).encode(), 2, "nested more than 50 deep"),
}


@pytest.fixture
def flows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty flows folder that every command reads, run from an empty working directory."""
    folder = tmp_path / "flows"
    folder.mkdir()
    monkeypatch.setenv("TWITCHCHECK_FLOWS_DIR", str(folder))
    monkeypatch.chdir(tmp_path)
    return folder


@pytest.mark.parametrize("command", ["validate", "check", "graph", "test", "shell"])
@pytest.mark.parametrize("kind", BAD_FILES)
def test_every_command_reports_one_line(
    command: str, kind: str, flows: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, line, what = BAD_FILES[kind]
    (flows / "tiny.yaml").write_bytes(data)
    assert main([command]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[1:] == ["1 problem(s) found."]
    assert err[0].startswith(f"error: flows/tiny.yaml:{line}:")  # relative to the current folder
    assert what in err[0]


def test_a_latin1_flow_points_at_the_byte(flows: Path) -> None:
    from bot.engine.loader import load_flows

    (flows / "tiny.yaml").write_bytes(BAD_FILES["latin-1"][0])
    with pytest.raises(FlowErrors) as raised:
        load_flows([flows], load_content(CONTENT_DIR))
    [problem] = raised.value.problems
    assert isinstance(problem, YamlSyntaxError)
    assert (problem.line, problem.column) == (7, 41)
    assert problem.fix == "save it as UTF-8 (Latin-1 and Windows-1252 are not accepted)"


@pytest.mark.parametrize("name", ["texts.yaml", "excerpts.yaml", "article.txt"])
def test_a_latin1_content_file_is_one_error(name: str, tmp_path: Path) -> None:
    folder = tmp_path / "en"
    shutil.copytree(CONTENT_DIR, folder)
    with (folder / name).open("ab") as file:
        file.write("# café\n".encode("latin-1"))
    with pytest.raises(FlowErrors) as raised:
        load_content(folder, folder / "article.txt")
    [problem] = raised.value.problems  # not one more for each text it could not read
    assert problem.source == str(folder / name)
    assert problem.line == (CONTENT_DIR / name).read_bytes().count(b"\n") + 1
    assert problem.what == NOT_UTF8


def test_a_control_character_in_content_is_one_error(tmp_path: Path) -> None:
    folder = tmp_path / "en"
    shutil.copytree(CONTENT_DIR, folder)
    with (folder / "texts.yaml").open("a") as file:
        file.write('extra: "a\x0bb"\n')
    with pytest.raises(FlowErrors) as raised:
        load_content(folder)
    [problem] = raised.value.problems
    assert (problem.source, problem.column) == (str(folder / "texts.yaml"), 10)
    assert "control character U+000B" in problem.what
