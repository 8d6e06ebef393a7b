"""docs/flows.md must not drift: its example flow loads and is safe, and every schema key is documented."""

from __future__ import annotations

import importlib.util
import inspect
import re
from functools import cache
from pathlib import Path

import pytest
from pydantic import BaseModel

from bot.content.library import Content, load_content
from bot.engine import schema
from bot.engine.loader import load_flows, parse_flow
from bot.engine.model import NO, Flow
from bot.engine.schema import (
    BranchSpec,
    ChoiceSpec,
    CuesSpec,
    ExcerptRuleSpec,
    FlowSpec,
    InterruptSpec,
    NoteSpec,
    OutcomeSpec,
    PromptsSpec,
    RangeSpec,
    RuleSpec,
    StepSpec,
    VariantSpec,
)
from tests.support.flows import CONTENT_DIR, FLOWS_DIR

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
    return load_content(CONTENT_DIR, CONTENT_DIR / "article.txt")


def example_flow() -> Flow:
    return parse_flow(block_after("example-flow"), content(), source=SOURCE)


def test_example_flow_is_valid() -> None:
    flow = example_flow()  # raises FlowErrors, with file:line, if the example is broken
    assert flow.start in flow.steps
    assert flow.steps and flow.outcomes and flow.rules
    kinds = {step.kind for step in flow.steps.values()}
    assert {"red_flag", "emergency"} <= kinds, "the example should show the safety-relevant step kinds"


def test_example_flow_shows_how_typed_text_is_read() -> None:
    """The example declares the keys for typed text, so a flow copied from it understands people."""
    flow = example_flow()
    assert "nope" in flow.synonyms.get(NO, ()), "the example's flow-level synonyms should make 'nope' mean no"
    choices = [choice for step in flow.steps.values() for choice in step.choices]
    assert any(choice.mentions for choice in choices), "the example should show `mentions:`"
    assert any(choice.range for choice in choices), "the example should show a `range:`"
    assert flow.cues.negation, "the example should declare `cues:`, at least negation"
    assert flow.interrupts and all(concept.phrases for concept in flow.interrupts)


def test_example_flow_passes_the_safety_check() -> None:
    if importlib.util.find_spec("bot.engine.check") is None:
        pytest.skip("bot.engine.check is not there yet")
    from bot.engine.check import check_flow

    problems = check_flow(example_flow())
    assert not problems, "\n".join(str(problem) for problem in problems)


def test_example_cases_pass_against_the_example_flow() -> None:
    if importlib.util.find_spec("bot.authoring.cases") is None:
        pytest.skip("bot.authoring.cases is not there yet")
    from bot.authoring.cases import parse_cases, run_case
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


def test_example_corpus_reads_against_the_shipped_flow() -> None:
    """The language-corpus sample names real steps, answer keys and values of flows/twitching.yaml."""
    from bot.authoring.corpus import read_corpus
    from bot.yamlfiles.yaml_source import read_yaml

    flows = load_flows([FLOWS_DIR], content())
    raw, problems = read_yaml(block_after("example-corpus"), SOURCE)
    assert not problems, "\n".join(str(problem) for problem in problems)
    corpus = read_corpus(raw, flows, SOURCE)  # raises FlowErrors, with the line, on an unknown name
    assert corpus.sentences and corpus.answers and corpus.accounts
    assert {case.expect for case in corpus.sentences} == {"emergency", "confirm", "calm"}


SPECS: dict[type[BaseModel], str] = {
    FlowSpec: "Flow (the top level of the file)",
    StepSpec: "Step (an item of `steps:`)",
    ChoiceSpec: "Choice (an item of a step's `choices:`)",
    RangeSpec: "Range (a choice's `range:`)",
    BranchSpec: "Branch (an item of a `next:` list)",
    RuleSpec: "Routing rule (an item of `routing:`)",
    InterruptSpec: "Emergency concept (an item of `interrupts:`)",
    CuesSpec: "Cues (the flow's `cues:`)",
    PromptsSpec: "Prompts (the flow's `prompts:`)",
    ExcerptRuleSpec: "Excerpt rule (an item of the flow's or an outcome's `excerpts:`)",
    OutcomeSpec: "Outcome (an item of `outcomes:`)",
    NoteSpec: "Note (an item of an outcome's `notes:`)",
    VariantSpec: "Variant (an item of a step's `variants:`)",
}
"""Every spec class, with the heading of its table under "Reference: every key"."""


def keys(spec: type[BaseModel]) -> list[str]:
    """The keys as written in a flow file: a field's alias when it has one (`from`, not `start`)."""
    return [field.alias or name for name, field in spec.model_fields.items()]


def reference_table(heading: str) -> str:
    """The text under `### <heading>` in the reference section, up to the next heading."""
    text = DOC.read_text(encoding="utf-8")
    reference = re.search(r"^## Reference: every key\n(.*?)(?=^## )", text, re.MULTILINE | re.DOTALL)
    assert reference, f"{SOURCE} has no '## Reference: every key' section"
    found = re.search(rf"^### {re.escape(heading)}\n(.*?)(?=^#|\Z)", reference.group(1), re.MULTILINE | re.DOTALL)
    assert found, f"{SOURCE} has no '### {heading}' table under 'Reference: every key'"
    return found.group(1)


def test_every_spec_class_is_listed() -> None:
    """A new spec class in bot/engine/schema.py must get a reference table too."""
    defined = {
        cls
        for _, cls in inspect.getmembers(schema, inspect.isclass)
        if issubclass(cls, BaseModel) and cls.__module__ == schema.__name__ and cls.model_fields
    }
    missing = sorted(cls.__name__ for cls in defined - set(SPECS))
    assert not missing, f"add {', '.join(missing)} to SPECS in {__file__} and a table to {SOURCE}"


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.__name__)
def test_every_schema_key_is_documented(spec: type[BaseModel]) -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [name for name in keys(spec) if f"`{name}`" not in text]
    assert not missing, f"{SOURCE} does not mention {', '.join(missing)} of {spec.__name__} in backticks"


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.__name__)
def test_every_schema_key_has_a_reference_row(spec: type[BaseModel]) -> None:
    """Stricter than a mention: each key starts a row of its own class's reference table."""
    rows = set(re.findall(r"^\| `([a-z_]+)` \|", reference_table(SPECS[spec]), re.MULTILINE))
    missing = [name for name in keys(spec) if name not in rows]
    assert not missing, f"{SOURCE} has no row for {', '.join(missing)} in the table '{SPECS[spec]}'"
    extra = sorted(rows - set(keys(spec)))
    assert not extra, f"{SOURCE} documents {', '.join(extra)} under '{SPECS[spec]}', which {spec.__name__} lacks"


def test_every_case_file_key_is_documented() -> None:
    """Each key a case file accepts has a row in the "Conversation tests" table."""
    from bot.authoring.cases import CASE_KEYS, EXPECT_KEYS, FILE_KEYS

    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## Conversation tests") : text.index("### The language corpus")]
    missing = [key for key in (*FILE_KEYS, *CASE_KEYS, *EXPECT_KEYS) if f"`{key}`" not in section]
    assert not missing, f"document these case-file keys in {SOURCE}, 'Conversation tests': {missing}"
    cases = block_after("example-cases")
    assert "answers:" in cases and "inputs:" in cases and "defaults:" in cases, "show both forms and the defaults"
