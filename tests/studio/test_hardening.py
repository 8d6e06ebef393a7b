"""The studio under hostile or broken input (issue 19): only the project's own files, only well-formed requests.

Each test drives the real server over HTTP, as a browser or a LAN client would.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.studio.conftest import ROOT, Project, Served
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


# -- who may reach it ----------------------------------------------------------------------------------------


def test_a_wildcard_bind_answers_on_the_address_it_is_reached_on_and_no_other(project: Project) -> None:
    """`--host 0.0.0.0 --allow-remote`: a browser at the machine's address gets the page; a LAN client that
    writes `Host: 0.0.0.0:PORT` (an address no request can arrive on) does not."""
    running = Served(project.workspace(), host="0.0.0.0")
    try:
        status, _ = request(running, "GET", "/api/state")  # reached on 127.0.0.1, as Host says
        assert status == 200
        for host in (f"0.0.0.0:{running.port}", f"attacker.example:{running.port}", f"127.0.0.1:{running.port + 1}"):
            status, _ = request(running, "GET", "/api/state", headers={"Host": host})
            assert status == 403, host
    finally:
        running.stop()


def studio_command(project: Project, *args: str, limit: int | None = None) -> subprocess.Popen[str]:
    """`twitchcheck studio ARGS` in the project, optionally with a lower limit on open files."""
    code = "import sys; from bot.cli import main; sys.exit(main(sys.argv[1:]))"
    if limit is not None:
        code = f"import resource; resource.setrlimit(resource.RLIMIT_NOFILE, ({limit}, {limit})); " + code
    return subprocess.Popen(
        [sys.executable, "-c", code, "studio", *args],
        cwd=project.root,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_remote_host_needs_allow_remote(project: Project) -> None:
    refused = studio_command(project, "--host", "0.0.0.0", "--port", "0")
    out, err = refused.communicate(timeout=120)
    assert refused.returncode == 2 and out == ""
    assert err.startswith("error: --host 0.0.0.0 lets other machines read the flows") and "--allow-remote" in err


def test_a_remote_host_with_allow_remote_warns_then_serves(project: Project) -> None:
    running = studio_command(project, "--host", "0.0.0.0", "--port", "0", "--allow-remote")
    try:
        assert running.stdout is not None and running.stderr is not None
        warning = running.stderr.readline()
        assert warning.startswith("warning: the studio is reachable from other machines on 0.0.0.0")
        assert running.stdout.readline().startswith("TwitchCheck flow studio: http://0.0.0.0:")
    finally:
        running.send_signal(signal.SIGINT)
        running.communicate(timeout=120)


class Lines:
    """Reads a stream on a thread, keeping counts and the first lines only (the bug wrote 1.1 GB of tracebacks)."""

    def __init__(self, stream: Any) -> None:
        self.first: list[str] = []
        self.tracebacks = 0
        self.notes = 0
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream: Any) -> None:
        for line in stream:
            if len(self.first) < 20:
                self.first.append(line)
            self.tracebacks += line.startswith("Traceback")
            self.notes += "cannot accept connections" in line


def test_at_the_file_limit_it_stops_accepting_and_says_so_once(project: Project) -> None:
    """About 1,150 event streams under a 1,024 file limit made the studio log 1.1 GB of tracebacks (issue 19).
    Here: a limit of 64 and 120 connections; one line, no traceback, and it serves again once they close."""
    running = studio_command(project, "--port", "0", limit=64)
    held: list[socket.socket] = []
    err: Lines | None = None
    try:
        assert running.stdout is not None and running.stderr is not None
        first = running.stdout.readline()
        port = int(first.split("127.0.0.1:")[1].split("/")[0])
        err = Lines(running.stderr)
        for _ in range(120):
            held.append(socket.create_connection(("127.0.0.1", port), timeout=10))
        deadline = time.monotonic() + 20
        while not err.notes:
            assert time.monotonic() < deadline, f"no note about the file limit; stderr began: {err.first}"
            assert not err.tracebacks, err.first
            time.sleep(0.05)  # waiting for the other process's output, with a deadline; not timing anything
        for sock in held:
            sock.close()
        held.clear()
        deadline = time.monotonic() + 20
        while True:  # it accepts again after its pause
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            try:
                connection.request("GET", "/api/state", headers={"Host": f"127.0.0.1:{port}"})
                if connection.getresponse().status == 200:
                    break
            except OSError:
                assert time.monotonic() < deadline, "it did not serve again"
            finally:
                connection.close()
    finally:
        for sock in held:
            sock.close()
        running.send_signal(signal.SIGINT)
        running.wait(timeout=120)
        if err is not None:
            err.thread.join(10)
        for pipe in (running.stdout, running.stderr):
            if pipe is not None:
                pipe.close()
    assert err is not None and err.tracebacks == 0 and err.notes == 1, err and err.first


def test_an_editor_url_that_names_no_file_is_refused(project: Project) -> None:
    refused = studio_command(project, "--port", "0", "--editor", "subl://open")
    out, err = refused.communicate(timeout=120)
    assert refused.returncode == 2 and out == ""
    assert err.startswith("error: --editor 'subl://open' names no file; put {path} (or {file}) and {line} in it")
