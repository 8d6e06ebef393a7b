"""`twitchcheck docs` and `gate` on a small project of their own: generated docs, the gate's order, the folder used."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parents[1]

FLOW = """\
flow: aged
title: Age only after a not sure
start: weakness
steps:
  - id: weakness
    kind: red_flag
    text: "Any weakness?"
    choices:
      - {label: "Yes", value: "yes", next: route}
      - {label: "No", value: "no", next: route}
      - {label: "Not sure", value: not_sure, next: age}
  - id: age
    text: "Are you 50 or older?"
    next: route
    choices: [{label: "50 or older", value: "yes"}, {label: "Under 50", value: "no"}]
routing:
  - outcome: urgent
    when: {any: [{weakness: "yes"}, {age: "yes"}]}
    why: A red flag needs a doctor soon (`article`).
  - outcome: routine
    when: {weakness: not_sure}
    why: Not sure is never no.
  - outcome: self_care
    why: Nothing worrying.
outcomes:
  - {id: emergency, level: emergency, title: Call now, recommendation: Call 112., watch_for: Nothing.}
  - {id: urgent, level: urgent, title: See a doctor soon, recommendation: Within days., watch_for: Worse.}
  - {id: routine, level: routine, title: Book a visit, recommendation: Book one., watch_for: Worse.}
  - {id: self_care, level: self_care, title: Rest, recommendation: Rest., watch_for: Weakness.}
"""

CASES = """\
flow: aged
cases:
  - name: weakness means a doctor soon
    inputs: ["yes"]
    expect: {level: urgent}
"""

MEDICAL = """\
# Medical rules

Hand-written prose before.

<!-- routing-table -->
old table
<!-- /routing-table -->

Hand-written prose after.
"""


@pytest.fixture
def project(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A checkout of a small flow: flows/, its cases, content/en (the shipped texts) and docs/medical.md."""
    (tmp_path / "flows" / "tests").mkdir(parents=True)
    (tmp_path / "flows" / "aged.yaml").write_text(FLOW, encoding="utf-8")
    (tmp_path / "flows" / "tests" / "aged.yaml").write_text(CASES, encoding="utf-8")
    shutil.copytree(ROOT / "content" / "en", tmp_path / "content" / "en")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "medical.md").write_text(MEDICAL, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for name in ("TWITCHCHECK_FLOWS_DIR", "TWITCHCHECK_CONTENT_DIR", "LOG_LEVEL", "LOG_FORMAT"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_docs_writes_the_diagram_and_the_routing_table_between_its_markers(project: Path, capsys):
    assert main(["docs"]) == 0
    assert "wrote docs/aged.mmd" in capsys.readouterr().out
    assert (project / "docs" / "aged.mmd").read_text(encoding="utf-8").startswith('---\ntitle: "Age only after')
    medical = (project / "docs" / "medical.md").read_text(encoding="utf-8")
    assert medical.startswith("# Medical rules\n\nHand-written prose before.\n\n<!-- routing-table -->\n| # |")
    assert medical.endswith("<!-- /routing-table -->\n\nHand-written prose after.\n")
    assert "| 1 | 🔴 `urgent` | any of weakness, age is yes | A red flag needs a doctor soon (`article`). |" in medical
    assert "| 3 | 🟢 `self_care` | none of the above | Nothing worrying. |" in medical
    assert main(["docs", "--check"]) == 0


def test_docs_check_names_each_stale_file_and_the_command_that_fixes_it(project: Path, capsys):
    assert main(["docs"]) == 0
    flow = project / "flows" / "aged.yaml"
    flow.write_text(FLOW.replace("why: Nothing worrying.", "why: Very common."), encoding="utf-8")
    capsys.readouterr()
    assert main(["docs", "--check"]) == 1
    assert capsys.readouterr().err == "error: docs/medical.md is out of date with flows/; run `twitchcheck docs`\n"
    assert main(["docs"]) == 0 and main(["docs", "--check"]) == 0


def test_the_gate_runs_the_flow_side_steps_in_order(project: Path, capsys):
    assert main(["docs"]) == 0
    capsys.readouterr()
    assert main(["gate"]) == 0
    out = capsys.readouterr().out
    steps = [line for line in out.splitlines() if line.startswith("== ")]
    assert steps == [
        "== twitchcheck validate",
        "== twitchcheck check",
        "== twitchcheck test",
        "== twitchcheck docs --check",
    ]
    assert out.endswith("gate: OK; now run the Python tests: `python -m pytest`\n")


def test_the_gate_stops_at_the_first_failure_with_its_message(project: Path, capsys):
    cases = project / "flows" / "tests" / "aged.yaml"
    cases.write_text(CASES.replace("level: urgent", "level: self_care"), encoding="utf-8")
    assert main(["gate"]) == 1
    captured = capsys.readouterr()
    assert "FAIL aged.yaml: weakness means a doctor soon" in captured.out
    assert "== twitchcheck docs --check" not in captured.out  # stale, but the gate stopped before it
    assert "gate: `twitchcheck test` failed" in captured.err


def test_the_cli_reads_the_current_folders_flows_and_names_it(project: Path, capsys):
    assert main(["validate"]) == 0
    assert "OK: 1 flow(s) valid in flows/: aged" in capsys.readouterr().out
    (project / "flows" / "aged.yaml").write_text(FLOW.replace("next: age}", "next: agee}"), encoding="utf-8")
    assert main(["validate"]) == 1
    assert "error: flows/aged.yaml:11: " in capsys.readouterr().err  # relative to the current folder


def test_the_shipped_docs_are_generated_from_the_shipped_flows(monkeypatch: pytest.MonkeyPatch, capsys):
    monkeypatch.chdir(ROOT)
    for name in ("TWITCHCHECK_FLOWS_DIR", "TWITCHCHECK_CONTENT_DIR"):
        monkeypatch.delenv(name, raising=False)
    status = main(["docs", "--check"])
    assert status == 0, capsys.readouterr().err
