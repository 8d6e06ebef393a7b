"""The repository's own flows and content: valid, proved safe, tested, fully used, diagrammed."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.authoring.cases import Case, Expect, case_files, parse_cases, run_case, run_cases
from bot.authoring.corpus import load_corpus, run_corpus
from bot.content.library import Content, Excerpt
from bot.engine.check import check_flow, unused_excerpts
from bot.engine.engine import Engine
from bot.engine.graph import edges, to_dot, to_mermaid
from bot.engine.loader import flow_files, load_flow, parse_flow
from bot.engine.model import Flow, Level, StepKind
from bot.yamlfiles.errors import UnusedExcerptError
from tests.engine.conftest import FLOWS_DIR
from tests.support.fixture_flows import MINI
from tests.support.flows import DOCS_DIR
from tests.support.paths import walk

FLOW_FILES = flow_files(FLOWS_DIR)
CORPUS_FILES = [path for path in case_files(FLOWS_DIR / "tests") if path.name.startswith("language")]
CASE_FILES = [path for path in case_files(FLOWS_DIR / "tests") if path not in CORPUS_FILES]


def test_there_are_flows_cases_and_a_language_corpus():
    assert FLOW_FILES and CASE_FILES and CORPUS_FILES


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_the_language_corpus_meets_its_targets(path: Path, engine: Engine):
    corpus = load_corpus(path, engine.flows)
    assert corpus is not None
    report = run_corpus(engine, corpus)
    assert report.passed, "\n".join(report.lines())
    assert len(corpus.sentences) >= 150 and len(corpus.answers) >= 100 and len(corpus.accounts) >= 40


@pytest.mark.parametrize("path", FLOW_FILES, ids=lambda p: p.name)
def test_every_flow_file_validates_and_is_proved_safe(path: Path, content: Content):
    assert check_flow(load_flow(path, content)) == []


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.name)
def test_every_conversation_case_passes(path: Path, engine: Engine):
    results = run_cases(engine, path)
    failed = [f"{r.where}: {r.name}\n{r.transcript}" for r in results if not r.passed]
    assert results and not failed, "\n\n".join(failed)


def test_every_flow_has_conversation_cases(shipped: dict[str, Flow], engine: Engine):
    tested = {parse_cases(path.read_text(encoding="utf-8"), engine.flows, str(path)).flow for path in CASE_FILES}
    assert set(shipped) <= tested


def test_shipped_cases_reach_every_level(engine: Engine):
    levels = set()
    for path in CASE_FILES:
        cases = parse_cases(path.read_text(encoding="utf-8"), engine.flows, str(path))
        levels |= {case.expect.level for case in cases.cases} | {
            engine.flows[cases.flow].outcomes[case.expect.outcome].level for case in cases.cases if case.expect.outcome
        }
    assert set(Level) <= levels


def test_every_excerpt_in_content_is_shown_by_some_flow(shipped: dict[str, Flow], content: Content):
    assert unused_excerpts(shipped, content) == []


def test_an_unused_excerpt_is_a_located_warning(shipped: dict[str, Flow], content: Content):
    extra = {**content.excerpts, "orphan": Excerpt("orphan", "Nothing", "Some text.")}
    lines = {**content.excerpt_lines, "orphan": ("content/en/excerpts.yaml", 99)}
    [problem] = unused_excerpts(shipped, replace(content, excerpts=extra, excerpt_lines=lines))
    assert isinstance(problem, UnusedExcerptError) and problem.warning
    assert str(problem) == (
        "content/en/excerpts.yaml:99: excerpt 'orphan' is never shown by any flow; "
        "show it from a flow's or an outcome's `excerpts:`, or delete it"
    )


@pytest.mark.parametrize("flow_id", ["twitching"])
def test_the_diagram_in_docs_is_current(shipped: dict[str, Flow], flow_id: str):
    path = DOCS_DIR / f"{flow_id}.mmd"
    assert path.read_text(encoding="utf-8") == to_mermaid(shipped[flow_id]) + "\n", "regenerate it: twitchcheck docs"


def test_the_diagram_collapses_choices_and_marks_levels_and_flags(twitching: Flow):
    text = to_mermaid(twitching)
    assert '    s_emergency_now -->|"Yes / Not sure"| o_emergency' in text
    assert '    s_everyday_causes -->|"Yes / No"| s_medicines' in text
    # routing: dashed, labelled with the rules that decide, never with every choice
    assert any(
        line.startswith('    s_breathing -.->|"rule') and line.endswith("| o_urgent") for line in text.splitlines()
    )
    assert '    o_self_care(["🟢 self_care"])' in text
    flags = ",".join(f"s_{s.id}" for s in twitching.steps.values() if s.kind == StepKind.RED_FLAG)
    assert {"s_weakness", "s_wasting", "s_speech_swallow", "s_cramps", "s_gait", "s_breathing"} <= set(flags.split(","))
    assert f"    class {flags} red_flag" in text
    emergency = ",".join(f"s_{s.id}" for s in twitching.steps.values() if s.kind == StepKind.EMERGENCY)
    assert {"s_emergency_now", "s_weakness_breathing", "s_speech_sudden"} <= set(emergency.split(","))
    assert f"    class {emergency} emergency" in text
    concepts = " / ".join(x.id for x in twitching.interrupts)
    assert f'    typed_at_any_step -->|"{concepts}"| o_emergency' in text
    pairs = [(e.source, e.dest) for e in edges(twitching)]
    assert len(pairs) == len(set(pairs))


def test_the_dot_diagram_has_every_node_and_edge(twitching: Flow):
    text = to_dot(twitching)
    assert text.startswith('digraph "twitching" {') and text.endswith("}")
    for step in twitching.steps:
        assert f'[label="{step}"' in text
    assert 'o_urgent [label="🔴 urgent", shape=ellipse' in text
    assert text.count(" -> ") == len(edges(twitching)) + 1  # plus the arrow from the start dot
    assert any(line.startswith('    s_breathing -> o_urgent [label="rule') for line in text.splitlines())


def test_a_failing_case_shows_its_transcript(content: Content):
    mini = Engine({"mini": parse_flow(MINI, content, source="mini.yaml")})
    case = Case(
        "expects the wrong level",
        ("no", "purple monkey", "/back", "I can't breathe"),
        Expect(level=Level.SELF_CARE, not_asked=("emergency_now",)),
        line=12,
    )
    result = run_case(mini, "mini", case, "flows/tests/example.yaml")
    assert not result.passed
    assert result.where == "flows/tests/example.yaml:12"
    assert result.transcript.splitlines() == [
        "  emergency_now: Is any of this happening now?",
        "    > 'no'                     → how_long",
        "  how_long: How long has it been going on?",
        "    > 'purple monkey'          → not understood, asked again",
        "  how_long: How long has it been going on?",
        "    > '/back'                  → went back to emergency_now",
        "  emergency_now: Is any of this happening now?",
        '    > "I can\'t breathe"        → 🚨 emergency (emergency phrase spotted)',
        "  ✗ expected level 🟢 self_care, but it ended at 🚨 emergency",
        "  ✗ expected step 'emergency_now' not to be asked, but it was",
    ]


NEW_QUESTIONS = (
    ("    next: duration\n", "sleep_side", "Did the twitching start after sleeping on that side?", "duration"),
    ("    next: weakness\n", "massage", "Does a gentle massage calm it for a while?", "weakness"),
)
"""Where two new questions go in a copy of the shipped flow: after `location` and just before the red flags."""


def _with_new_questions(text: str) -> str:
    """The shipped flow's text with the NEW_QUESTIONS inserted, each a neutral yes/no question."""
    for anchor, step, question, then in NEW_QUESTIONS:
        assert text.count(anchor) == 1, f"the flow changed: find a new place for '{step}'"
        text = text.replace(anchor, f"    next: {step}\n")
        text = text.replace(
            "\nsteps:\n",
            f"""
steps:
  - id: {step}
    text: "{question}"
    next: {then}
    choices: [{{label: "Yes", value: "yes"}}, {{label: "No", value: "no"}}]
""",
            1,
        )
    return text


def test_a_new_question_breaks_no_case_given_by_step(content: Content):
    """The point of `answers:`: adding questions to the flow leaves every by-step case passing."""
    path = FLOWS_DIR / "twitching.yaml"
    edited = parse_flow(_with_new_questions(path.read_text(encoding="utf-8")), content, source=str(path))
    engine = Engine({edited.id: edited})
    tests = FLOWS_DIR / "tests" / "twitching.yaml"
    cases = parse_cases(tests.read_text(encoding="utf-8"), engine.flows, str(tests))
    by_step = [case for case in cases.cases if case.answers is not None]
    assert len(by_step) >= 20
    results = [run_case(engine, edited.id, case, str(tests)) for case in by_step]
    assert all(f"  {step}: " in results[0].transcript for _, step, _, _ in NEW_QUESTIONS)  # asked, and answered
    failed = [f"{r.where}: {r.name}\n{r.transcript}" for r in results if not r.passed]
    assert not failed, "\n\n".join(failed)
    positional = Case(
        "weakness, typed in order",
        ("no", "me", "no", "skip", "arm", "less than 2 weeks", *["no"] * 5, "yes"),
        Expect(level=Level.URGENT),
    )
    assert not run_case(engine, edited.id, positional).passed  # the same walk typed in order now misses `weakness`


def _by_step(answers: dict[str, str], expect: Expect, default: str | None = "no", inputs: tuple[str, ...] = ()) -> Case:
    return Case("by step", inputs, expect, 7, answers, default)


def test_a_step_left_out_gets_the_default_or_its_first_choice(engine: Engine):
    result = run_case(engine, "twitching", _by_step({"worry": "yes"}, Expect(level=Level.ROUTINE)))
    assert result.passed, result.transcript
    typed = [line.split("→")[0].strip() for line in result.transcript.splitlines() if "→" in line]
    flow = engine.flows["twitching"]
    defaults = ["> 'no'" if step.choice("no") else f"> {step.choices[0].label!r}" for step, _ in walk(flow)]
    assert typed[:6] == defaults[:6] and "> 'Skip'" in typed and "> 'Eye or eyelid'" in typed
    assert typed[-1] == "> 'yes'"


def test_answering_by_step_stops_at_the_expected_step(engine: Engine):
    result = run_case(engine, "twitching", _by_step({"location": "leg"}, Expect(step="weakness")))
    assert result.passed and result.transcript.splitlines()[-1].endswith("→ weakness")


def test_inputs_come_first_then_answers_by_step(engine: Engine):
    case = _by_step(
        {"weakness": "yes"}, Expect(level=Level.URGENT, asked=("location",)), inputs=("no", "me", "no", "skip", "x")
    )
    result = run_case(engine, "twitching", case)
    assert result.passed, result.transcript
    assert "    > 'x'                      → not understood, asked again" in result.transcript


def test_an_answer_never_understood_fails_with_one_clear_line(engine: Engine):
    result = run_case(engine, "twitching", _by_step({"duration": "purple monkey"}, Expect(level=Level.SELF_CARE)))
    assert not result.passed
    assert result.failures[0] == (
        "step 'duration' was asked 3 times and again: its answer 'purple monkey' is not understood there, "
        "or the flow goes round in a loop"
    )
    assert result.transcript.count("  duration: ") == 3
    assert result.transcript.splitlines()[-2:] == [
        f"  ✗ {result.failures[0]}",
        "  ✗ expected level 🟢 self_care, but it ended at step 'duration'",
    ]


def test_an_answer_for_a_step_never_asked_fails(engine: Engine):
    result = run_case(engine, "twitching", _by_step({"weakness": "yes", "worry": "no"}, Expect(level=Level.URGENT)))
    assert result.failures == ("the answer for step 'worry' was never typed: the step was not asked",)
