"""A fixture flow of N yes/no questions, so tests of delivery and buttons never lean on the shipped flow's wording."""

from __future__ import annotations

from pathlib import Path

from bot.bootstrap import Loaded, load_all
from bot.config import DEFAULT_CONTENT

OUTCOMES = """\
routing:
  - outcome: urgent
    when: {q1: "yes"}
  - outcome: self_care
outcomes:
  - {id: emergency, level: emergency, title: Call now, recommendation: Call 112., watch_for: Nothing.}
  - {id: urgent, level: urgent, title: See a doctor soon, recommendation: Within days., watch_for: Worse.}
  - {id: routine, level: routine, title: Book a visit, recommendation: Book one., watch_for: Worse.}
  - {id: self_care, level: self_care, title: Rest, recommendation: Rest., watch_for: Weakness.}
"""


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
