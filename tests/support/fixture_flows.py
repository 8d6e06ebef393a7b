"""Fixture flows of a known shape, so tests of the engine, delivery and buttons never lean on the shipped flow."""

from __future__ import annotations

from pathlib import Path

from bot.bootstrap import Loaded, load_all
from bot.config import DEFAULT_CONTENT

ONE_OUTCOME_PER_LEVEL = """\
  - {id: emergency, level: emergency, title: Call now, recommendation: Call 112., watch_for: Nothing.}
  - {id: urgent, level: urgent, title: See a doctor soon, recommendation: Within days., watch_for: Worse.}
  - {id: routine, level: routine, title: Book a visit, recommendation: Book one., watch_for: Worse.}
  - {id: self_care, level: self_care, title: Rest, recommendation: Rest., watch_for: Weakness.}
"""
"""The items of an `outcomes:` list with one plain outcome per level, for fixture flows to share."""

OUTCOMES = (
    """\
routing:
  - outcome: urgent
    when: {q1: "yes"}
  - outcome: self_care
outcomes:
"""
    + ONE_OUTCOME_PER_LEVEL
)


def question(number: int) -> str:
    """The text of question `number` (1-based), as the card shows it."""
    return f"Question {number}?"


def steps_flow(questions: int) -> str:
    """The YAML of flow `steps`: questions q1…qN, each "Yes"/"No", then routing (q1 "yes": 🔴, else 🟢)."""
    lines = ["flow: steps", "title: Steps", "start: q1", "steps:"]
    for n in range(1, questions + 1):
        after = f"q{n + 1}" if n < questions else "route"
        lines += [
            f"  - id: q{n}",
            "    kind: red_flag",
            f'    text: "{question(n)}"',
            f"    next: {after}",
            "    choices:",
            '      - {label: "Yes", value: "yes"}',
            '      - {label: "No", value: "no"}',
        ]
    return "\n".join(lines) + "\n" + OUTCOMES


def load_steps(folder: Path, questions: int = 3) -> Loaded:
    """Write the `steps` flow into `folder` and load it with the shipped content."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "steps.yaml").write_text(steps_flow(questions), encoding="utf-8")
    return load_all([folder], DEFAULT_CONTENT, prove=False)


MINI = """\
flow: mini
title: Mini check
start: emergency_now
max_excerpts: 2
interrupts:
  - {id: breathing, phrases: ["can't breathe"], outcome: emergency}
steps:
  - id: emergency_now
    kind: emergency
    text: "Is any of this happening now?"
    topic: "Emergency signs"
    next: how_long
    choices:
      - {label: "Yes", value: "yes", next: emergency}
      - {label: "No", value: "no"}
  - id: how_long
    records: duration
    quantity: duration
    text: "How long has it been going on?"
    topic: "How long"
    next: caffeine
    choices:
      - {label: "Under 2 weeks", value: under_2_weeks, range: {from: 0 days, below: 2 weeks}}
      - {label: "Over 2 weeks", value: over_2_weeks, range: {from: 2 weeks}}
  - id: caffeine
    text: "Lots of coffee?"
    topic: "Coffee"
    next: weakness
    choices: [{label: "Yes", value: "yes"}, {label: "No", value: "no"}]
  - id: weakness
    kind: red_flag
    text: "Any weakness?"
    topic: "Weakness"
    next: wasting
    choices: [{label: "Yes", value: "yes"}, {label: "No", value: "no"}, {label: "Not sure", value: not_sure}]
  - id: wasting
    kind: red_flag
    text: "Any wasting?"
    topic: "Wasting"
    next: gait
    choices: [{label: "Yes", value: "yes"}, {label: "No", value: "no"}, {label: "Not sure", value: not_sure}]
  - id: gait
    kind: red_flag
    text: "Any tripping?"
    topic: "Walking"
    next: route
    choices: [{label: "Yes", value: "yes"}, {label: "No", value: "no"}, {label: "Not sure", value: not_sure}]
routing:
  - outcome: urgent
    when: {any: [{weakness: "yes"}, {wasting: "yes"}, {gait: "yes"}]}
  - outcome: routine
    when: {any: [{weakness: not_sure}, {wasting: not_sure}, {gait: not_sure}]}
  - outcome: routine
    when: {duration: over_2_weeks}
  - outcome: self_care
excerpts:
  - {excerpt: stimulants, when: {caffeine: "yes"}}
outcomes:
  - {id: emergency, level: emergency, title: Call now, recommendation: Call 112., watch_for: Nothing.}
  - id: urgent
    level: urgent
    title: See a doctor soon
    recommendation: Within days.
    watch_for: Worse.
    excerpts:
      - {excerpt: als_weakness, when: {weakness: "yes"}}
      - {excerpt: als_atrophy, when: {wasting: "yes"}}
      - {excerpt: red_flags}
  - id: routine
    level: routine
    title: Book a visit
    recommendation: Book one.
    watch_for: Worse.
    notes:
      - {text: "Two weeks or more is worth a check.", when: {duration: over_2_weeks}}
      - {text: "Worry can be talked about too."}
  - {id: self_care, level: self_care, title: Rest, recommendation: Rest., watch_for: Weakness.}
"""
"""A small flow of known shape for engine tests: a typed emergency phrase, an emergency screen, a duration
read by meaning, a context question, three red flags, routing with a reason at each level, notes, and more
excerpts than `max_excerpts`."""
