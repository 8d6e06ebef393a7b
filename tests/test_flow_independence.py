"""Issue 21's proof: a maintainer's YAML-only edit fails no Python test, only the flow's own cases.

The test copies the shipped `flows/`, `content/en/` and `docs/` to a temporary folder and makes the
edit a maintainer would (tests/support/inserted.py): a question right after "where is the
twitching?", a routing rule on it, and a conversation case for the rule. It regenerates the docs
with `twitchcheck docs`, as the gate asks, and then runs this whole suite again in child processes (two
at once, each with half the test files: this run is most of CI's time, and CI has two cores), with
`TWITCHCHECK_FLOWS_DIR` and `TWITCHCHECK_CONTENT_DIR` naming the copy (tests/support/flows.py
reads them, as the bot does). In that run only the tests that run the flow's own case files may
fail, and then through `twitchcheck test`'s runner, with a transcript. Any other test that fails is run
once more, alone, in the same setting: one that reads the flow fails again, one that only lost a race on a
busy machine does not.

The child run skips this test (no recursion), the test files that read no flow at all: they cannot
depend on it, and leaving them out keeps CI's time in bounds (`FLOW_FREE`; a test below checks that those
files name no flow), and the language corpus and fresh rounds, which are the flow's
own cases (`ROUNDS_AND_CORPUS`).
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.support.flows import CONTENT_DIR, DOCS_DIR, FLOWS_DIR
from tests.support.inserted import CASE, STEP, inserted_copy

ROOT = Path(__file__).resolve().parents[1]
INNER = "TWITCHCHECK_INNER_SUITE"
"""Set in the child run, so this test does not start a third."""

FLOWS_OWN_CASES = {
    "tests/engine/test_shipped_flows.py::test_every_conversation_case_passes",
    "tests/engine/test_shipped_flows.py::test_the_language_corpus_meets_its_targets",
    "tests/engine/test_fresh_rounds.py::test_a_fresh_round_catches_every_emergency_and_alarms_no_calm_sentence",
}
"""The tests that run the flow's own case files (flows/tests/) through `twitchcheck test`'s runner."""

TRANSCRIPT = re.compile(r"^[ E]+[a-z_]+: .*\n[ E]+> .+ +→ (?s:.*)✗ expected |\.yaml:\d+: .+, read as ", re.M)
"""`twitchcheck test`'s report of a failure: a case's transcript (each step and its question, what was typed and
where it went, then what was expected), or a language-corpus line (`file:line: '…' means …, read as …`)."""

FLOW_FREE = (
    "tests/e2e/test_redelivery_stress.py",
    "tests/e2e/test_typed_exactly_once.py",
    "tests/storage/test_sqlite_stress.py",
    "tests/storage/test_redis_store.py",
    "tests/storage/test_sqlite_locked.py",
    "tests/storage/test_sqlite_shutdown.py",
    "tests/storage/test_sqlite_forget_on_disk.py",
    "tests/content/test_split_message.py",
    "tests/docs/test_deploy_docs.py",
    "tests/docs/test_hazard_log.py",
    "tests/e2e/test_bound_buttons.py",
    "tests/engine/test_account_leaks.py",
    "tests/engine/test_dates_and_ages.py",
    "tests/engine/test_frames.py",
    "tests/engine/test_graph.py",
    "tests/engine/test_machine.py",
    "tests/engine/test_second_reader.py",
    "tests/engine/test_variants.py",
    "tests/engine/test_who_and_idioms.py",
    "tests/engine/test_yaml_advice.py",
    "tests/reminders/test_civil.py",
    "tests/reminders/test_dispatcher.py",
    "tests/storage/test_people_store.py",
    "tests/storage/test_reminders.py",
    "tests/storage/test_sqlite_store.py",
    "tests/storage/test_store_contract.py",
    "tests/studio/test_studio_explains.py",
    "tests/telegram/test_callback_data.py",
    "tests/telegram/test_deploy_limits.py",
    "tests/telegram/test_limits.py",
    "tests/telegram/test_ordering.py",
    "tests/telegram/test_request.py",
    "tests/test_layers.py",
    "tests/test_logs.py",
    "tests/test_run_refusals.py",
    "tests/test_settings_defaults.py",
)
"""Test files the child run leaves out: they read no flow under test (their flows are fixture flows, or
none: `test_what_the_inner_run_leaves_out_reads_no_flow` checks each), so they cannot depend on it, and
leaving them out keeps CI's time in bounds. Among them the slowest of the suite: stress runs, a real Redis,
many cuts and restarts."""

ROUNDS_AND_CORPUS = (
    "tests/engine/test_fresh_rounds.py",
    "tests/engine/test_shipped_flows.py::test_the_language_corpus_meets_its_targets",
)
"""The flow's own language cases (the corpus and forty-odd fresh rounds, about half a minute), left out of the
child run too: they may fail on an edited flow by design (`FLOWS_OWN_CASES`), and the child run is there to
show that no *other* test depends on the flow. (`twitchcheck test`, run first on the edited copy, runs the
corpus with transcripts.)"""

HALVES = 2
"""Processes the child run is split into."""

FLOW_FIXTURES = {"loaded", "bot", "engine", "twitching", "shipped", "project", "good", "content"}
"""Fixtures that load the flows or content under test (tests/e2e, tests/engine and tests/studio conftest)."""
FLOW_NAMES = ("tests.support.flows", "SHIPPED", "main_flow", "FLOWS_DIR", "CONTENT_DIR")
"""Names that reach the flows under test directly."""


def failures(report: Path) -> dict[str, str]:
    """Each failed or erroring test in a JUnit report (`path::name`, parameters dropped) and its message."""
    found: dict[str, str] = {}
    for case in ET.parse(report).iter("testcase"):
        for problem in [*case.iter("failure"), *case.iter("error")]:
            path = case.get("classname", "").replace(".", "/") + ".py"
            test = f"{path}::{case.get('name', '').split('[')[0]}"
            found[test] = found.get(test, "") + (problem.get("message") or "") + "\n" + (problem.text or "")
    return found


@pytest.mark.skipif(bool(os.environ.get(INNER)), reason="this is the inner run")
def test_a_question_inserted_in_the_yaml_fails_only_the_flows_own_cases(tmp_path: Path) -> None:
    flows, content = inserted_copy(FLOWS_DIR, CONTENT_DIR, tmp_path)
    env = {**os.environ, INNER: "1", "TWITCHCHECK_FLOWS_DIR": str(flows), "TWITCHCHECK_CONTENT_DIR": str(content)}
    env.pop("PYTEST_ADDOPTS", None)
    shutil.copytree(DOCS_DIR, tmp_path / "docs")
    subprocess.run([sys.executable, "-m", "bot", "docs"], cwd=tmp_path, env=env, check=True, capture_output=True)
    assert STEP in (tmp_path / "docs" / "twitching.mmd").read_text(encoding="utf-8")

    # The maintainer's view first: `twitchcheck test` passes the new case, and shows each failure's transcript.
    tested = subprocess.run(
        [sys.executable, "-m", "bot", "test"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    new_case = CASE.split("name: ", 1)[1].split("\n", 1)[0]
    assert f"PASS twitching.yaml: {new_case}" in tested.stdout, tested.stdout[-3000:]
    for failure in tested.stdout.split("\nFAIL ")[1:]:
        assert TRANSCRIPT.search(failure), failure

    failed: dict[str, str] = {}
    for half, (report, run) in enumerate(_inner_runs(tmp_path, env)):
        assert report.is_file(), f"inner run {half}:\n" + run.stdout[-3000:] + run.stderr[-3000:]
        failed |= failures(report)
    suspects = sorted(set(failed) - FLOWS_OWN_CASES)
    if suspects:  # once more, alone: a test that fails only when the machine is busy is not one that reads the flow
        again = tmp_path / "again.xml"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-n",
                "0",
                "-p",
                "no:cacheprovider",
                f"--junitxml={again}",
                *suspects,
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            timeout=1800,
        )
        assert again.is_file()
        depend = sorted(failures(again))
        assert not depend, "these depend on the shipped flow:\n" + "\n".join(depend)
    for test, message in failed.items():
        if test in FLOWS_OWN_CASES:  # the others passed when run again alone (above): a race on a busy machine
            assert TRANSCRIPT.search(message), f"{test} failed without a transcript:\n{message[:2000]}"


def _inner_runs(tmp_path: Path, env: dict[str, str]) -> list[tuple[Path, subprocess.CompletedProcess[str]]]:
    """The suite again on the edited copy, in `HALVES` processes at once (their files dealt out by size, the
    largest first, to the lightest half): the child run is most of CI's time, and CI has two cores."""
    files = sorted(
        (path for path in ROOT.glob("tests/**/test_*.py") if str(path.relative_to(ROOT)) not in FLOW_FREE),
        key=lambda path: -path.stat().st_size,
    )
    halves: list[list[Path]] = [[] for _ in range(HALVES)]
    for path in files:
        min(halves, key=lambda half: sum(p.stat().st_size for p in half)).append(path)
    deselected = [f"--deselect={test}" for test in ROUNDS_AND_CORPUS]
    started = []
    for index, half in enumerate(halves):
        report = tmp_path / f"inner{index}.xml"
        command = [sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider", f"--junitxml={report}"]
        command += [f"--basetemp={tmp_path / f'inner{index}'}", *deselected, *map(str, half)]
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        started.append((report, command, process))
    done = []
    for report, command, process in started:
        stdout, stderr = process.communicate(timeout=3600)
        done.append((report, subprocess.CompletedProcess(command, process.returncode, stdout, stderr)))
    return done


@pytest.mark.parametrize("path", FLOW_FREE)
def test_what_the_inner_run_leaves_out_reads_no_flow(path: str) -> None:
    """No test or fixture there takes a fixture that loads the flows under test, and no name reaches them."""
    text = (ROOT / path).read_text(encoding="utf-8")
    assert not [name for name in FLOW_NAMES if name in text], f"{path} reads the flows under test"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and (
            node.name.startswith("test_") or any("fixture" in ast.unparse(d) for d in node.decorator_list)
        ):
            taken = {arg.arg for arg in node.args.args} & FLOW_FIXTURES
            assert not taken, f"{path}::{node.name} takes {sorted(taken)}: the inner run must keep it"
