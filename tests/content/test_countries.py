"""content/<language>/countries.yaml is validated as content: each rule with the file written inline,
asserting on the problem's file, line and text; and the words per country, as a person reads them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.content.library import load_content
from bot.engine.model import Level
from bot.people import REPEAT_WINDOW_SECONDS, finished_check, wants_repeat_note
from bot.yamlfiles.errors import FlowErrors, FlowProblem
from tests.support.flows import CONTENT_DIR

GOOD = """\
countries:
  GB: {name: "the UK", short: "UK", button: "UK", emergency: "999"}
  US: {name: "the US", short: "US", button: "US", emergency: "911"}
unknown: [GB, US]
uk_only: ["GP", "NHS 111"]
words:
  "NHS 111 (or your local urgent care line)": {default: "your local urgent care service", US: "an urgent care center"}
  "NHS 111": {default: "your local urgent care service"}
  "your GP surgery or doctor": {default: "your doctor"}
  "your GP surgery": {default: "your doctor"}
  "your GP or doctor": {default: "your doctor"}
  "a GP appointment": {default: "a doctor's appointment"}
  "GP appointment": {default: "doctor's appointment"}
  "A GP": {default: "A doctor"}
  "a GP": {default: "a doctor"}
  "your GP": {default: "your doctor"}
"""


@pytest.fixture
def content(tmp_path: Path) -> Path:
    folder = tmp_path / "en"
    shutil.copytree(CONTENT_DIR, folder)
    return folder


def problems(content: Path, text: str) -> list[FlowProblem]:
    (content / "countries.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(FlowErrors) as raised:
        load_content(content, content / "article.txt")
    return raised.value.problems


def test_the_inline_file_loads(content: Path) -> None:
    (content / "countries.yaml").write_text(GOOD, encoding="utf-8")
    assert list(load_content(content).countries.listed) == ["GB", "US"]


@pytest.mark.parametrize(
    ("old", "new", "line", "what"),
    [
        ('emergency: "911"}', 'emergency: "999"}', 3, "'999' is not an emergency number in US"),
        ('emergency: "911"}', "emergency: 911}", 3, "emergency number for US is not quoted"),
        ("  US: {", "  XX: {", 3, "'XX' is not a country code phonenumbers knows"),
        ("unknown: [GB, US]", "unknown: [GB, CA]", 4, "'CA' in 'unknown' is not a listed country"),
        ('"NHS 111": {default:', '"NHS 112": {default:', 8, "phrase 'NHS 112' appears in no text"),
        ('{default: "your doctor"}\n  "your GP or', '{US: "your doctor"}\n  "your GP or', 10, "has no default"),
        ('US: "an urgent care center"}', 'FR: "x"}', 7, "variant for 'FR', which is not a listed country"),
    ],
)
def test_each_rule(content: Path, old: str, new: str, line: int, what: str) -> None:
    assert old in GOOD
    found = problems(content, GOOD.replace(old, new, 1))
    assert [(Path(p.source).name, p.line) for p in found if what in str(p)] == [("countries.yaml", line)], found


def test_a_text_that_would_still_say_gp_elsewhere_is_refused_at_its_own_line(content: Path) -> None:
    found = problems(content, GOOD.replace('  "your GP": {default: "your doctor"}\n', ""))
    leaks = [p for p in found if "would show 'GP'" in str(p)]
    assert leaks and all(Path(p.source).name == "texts.yaml" and p.line > 1 for p in leaks)
    assert "readers in US" in str(leaks[0]) and "add the phrase around it" in str(leaks[0])


def test_the_uk_keeps_the_texts_and_the_rest_get_their_own_words() -> None:
    countries = load_content(CONTENT_DIR).countries
    text = "Call your GP surgery, or NHS 111 (or your local urgent care line). Book a GP appointment."
    assert countries.localise(text, "GB") == text
    assert countries.localise(text, "US") == "Call your doctor, or an urgent care center. Book a doctor's appointment."
    for country in (None, *countries.listed):
        if country != "GB":
            assert "GP" not in countries.localise(text, country) and "NHS 111" not in countries.localise(text, country)


def test_completion_times_are_counted_over_7_days_only() -> None:
    now = 1_700_000_000.0
    record, count = finished_check({"country": "US"}, now - REPEAT_WINDOW_SECONDS - 1)
    record, count = finished_check(record, now - 60)
    assert count == 2
    record, count = finished_check(record, now)
    assert count == 2 and record["country"] == "US" and record["finished"] == [now - 60, now]
    assert wants_repeat_note(3, Level.SELF_CARE, False) and not wants_repeat_note(2, Level.ROUTINE, False)
    assert not wants_repeat_note(3, Level.ROUTINE, True) and not wants_repeat_note(3, Level.URGENT, False)
