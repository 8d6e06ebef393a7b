"""The studio under hostile or broken input (issue 19): only the project's own files, only well-formed requests.

Each test drives the real server over HTTP, as a browser or a LAN client would.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.studio.conftest import Project, Served
from tests.studio.test_server import STUDIO, request


@pytest.fixture
def studio(project: Project) -> Iterator[Served]:
    running = Served(project.workspace())
    yield running
    running.stop()


def an_emergency(studio: Served) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A finished conversation as the page holds it: "Yes" to the safety question, and the page's log."""
    status, shown = request(studio, "POST", "/api/try", {"flow": "twitching", "kind": "start"}, STUDIO)
    assert status == 200
    pick = {"flow": "twitching", "conversation": shown["conversation"], "kind": "pick"}
    status, shown = request(studio, "POST", "/api/try", {**pick, "step": "emergency_now", "value": "yes"}, STUDIO)
    assert status == 200 and shown["level"] == "emergency"
    return shown["conversation"], [{"step": "emergency_now", "text": "Yes"}]


def save(studio: Served, conversation: dict[str, Any], log: list[dict[str, Any]], name: str = "a case") -> Any:
    return request(studio, "POST", "/api/save", {"name": name, "conversation": conversation, "log": log}, STUDIO)


def test_a_symlink_in_flows_to_a_file_outside_is_never_quoted(project: Project) -> None:
    secret = project.root / "secret.txt"
    secret.write_text("root:x:0:0:not for the page\n", encoding="utf-8")
    (project.flows / "notes.yaml").symlink_to(secret)
    running = Served(project.workspace())
    try:
        status, payload = request(running, "GET", f"/api/source?file={project.flows / 'notes.yaml'}&line=1")
        assert status == 404 and b"root:x" not in (payload if isinstance(payload, bytes) else b"")
        status, payload = request(running, "GET", "/api/source?file=flows/notes.yaml&line=1")
        assert status == 404
    finally:
        running.stop()


def test_save_as_test_case_refuses_a_link_that_leads_out_of_the_case_folder(studio: Served, project: Project) -> None:
    elsewhere = project.root / "elsewhere.yaml"
    (project.tests / "twitching-studio.yaml").symlink_to(elsewhere)  # dangling: writing would create it
    conversation, log = an_emergency(studio)
    status, error = save(studio, conversation, log)
    assert status == 400 and "flows/tests" in error["error"]
    assert not elsewhere.exists()


def test_save_as_test_case_still_writes_a_real_file(studio: Served, project: Project) -> None:
    conversation, log = an_emergency(studio)
    status, saved = save(studio, conversation, log)
    assert status == 200 and saved["file"] == os.path.join("flows", "tests", "twitching-studio.yaml")
    assert 'emergency_now: "Yes"' in (project.tests / "twitching-studio.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("step", 'emergency_now: "Yes"\n#'),
        ("history", 'emergency_now: "Yes"\n#'),
        ("name", "two\nlines"),
    ],
)
def test_case_fields_are_checked_before_anything_is_written(
    studio: Served, project: Project, field: str, value: str
) -> None:
    """The page sends step ids back; one with a newline would be written into the YAML as more YAML."""
    conversation, log = an_emergency(studio)
    name = "a case"
    if field == "step":
        log = [{"step": value, "text": "Yes"}]
        conversation = {**conversation, "history": [value]}
    elif field == "history":
        conversation = {**conversation, "history": [*conversation["history"], value]}
        log = [*log, {"step": value, "text": "Yes"}]
    else:
        name = value
    status, error = save(studio, conversation, log, name)
    assert status == 400 and "error" in error
    assert not (project.tests / "twitching-studio.yaml").exists()


@pytest.mark.parametrize(
    "query",
    [
        "/api/source?file=flows/twitching.yaml&line=abc",
        "/api/source?file=flows/twitching.yaml&line=",
        "/api/source?file=flows/twitching.yaml&line=1e9",
        "/api/source?file=&line=1",
        "/api/source?line=1",
        "/api/node?flow=twitching",
    ],
)
def test_malformed_query_parameters_get_400(studio: Served, query: str) -> None:
    status, _ = request(studio, "GET", query)
    assert status == 400
