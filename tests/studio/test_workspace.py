"""The studio's workspace: a broken save shows its problems, and the last good version stays what is tried."""

from __future__ import annotations

from bot.yamlfiles.errors import SkippedFlagsError, UnknownTargetError
from tests.studio.conftest import Project


def test_a_good_version_is_drawn_tried_and_tested(project: Project) -> None:
    workspace = project.workspace()
    assert workspace.poll() is True
    snapshot = workspace.snapshot
    assert snapshot.errors == () and snapshot.valid is not None
    assert snapshot.good is snapshot.valid and snapshot.good_version == snapshot.version == 1
    assert snapshot.engine is not None and "twitching" in snapshot.engine.flows
    assert workspace.poll() is False  # nothing saved since: nothing reloaded


def test_a_broken_save_shows_its_line_and_keeps_the_last_drawing_and_the_last_good_version(project: Project) -> None:
    workspace = project.workspace()
    workspace.poll()
    good = workspace.snapshot
    project.edit(("    next: medicines\n", "    next: medicnes\n"))
    assert workspace.poll() is True
    broken = workspace.snapshot
    assert broken.version == 2 and broken.valid is None
    [problem] = broken.errors
    assert isinstance(problem, UnknownTargetError)
    assert (
        problem.line == project.line_of("next: medicnes")
        and f":{project.line_of('- id: medicines')} defines step 'medicines'; rename one" in problem.fix
    )
    assert broken.drawn is good.valid
    assert broken.good is good.good and broken.engine is good.engine and broken.good_version == 1


def test_an_unsafe_save_is_drawn_but_never_tried(project: Project) -> None:
    workspace = project.workspace()
    workspace.poll()
    good = workspace.snapshot
    project.edit(
        (
            '      - {label: "Less than 2 weeks", value: under_2_weeks, range:',
            '      - {label: "Less than 2 weeks", value: under_2_weeks, next: self_care, range:',
        )
    )
    workspace.poll()
    unsafe = workspace.snapshot
    assert any(isinstance(problem, SkippedFlagsError) for problem in unsafe.errors)
    assert unsafe.valid is not None and unsafe.drawn is unsafe.valid  # the diagram shows what was saved
    assert unsafe.good is good.good and unsafe.engine is good.engine  # "Try it" does not


def test_content_and_case_files_are_watched_too(project: Project) -> None:
    workspace = project.workspace()
    workspace.poll()
    texts = project.content / "texts.yaml"
    texts.write_text(texts.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    assert workspace.poll() is True
    (project.tests / "new.yaml").write_text("flow: twitching\n", encoding="utf-8")
    assert workspace.poll() is True
    assert workspace.watches(project.tests / "new.yaml") and not workspace.watches(project.root / "elsewhere.txt")


def test_files_broken_from_the_start_show_their_problems_and_nothing_to_try(project: Project) -> None:
    project.edit(("    next: medicines\n", "    next: medicnes\n"))
    workspace = project.workspace()
    workspace.poll()
    snapshot = workspace.snapshot
    assert [problem.line for problem in snapshot.errors] == [project.line_of("next: medicnes")]
    assert snapshot.drawn is None and snapshot.good is None and snapshot.engine is None
