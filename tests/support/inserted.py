"""A maintainer's YAML-only edit, made by program: one question inserted after "where", with a routing rule.

Issue 21's proof (`tests/test_flow_independence.py`) copies the shipped `flows/` and `content/`, applies
this edit, and runs the suite against the copy. The edit is written against the text, the way a
maintainer would make it, so the copy keeps every comment and every other line of the shipped flow.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

STEP = "injury"
"""The inserted question's id and answer key."""

AFTER = "location"
"""The step it goes right after: "where is the twitching?"."""

FLOW_FILE = "twitching.yaml"


def _step_text(then: str) -> str:
    return f"""  - id: {STEP}
    text: "Did the twitching start after a knock, a strain or an injury to that part of the body?"
    topic: "After an injury"
    from_account: never
    next: {then}
    choices:
      - {{label: "Yes, after an injury", value: "yes"}}
      - {{label: "No injury", value: "no"}}

"""


RULE = f"""  # Inserted (issue 21's proof): twitching after an injury is worth a routine appointment.
  - outcome: routine
    when: {{{STEP}: "yes"}}
"""

CASE = f"""
  - name: twitching that started after an injury is a routine appointment (the inserted rule)
    answers: {{{STEP}: "yes"}}
    expect: {{level: routine, outcome: routine, asked: [{STEP}]}}
"""


def insert_question(text: str) -> str:
    """The flow's text with `STEP` asked right after `AFTER` and a routine rule on it before the catch-all."""
    lines = text.splitlines(keepends=True)
    start = lines.index(f"  - id: {AFTER}\n")
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith(("  - id: ", "routing:")))
    at = next(i for i in range(start, end) if re.match(r"    next: \S+\n", lines[i]))
    then = lines[at].split(":", 1)[1].strip()
    lines[at] = f"    next: {STEP}\n"
    lines[end:end] = [_step_text(then)]
    routing = lines.index("routing:\n")
    stop = next(i for i in range(routing + 1, len(lines)) if lines[i][:1] not in (" ", "\n", "#"))
    catch_all = max(i for i in range(routing, stop) if lines[i].startswith("  - outcome: "))
    assert "when:" not in lines[catch_all + 1], "the last routing rule is the catch-all"
    lines[catch_all:catch_all] = [RULE]
    return "".join(lines)


def inserted_copy(flows: Path, content: Path, into: Path) -> tuple[Path, Path]:
    """Copy `flows` and `content` (a language folder) under `into`, with the question and a case for it."""
    flows_copy, content_copy = into / "flows", into / "content" / content.name
    shutil.copytree(flows, flows_copy)
    shutil.copytree(content, content_copy)
    flow = flows_copy / FLOW_FILE
    flow.write_text(insert_question(flow.read_text(encoding="utf-8")), encoding="utf-8")
    cases = flows_copy / "tests" / FLOW_FILE
    cases.write_text(cases.read_text(encoding="utf-8").rstrip("\n") + "\n" + CASE, encoding="utf-8")
    return flows_copy, content_copy
