"""content/<language>/emergency.yaml is validated as content: a number that could not be dialled never goes live.

Each rule with the file written inline, asserting on the problem's line and its text (issue 19: an empty
`always:` made the 🚨 advice say "Call None now", and an unquoted 000 became "0").
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from bot.bootstrap import load_all
from bot.config import Settings
from bot.content.emergency_numbers import parse_emergency
from bot.content.library import load_content
from bot.telegram.runner import reload_flows
from bot.yamlfiles.errors import FlowErrors, FlowProblem, ShapeError
from bot.yamlfiles.yaml_source import read_yaml
from tests.support.flows import CONTENT_DIR, FLOWS_DIR
from tests.test_reload import RecordingRuntime

SHIPPED = (CONTENT_DIR / "emergency.yaml").read_text(encoding="utf-8")


@pytest.fixture
def content(tmp_path: Path) -> Path:
    folder = tmp_path / "en"
    shutil.copytree(CONTENT_DIR, folder)
    return folder


def problems(content: Path, text: str) -> list[FlowProblem]:
    (content / "emergency.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(FlowErrors) as raised:
        load_content(content, content / "article.txt")
    return [p for p in raised.value.problems if p.source.endswith("emergency.yaml")]


def test_the_shipped_numbers_load() -> None:
    loaded = load_content(CONTENT_DIR)
    assert loaded.emergency_always == "112"
    assert loaded.emergency_number("en-GB") == "999" and loaded.emergency_number("en-AU") == "000"
    assert loaded.emergency_number("fr") == "112"


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ('always:\nby_language:\n  "en-GB": "999"\n', 1, "emergency number 'always' is empty"),
        ('by_language:\n  "en-GB": "999"\n', 1, "emergency number 'always' is missing"),
        ('always: "112"\nby_language:\n  "en-GB":\n', 3, "emergency number for 'en-GB' is empty"),
        ('always: "112"\nby_language:\n  "en-AU": 000\n', 3, "emergency number for 'en-AU' is not quoted"),
        ("always: 112\n", 1, "emergency number 'always' is not quoted"),
        ('always: "112"\nby_language:\n  "en-GB": "99"\n', 3, "'99' is not an emergency number in GB"),
        ('always: "112"\nby_language:\n  "en-US": "9l1"\n', 3, "emergency number for 'en-US' has '9l1'"),
        ('always: "112"\nby_language:\n  "en-US": "+911"\n', 3, "'+911' is not an emergency number in US"),
        ('always: "11 2"\n', 1, "emergency number 'always' has '11 2'"),
        ('always: "112"\nby_language:\n  "en-XX": "112"\n', 3, "'en-XX' names no country"),
        ('always: "112"\nby_language:\n  "en": "999"\n', 3, "'en' names no country"),
        ('always: "999"\nby_language:\n  "en-US": "911"\n', 1, "'999' is not an emergency number in US"),
        ('always: "112"\nby_language: ["999"]\n', 2, "'by_language' must map language tags to numbers"),
    ],
    ids=[
        "empty always",
        "no always",
        "empty local number",
        "unquoted 000",
        "unquoted always",
        "typo",
        "letter",
        "plus where none is dialled",
        "space",
        "unknown country",
        "language without a country",
        "always that fails somewhere listed",
        "not a mapping",
    ],
)
def test_a_number_that_cannot_be_right_is_a_located_error(content: Path, text: str, line: int, what: str) -> None:
    found = problems(content, text)
    assert [(p.line, type(p)) for p in found] == [(line, ShapeError)], [str(p) for p in found]
    assert what in found[0].what and str(found[0]).startswith(f"{content / 'emergency.yaml'}:{line}: ")


def test_every_cut_of_the_file_either_fails_or_gives_real_numbers() -> None:
    """A save caught mid-write never shows "Call None now": each byte-cut is refused or fully valid."""
    shipped = SHIPPED.encode()
    accepted = 0
    for cut in range(len(shipped)):
        data, found = read_yaml(shipped[:cut].decode("utf-8", errors="ignore"), "emergency.yaml")
        numbers, found = parse_emergency(data, "emergency.yaml") if not found else (None, found)
        if found:
            continue
        assert numbers is not None
        accepted += 1
        assert all(n.isdigit() for n in [numbers.always, *numbers.by_language.values()]), (cut, numbers)
    assert accepted > 0


def test_validate_reports_a_typo_as_file_line_what_fix(content: Path) -> None:
    (content / "emergency.yaml").write_text(SHIPPED.replace('"en-GB": "999"', '"en-GB": "990"'), encoding="utf-8")
    with pytest.raises(FlowErrors) as raised:
        load_all([FLOWS_DIR], content)
    [problem] = raised.value.problems
    line = SHIPPED.splitlines().index('  "en-GB": "990"'.replace("990", "999")) + 1
    assert str(problem) == (
        f"{content / 'emergency.yaml'}:{line}: '990' is not an emergency number in GB "
        "(phonenumbers' short-number data); check the number for that country"
    )


def test_a_reload_with_an_empty_always_keeps_the_last_good_content(
    content: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The save caught mid-edit by `run --watch` (issue 19): refused with its line, the running numbers kept."""
    (content / "emergency.yaml").write_text(SHIPPED.replace('always: "112"', "always:"), encoding="utf-8")
    runtime = RecordingRuntime()
    with caplog.at_level(logging.ERROR, logger="twitchcheck"):
        swapped = reload_flows(runtime, Settings(flows_dir=FLOWS_DIR, content_dir=content))  # type: ignore[arg-type]
    refused = [r.fields["problem"] for r in caplog.records if getattr(r, "event", "") == "reload_refused"]  # type: ignore[attr-defined]
    assert not swapped and runtime.reloaded == []
    assert len(refused) == 1 and "emergency number 'always' is empty" in refused[0]
