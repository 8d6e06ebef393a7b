"""Case coverage (bot/authoring/coverage.py) and `twitchcheck test --coverage`: what no case reaches, by `file:line`."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from bot.authoring.cases import parse_cases
from bot.authoring.coverage import Coverage, measure
from bot.cli import main
from bot.content.library import Content, load_content
from bot.engine.engine import Engine
from bot.engine.loader import load_flows, parse_flow
from bot.engine.model import Flow
from tests.support.flows import CONTENT_DIR, FLOWS_DIR
from tests.support.paths import taps_before

ROOT = Path(__file__).resolve().parents[2]
CONTENT = CONTENT_DIR

FLOW = """\
flow: tiny
title: Tiny check
start: weakness
steps:
  - id: weakness
    kind: red_flag
    text: "Any weakness?"
    choices:
      - {label: "Yes", value: "yes", next: route}
      - {label: "No", value: "no", next: worry}
      - {label: "Not sure", value: not_sure, next: route}
  - id: worry
    text: "Is the worry affecting your life?"
    next: route
    choices:
      - {label: "Yes", value: "yes"}
      - {label: "No", value: "no"}
routing:
  - outcome: urgent
    when: {weakness: "yes"}
  - outcome: routine
    when: {any: [{weakness: not_sure}, {worry: "yes"}]}
  - outcome: self_care
excerpts:
  - {excerpt: stress, when: {worry: "yes"}}
outcomes:
  - {id: emergency, level: emergency, title: Call now, recommendation: Call 112., watch_for: Nothing.}
  - {id: urgent, level: urgent, title: See a doctor soon, recommendation: Within days., watch_for: Worse.}
  - {id: routine, level: routine, title: Book a visit, recommendation: Book one., watch_for: Worse.}
  - {id: self_care, level: self_care, title: Rest, recommendation: Rest., watch_for: Weakness.}
"""
"""Two questions, three routing rules, four outcomes (one no step leads to) and one excerpt."""


def line_of(needle: str, text: str = FLOW) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(CONTENT, CONTENT / "article.txt")


@pytest.fixture(scope="module")
def tiny(content: Content) -> Flow:
    return parse_flow(FLOW, content, source="tiny.yaml")


def coverage_of(flow: Flow, cases: str) -> Coverage:
    files = [parse_cases(textwrap.dedent(cases), {flow.id: flow}, source="cases.yaml")]
    measured = measure(Engine({flow.id: flow}), files)
    assert all(result.passed for result in measured.results), [r.transcript for r in measured.results]
    return measured.coverage[0]


def test_one_case_leaves_the_rest_of_the_flow_unreached_each_at_its_line(tiny: Flow) -> None:
    coverage = coverage_of(
        tiny,
        """\
        flow: tiny
        cases:
          - {name: weakness means urgent, answers: {weakness: "yes"}, expect: {level: urgent}}
        """,
    )
    gaps = {(gap.kind, gap.name): gap.line for gap in coverage.gaps}
    assert gaps == {
        ("step", "'worry'"): line_of("- id: worry"),
        ("choice", "'weakness: No' (no)"): line_of('label: "No", value: "no", next: worry'),
        ("choice", "'weakness: Not sure' (not_sure)"): line_of('label: "Not sure"'),
        ("choice", "'worry: Yes' (yes)"): line_of('{label: "Yes", value: "yes"}'),
        ("choice", "'worry: No' (no)"): line_of('{label: "No", value: "no"}'),
        ("routing rule", "2 → routine"): line_of("- outcome: routine"),
        ("routing rule", "3 → self_care"): line_of("- outcome: self_care"),
        ("outcome", "'emergency'"): line_of("- {id: emergency"),
        ("outcome", "'routine'"): line_of("- {id: routine"),
        ("outcome", "'self_care'"): line_of("- {id: self_care"),
        ("excerpt", "'stress'"): line_of("- {excerpt: stress"),
    }
    assert coverage.reached("step") == 1 and coverage.totals["step"] == 2
    assert coverage.reached("routing rule") == 1 and coverage.reached("outcome") == 1


def test_each_case_added_reaches_what_its_answers_lead_to(tiny: Flow) -> None:
    coverage = coverage_of(
        tiny,
        """\
        flow: tiny
        cases:
          - {name: weakness means urgent, answers: {weakness: "yes"}, expect: {level: urgent}}
          - {name: worry means routine, answers: {weakness: "no", worry: "yes"}, expect: {level: routine}}
          - {name: calm means self-care, answers: {weakness: "no", worry: "no"}, expect: {level: self_care}}
        """,
    )
    not_sure = line_of("Not sure")
    assert [str(gap) for gap in coverage.gaps] == [
        f"tiny.yaml:{not_sure}: choice 'weakness: Not sure' (not_sure)",
        f"tiny.yaml:{line_of('- {id: emergency')}: outcome 'emergency'",
    ]
    assert coverage.cases == 3


def test_an_emergency_typed_at_a_step_chooses_nothing_there_and_no_routing_rule(content: Content) -> None:
    flows = load_flows([FLOWS_DIR], content)
    twitching = flows["twitching"]
    to_location = ", ".join(f'"{label}"' for label in taps_before(twitching, "location"))
    files = [
        parse_cases(
            "flow: twitching\ncases:\n"
            f'  - {{name: typed, inputs: [{to_location}, "I can\'t breathe"], expect: {{level: emergency}}}}\n',
            flows,
            source="cases.yaml",
        )
    ]
    coverage = next(c for c in measure(Engine(flows), files).coverage if c.flow == "twitching")
    unreached = {(gap.kind, gap.name) for gap in coverage.gaps}
    assert ("step", "'location'") not in unreached  # asked, then the emergency phrase was typed there
    assert {
        ("choice", f"'location: {choice.label}' ({choice.value})") for choice in twitching.steps["location"].choices
    } <= unreached
    assert ("outcome", "'emergency'") not in unreached
    assert coverage.reached("routing rule") == 0


def test_a_flow_without_cases_says_so(tiny: Flow) -> None:
    coverage = measure(Engine({tiny.id: tiny}), []).coverage[0]
    assert coverage.lines() == ["coverage of tiny (tiny.yaml): no conversation cases; add some in flows/tests/"]


@pytest.fixture
def tiny_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """flows/tiny.yaml with one case in flows/tests/, the shipped content; `twitchcheck` pointed at them."""
    (tmp_path / "flows" / "tests").mkdir(parents=True)
    (tmp_path / "flows" / "tiny.yaml").write_text(FLOW, encoding="utf-8")
    (tmp_path / "flows" / "tests" / "tiny.yaml").write_text(
        'flow: tiny\ncases:\n  - {name: weakness means urgent, answers: {weakness: "yes"}, expect: {level: urgent}}\n',
        encoding="utf-8",
    )
    shutil.copytree(CONTENT, tmp_path / "content")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TWITCHCHECK_FLOWS_DIR", str(tmp_path / "flows"))
    monkeypatch.setenv("TWITCHCHECK_CONTENT_DIR", str(tmp_path / "content"))
    return tmp_path


def test_twitchcheck_test_coverage_prints_every_gap_before_the_tally(
    tiny_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["test", "--coverage"]) == 0
    out = capsys.readouterr().out.splitlines()
    flow = "flows/tiny.yaml"  # relative to the current folder, whatever the environment named
    assert out[0] == "PASS tiny.yaml: weakness means urgent"
    assert out[1] == (
        "coverage of tiny by 1 case(s): steps 1/2, choices 1/5, routing rules 1/3, outcomes 1/4, excerpts 0/1"
    )
    assert out[2] == "  not reached by any case:"
    assert f"    {flow}:{line_of('- id: worry')}: step 'worry'" in out
    assert f"    {flow}:{line_of('- {excerpt: stress')}: excerpt 'stress'" in out
    assert out[-1] == "1 passed, 0 failed"


def test_twitchcheck_test_without_coverage_prints_none(tiny_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test"]) == 0
    assert "coverage" not in capsys.readouterr().out
