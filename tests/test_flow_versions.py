"""Flow versions (bot/flow_versions.py): what names a version, when an old one is dropped, what still fits.

A fake clock drives the bookkeeping, so nothing waits.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from bot.bootstrap import Loaded, load_all
from bot.engine.conversation import Conversation
from bot.engine.engine import INTERRUPT_KEY, Engine
from bot.engine.replies import Notice, Pick, Question, Typed
from bot.flow_versions import FlowVersions, fingerprint
from bot.session import CHANGED, FLOW_CHANGED, Session
from bot.storage.sqlite import SqliteStore
from tests.support.flows import CONTENT_DIR, FLOWS_DIR
from tests.support.paths import walk

ROOT = Path(__file__).resolve().parents[1]
FLOW = FLOWS_DIR / "twitching.yaml"
DAY = 86400.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def loaded() -> Loaded:
    return load_all([FLOWS_DIR], CONTENT_DIR)


def variant(tmp_path: Path, name: str, edit: Callable[[str], str]) -> Loaded:
    """The shipped flow with `edit` applied, loaded from its own folder."""
    folder = tmp_path / name
    folder.mkdir()
    text = FLOW.read_text(encoding="utf-8")
    changed = edit(text)
    assert changed != text, "the edit did not apply; has the shipped flow changed?"
    (folder / FLOW.name).write_text(changed, encoding="utf-8")
    return load_all([folder], CONTENT_DIR)


def worded(n: int) -> Callable[[str], str]:
    """An edit that words the location question differently: version `n`."""
    return lambda text: text.replace('    text: "@questions.location"', f'    text: "Where does it twitch? ({n})"', 1)


def without_everyday_causes(text: str) -> str:
    """The shipped flow without its everyday-causes question: what led to it leads to the next one instead."""
    start, end = text.index("  - id: everyday_causes\n"), text.index("  - id: medicines\n")
    text = text[:start] + text[end:]
    text = re.sub(r"((?:next|to): )everyday_causes\b", r"\1medicines", text)
    return "".join(line for line in text.splitlines(keepends=True) if '{everyday_causes: "yes"}' not in line)


def versions_of(loaded: Loaded, clock: Clock, **options: float) -> FlowVersions[None]:
    return FlowVersions(loaded.flows, loaded.content, index=lambda _: None, clock=clock, **options)  # type: ignore[arg-type]


def add(versions: FlowVersions[None], loaded: Loaded) -> str:
    return versions.add(loaded.flows, loaded.content).id


# -- what names a version ------------------------------------------------------------------------------------


def flows_under_test() -> dict[str, str]:
    """The settings naming the flows under test, for a child process (tests/support/flows.py)."""
    return {"TWITCHCHECK_FLOWS_DIR": str(FLOWS_DIR), "TWITCHCHECK_CONTENT_DIR": str(CONTENT_DIR)}


def test_the_same_files_give_the_same_version_in_another_process(loaded: Loaded) -> None:
    """After a restart, conversations on unchanged flows keep their version (no set order leaks in)."""
    script = (
        "from bot.bootstrap import load_all; from tests.support.flows import CONTENT_DIR, FLOWS_DIR;"
        "from bot.flow_versions import fingerprint; l = load_all([FLOWS_DIR], CONTENT_DIR);"
        "print(fingerprint(l.flows, l.content))"
    )
    names = {
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env={"PYTHONHASHSEED": seed, "PATH": "", **flows_under_test()},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert names == {fingerprint(loaded.flows, loaded.content)}


def test_a_changed_question_is_a_new_version_and_a_moved_line_is_not(loaded: Loaded, tmp_path: Path) -> None:
    same = fingerprint(loaded.flows, loaded.content)
    commented = variant(tmp_path, "commented", lambda text: "# a note for maintainers\n" + text)
    assert fingerprint(commented.flows, commented.content) == same
    reworded = variant(tmp_path, "reworded", worded(2))
    assert fingerprint(reworded.flows, reworded.content) != same


def test_changed_content_is_a_new_version(loaded: Loaded) -> None:
    texts = {**loaded.content.texts, "ui.help": "Tap a button."}
    assert fingerprint(loaded.flows, replace(loaded.content, texts=texts)) != fingerprint(loaded.flows, loaded.content)


# -- keeping and dropping ------------------------------------------------------------------------------------


def test_reloading_the_same_flows_keeps_one_version(loaded: Loaded) -> None:
    versions = versions_of(loaded, Clock())
    first = versions.current
    assert add(versions, loaded) == first.id
    assert versions.current is first and versions.ids == [first.id]


def test_an_old_version_no_conversation_used_is_dropped_at_once(loaded: Loaded, tmp_path: Path) -> None:
    clock = Clock()
    versions = versions_of(loaded, clock)
    old = versions.current.id
    new = add(versions, variant(tmp_path, "v2", worded(2)))
    assert versions.ids == [new]
    assert versions.get(old) is None


def test_an_old_version_in_use_is_kept_until_the_ttl_after_its_last_use(loaded: Loaded, tmp_path: Path) -> None:
    clock = Clock()
    versions = versions_of(loaded, clock, keep_for=7 * DAY)
    old = versions.use_current().id  # a check starts on it
    new = add(versions, variant(tmp_path, "v2", worded(2)))
    assert versions.ids == [old, new]

    clock.now += 6 * DAY
    assert versions.get(old) is not None  # that check goes on: its last use is now
    clock.now += 6 * DAY
    assert versions.sweep() == []
    assert versions.ids == [old, new]
    clock.now += 1 * DAY
    assert versions.sweep() == [old]  # 7 days without use: every conversation on it has expired
    assert versions.ids == [new]


def test_the_current_version_is_never_dropped(loaded: Loaded) -> None:
    clock = Clock()
    versions = versions_of(loaded, clock, keep_for=DAY)
    clock.now += 30 * DAY
    assert versions.sweep() == []
    assert versions.ids == [versions.current.id]


def test_memory_is_bounded_the_version_used_longest_ago_goes_first(loaded: Loaded, tmp_path: Path) -> None:
    clock = Clock()
    versions = versions_of(loaded, clock, max_old=2)
    v1 = versions.use_current().id
    clock.now += 1
    v2 = add(versions, variant(tmp_path, "v2", worded(2)))
    versions.use_current()
    clock.now += 1
    v3 = add(versions, variant(tmp_path, "v3", worded(3)))
    versions.use_current()
    clock.now += 1
    assert versions.get(v1) is not None  # someone still on the first version answers again
    clock.now += 1
    v4 = add(versions, variant(tmp_path, "v4", worded(4)))
    assert sorted(versions.ids) == sorted([v1, v3, v4])
    assert versions.get(v2) is None


def test_going_back_to_a_kept_version_reuses_it(loaded: Loaded, tmp_path: Path) -> None:
    versions = versions_of(loaded, Clock())
    first = versions.use_current()
    add(versions, variant(tmp_path, "v2", worded(2)))
    assert versions.add(loaded.flows, loaded.content) is first


def test_content_keeps_what_only_an_old_version_still_has(loaded: Loaded) -> None:
    """A check finishing on the old version may cite an excerpt the new content no longer has."""
    versions = versions_of(loaded, Clock())
    versions.use_current()
    excerpts = {k: v for k, v in loaded.content.excerpts.items() if k != "stimulants"}
    newer = replace(loaded.content, excerpts=excerpts, texts={**loaded.content.texts, "ui.help": "New help."})
    versions.add(loaded.flows, newer)
    merged = versions.content()
    assert merged is not None
    assert "stimulants" in merged.excerpts and merged.texts["ui.help"] == "New help."


# -- what still fits the current flow ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine(loaded: Loaded) -> Engine:
    return Engine(loaded.flows)


def at(step: str, history: tuple[str, ...] = (), **answers: str) -> Conversation:
    return Conversation("twitching", step, answers, history, version=4)


def test_a_conversation_at_an_existing_step_with_existing_answers_fits(engine: Engine) -> None:
    done = ("emergency_now", "account", "location")
    assert engine.fits(at("duration", done, emergency_now="no", account="skip", location="leg"))


@pytest.mark.parametrize(
    "conversation",
    [
        at("tea_or_coffee", ("emergency_now",), emergency_now="no"),
        at("duration", ("emergency_now", "where_exactly"), emergency_now="no"),
        at("duration", ("emergency_now",), emergency_now="no", location="elbow_only"),
        at("duration", ("emergency_now",), emergency_now="no", how_old="42"),
        at("emergency", ("emergency_now",), **{INTERRUPT_KEY: "volcano"}),
        Conversation("quick_twitch", "duration", version=2),
    ],
    ids=["step gone", "passed step gone", "choice gone", "question gone", "interrupt gone", "flow gone"],
)
def test_a_conversation_that_does_not_fit(engine: Engine, conversation: Conversation) -> None:
    assert not engine.fits(conversation)


def test_a_conversation_stored_before_versions_were_recorded_still_loads() -> None:
    stored = {"flow": "twitching", "step": "duration", "answers": {"location": "leg"}, "history": [], "version": 3}
    conversation = Conversation.from_dict(stored)
    assert conversation.flow_version == ""
    assert Conversation.from_dict(conversation.to_dict()) == conversation


# -- the service reads each conversation with its own version ------------------------------------------------


@pytest.fixture
async def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    opened = await SqliteStore.open(tmp_path / "data")
    yield opened
    await opened.close()


def before_location(loaded: Loaded) -> list[tuple[str, str]]:
    """The (step, value) taps that lead to the location question, found in the flow (tests/support/paths.py)."""
    path = walk(loaded.flows["twitching"])
    ids = [step.id for step, _ in path]
    return [(step.id, choice.value) for step, choice in path[: ids.index("location")]]


def question_text(replies: tuple[object, ...]) -> str:
    return next(reply.step.text for reply in replies if isinstance(reply, Question))


async def test_a_check_finishes_on_its_version_while_new_checks_start_on_the_new_one(
    loaded: Loaded, store: SqliteStore, tmp_path: Path
) -> None:
    versions = versions_of(loaded, Clock())
    service = Session(versions, store)
    started = await service.start("alice", user="a")
    for step, value in before_location(loaded):
        turn = await service.handle("alice", user="a", given=Pick(step, value))
        assert turn is not None
    assert question_text(turn.replies) == loaded.content.texts["questions.location"]
    v2 = variant(tmp_path, "v2", worded(2))
    versions.add(v2.flows, v2.content)

    turn = await service.handle("alice", user="a", given=Pick("location", "leg"))
    assert turn is not None and turn.conversation.flow_version == started.conversation.flow_version
    bob = await service.start("bob", user="b")
    assert bob.conversation.flow_version == versions.current.id != started.conversation.flow_version
    for step, value in before_location(loaded):
        moved = await service.handle("bob", user="b", given=Pick(step, value))
    assert moved is not None and question_text(moved.replies) == "Where does it twitch? (2)"


async def test_a_conversation_whose_version_is_gone_and_does_not_fit_reads_as_a_fresh_start(
    loaded: Loaded, store: SqliteStore, tmp_path: Path
) -> None:
    path = walk(loaded.flows["twitching"], {"location": "leg", "duration": "over_2_weeks"})
    ids = [step.id for step, _ in path]
    before = path[: ids.index("everyday_causes")]
    at_everyday = Conversation(
        "twitching",
        "everyday_causes",
        {step.key: choice.value for step, choice in before},
        tuple(step.id for step, _ in before),
        version=5,
        flow_version="from-before-the-restart",
    )
    assert await store.save("alice", at_everyday, expected_version=None, user="a")
    service = Session(versions_of(variant(tmp_path, "v2", without_everyday_causes), Clock()), store)

    shown = await service.load("alice")
    assert shown is not None and shown.step == "emergency_now" and shown.version == 5 and shown.meta.get(CHANGED)
    replies = service.current(shown)
    assert replies[0] == Notice(FLOW_CHANGED) and isinstance(replies[1], Question)
    assert await store.load("alice") == at_everyday  # nothing is written until she answers

    turn = await service.handle("alice", user="a", given=Typed("yes"))  # meant for the everyday causes
    assert turn is not None and turn.replies[0] == Notice(FLOW_CHANGED)
    assert turn.conversation.step == "emergency_now" and not turn.conversation.answers
    assert (await store.load("alice")) == turn.conversation


async def test_resuming_a_conversation_whose_version_is_gone_stores_the_new_start_with_the_explanation(
    loaded: Loaded, store: SqliteStore, tmp_path: Path
) -> None:
    """After /start shows the kind line and the first question, what she types next answers that question."""
    at_everyday = Conversation(
        "twitching", "everyday_causes", {"emergency_now": "no"}, ("emergency_now",), version=5, flow_version="gone"
    )
    assert await store.save("alice", at_everyday, expected_version=None, user="a")
    service = Session(versions_of(variant(tmp_path, "v2", without_everyday_causes), Clock()), store)

    turn = await service.start("alice", user="a", resume=True)
    assert turn.replies[0] == Notice(FLOW_CHANGED) and not turn.started
    assert await store.load("alice") == turn.conversation
    assert turn.conversation.step == "emergency_now" and turn.conversation.version == 6

    answered = await service.handle("alice", user="a", given=Typed("no"))
    assert answered is not None and answered.conversation.answers == {"emergency_now": "no"}
    assert Notice(FLOW_CHANGED) not in answered.replies
