"""`twitchcheck run --watch` (bot/watch.py): a saved flow or content file is reloaded once it holds still.

The watcher's logic is driven by hand-fed scans, so no test waits on a timer; the real-file tests
call `poll()` directly, and the one through `serve` polls for the outcome with a deadline.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from bot.bootstrap import load_all
from bot.telegram.runner import StartupPolicy, serve, watched_folders
from bot.watch import FolderWatcher, Snapshot, snapshot
from tests.support.botapi import BotApiStandIn
from tests.support.fake_time import FakeTime
from tests.support.flows import CONTENT_DIR, FLOWS_DIR
from tests.support.harness import settings_for

A: Snapshot = {"flows/twitching.yaml": (1, 100, 7)}
B: Snapshot = {"flows/twitching.yaml": (2, 140, 7)}
C: Snapshot = {"flows/twitching.yaml": (3, 150, 7)}


class Scans:
    """A scan that returns the snapshots it is given, one per look (the last one again when they run out)."""

    def __init__(self, first: Snapshot) -> None:
        self.ahead: list[Snapshot] = [first]
        self.last = first
        self.now = 0.0
        """The watcher's clock: each look happens one second (POLL_SECONDS) after the last."""

    def then(self, *looks: Snapshot) -> None:
        self.ahead += looks

    def __call__(self, folders: Iterable[Path]) -> Snapshot:
        self.now += 1.0
        if self.ahead:
            self.last = self.ahead.pop(0)
        return self.last


def watcher(scans: Scans) -> tuple[FolderWatcher, list[int]]:
    calls: list[int] = []
    return FolderWatcher([Path("flows")], lambda: calls.append(1), scan=scans, clock=lambda: scans.now), calls


def test_nothing_changed_nothing_reloaded() -> None:
    scans = Scans(A)
    watch, calls = watcher(scans)
    assert [watch.poll() for _ in range(3)] == [False, False, False]
    assert calls == []


def test_a_saved_file_is_reloaded_once_it_holds_still_for_two_seconds() -> None:
    scans = Scans(A)
    watch, calls = watcher(scans)
    scans.then(B, B, B, B)
    assert [watch.poll() for _ in range(4)] == [False, False, True, False]
    assert calls == [1]


def test_a_file_still_being_written_waits_until_it_holds_still() -> None:
    scans = Scans(A)
    watch, calls = watcher(scans)
    scans.then(B, C, C, C)
    assert [watch.poll() for _ in range(4)] == [False, False, False, True]
    assert calls == [1]


def test_two_looks_that_agree_less_than_two_seconds_apart_are_not_enough() -> None:
    """Issue 19: a file written in two halves 2.5 s apart was tried between them, when two looks agreed."""
    scans = Scans(A)
    now = [0.0]
    calls: list[int] = []
    watch = FolderWatcher([Path("flows")], lambda: calls.append(1), scan=scans, clock=lambda: now[0])
    scans.then(B, B, B, B, B)
    looks = []
    for at in (0.0, 0.5, 1.0, 1.5, 2.0):
        now[0] = at
        looks.append(watch.poll())
    assert looks == [False, False, False, False, True] and calls == [1]


def test_a_change_undone_before_it_settled_reloads_nothing() -> None:
    scans = Scans(A)
    watch, calls = watcher(scans)
    scans.then(B, A, A)
    assert [watch.poll() for _ in range(3)] == [False, False, False]
    assert calls == []


def test_run_polls_at_its_interval_until_cancelled() -> None:
    async def scenario() -> list[float]:
        scans = Scans(A)
        watch, calls = watcher(scans)
        scans.then(B, B)
        slept: list[float] = []

        async def sleep(seconds: float) -> None:
            slept.append(seconds)
            if calls:
                raise asyncio.CancelledError

        with pytest.raises(asyncio.CancelledError):
            await watch.run(0.5, sleep)
        return slept

    assert asyncio.run(scenario()) == [0.5, 0.5, 0.5, 0.5]


# -- snapshots of real files ---------------------------------------------------------------------------------


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "twitching.yaml").write_text("flow: twitching\n", encoding="utf-8")
    (tmp_path / "flows" / "tests").mkdir()
    (tmp_path / "flows" / "tests" / "cases.yaml").write_text("cases: []\n", encoding="utf-8")
    return tmp_path / "flows"


@pytest.mark.parametrize(
    "edit",
    [
        lambda f: (f / "twitching.yaml").write_text("flow: twitching\ntitle: edited\n", encoding="utf-8"),
        lambda f: (f / "extra.yaml").write_text("flow: extra\n", encoding="utf-8"),
        lambda f: (f / "twitching.yaml").unlink(),
        lambda f: (f / "tests" / "cases.yaml").write_text("cases: [1]\n", encoding="utf-8"),
        lambda f: _replace_by_rename(f / "twitching.yaml", "flow: twitchinG\n"),
    ],
    ids=["edited", "added", "removed", "edited in a subfolder", "saved by renaming a new file over it"],
)
def test_a_change_to_a_real_file_is_seen(folder: Path, edit: Callable[[Path], object]) -> None:
    before = snapshot([folder])
    edit(folder)
    assert snapshot([folder]) != before


def test_hidden_and_editor_temporary_files_are_not_changes(folder: Path) -> None:
    before = snapshot([folder])
    (folder / ".twitching.yaml.swp").write_bytes(b"x")
    (folder / "twitching.yaml~").write_text("old", encoding="utf-8")
    assert snapshot([folder]) == before


def test_a_folder_that_is_gone_has_no_files(tmp_path: Path) -> None:
    assert snapshot([tmp_path / "nowhere"]) == {}


def _replace_by_rename(path: Path, text: str) -> None:
    """Save the way many editors do: write a new file beside it, then rename it over the old one (same size)."""
    fresh = path.with_name(path.name + ".new")
    fresh.write_text(text, encoding="utf-8")
    stat = path.stat()
    os.replace(fresh, path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # even with the old time, it is another file


# -- through `twitchcheck run --watch` -----------------------------------------------------------------------

SAFETY = "First, a safety question."
EDITED = "Safety first, in new words: is any of this happening right now?"


async def until(predicate: Callable[[], object], seconds: float = 10.0) -> None:
    """Poll `predicate` until it is true or the deadline passes (the watcher works on real files)."""
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_run_with_watch_reloads_a_saved_flow_and_keeps_the_last_good_one_on_a_broken_save(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    shutil.copy(FLOWS_DIR / "twitching.yaml", flows / "twitching.yaml")
    fake = FakeTime()
    policy = StartupPolicy(budget=30, request_backoff=0, sleep=fake.sleep, clock=fake.clock)
    caplog.set_level(logging.INFO, logger="twitchcheck")

    def events(name: str) -> list[logging.LogRecord]:
        return [r for r in caplog.records if getattr(r, "event", "") == name]

    async with BotApiStandIn() as api:
        settings = settings_for(api, tmp_path / "data", flows_dir=flows, content_dir=CONTENT_DIR)
        files = snapshot(watched_folders(settings))
        loaded = load_all([flows], CONTENT_DIR)
        stop = asyncio.Event()
        serving = asyncio.create_task(
            serve(settings, loaded, webhook=False, policy=policy, stop=stop, watch=files, poll_seconds=0.02)
        )
        try:
            await api.wait_for(lambda: api.polling or None, what="a getUpdates long poll")
            path = flows / "twitching.yaml"
            text = path.read_text(encoding="utf-8")
            path.write_text(text.replace('    text: "@questions.emergency_now"', f'    text: "{EDITED}"'), "utf-8")
            await until(lambda: events("flows_reloaded"))
            alice = api.user(2001, "Alice", language_code="en")
            api.send_command(api.private(alice), alice, "/start")
            await api.wait_for(lambda: any(EDITED in m.text for m in api.bot_messages(api.private(alice))) or None)

            path.write_text("flow: twitching\nsteps: [\n", encoding="utf-8")
            await until(lambda: events("reload_refused"))
            bob = api.user(2002, "Bob", language_code="en")
            api.send_command(api.private(bob), bob, "/start")
            await api.wait_for(lambda: any(EDITED in m.text for m in api.bot_messages(api.private(bob))) or None)
            assert len(events("flows_reloaded")) == 1
        finally:
            stop.set()
            assert await asyncio.wait_for(serving, 10) == 0


@pytest.mark.parametrize(
    "before", ["    tips:", "outcomes:"], ids=["cut inside the last outcome", "cut before the outcomes"]
)
def test_a_flow_written_in_two_halves_is_only_ever_loaded_whole(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, before: str
) -> None:
    """Issue 19: halves written 2.5 s apart, looked at once a second; the half was tried (7 `reload_refused`
    lines). Now the half is refused with one line, or not tried at all, and only the whole file goes live."""
    from bot.config import Settings
    from bot.telegram.runner import reload_flows
    from tests.test_reload import RecordingRuntime

    flows = tmp_path / "flows"
    flows.mkdir()
    path = flows / "twitching.yaml"
    whole = (FLOWS_DIR / "twitching.yaml").read_text(encoding="utf-8").replace("Muscle", "Musc1e")
    shutil.copy(FLOWS_DIR / "twitching.yaml", path)
    runtime = RecordingRuntime()
    now = [0.0]
    watch = FolderWatcher(
        [flows, CONTENT_DIR],
        lambda: reload_flows(runtime, Settings(flows_dir=flows, content_dir=CONTENT_DIR)),  # type: ignore[arg-type]
        clock=lambda: now[0],
    )
    cut = whole.rindex(before)  # a first half that parses
    caplog.set_level(logging.INFO, logger="twitchcheck")
    path.write_text(whole[:cut], encoding="utf-8")
    for at in (0.1, 1.1, 2.1):
        now[0] = at
        watch.poll()
    path.write_text(whole, encoding="utf-8")  # the second half, 2.5 s after the first
    for at in (3.1, 4.1, 5.1, 6.1):
        now[0] = at
        watch.poll()
    refused = [r for r in caplog.records if getattr(r, "event", "") == "reload_refused"]
    assert [loaded.flows["twitching"].title for loaded in runtime.reloaded] == ["Musc1e twitching check"]
    assert len(refused) <= 1, [r.getMessage() for r in refused]
