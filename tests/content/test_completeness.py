"""A flow or texts.yaml cut short still parses; `validate` (and so `--watch` and the studio) refuses it (issue 19)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot.bootstrap import load_all
from bot.content.library import REQUIRED_TEXTS, load_content
from bot.yamlfiles.errors import FlowErrors, MissingContentError
from tests.support.flows import CONTENT_DIR, FLOWS_DIR

ROOT = Path(__file__).resolve().parents[2]
FLOW = (FLOWS_DIR / "twitching.yaml").read_text(encoding="utf-8")
TEXTS = (CONTENT_DIR / "texts.yaml").read_text(encoding="utf-8")


def refused(flows: Path, content: Path = CONTENT_DIR) -> list[str]:
    with pytest.raises(FlowErrors) as raised:
        load_all([flows], content, prove=False)
    return [str(problem) for problem in raised.value.problems]


def cut_before(tmp_path: Path, needle: str) -> Path:
    """The shipped flow, cut at the start of the last line holding `needle` (a save caught mid-write)."""
    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "twitching.yaml").write_text(FLOW[: FLOW.rindex(needle)], encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("needle", "what"),
    [
        ("    tips:", "outcome 'self_care' does not show its tips (text 'levels.self_care.tips' in content/)"),
        ("    excerpts:", "outcome 'self_care' names no source"),
        ("      - {excerpt: benign_common}", "outcome 'self_care' names no source"),
        ("    sources:", "outcome 'self_care' names no source"),
    ],
    ids=["before its tips", "before its excerpts", "inside its excerpts", "before its sources"],
)
def test_a_flow_cut_inside_its_last_outcome_is_refused(tmp_path: Path, needle: str, what: str) -> None:
    flows = cut_before(tmp_path, needle)
    problems = refused(flows)
    line = FLOW[: FLOW.rindex("  - id: self_care")].count("\n") + 1
    assert any(p.startswith(f"{flows / 'twitching.yaml'}:{line}: {what}; ") for p in problems), problems


def test_an_outcome_with_its_own_texts_needs_no_content_texts(tmp_path: Path) -> None:
    """Only outcomes drawn from content/ (`@levels.<id>.title`) are held to content/'s texts."""
    folder = tmp_path / "flows"
    folder.mkdir()
    text = FLOW.replace('    title: "@levels.self_care.title"', '    title: "Rest and watch"')
    text = text.replace('    tips: "@levels.self_care.tips"\n', "")
    (folder / "twitching.yaml").write_text(text, encoding="utf-8")
    assert load_all([folder], CONTENT_DIR, prove=False).flows["twitching"].outcomes["self_care"].tips == ""


def test_texts_cut_before_the_last_line_are_refused(tmp_path: Path) -> None:
    content = tmp_path / "en"
    shutil.copytree(CONTENT_DIR, content)
    last = TEXTS.rstrip("\n").rsplit("\n", 1)[0] + "\n"
    (content / "texts.yaml").write_text(last, encoding="utf-8")
    with pytest.raises(FlowErrors) as raised:
        load_content(content)
    missing = [p.what for p in raised.value.problems if isinstance(p, MissingContentError)]
    assert missing == ["text 'shell.summary_offer' is missing"]


def test_every_text_the_code_shows_is_required() -> None:
    """So a texts.yaml without one is refused, rather than a KeyError when someone reaches it."""
    shown = set()
    for path in (ROOT / "bot").rglob("*.py"):
        shown |= set(re.findall(r"\btext\(\s*\"([a-z_]+\.[a-z_.]+)\"", path.read_text(encoding="utf-8")))
    assert shown and sorted(shown - set(REQUIRED_TEXTS)) == []
