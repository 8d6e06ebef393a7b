"""The studio's web server (tornado, already installed with python-telegram-bot's webhook extra).

One page, a small JSON API and an event stream. Ten times a second the server looks at the
watched files' sizes and times; when one changed it reloads (about 0.15 s for the shipped flow)
and tells every open page, which fetches the new state: that is the whole "live" loop.

It serves 127.0.0.1 only unless told otherwise, answers only requests addressed to that host
and port (a web page elsewhere cannot reach it through DNS rebinding), and takes writes only as
JSON with an `X-Studio` header, which a cross-site form cannot send without the page's consent.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from tornado.httpserver import HTTPServer
from tornado.ioloop import PeriodicCallback
from tornado.iostream import StreamClosedError
from tornado.locks import Condition
from tornado.netutil import bind_sockets
from tornado.web import Application, HTTPError, RequestHandler, StaticFileHandler

from bot.studio import present
from bot.studio.testing import run_tests
from bot.studio.trial import TrialError, save_case, turn
from bot.studio.workspace import Workspace

STATIC = Path(__file__).parent / "static"
WATCH_EVERY_MS = 100
"""How often the files are looked at: well inside the one second a maintainer may wait after saving."""
KEEP_ALIVE = timedelta(seconds=15)
SOURCE_CONTEXT = 3
"""Lines shown above and below a problem's line."""


class Studio:
    """The workspace being served, the hosts it answers to, and the signal that wakes open pages."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.changed = Condition()
        self.closing = False
        self.hosts: set[str] = set()

    def tick(self) -> None:
        """Reload if a file changed, and wake every page waiting on the event stream."""
        if self.workspace.poll():
            self.changed.notify_all()

    def close(self) -> None:
        """Let every open event stream finish, so the server stops without waiting on them."""
        self.closing = True
        self.changed.notify_all()


class _Handler(RequestHandler):
    def initialize(self, studio: Studio) -> None:
        self.studio = studio

    def prepare(self) -> None:
        if self.request.host not in self.studio.hosts:
            raise HTTPError(403, "the studio answers only on its own address")
        if self.request.method == "POST" and (
            self.request.headers.get("X-Studio") != "1"
            or not self.request.headers.get("Content-Type", "").startswith("application/json")
        ):
            raise HTTPError(403, "writes come from the studio page only")

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")

    def body(self) -> dict[str, Any]:
        try:
            data = json.loads(self.request.body or b"{}")
        except ValueError:
            raise HTTPError(400, "the body is not JSON") from None
        if not isinstance(data, dict):
            raise HTTPError(400, "the body must be a JSON object")
        return data

    def number(self, name: str, default: int) -> int:
        """A whole-number query parameter; 400, never 500, when it is not one."""
        given = self.get_argument(name, str(default)).strip()
        if not given.isascii() or not given.lstrip("-").isdigit() or len(given) > 9:
            raise HTTPError(400, f"{name} must be a whole number")
        return int(given)

    def reply(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps(data, ensure_ascii=False))


class PageHandler(_Handler):
    def get(self) -> None:
        """The page; everything else it shows comes from the API."""
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'")
        self.finish((STATIC / "index.html").read_bytes())


class StateHandler(_Handler):
    def get(self) -> None:
        """Diagrams, problems and versions of the files as they are now."""
        self.reply(present.state(self.studio.workspace.snapshot, self.studio.workspace))


class NodeHandler(_Handler):
    def get(self) -> None:
        """One step or outcome of the drawn version, for the panel beside the diagram."""
        found = present.node(self.studio.workspace.snapshot, self.get_argument("flow"), self.get_argument("id"))
        if found is None:
            raise HTTPError(404)
        self.reply(found)


class SourceHandler(_Handler):
    def get(self) -> None:
        """The lines around a problem, from a watched file only."""
        name = self.get_argument("file")
        if not name:
            raise HTTPError(400, "file must name a file")
        line = self.number("line", 1)
        file = Path(name)
        if not self.studio.workspace.watches(file):
            raise HTTPError(404)
        lines = file.resolve().read_text(encoding="utf-8", errors="replace").splitlines()
        first = max(1, line - SOURCE_CONTEXT)
        shown = [{"number": n, "text": lines[n - 1]} for n in range(first, min(len(lines), line + SOURCE_CONTEXT) + 1)]
        self.reply({"file": self.studio.workspace.relative(str(file)), "line": line, "lines": shown})


class EventsHandler(_Handler):
    async def get(self) -> None:
        """Server-sent events: the version number, each time the files are reloaded."""
        self.set_header("Content-Type", "text/event-stream")
        seen = -1
        while not self.studio.closing:
            version = self.studio.workspace.snapshot.version
            self.write(f"data: {version}\n\n" if version != seen else ": still here\n\n")
            seen = version
            try:
                await self.flush()
            except StreamClosedError:
                return
            if self.studio.workspace.snapshot.version == seen and not self.studio.closing:
                await self.studio.changed.wait(timeout=KEEP_ALIVE)
        self.finish()


class TryHandler(_Handler):
    def post(self) -> None:
        """One turn of "Try it", on the last good version."""
        data = self.body()
        snapshot = self.studio.workspace.snapshot
        if snapshot.good is None or snapshot.engine is None:
            self.reply({"error": "no version of the flows has passed `check` yet: fix the problems first"}, 409)
            return
        try:
            shown = turn(snapshot.good, snapshot.engine, str(data.get("flow", "")), data.get("conversation"), data)
        except (TrialError, KeyError, TypeError, ValueError) as error:
            self.reply({"error": str(error)}, 400)
            return
        self.reply({**shown, "version": snapshot.good_version})


class SaveHandler(_Handler):
    def post(self) -> None:
        """Save the conversation on screen as a test case in the case folder."""
        data = self.body()
        snapshot = self.studio.workspace.snapshot
        if snapshot.engine is None:
            self.reply({"error": "no good version to replay the conversation on"}, 409)
            return
        try:
            saved = save_case(
                snapshot.engine,
                self.studio.workspace.tests_dir,
                str(data.get("name", "")),
                data.get("conversation") or {},
                list(data.get("log") or []),
            )
        except (TrialError, KeyError, TypeError, ValueError) as error:
            self.reply({"error": str(error)}, 400)
            return
        self.studio.tick()
        self.reply(
            {
                "file": self.studio.workspace.relative(str(saved.file)),
                "name": saved.name,
                "form": saved.form,
                "text": saved.text,
            }
        )


class TestsHandler(_Handler):
    async def post(self) -> None:
        """Run every case and corpus on the last good version, away from the loop that serves the page."""
        snapshot = self.studio.workspace.snapshot
        if snapshot.engine is None:
            self.reply({"error": "no good version to test"}, 409)
            return
        workspace = self.studio.workspace
        report = await asyncio.get_running_loop().run_in_executor(
            None, run_tests, snapshot.engine, workspace.tests_dir, workspace.relative
        )
        self.reply({**report, "version": snapshot.good_version})


def application(studio: Studio) -> Application:
    """The page, its static files and the API, all bound to one studio."""
    handlers: list[Any] = [
        (r"/", PageHandler, {"studio": studio}),
        (r"/api/state", StateHandler, {"studio": studio}),
        (r"/api/node", NodeHandler, {"studio": studio}),
        (r"/api/source", SourceHandler, {"studio": studio}),
        (r"/api/events", EventsHandler, {"studio": studio}),
        (r"/api/try", TryHandler, {"studio": studio}),
        (r"/api/save", SaveHandler, {"studio": studio}),
        (r"/api/tests", TestsHandler, {"studio": studio}),
        (r"/static/(.*)", StaticFileHandler, {"path": str(STATIC)}),
    ]
    return Application(handlers)


def listen(studio: Studio, host: str, port: int) -> tuple[HTTPServer, int]:
    """Bind (port 0 picks a free one), remember the addresses the page may be reached by; return the port."""
    sockets = bind_sockets(port, host, family=socket.AF_INET if ":" not in host else socket.AF_UNSPEC)
    bound = sockets[0].getsockname()[1]
    names = {host, "localhost", "127.0.0.1", "[::1]"} if host in ("127.0.0.1", "localhost", "::1") else {host}
    studio.hosts = {f"{name}:{bound}" for name in names}
    server = HTTPServer(application(studio))
    server.add_sockets(sockets)
    return server, bound


async def serve(studio: Studio, host: str, port: int, stop: asyncio.Event, started: Any = None) -> None:
    """Serve until `stop` is set; `started(port)` is called once the page can be opened."""
    studio.tick()
    server, bound = listen(studio, host, port)
    watcher = PeriodicCallback(studio.tick, WATCH_EVERY_MS)
    watcher.start()
    if started is not None:
        started(bound)
    try:
        await stop.wait()
    finally:
        watcher.stop()
        studio.close()
        server.stop()
        await asyncio.sleep(0)  # let the event streams see `closing` and finish
        await server.close_all_connections()


def run_studio(workspace: Workspace, host: str, port: int) -> int:
    """`twitchcheck studio`: serve until Ctrl+C."""
    studio = Studio(workspace)

    def started(bound: int) -> None:
        shown = f"[{host}]" if ":" in host else host
        print(
            f"TwitchCheck flow studio: http://{shown}:{bound}/  (watching {len(workspace.files())} files; Ctrl+C stops)"
        )

    async def main() -> None:
        await serve(studio, host, port, asyncio.Event(), started)

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        print("\nstudio stopped")
    except OSError as error:  # the port is taken, or the address is not this machine's
        print(
            f"error: cannot serve on {host}:{port}: {error.strerror or error}; choose another with --port",
            file=sys.stderr,
        )
        return 1
    return 0
