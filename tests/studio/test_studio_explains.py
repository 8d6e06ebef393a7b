"""The studio explains itself, in a real headless Chromium, on the studio tests' own mini flow: Try it's trace
(how a typed answer was read, which rule decided), links that open the editor at `file:line`, the tests run
again on every good save, and a counter-example's highlight that goes when its problem does.

Every wait is a deadline (playwright's `expect`), never a sleep; the deadlines are generous, as these are
not timing tests (`python -m tests.studio.measure_live` measures how fast the page follows a save).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.studio.conftest import Project

WAIT_MS = 20_000
PICTURES = Path(os.environ.get("TWITCHCHECK_STUDIO_PICTURES", "/tmp/studio2"))
"""Where these tests leave pictures of the trace, to look at (not the README's: those are docs/studio/)."""

expect: Any = None


@pytest.fixture(autouse=True)
def _expect() -> None:
    global expect
    from playwright.sync_api import expect as playwright_expect

    expect = playwright_expect
    expect.set_options(timeout=WAIT_MS)


def picture(page: Any, name: str) -> None:
    PICTURES.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(PICTURES / f"{name}.png"))


def tap(page: Any, step: str, label: str) -> None:
    question = page.locator(f"#chat .msg.bot[data-step={step}]").last
    question.get_by_role("button", name=label, exact=True).click()


def typed(page: Any, text: str) -> None:
    shown = page.locator("#chat .trace").count()
    page.fill("#typed-text", text)
    page.press("#typed-text", "Enter")
    expect(page.locator("#chat .trace")).to_have_count(shown + 1)


def vscode(project: Project, needle: str) -> str:
    return f"vscode://file/{project.flow.resolve()}:{project.line_of(needle)}"


def test_try_it_shows_how_typed_answers_were_read_and_what_decided(mini_page: Any, mini: Project) -> None:
    page = mini_page
    page.click("#tab-try")
    tap(page, "emergency_now", "No")
    expect(page.locator("#chat .msg.bot[data-step=place]")).to_be_visible()

    typed(page, "it's my left calf")
    read = page.locator("#chat .trace").last
    expect(read).to_contain_text("place = leg (“Leg”) by a mention “calf”")
    link = read.locator("a.at")
    calf = mini.line_of('mentions: ["calf", "thigh"]')
    expect(link).to_have_text(f"flows/mini.yaml:{calf}")
    expect(link).to_have_attribute("href", vscode(mini, 'mentions: ["calf", "thigh"]'))

    typed(page, "about 3 days")
    read = page.locator("#chat .trace").last
    expect(read.locator(".trace-line.answer")).to_contain_text("by an amount, by the choice's range “3 days”")
    expect(read.locator(".trace-line.rule")).to_contain_text("how_long = short went to grip: `next` when place is leg")
    expect(read.locator(".trace-line.rule a.at")).to_have_attribute("href", vscode(mini, "next: [{to: grip"))

    tap(page, "grip", "No")
    typed(page, "not sure")
    decided = page.locator("#chat .trace").last.locator(".trace-line.rule")
    expect(decided).to_contain_text("routing rule 2 decided: → routine when any of (weakness is not_sure")
    expect(decided.locator("a.at")).to_have_attribute("href", vscode(mini, "  - outcome: routine"))
    expect(page.locator("#chat")).to_have_attribute("data-level", "routine")
    page.locator("#chat .trace").nth(1).scroll_into_view_if_needed()
    picture(page, "trace")

    page.click("#try-restart")
    tap(page, "emergency_now", "No")
    expect(page.locator("#chat .msg.bot[data-step=place]")).to_have_count(2)
    typed(page, "he is gasping for air")
    trace = page.locator("#chat .trace").last
    expect(trace.locator(".trace-line.emergency")).to_contain_text(
        "emergency language: “gasping for air” matched the phrase “gasping for air” of concept 'breathing'"
    )
    expect(trace.locator(".trace-line.emergency a.at")).to_have_attribute("href", vscode(mini, '"gasping for air"]'))
    expect(trace.locator(".trace-line.rule")).to_contain_text(
        "emergency concept 'breathing' leads straight to emergency"
    )
    picture(page, "trace-emergency")


def test_a_frame_links_to_the_language_file(mini_page: Any, mini: Project) -> None:
    page = mini_page
    page.click("#tab-try")
    tap(page, "emergency_now", "No")
    typed(page, "her lips are blue right now")
    line = page.locator("#chat .trace").last.locator(".trace-line.emergency")
    expect(line).to_contain_text("the frame [")
    expect(line.locator("a.at")).to_contain_text("content/en/language.yaml:")
    href = line.locator("a.at").get_attribute("href") or ""
    assert href.startswith(f"vscode://file/{(mini.content / 'language.yaml').resolve()}:"), href
    assert re.search(r":\d+$", href), href
