"""The studio served from a thread over a copy of flows/ and content/, and a headless Chromium to look at it.

The browser is Debian's `chromium` driven by playwright (no browser is downloaded): without it these
tests are skipped locally and fail under CI, which installs it (.ci/run).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.studio.server import Studio, serve
from bot.studio.workspace import Workspace
from tests.support.flows import CONTENT_DIR, FLOWS_DIR

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "studio"
"""Where the browser tests leave a picture of each view, when TWITCHCHECK_SCREENSHOTS=1."""


def find_chromium() -> str:
    """The chromium binary; otherwise fail under CI (a silent skip would hide lost coverage), else skip."""
    found = shutil.which("chromium") or shutil.which("chromium", path="/usr/bin:/usr/local/bin")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        found = None
    if found is None:
        message = "the studio's browser tests need Debian's chromium and playwright: apt-get install chromium"
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return found


@dataclass
class Project:
    """A throwaway copy of the project's flows and content, which tests may edit."""

    root: Path
    name: str = "twitching"
    """The flow file tests edit: `flows/<name>.yaml`."""

    @property
    def flows(self) -> Path:
        return self.root / "flows"

    @property
    def flow(self) -> Path:
        return self.flows / f"{self.name}.yaml"

    @property
    def content(self) -> Path:
        return self.root / "content" / "en"

    @property
    def tests(self) -> Path:
        return self.flows / "tests"

    def workspace(self) -> Workspace:
        return Workspace([self.flows], self.content, self.tests)

    def edit(self, *changes: tuple[str, str]) -> None:
        """Replace passages of the flow file, each (old, new), and save once, as a maintainer in an editor would."""
        text = self.flow.read_text(encoding="utf-8")
        for old, new in changes:
            assert text.count(old) == 1, f"{old!r} should occur once in the flow"
            text = text.replace(old, new)
        self.flow.write_text(text, encoding="utf-8")

    def line_of(self, needle: str) -> int:
        for number, line in enumerate(self.flow.read_text(encoding="utf-8").splitlines(), start=1):
            if needle in line:
                return number
        raise AssertionError(f"{needle!r} is not in the flow")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """The copy, as the working folder: the page names files as a maintainer there would (`flows/twitching.yaml`)."""
    shutil.copytree(FLOWS_DIR, tmp_path / "flows")
    shutil.copytree(CONTENT_DIR, tmp_path / "content" / "en")
    monkeypatch.chdir(tmp_path)
    return Project(tmp_path)


MINI = Path(__file__).parent / "flows" / "mini.yaml"
"""A small flow of the studio tests' own (an emergency concept, mentions, ranges, routing rules)."""


@pytest.fixture
def mini(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """A working folder with only the mini flow in flows/ (and the shipped content, which it shows little of)."""
    (tmp_path / "flows" / "tests").mkdir(parents=True)
    shutil.copy(MINI, tmp_path / "flows" / "mini.yaml")
    shutil.copytree(CONTENT_DIR, tmp_path / "content" / "en")
    monkeypatch.chdir(tmp_path)
    return Project(tmp_path, "mini")


class Served:
    """`serve` running on its own event loop in a thread, on a free port (of the loopback address by default)."""

    def __init__(self, workspace: Workspace, host: str = "127.0.0.1") -> None:
        self.host = host
        self.loop = asyncio.new_event_loop()
        self.stop_event: asyncio.Event | None = None
        self.port = 0
        self.ready = threading.Event()
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, args=(workspace,), daemon=True)
        self.thread.start()
        if not self.ready.wait(10):
            raise RuntimeError(f"the studio did not start: {self.errors}")

    def _started(self, port: int) -> None:
        self.port = port
        self.ready.set()

    def _run(self, workspace: Workspace) -> None:
        async def main() -> None:
            self.stop_event = asyncio.Event()
            await serve(Studio(workspace), self.host, 0, self.stop_event, self._started)

        try:
            self.loop.run_until_complete(main())
        except BaseException as error:  # reported by stop(), so a failure in the server fails the test
            self.errors.append(error)
            self.ready.set()
        finally:
            self.loop.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def stop(self) -> None:
        if self.stop_event is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.stop_event.set)
        self.thread.join(10)
        assert not self.thread.is_alive(), "the studio did not stop"
        assert not self.errors, self.errors


@pytest.fixture
def served(project: Project) -> Iterator[Served]:
    running = Served(project.workspace())
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module; playwright's sync API holds an event loop on this thread while it runs,
    so it must be gone before the asyncio tests of other folders start."""
    executable = find_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True)
        yield launched
        launched.close()


def _opened(browser: Any, served: Served) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.goto(served.url)
    opened.locator("#diagram svg .node").first.wait_for(timeout=20_000)
    yield opened
    context.close()
    assert not errors, errors


@pytest.fixture
def page(browser: Any, served: Served) -> Iterator[Any]:
    """The studio open in a fresh tab, its diagram drawn; a script error on the page fails the test."""
    yield from _opened(browser, served)


@pytest.fixture
def mini_served(mini: Project) -> Iterator[Served]:
    running = Served(mini.workspace())
    yield running
    running.stop()


@pytest.fixture
def mini_page(browser: Any, mini_served: Served) -> Iterator[Any]:
    """The studio over the mini flow, open in a fresh tab."""
    yield from _opened(browser, mini_served)


def screenshot(page: Any, name: str, **options: Any) -> None:
    """Keep docs/studio/<name>.png current, when asked to (TWITCHCHECK_SCREENSHOTS=1)."""
    if os.environ.get("TWITCHCHECK_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), **options)
