"""How long from saving a flow file to the studio page showing it: `python -m tests.studio.measure_live [N]`.

A script, not a test, so the test run stays free of timing (the browser test only holds the
issue's 2 s deadline). The page is checked at every frame (about every 16 ms), so the times are
not rounded up to a polling interval. It serves a copy of flows/ and content/, opens the page in headless
Chromium, then N times adds a question to the flow (or breaks it) and waits for the diagram
(or the problem count) to show it, printing each time and the median.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tests.studio.conftest import ROOT, Project, Served, find_chromium

ADDED = (
    '  - id: added_{n}\n    text: "Question {n}?"\n    topic: "Q{n}"\n    next: worry\n    choices:\n'
    '      - {{label: "Yes", value: "yes"}}\n      - {{label: "No", value: "no"}}\n\n'
)


def main(rounds: int) -> None:
    from playwright.sync_api import expect, sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        shutil.copytree(ROOT / "flows", root / "flows")
        shutil.copytree(ROOT / "content" / "en", root / "content" / "en")
        project = Project(root)
        served = Served(project.workspace())
        redrawn: list[float] = []
        shown: list[float] = []
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=find_chromium())
                page = browser.new_page(bypass_csp=True)  # the page allows no eval; the frame-by-frame check needs it
                page.goto(served.url)
                page.locator("#diagram svg .node").first.wait_for()
                for n in range(rounds):
                    started = time.monotonic()
                    project.edit(
                        ("  - id: worry\n", ADDED.format(n=n) + "  - id: worry\n"),
                        ('value: "no", next: worry', f'value: "no", next: added_{n}'),
                    )
                    page.wait_for_function(
                        f"document.querySelector('#diagram .node[data-id=added_{n}]')", polling="raf"
                    )
                    redrawn.append(time.monotonic() - started)
                    started = time.monotonic()
                    project.edit((f"next: added_{n},", f"next: added_{n}x,"))
                    page.wait_for_function(
                        "document.querySelector('#problem-count').textContent !== '0'", polling="raf"
                    )
                    shown.append(time.monotonic() - started)
                    project.edit((f"next: added_{n}x,", "next: worry,"), (ADDED.format(n=n), ""))
                    expect(page.locator("#problem-count")).to_have_text("0", timeout=5000)
                    print(
                        f"save {n + 1}: new question drawn in {redrawn[-1]:.3f} s, broken save shown {shown[-1]:.3f} s"
                    )
                browser.close()
        finally:
            served.stop()
    print(
        f"median of {rounds}: new question {statistics.median(redrawn):.3f} s (max {max(redrawn):.3f}), "
        f"problem {statistics.median(shown):.3f} s (max {max(shown):.3f})"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
