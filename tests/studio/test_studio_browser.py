"""The flow studio in a real headless Chromium: what a maintainer sees, clicks and saves.

Every wait is a deadline (playwright's `expect` polls until it holds or the time is up), never a sleep.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from bot.authoring.cases import case_files, run_cases
from bot.engine.engine import Engine
from tests.studio.conftest import Project, screenshot
from tests.support.flows import FLOWS_DIR, main_flow
from tests.support.paths import pick

expect: Any = None
MARK = re.compile(r"^[🚨🔴🟠🟢]")
"""The recommendation is the one message that starts with a level's mark."""
LIVE_DEADLINE_MS = 20_000
"""How long to wait for the page to show a saved change. Generous on purpose, so a busy machine does not
fail the test: how fast it really is (median ≤ 0.5 s) is measured by `python -m tests.studio.measure_live`."""
RUN_DEADLINE_MS = 60_000
"""How long to wait for "Run tests" to show its results: it runs every case file, the fresh rounds among them,
which takes seconds on an idle machine and several times that beside a full test run."""


@pytest.fixture(autouse=True)
def _expect() -> None:
    global expect
    from playwright.sync_api import expect as playwright_expect

    expect = playwright_expect


NEW_STEP = """\
  - id: energy_drinks
    text: "Do you drink energy drinks most days?"
    topic: "Energy drinks"
    next: weakness
    choices:
      - {label: "Yes", value: "yes"}
      - {label: "No", value: "no"}

"""


def talk(page: Any, plan: dict[str, str], default: str = "No") -> str:
    """Tap through "Try it": `plan` by step, else `default` (or the first button); return the recommendation."""
    chat = page.locator("#chat")
    for _ in range(40):
        if chat.get_attribute("data-level"):
            return chat.locator(".msg.bot").filter(has_text=MARK).last.inner_text()
        question = chat.locator(".msg.bot[data-step]").last
        buttons = question.locator("button:not([disabled])")
        want = plan.get(question.get_attribute("data-step") or "") or default_label(question, default)
        labels = buttons.all_inner_texts()
        shown = chat.locator(".msg.bot").count()
        question.get_by_role("button", name=want if want in labels else labels[0], exact=True).click()
        expect(chat.locator(".msg.bot")).not_to_have_count(shown)
    raise AssertionError("the check did not end within 40 answers")


def by_value(answers: dict[str, str]) -> dict[str, str]:
    """A `talk` plan from answers by step and value: the labels the flow under test gives them."""
    flow = main_flow()
    return {step: pick(flow.steps[step], value).label for step, value in answers.items()}


def default_label(question: Any, default: str) -> str:
    """The button to tap with no plan: the asked step's own "no" (or "skip", or first) in the flow under test."""
    step = main_flow().question(question.get_attribute("data-step") or "")
    return pick(step, None).label if step is not None and default == "No" else default


def tap_until(page: Any, step: str, plan: dict[str, str] | None = None, default: str = "No") -> None:
    """Tap through "Try it" like `talk` until the question at `step` is the last one asked."""
    chat = page.locator("#chat")
    for _ in range(40):
        question = chat.locator(".msg.bot[data-step]").last
        if question.get_attribute("data-step") == step:
            return
        want = (plan or {}).get(question.get_attribute("data-step") or "") or default_label(question, default)
        labels = question.locator("button:not([disabled])").all_inner_texts()
        shown = chat.locator(".msg.bot").count()
        question.get_by_role("button", name=want if want in labels else labels[0], exact=True).click()
        expect(chat.locator(".msg.bot")).not_to_have_count(shown)
    raise AssertionError(f"{step} was not asked within 40 answers")


def own_failures(project: Project) -> int:
    """How many of the flow's own cases fail (`twitchcheck test`): the page's summary counts them too."""
    good = project.workspace().reload().good
    assert good is not None
    engine = Engine(good.flows)
    files = [path for path in case_files(project.tests) if not path.name.startswith("language")]
    return sum(not result.passed for path in files for result in run_cases(engine, path))


def project_rules() -> list[str]:
    """The routing rules of the flow under test, one `- outcome:` line each."""
    flow = (FLOWS_DIR / "twitching.yaml").read_text(encoding="utf-8").split("\nrouting:\n")[1].split("\n\n")[0]
    return [line for line in flow.splitlines() if line.startswith("  - outcome:")]


def open_try_it(page: Any) -> None:
    page.click("#tab-try")
    expect(page.locator("#chat .msg.bot[data-step=emergency_now]")).to_be_visible()


def test_the_diagram_shows_the_flow_and_a_step_as_a_person_sees_it(page: Any) -> None:
    diagram = page.locator("#diagram svg")
    for step in ("emergency_now", "location", "weakness", "breathing", "worry"):
        expect(diagram.locator(f'.node[data-id="{step}"]')).to_have_count(1)
    for outcome, mark in (
        ("emergency", "🚨"),
        ("urgent", "🔴"),
        ("urgent_today", "🔴"),
        ("routine", "🟠"),
        ("self_care", "🟢"),
    ):
        expect(diagram.locator(f'.node.outcome[data-id="{outcome}"]')).to_contain_text(f"{mark} {outcome}")
    expect(diagram.locator('.node.red_flag[data-id="weakness"]')).to_contain_text("red flag")
    expect(diagram.locator('.node.emergency[data-id="emergency_now"]')).to_contain_text("emergency")
    expect(diagram.locator(".edge.conditional").first).to_be_attached()  # routing: taken only when a rule holds

    diagram.locator('.node[data-id="weakness"]').click()
    panel = page.locator("#panel")
    expect(panel.locator(".telegram")).to_contain_text("Have you noticed weakness")
    expect(panel).to_contain_text("Yes (yes)")
    expect(panel.get_by_role("link", name="weakness_spreading")).to_be_visible()

    panel.get_by_role("link", name="weakness_spreading").click()
    expect(panel.locator("h2")).to_have_text("weakness_spreading")
    diagram.locator('.node[data-id="breathing"]').click()
    expect(panel).to_contain_text("Routing (first rule that holds wins)")
    expect(panel).to_contain_text("→ urgent when any of (weakness is yes")
    expect(panel.get_by_role("link", name="routing (the first rule that holds)").first).to_be_visible()
    diagram.locator('.node[data-id="flow_routing"]').evaluate("node => node.scrollIntoView({block: 'center'})")
    screenshot(page, "flow")
    diagram.locator('.node[data-id="flow_routing"]').click()
    expect(panel.locator("h2")).to_have_text("routing")
    expect(panel.locator("li")).to_have_count(len(project_rules()))


def test_a_click_through_reaches_self_care_then_urgent(page: Any) -> None:
    open_try_it(page)
    ending = talk(page, by_value({"location": "arm", "duration": "under_2_weeks"}))
    assert ending.startswith("🟢"), ending
    page.locator("#chat button[data-action=why]").last.click()
    expect(page.locator("#chat .msg.bot").last).to_contain_text("Why this advice")

    page.click("#try-restart")
    expect(page.locator("#chat .msg.bot[data-step=emergency_now]")).to_have_count(2)
    tap_until(page, "account")
    expect(page.locator("#chat .msg.bot[data-step=account]")).to_have_count(2)
    page.fill("#typed-text", "twitching in my calf for 3 days")
    page.press("#typed-text", "Enter")
    leg = by_value({"location": "leg"})["location"]
    expect(page.locator("#chat .msg.bot").last).to_contain_text(leg)  # the account review
    screenshot(page, "try-it")
    plan = {"account_review": "Yes, that's right", **by_value({"weakness": "yes", "weakness_spreading": "no"})}
    ending = talk(page, plan)
    assert ending.startswith("🔴"), ending
    expect(page.locator("#chat .msg.bot").last.locator("button[data-action=summary]")).to_be_visible()
    expect(page.locator("#try-answers")).to_contain_text("weakness")
    expect(page.locator("#try-where")).to_contain_text("at urgent")
    page.locator("#chat .msg.bot").filter(has_text=MARK).last.evaluate("bubble => bubble.scrollIntoView()")
    screenshot(page, "try-it-result")

    page.click("#try-path")  # the conversation drawn on the diagram, through the routing rules
    for node in ("emergency_now", "account", "location", "duration", "weakness", "breathing", "flow_routing", "urgent"):
        expect(page.locator(f'#diagram .node.on-path[data-id="{node}"]')).to_be_attached()
    expect(page.locator('#diagram .edge.on-path[data-source="flow_routing"][data-dest="urgent"]')).to_be_attached()
    expect(page.locator('#diagram .node.on-path[data-id="self_care"]')).to_have_count(0)


def test_saving_a_flow_shows_the_new_question_and_breaking_it_shows_the_line(page: Any, project: Project) -> None:
    started = time.monotonic()
    project.edit(
        ("    next: weakness\n    quantity: duration\n", "    next: energy_drinks\n    quantity: duration\n"),
        ("  - id: weakness\n", NEW_STEP + "  - id: weakness\n"),
    )
    new_node = page.locator('#diagram .node[data-id="energy_drinks"]')
    expect(new_node).to_be_visible(timeout=LIVE_DEADLINE_MS)
    print(f"\nsaved to redrawn: {time.monotonic() - started:.3f} s (a new question)")
    new_node.click()
    expect(page.locator("#panel .telegram")).to_have_text("Do you drink energy drinks most days?")

    started = time.monotonic()
    project.edit(
        (
            '    next: weakness\n    choices:\n      - {label: "Yes", value: "yes"}\n',
            '    next: weakniss\n    choices:\n      - {label: "Yes", value: "yes"}\n',
        )
    )
    line = project.line_of("next: weakniss")
    count = page.locator("#problem-count")
    expect(count).to_have_class(re.compile(r"\berrors\b"), timeout=LIVE_DEADLINE_MS)
    print(f"saved to problem shown: {time.monotonic() - started:.3f} s (a broken flow)")
    expect(page.locator("#banner")).to_contain_text(f"twitching.yaml:{line}:")
    page.click("#tab-problems")
    problem = page.locator("#problems li", has_text="weakniss")
    expect(problem).to_contain_text(f"flows/twitching.yaml:{line}")
    expect(problem).to_contain_text("defines step 'weakness'; rename one of the two")
    expect(problem.locator("a.where")).to_have_attribute("href", f"vscode://file/{project.flow.resolve()}:{line}")
    problem.locator("button.lines").click()
    expect(problem.locator(".source .here")).to_contain_text("next: weakniss")
    screenshot(page, "problems")

    # The last good version (with the new question) is still what "Try it" holds a conversation on.
    open_try_it(page)
    tap_until(page, "energy_drinks", {"account": "Skip", "location": "Arm or hand", "duration": "Less than 2 weeks"})
    expect(page.locator("#chat .msg.bot[data-step=energy_drinks]")).to_contain_text("energy drinks most days")
    expect(page.locator("#try-version")).to_have_text("on version 2, the last good one")
    expect(page.locator("#live")).to_contain_text("version 3")
    expect(page.locator("#banner")).to_contain_text("use the last good version (2)")
    page.click("#tab-flow")
    expect(new_node).to_be_visible()  # the diagram keeps the last valid drawing

    project.edit(("next: weakniss", "next: weakness"))
    expect(count).to_have_text("0", timeout=LIVE_DEADLINE_MS)
    expect(page.locator("#banner")).to_be_hidden()


def test_an_unsafe_route_is_shown_with_its_counter_example_on_the_diagram(page: Any, project: Project) -> None:
    project.edit(
        (
            '      - {label: "Less than 2 weeks", value: under_2_weeks, range:',
            '      - {label: "Less than 2 weeks", value: under_2_weeks, next: self_care, range:',
        )
    )
    line = project.line_of("value: under_2_weeks, next: self_care")
    page.click("#tab-problems")
    problem = page.locator("#problems li", has_text="duration=under_2_weeks").filter(has_text="unwell=no →")
    expect(problem).to_contain_text(f"twitching.yaml:{line}", timeout=LIVE_DEADLINE_MS)
    expect(problem).to_contain_text("never asks 'weakness'")
    asked = problem.inner_text().split(": ", 1)[1].split(" → ")  # "emergency_now=no → who=me → … → 🟢 self_care"
    problem.locator("button.show-path").click()
    on_path = page.locator("#diagram .node.on-path")
    expect(on_path).to_have_count(len(asked) + 1)  # every step of the counter-example, the outcome, and start
    expect(page.locator('#diagram .node.on-path[data-id="duration"]')).to_be_visible()
    expect(page.locator('#diagram .node.on-path[data-id="self_care"]')).to_be_attached()
    expect(page.locator('#diagram .edge.on-path[data-source="duration"][data-dest="self_care"]')).to_be_attached()
    page.locator('#diagram .node[data-id="duration"]').scroll_into_view_if_needed()
    screenshot(page, "counter-example")

    # A path the routing rules decide is drawn through the routing node.
    project.edit(
        ("value: under_2_weeks, next: self_care, range:", "value: under_2_weeks, range:"),
        (
            '  - outcome: urgent\n    when: {any: [{weakness: "yes"}, {wasting: "yes"}',
            '  - outcome: urgent\n    when: {any: [{wasting: "yes"}',
        ),
    )
    page.click("#tab-problems")
    problem = page.locator("#problems li", has_text="weakness=yes").filter(has_text="→ 🟢 self_care")
    expect(problem).to_contain_text("a red flag answered yes must give 🔴 urgent or higher", timeout=LIVE_DEADLINE_MS)
    problem.locator("button.show-path").click()
    expect(page.locator('#diagram .node.on-path[data-id="flow_routing"]')).to_be_attached()
    expect(page.locator('#diagram .edge.on-path[data-source="breathing"][data-dest="flow_routing"]')).to_be_attached()
    expect(page.locator('#diagram .edge.on-path[data-source="flow_routing"][data-dest="self_care"]')).to_be_attached()
    expect(page.locator('#diagram .edge.on-path[data-source="flow_routing"]')).to_have_count(1)


def test_a_saved_case_runs_and_passes(page: Any, project: Project) -> None:
    failing = own_failures(project)
    open_try_it(page)
    ending = talk(page, by_value({"location": "several", "duration": "under_2_weeks"}))
    assert ending.startswith("🟠"), ending
    page.fill("#case-name", "tried in the studio: twitching in several places is a routine appointment")
    page.click("#save-case")
    expect(page.locator("#save-result")).to_contain_text("twitching-studio.yaml (answers by step); it passes now")
    saved = project.tests / "twitching-studio.yaml"
    text = saved.read_text(encoding="utf-8")
    assert "answers:\n" in text and f'      location: "{by_value({"location": "several"})["location"]}"\n' in text
    assert 'expect: {level: "routine", outcome: "routine"}' in text

    page.click("#tab-tests")
    page.click("#run-tests")
    result = page.locator(
        "#test-results li", has_text="tried in the studio: twitching in several places is a routine appointment"
    )
    expect(result).to_contain_text("PASS", timeout=RUN_DEADLINE_MS)
    expect(page.locator("#test-summary")).to_contain_text(f"{failing} failed")

    workspace = project.workspace()
    good = workspace.reload().good
    assert good is not None
    assert [r.passed for r in run_cases(Engine(good.flows), saved)] == [True]


def test_coverage_lists_a_step_no_case_reaches(page: Any, project: Project) -> None:
    project.edit(
        (
            '      - {label: "Yes", value: "yes",\n         mentions: ["inhaler"',
            '      - {label: "Yes", value: "yes", next: which_medicine,\n         mentions: ["inhaler"',
        ),
        (
            "  # The other reasons for a routine appointment",
            '  - id: which_medicine\n    text: "Which medicine?"\n    topic: "Medicine"\n    next: other_signs\n'
            '    choices:\n      - {label: "An inhaler", value: inhaler}\n      - {label: "Another", value: other}\n\n'
            "  # The other reasons for a routine appointment",
        ),
    )
    line = project.line_of("- id: which_medicine")
    failing = own_failures(project)
    expect(page.locator('#diagram .node[data-id="which_medicine"]')).to_be_visible(timeout=LIVE_DEADLINE_MS)
    (project.tests / "wrong.yaml").write_text(
        'flow: twitching\ndefaults: "no"\ncases:\n  - name: weakness wrongly expected to mean self-care\n'
        '    answers: {location: arm, weakness: "yes"}\n    expect: {level: self_care}\n',
        encoding="utf-8",
    )
    page.click("#tab-tests")
    page.click("#run-tests")
    expect(page.locator("#test-results li.fail")).to_have_count(failing + 1, timeout=RUN_DEADLINE_MS)
    failed = page.locator("#test-results li.fail", has_text="weakness wrongly expected")
    expect(failed).to_have_count(1)
    expect(failed).to_contain_text("FAIL weakness wrongly expected to mean self-care")
    weakness = main_flow().steps["weakness"].text.split("\n")[0]
    expect(failed.locator("pre")).to_contain_text(f"weakness: {weakness}")  # the transcript
    expect(failed.locator("pre")).to_contain_text("✗ expected level 🟢 self_care, but it ended at 🔴 urgent")
    expect(page.locator("#test-summary")).to_contain_text(f"{failing + 1} failed")
    gap = page.locator("#coverage .gaps li", has_text="'which_medicine'")
    expect(gap).to_contain_text("step")
    expect(gap).to_contain_text(f"flows/twitching.yaml:{line}")
    expect(page.locator("#coverage")).to_contain_text("steps")
    screenshot(page, "tests")
