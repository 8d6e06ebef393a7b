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
    """Press a button of the question at `step` that is still live (an earlier one's buttons are disabled)."""
    live = page.locator(f"#chat .msg.bot[data-step={step}] button:not([disabled])")
    live.filter(has_text=re.compile(f"^{re.escape(label)}$")).click()


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


CASE = """\
flow: mini
defaults: "no"
cases:
  - name: a leg twitching for a month is a routine appointment
    answers: {place: "my calf", how_long: "a month"}
    expect: {level: routine}
"""


def test_the_tests_run_again_on_every_good_save_and_link_to_their_lines(mini_page: Any, mini: Project) -> None:
    page = mini_page
    expect(page.locator("#test-count")).to_have_text("0 passed")  # run once the first good version is loaded
    cases = mini.tests / "mini.yaml"
    cases.write_text(CASE, encoding="utf-8")
    expect(page.locator("#test-count")).to_have_text("1 passed")  # a save of the case file: no button pressed
    page.click("#tab-tests")
    result = page.locator("#test-results li", has_text="a leg twitching for a month")
    expect(result).to_contain_text("PASS")
    expect(result.locator("a.at")).to_have_attribute("href", f"vscode://file/{cases.resolve()}:4")

    mini.edit(("when: {any: [{weakness: not_sure}, {how_long: long}]}", "when: {weakness: not_sure}"))
    expect(page.locator("#test-count")).to_have_text("1 failed")  # a save of the flow: run again, now failing
    expect(page.locator("#test-summary")).to_contain_text("0 passed, 1 failed")
    expect(result).to_contain_text("FAIL")

    gap = page.locator("#coverage .gaps li", has_text="'grip: Yes' (yes)")
    expect(gap.locator("a.at")).to_have_attribute("href", vscode(mini, '- {label: "Yes", value: "yes"}\n'.strip()))
    picture(page, "tests")
    gap.get_by_role("button", name="Write a case for this gap").click()
    expect(page.locator("#view-try")).to_be_visible()
    expect(page.locator("#chat .msg.bot").first).to_contain_text("Started at 'grip' by tapping emergency_now: No → ")
    expect(page.locator("#chat .msg.bot[data-step=grip] button:not([disabled])")).to_have_count(2)
    tap(page, "grip", "Yes")
    tap(page, "weakness", "No")
    expect(page.locator("#chat")).to_have_attribute("data-level", "self_care")
    page.fill("#case-name", "a leg that gives way, with no weakness")
    page.click("#save-case")
    expect(page.locator("#save-result")).to_contain_text("mini-studio.yaml (answers by step); it passes now")
    assert "grip: " in (mini.tests / "mini-studio.yaml").read_text(encoding="utf-8")

    page.click("#try-restart")  # a new conversation: the form is empty again
    expect(page.locator("#case-name")).to_have_value("")
    expect(page.locator("#save-result")).to_have_text("")


def test_a_step_lists_where_its_answer_is_used(mini_page: Any, mini: Project) -> None:
    page = mini_page
    page.locator('#diagram .node[data-id="how_long"]').click()
    panel = page.locator("#panel")
    expect(panel.locator("h3", has_text="Where its answer (how_long) is used")).to_be_visible()
    rule = panel.locator(".uses li.routing")
    expect(rule).to_contain_text("routing rule 2: → routine when any of (weakness is not_sure; how_long is long)")
    expect(rule.locator("a.at")).to_have_attribute("href", vscode(mini, "  - outcome: routine"))
    expect(panel.locator(".uses li.excerpt")).to_contain_text("excerpt 'stimulants' when how_long is short")
    expect(panel.locator(".uses li.summary")).to_contain_text("the summary for the doctor")
    page.locator('#diagram .node[data-id="place"]').click()
    expect(panel.locator(".uses li.condition")).to_have_count(2)
    expect(panel.locator(".uses li.condition").first).to_contain_text("goes to grip when place is leg")
    picture(page, "uses")


def test_a_counter_example_highlight_goes_when_its_problem_does(mini_page: Any, mini: Project) -> None:
    page = mini_page
    fine = '      - {label: "Yes", value: "yes"}\n      - {label: "No", value: "no"}\n\n  - id: weakness'
    unsafe = (
        '      - {label: "Yes", value: "yes", next: self_care}\n      - {label: "No", value: "no"}\n\n  - id: weakness'
    )
    mini.edit((fine, unsafe))
    page.click("#tab-problems")
    problem = page.locator("#problems li.error", has_text="grip=yes")
    expect(problem).to_be_visible()
    expect(problem.locator("a.where")).to_have_attribute("href", re.compile(r"^vscode://file/.*/flows/mini\.yaml:\d+$"))
    problem.locator("button.show-path").click()
    expect(page.locator('#diagram .node.on-path[data-id="grip"]')).to_be_attached()
    expect(page.locator("#clear-path")).to_be_visible()

    mini.edit((unsafe, fine))  # the fix: the problem is gone, and so is its path on the diagram
    expect(page.locator("#problems li.error")).to_have_count(0)
    expect(page.locator("#diagram .node.on-path")).to_have_count(0)
    expect(page.locator("#clear-path")).to_be_hidden()
