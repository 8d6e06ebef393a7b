"""Why Try it did what it did (bot/studio/explain.py), on the studio tests' own mini flow: how a typed answer
was read, with the line that declares what matched, which rule or branch decided, and where an answer is used."""

from __future__ import annotations

import os
from typing import Any

import pytest

from bot.bootstrap import Loaded
from bot.engine.conversation import Conversation
from bot.engine.engine import Engine
from bot.engine.matching import ChoiceMatcher, Match
from bot.engine.model import Flow
from bot.studio.explain import decided, locate, read_trace, uses
from bot.studio.trial import turn
from tests.studio.conftest import Project


@pytest.fixture
def good(mini: Project) -> Loaded:
    workspace = mini.workspace()
    workspace.reload()
    assert workspace.snapshot.good is not None, workspace.snapshot.problems
    return workspace.snapshot.good


@pytest.fixture
def engine(good: Loaded) -> Engine:
    return good.engine()


@pytest.fixture
def flow(engine: Engine) -> Flow:
    return engine.flows["mini"]


def relative(source: str) -> str:
    """A file as the page names it: relative to the working folder (the mini project)."""
    return os.path.relpath(source)


def trace(engine: Engine, conversation: Conversation, text: str) -> list[dict[str, Any]]:
    return read_trace(engine, conversation, text, relative)


def at(step: str, **answers: str) -> Conversation:
    return Conversation(flow_id="mini", step=step, version=1, answers=answers)


def only(entries: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = [entry for entry in entries if entry["kind"] == kind]
    assert len(found) == 1, entries
    return found[0]


def test_a_mention_names_itself_and_its_own_line(engine: Engine, mini: Project) -> None:
    entry = only(trace(engine, at("place"), "it's in my left calf"), "answer")
    assert entry["text"] == "place = leg (“Leg”) by a mention “calf”"
    assert entry["at"]["file"] == "flows/mini.yaml"
    assert entry["at"]["line"] == mini.line_of('mentions: ["calf", "thigh"]')
    assert entry["at"]["path"] == str(mini.flow.resolve())


def test_a_synonym_a_flow_synonym_and_a_typo(engine: Engine, mini: Project) -> None:
    synonym = only(trace(engine, at("place"), "lower limb"), "answer")
    assert synonym["text"] == "place = leg (“Leg”) by a synonym of the choice “lower limb”"
    assert synonym["at"]["line"] == mini.line_of('synonyms: ["lower limb"]')
    shared = only(trace(engine, at("weakness"), "not at all"), "answer")
    assert "weakness = no" in shared["text"] and "a synonym of the flow (`synonyms:`)" in shared["text"]
    assert shared["at"]["line"] == mini.line_of('"no": ["nope", "not at all"]')
    typo = only(trace(engine, at("place"), "Eyeild"), "answer")
    assert typo["text"] == "place = eyelid (“Eyelid”) by a label or synonym with a typo “Eyelid”"


def test_a_range_names_the_amount_and_the_choice_line(engine: Engine, mini: Project) -> None:
    entry = only(trace(engine, at("how_long"), "about 3 days"), "answer")
    assert entry["text"] == "how_long = short (“Under a fortnight”) by an amount, by the choice's range “3 days”"
    assert entry["at"]["line"] == mini.line_of("value: short, range:")


def test_emergency_language_names_the_phrase_of_its_concept(engine: Engine, mini: Project) -> None:
    read = trace(engine, at("place"), "I can't breathe")
    entry = only(read, "emergency")
    assert entry["text"].startswith("emergency language: “cant breathe” matched the phrase “can't breathe”")
    assert "concept 'breathing'" in entry["text"]
    assert entry["at"]["line"] == mini.line_of('phrases: ["can\'t breathe",')
    assert [e["kind"] for e in read] == ["emergency"]  # an emergency is never also read as an answer
    gasping = only(trace(engine, at("place"), "he is gasping for air"), "emergency")
    assert gasping["at"]["line"] == mini.line_of('"gasping for air"]')


def test_a_frame_names_the_language_file(engine: Engine, mini: Project) -> None:
    entry = only(trace(engine, at("place"), "her lips are blue right now"), "emergency")
    assert "the frame [" in entry["text"], entry
    assert entry["at"]["file"].endswith("content/en/language.yaml")
    language = (mini.content / "language.yaml").read_text(encoding="utf-8").splitlines()
    assert "[" in language[entry["at"]["line"] - 1]


def test_unclear_and_negated_language(engine: Engine) -> None:
    asked = only(trace(engine, at("place"), "I get short of breath"), "emergency")
    assert asked["text"].startswith("may be emergency language, asked once")
    calm = trace(engine, at("weakness"), "no, I can't breathe is not it, I am fine years ago")
    assert calm  # something is said about it, and nothing fires
    assert not any(e["text"].startswith("emergency language:") for e in calm)


def test_not_understood_and_ambiguous(engine: Engine) -> None:
    assert only(trace(engine, at("place"), "banana"), "unclear")["text"] == "not read as an answer to 'place'"
    both = only(trace(engine, at("place"), "my wrist and my eye"), "unclear")
    assert both["text"].startswith("could mean “Eyelid” or “Arm”")


def test_the_routing_rule_that_decided_and_a_conditional_next(flow: Flow, mini: Project) -> None:
    before = at("weakness", place="arm", how_long="long")
    rule = decided(
        flow,
        before,
        Conversation(
            flow_id="mini",
            step="routine",
            version=2,
            answers={**before.answers, "weakness": "no"},
            history=("weakness",),
        ),
    )
    assert rule is not None
    assert rule["text"] == "routing rule 2 decided: → routine when any of (weakness is not_sure; how_long is long)"
    assert rule["at"]["line"] == mini.line_of("  - outcome: routine")
    went = decided(
        flow,
        at("how_long", place="leg"),
        Conversation(
            flow_id="mini", step="grip", version=2, answers={"place": "leg", "how_long": "short"}, history=("how_long",)
        ),
    )
    assert went is not None and went["text"] == "how_long = short went to grip: `next` when place is leg"
    plain = decided(
        flow,
        at("place"),
        Conversation(flow_id="mini", step="how_long", version=2, answers={"place": "arm"}, history=("place",)),
    )
    assert plain is None  # the only way on explains nothing


def test_a_turn_carries_its_trace(good: Loaded, engine: Engine) -> None:
    shown = turn(good, engine, "mini", None, {"kind": "start"})
    shown = turn(good, engine, "mini", shown["conversation"], {"kind": "pick", "step": "emergency_now", "value": "no"})
    shown = turn(good, engine, "mini", shown["conversation"], {"kind": "typed", "text": "my thigh"})
    assert [e["text"] for e in shown["trace"]] == ["place = leg (“Leg”) by a mention “thigh”"]
    shown = turn(good, engine, "mini", shown["conversation"], {"kind": "typed", "text": "for a month"})
    assert [e["kind"] for e in shown["trace"]] == ["answer", "rule"]
    assert shown["trace"][1]["text"].endswith("went to grip: `next` when place is leg")
    shown = turn(good, engine, "mini", shown["conversation"], {"kind": "typed", "text": "can't breathe right now"})
    assert shown["level"] == "emergency"
    assert [e["kind"] for e in shown["trace"]] == ["emergency", "rule"]
    assert shown["trace"][1]["text"] == "emergency concept 'breathing' leads straight to emergency"


def test_where_an_answer_is_used(flow: Flow, mini: Project) -> None:
    used = {entry["kind"]: entry for entry in uses(flow, flow.steps["how_long"])}
    assert used["routing"]["text"].startswith("routing rule 2: → routine when any of")
    assert used["excerpt"]["text"] == "excerpt 'stimulants' when how_long is short"
    assert used["summary"]["text"].startswith("the summary for the doctor")
    place = [entry["text"] for entry in uses(flow, flow.steps["place"])]
    assert place == [
        "how_long: “Under a fortnight” goes to grip when place is leg",
        "how_long: “A fortnight or more” goes to grip when place is leg",
        "the summary for the doctor (🔴 or 🟠), about the twitching",
    ]
    assert uses(flow, flow.steps["grip"]) == []


def test_matches_compare_by_value_only() -> None:
    """How an answer was read is for the trace: two readings of the same answer are the same answer."""
    assert Match("leg", how="mention", phrase="calf") == Match("leg")


def test_the_readers_say_how(flow: Flow) -> None:
    matcher = ChoiceMatcher(flow.steps["weakness"], flow.synonyms)
    assert (matcher.read("2").how, matcher.read("2").phrase) == ("option", "2")
    assert matcher.read("yes").how == "label"
    assert matcher.read("nope").how == "flow synonym"


def test_locate_stays_inside_its_item(tmp_path: Any) -> None:
    source = tmp_path / "f.yaml"
    source.write_text('- a:\n    x: ["one",\n        "two"]\n- b:\n    x: ["three"]\n', encoding="utf-8")
    assert locate(str(source), 1, "two") == 3
    assert locate(str(source), 1, "three") == 1  # another item's: the item's own line
