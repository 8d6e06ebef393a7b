"""The studio's web server (tornado, already installed with python-telegram-bot's webhook extra).

One page, a small JSON API and an event stream. Ten times a second the server looks at the
watched files' sizes and times; when one changed it reloads (about 0.15 s for the shipped flow)
and tells every open page, which fetches the new state: that is the whole "live" loop.

It serves 127.0.0.1 only unless told otherwise (another address needs `--allow-remote`), answers
only requests addressed to the address and port they arrive on (a web page elsewhere cannot reach it
through DNS rebinding, and `Host: 0.0.0.0` names no address a request arrives on), and takes writes
only as JSON with an `X-Studio` header, which a cross-site form cannot send without the page's
consent. Out of file descriptors, it pauses accepting and says so once a minute (`Listener`).
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import json
import math
import socket
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop, PeriodicCallback
from tornado.iostream import IOStream, StreamClosedError
from tornado.locks import Condition, Lock
from tornado.netutil import bind_sockets
from tornado.web import Application, HTTPError, RequestHandler, StaticFileHandler

from bot.accepting import accept_waiting
from bot.studio import present
from bot.studio.testing import Apart
from bot.studio.trial import TrialError, save_case, turn
from bot.studio.workspace import Workspace

STATIC = Path(__file__).parent / "static"
WATCH_EVERY_MS = 100
"""How often the files are looked at: well inside the one second a maintainer may wait after saving."""
KEEP_ALIVE = timedelta(seconds=15)
ACCEPT_PAUSE = 1.0
"""Seconds without accepting once the process is out of file descriptors, so it is not a busy loop."""
REFUSED_LOG_EVERY = 60.0
"""At most one line a minute about refused connections, however many there are."""
WILDCARDS = ("0.0.0.0", "::", "")
"""Bind addresses that mean "every interface": never the address a request reaches, so never a `Host`."""
SOURCE_CONTEXT = 3
"""Lines shown above and below a problem's line."""
QUIET = 0.5
"""Seconds without a reload before a test run a save stopped starts again: saves come in bursts."""
DEFAULT_EDITOR = "vscode://file/{path}:{line}"
"""How a `file:line` link opens the maintainer's editor unless `--editor` says otherwise: VS Code's own URL
(others: `idea://open?file={path}&line={line}`, `subl://open?url=file://{path}&line={line}`)."""


class Studio:
    """The workspace being served, the hosts it answers to, and the signal that wakes open pages."""

    def __init__(self, workspace: Workspace, editor: str = DEFAULT_EDITOR) -> None:
        self.workspace = workspace
        self.editor = editor
        self.changed = Condition()
        self.closing = False
        self.hosts: set[str] = set()
        self.listener: Listener | None = None
        self.tested: tuple[int, dict[str, Any]] | None = None
        """The last test report and the good version it ran on: every open page asking for it shares one run."""
        self.testing = Lock()
        self.run: Apart | None = None

    async def report(self) -> tuple[int, dict[str, Any]] | None:
        """The tests' report on the last good version, run once per version in a child process; a save while
        it runs stops it and it runs again on the newest good version. None when no version is good yet."""
        async with self.testing:
            while True:
                snapshot = self.workspace.snapshot
                if snapshot.engine is None:
                    return None
                if self.tested is not None and self.tested[0] == snapshot.good_version:
                    return self.tested
                workspace, self.run = self.workspace, Apart()
                report = await asyncio.get_running_loop().run_in_executor(
                    None, self.run.run, snapshot.engine, workspace.tests_dir, workspace.relative
                )
                if report is not None:
                    self.tested = (snapshot.good_version, report)
                    continue
                while time.time() - self.workspace.snapshot.loaded_at < QUIET:  # stopped by a save: let it settle
                    await asyncio.sleep(QUIET / 5)

    def tick(self) -> None:
        """Reload if a file changed, and wake every page waiting on the event stream."""
        if self.run is not None and self.workspace.sign() != self.workspace.signature:
            self.run.stop()  # the reload comes first; the tests run again on what it loads
        if self.workspace.poll():
            self.changed.notify_all()

    def close(self) -> None:
        """Let every open event stream finish, and stop a test run, so the server stops without waiting on them."""
        self.closing = True
        if self.run is not None:
            self.run.stop()
        self.changed.notify_all()


class _Handler(RequestHandler):
    def initialize(self, studio: Studio) -> None:
        self.studio = studio

    def prepare(self) -> None:
        if self.request.host not in self.studio.hosts and self.request.host != self.reached_on():
            raise HTTPError(403, "the studio answers only on its own address")
        if self.request.method == "POST" and (
            self.request.headers.get("X-Studio") != "1"
            or not self.request.headers.get("Content-Type", "").startswith("application/json")
        ):
            raise HTTPError(403, "writes come from the studio page only")

    def reached_on(self) -> str | None:
        """The address and port this request came in on, as a browser writes it in `Host`."""
        stream = getattr(self.request.connection, "stream", None)
        try:
            address, port = stream.socket.getsockname()[:2]  # type: ignore[union-attr]
        except (AttributeError, OSError, TypeError, ValueError):
            return None
        return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"

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
        self.reply(
            {**present.state(self.studio.workspace.snapshot, self.studio.workspace), "editor": self.studio.editor}
        )


class NodeHandler(_Handler):
    def get(self) -> None:
        """One step or outcome of the drawn version, for the panel beside the diagram."""
        workspace = self.studio.workspace
        found = present.node(workspace.snapshot, self.get_argument("flow"), self.get_argument("id"), workspace.relative)
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
            shown = turn(
                snapshot.good,
                snapshot.engine,
                str(data.get("flow", "")),
                data.get("conversation"),
                data,
                self.studio.workspace.relative,
            )
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
        """Every case and corpus on the last good version: run once per version, however many pages ask."""
        try:
            tested = await self.studio.report()
        except RuntimeError as error:
            self.reply({"error": str(error)}, 500)
            return
        if tested is None:
            self.reply({"error": "no good version to test"}, 409)
            return
        version, report = tested
        self.reply({**report, "version": version})


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
    if is_loopback(host):
        names = {host, "localhost", "127.0.0.1", "[::1]"}
    else:  # a wildcard is never a real address; each request is also accepted on the address it came in on
        names = set() if host in WILDCARDS else {f"[{host}]" if ":" in host else host}
    studio.hosts = {f"{name}:{bound}" for name in names}
    server = HTTPServer(application(studio))
    studio.listener = Listener(server, sockets)
    studio.listener.start()
    return server, bound


class Listener:
    """Accepts the studio's connections. Out of file descriptors (EMFILE) it stops accepting for `pause`
    seconds and says so at most once a minute, where tornado's own accept loop would retry at once and log
    a traceback per attempt (issue 19: 1.1 GB of them in 7 s), the way the webhook does (bot/telegram/webhook.py).
    """

    def __init__(
        self,
        server: HTTPServer,
        sockets: list[socket.socket],
        *,
        pause: float = ACCEPT_PAUSE,
        every: float = REFUSED_LOG_EVERY,
        clock: Callable[[], float] = time.monotonic,
        say: Callable[[str], object] = lambda line: print(line, file=sys.stderr, flush=True),
    ) -> None:
        self.server, self.sockets = server, sockets
        self.pause, self.every, self.clock, self.say = pause, every, clock, say
        self._last = -math.inf
        self._since = 0

    def start(self) -> None:
        for sock in self.sockets:
            IOLoop.current().add_handler(sock, self._accepter(sock), IOLoop.READ)

    def stop(self) -> None:
        for sock in self.sockets:
            IOLoop.current().remove_handler(sock)
            sock.close()
        self.sockets = []

    def _accepter(self, sock: socket.socket) -> Callable[[Any, int], None]:
        def accept(fd: Any, events: int) -> None:
            accept_waiting(
                sock,
                lambda connection, address: self.server.handle_stream(IOStream(connection), address),
                lambda error: self._paused(sock, error),
            )

        return accept

    def _paused(self, sock: socket.socket, error: OSError) -> None:
        loop = IOLoop.current()
        loop.remove_handler(sock)
        self._since += 1
        now = self.clock()
        if now - self._last >= self.every:
            reason = errno.errorcode.get(error.errno or 0, "accept error")
            self.say(
                f"studio: cannot accept connections ({reason}: {error.strerror or error}); pausing {self.pause:g} s "
                f"each time, {self._since} time(s) since the last note; close some pages or raise `ulimit -n`"
            )
            self._last, self._since = now, 0

        def resume() -> None:
            if sock in self.sockets:
                loop.add_handler(sock, self._accepter(sock), IOLoop.READ)

        loop.call_later(self.pause, resume)


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
        if studio.listener is not None:
            studio.listener.stop()
        await asyncio.sleep(0)  # let the event streams see `closing` and finish
        await server.close_all_connections()


def is_loopback(host: str) -> bool:
    """True for an address only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def run_studio(
    workspace: Workspace, host: str, port: int, *, allow_remote: bool = False, editor: str | None = None
) -> int:
    """`twitchcheck studio`: serve until Ctrl+C; an address other machines can reach needs `allow_remote`."""
    if not is_loopback(host):
        if not allow_remote:
            print(
                f"error: --host {host} lets other machines read the flows, run the tests and save cases; "
                "add --allow-remote if that is what you want, or leave --host out (127.0.0.1, this machine only)",
                file=sys.stderr,
            )
            return 2
        print(
            f"warning: the studio is reachable from other machines on {host}, with no password: anyone who can "
            "reach this port can read the flows, run the tests and save cases",
            file=sys.stderr,
        )
    pattern = editor or DEFAULT_EDITOR
    if "{path}" not in pattern and "{file}" not in pattern:
        print(
            f"error: --editor {pattern!r} names no file; put {{path}} (or {{file}}) and {{line}} in it", file=sys.stderr
        )
        return 2
    studio = Studio(workspace, pattern)

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
