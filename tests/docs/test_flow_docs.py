"""docs/flows.md must not drift: its example flow loads and is safe, and every schema key is documented."""

from __future__ import annotations

import importlib.util
import re
from functools import cache
from pathlib import Path

import pytest
from pydantic import BaseModel

from bot.content.library import Content, load_content
from bot.engine.loader import parse_flow
from bot.engine.model import Flow
from bot.engine.schema import (
    BranchSpec,
    ChoiceSpec,
    ExcerptRuleSpec,
    FlowSpec,
    InterruptSpec,
    NoteSpec,
    OutcomeSpec,
    RuleSpec,
    StepSpec,
)

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "flows.md"
SOURCE = "docs/flows.md"


def block_after(marker: str) -> str:
    """The fenced ```yaml block on the line right after `<!-- marker -->`."""
    text = DOC.read_text(encoding="utf-8")
    found = re.search(rf"^<!-- {re.escape(marker)} -->\n```yaml\n(.*?)^```$", text, re.MULTILINE | re.DOTALL)
    assert found, f"{SOURCE} has no ```yaml block right after <!-- {marker} -->"
    return found.group(1)


@cache
def content() -> Content:
    return load_content(ROOT / "content" / "en", ROOT / "content" / "en" / "article.txt")


def example_flow() -> Flow:
    return parse_flow(block_after("example-flow"), content(), source=SOURCE)


def test_example_flow_is_valid() -> None:
    flow = example_flow()  # raises FlowErrors, with file:line, if the example is broken
    assert flow.start in flow.steps
    assert flow.steps and flow.outcomes and flow.rules
    kinds = {step.kind for step in flow.steps.values()}
    assert {"red_flag", "emergency"} <= kinds, "the example should show the safety-relevant step kinds"


def test_example_flow_passes_the_safety_check() -> None:
    if importlib.util.find_spec("bot.engine.check") is None:
        pytest.skip("bot.engine.check is not there yet")
    from bot.engine.check import check_flow

    problems = check_flow(example_flow())
    assert not problems, "\n".join(str(problem) for problem in problems)


def test_example_cases_pass_against_the_example_flow() -> None:
    if importlib.util.find_spec("bot.engine.cases") is None:
        pytest.skip("bot.engine.cases is not there yet")
    from bot.engine.cases import parse_cases, run_case
    from bot.engine.engine import Engine

    flow = example_flow()
    cases = parse_cases(block_after("example-cases"), {flow.id: flow}, source=SOURCE)
    assert cases.flow == flow.id
    assert cases.cases
    engine = Engine({flow.id: flow})
    failed = [
        result for result in (run_case(engine, flow.id, case, SOURCE) for case in cases.cases) if not result.passed
    ]
    assert not failed, "\n".join(f"{result.name}\n{result.transcript}" for result in failed)


SPECS = (FlowSpec, StepSpec, ChoiceSpec, OutcomeSpec, RuleSpec, InterruptSpec, ExcerptRuleSpec, BranchSpec, NoteSpec)


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.__name__)
def test_every_schema_key_is_documented(spec: type[BaseModel]) -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [name for name in spec.model_fields if f"`{name}`" not in text]
    assert not missing, f"{SOURCE} does not mention {', '.join(missing)} of {spec.__name__} in backticks"


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.__name__)
def test_every_schema_key_has_a_reference_row(spec: type[BaseModel]) -> None:
    """Stricter than a mention: each key starts a row of a reference table."""
    rows = set(re.findall(r"^\| `([a-z_]+)` \|", DOC.read_text(encoding="utf-8"), re.MULTILINE))
    missing = [name for name in spec.model_fields if name not in rows]
    assert not missing, f"{SOURCE} has no reference-table row for {', '.join(missing)} of {spec.__name__}"
