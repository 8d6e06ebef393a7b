"""The studio's server, without a browser: it answers only on its own address, and writes only for its own page."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.studio.conftest import Project, Served


@pytest.fixture
def studio(project: Project) -> Iterator[Served]:
    running = Served(project.workspace())
    yield running
    running.stop()


def request(
    served: Served, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    sent = {"Host": f"127.0.0.1:{served.port}", **(headers or {})}
    data = json.dumps(body).encode() if body is not None else None
    connection.request(method, path, body=data, headers=sent)
    response = connection.getresponse()
    payload = response.read()
    connection.close()
    kind = response.getheader("Content-Type", "")
    return response.status, json.loads(payload) if kind.startswith("application/json") else payload


STUDIO = {"Content-Type": "application/json", "X-Studio": "1"}


def test_it_serves_the_page_and_the_state(studio: Served) -> None:
    status, page = request(studio, "GET", "/")
    assert status == 200 and b"<title>TwitchCheck flow studio</title>" in page
    status, state = request(studio, "GET", "/api/state")
    assert status == 200 and state["good"] is True and [flow["id"] for flow in state["flows"]] == ["twitching"]
    assert state["flows"][0]["svg"].startswith("<svg")
    assert state["editor"] == "vscode://file/{path}:{line}"  # the default link to the maintainer's editor


def test_a_request_for_another_host_is_refused(studio: Served) -> None:
    """A site that points its own name at 127.0.0.1 (DNS rebinding) still cannot read the studio."""
    status, _ = request(studio, "GET", "/api/state", headers={"Host": f"attacker.example:{studio.port}"})
    assert status == 403


def test_writes_need_the_pages_own_header(studio: Served, project: Project) -> None:
    """A form on another site can post text/plain, never JSON with X-Studio, so it cannot save a case."""
    conversation = {"flow": "twitching", "step": "emergency_now"}
    status, _ = request(studio, "POST", "/api/save", {"name": "x", "conversation": conversation, "log": []})
    assert status == 403
    status, _ = request(
        studio,
        "POST",
        "/api/save",
        {"name": "x", "conversation": conversation, "log": []},
        headers={"Content-Type": "text/plain"},
    )
    assert status == 403
    assert not (project.tests / "twitching-studio.yaml").exists()


def test_only_watched_files_are_quoted(studio: Served, project: Project) -> None:
    status, found = request(studio, "GET", f"/api/source?file={project.flow}&line=3")
    assert status == 200 and [line["number"] for line in found["lines"]] == [1, 2, 3, 4, 5, 6]
    outside = project.root / "secret.txt"
    outside.write_text("not for the page", encoding="utf-8")
    status, _ = request(studio, "GET", f"/api/source?file={outside}&line=1")
    assert status == 404


def test_try_it_turns_and_their_errors(studio: Served) -> None:
    status, shown = request(studio, "POST", "/api/try", {"flow": "twitching", "kind": "start"}, STUDIO)
    assert status == 200 and shown["step"] == "emergency_now" and shown["version"] == 1
    action = {"flow": "twitching", "conversation": shown["conversation"], "kind": "pick"}
    status, shown = request(studio, "POST", "/api/try", {**action, "step": "emergency_now", "value": "yes"}, STUDIO)
    assert status == 200 and shown["level"] == "emergency" and shown["messages"][0]["html"].startswith("🚨")
    status, error = request(studio, "POST", "/api/try", {"flow": "nope", "kind": "start"}, STUDIO)
    assert status == 400 and error == {"error": "no flow 'nope' in the last good version"}
