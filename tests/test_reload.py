"""SIGHUP (and `--watch`) reload the flows; whatever is wrong with the new files, `reload_refused` is logged and
the old ones stay. What happens to checks in progress is in tests/e2e/test_safe_reload.py."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.bootstrap import Loaded, load_all
from bot.config import Settings
from bot.telegram.app import BotRuntime
from bot.telegram.runner import reload_flows
from tests.support.flows import CONTENT_DIR, FLOWS_DIR


class RecordingRuntime:
    """Stands in for BotRuntime: remembers what it was given to reload."""

    def __init__(self) -> None:
        self.reloaded: list[Loaded] = []

    def reload(self, loaded: Loaded) -> None:
        self.reloaded.append(loaded)


@pytest.fixture
def flows(tmp_path: Path) -> Path:
    folder = tmp_path / "flows"
    folder.mkdir()
    shutil.copy(FLOWS_DIR / "twitching.yaml", folder / "twitching.yaml")
    return folder


def reload(flows: Path, caplog: pytest.LogCaptureFixture, load: Callable[..., Loaded] | None = None) -> list[str]:
    """Reload from `flows`; return the `reload_refused` problems logged, checking the old flows were kept."""
    runtime = RecordingRuntime()
    settings = Settings(flows_dir=flows, content_dir=CONTENT_DIR)
    with caplog.at_level(logging.ERROR, logger="twitchcheck"):
        kept = not (reload_flows(runtime, settings, load) if load else reload_flows(runtime, settings))  # type: ignore[arg-type]
    refused = [r.fields["problem"] for r in caplog.records if getattr(r, "event", "") == "reload_refused"]  # type: ignore[attr-defined]
    assert kept == bool(refused) and kept == (not runtime.reloaded)
    return refused


def test_good_flows_are_swapped_in(flows: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert reload(flows, caplog) == []


def test_a_yaml_syntax_error(flows: Path, caplog: pytest.LogCaptureFixture) -> None:
    (flows / "twitching.yaml").write_text("flow: twitching\nsteps: [\n", encoding="utf-8")
    [problem] = reload(flows, caplog)
    assert problem.startswith(f"{flows / 'twitching.yaml'}:3") and "YAML syntax error" in problem


def test_a_file_that_is_not_utf8(flows: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = flows / "twitching.yaml"
    path.write_bytes(path.read_bytes().replace(b"Muscle", "Musclé".encode("latin-1"), 1))
    [problem] = reload(flows, caplog)
    assert str(path) in problem


def test_a_meaning_error(flows: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = flows / "twitching.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("start: emergency_now", "start: nowhere"), "utf-8")
    assert any("nowhere" in problem for problem in reload(flows, caplog))


def test_a_flows_folder_that_is_gone(flows: Path, caplog: pytest.LogCaptureFixture) -> None:
    shutil.rmtree(flows)
    assert len(reload(flows, caplog)) >= 1


@pytest.mark.parametrize("error", [RecursionError("maximum recursion depth exceeded"), OSError(5, "I/O error")])
def test_anything_else_the_loader_raises(error: Exception, flows: Path, caplog: pytest.LogCaptureFixture) -> None:
    def load(*args: object, **kwargs: object) -> Loaded:
        raise error

    [problem] = reload(flows, caplog, load)
    assert problem.startswith(f"{flows}: {type(error).__name__}: ")


def test_a_reload_names_the_new_version_and_drops_the_old_one_no_check_used(
    flows: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An operator reads in the log which version is current and which old ones were let go."""
    settings = Settings(token="123:abc", flows_dir=flows, content_dir=CONTENT_DIR)
    runtime = BotRuntime(settings, load_all([flows], CONTENT_DIR), None)  # type: ignore[arg-type]
    first = runtime.handlers.service.versions.current.id
    path = flows / "twitching.yaml"

    def logged(event: str) -> list[dict[str, object]]:
        return [r.fields for r in caplog.records if getattr(r, "event", "") == event]  # type: ignore[attr-defined]

    with caplog.at_level(logging.INFO, logger="twitchcheck"):
        assert reload_flows(runtime, settings)  # unchanged files: the same version
        path.write_text(path.read_text(encoding="utf-8").replace("title: Muscle twitching check", "title: Edited"))
        assert reload_flows(runtime, settings)
    same, edited = logged("flows_reloaded")
    assert same["version"] == first and same["kept"] == 0
    assert edited["version"] != first and edited["kept"] == 0
    assert logged("flow_version_dropped") == [{"version": first}]
