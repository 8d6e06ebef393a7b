"""`twitchcheck run --webhook`: several replicas behind one URL, sharing state in the store.

Telegram may deliver an update twice, concurrently, or to another replica. An update is
claimed in the store when it arrives and recorded as seen once it is handled, so a
redelivery of a handled update is answered "duplicate", while one that was never finished
(the replica stopped or crashed) is handled again. That needs a store with leases
(`UpdateLeases`); with one without, the update is recorded as seen when it arrives.
`stop()` lets updates in flight finish either way. Compare-and-set on conversations keeps
each answer to exactly one advance.

The port faces a reverse proxy, but it must survive whatever reaches it: bodies and idle
connections have timeouts, open connections are capped (the rest are closed at once), and
running out of file descriptors pauses accepting instead of logging a traceback per attempt.
Refusals are counted in `twitchcheck_webhook_refused_total`, and logged at most once a minute.
"""

from __future__ import annotations

import asyncio
import errno
import hmac
import json
import logging
import math
import resource
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from telegram import Bot, Update
from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop
from tornado.iostream import IOStream
from tornado.netutil import bind_sockets
from tornado.web import Application as WebApplication
from tornado.web import RequestHandler

from bot.accepting import accept_waiting
from bot.config import Settings
from bot.logs import log_event
from bot.metrics import CONTENT_TYPE, Metrics
from bot.storage.base import ConversationStore, UpdateClaim
from bot.telegram.app import BotRuntime

logger = logging.getLogger("twitchcheck.webhook")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1 << 20
MAX_NESTING = 32
"""Telegram's updates nest about ten levels (a reply's keyboard's buttons); deeper is not an update."""
INT64 = 1 << 63
"""Telegram's ids and dates fit in 64 bits; anything larger cannot be stored or turned into a date."""


@dataclass(frozen=True, slots=True)
class WebhookLimits:
    """How long and how many: what one replica's port allows before it refuses."""

    idle_timeout: float = 15
    """Seconds a connection may take to send a request's headers, or sit idle between requests.
    Telegram and a proxy send at once; only a slow-connection attack waits longer."""
    body_timeout: float = 15
    """Seconds to receive a body of at most 1 MiB."""
    max_connections: int = 512
    """Open connections; more are closed at once. Kept under half the file-descriptor limit."""
    stop_grace: float = 20
    """Seconds `stop()` lets updates in flight finish (systemd's TimeoutStopSec is 30)."""
    lease_seconds: int = 120
    """How long a claimed update stays claimed when a replica dies before finishing it."""
    log_every: float = 60
    """At most one `webhook_overloaded` line per this many seconds."""
    accept_pause: float = 1
    """Seconds to stop accepting when the process is out of file descriptors, so it is not a busy loop."""

    def connection_cap(self) -> int:
        """`max_connections`, lowered to half the process's file-descriptor limit when that is smaller."""
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY:
            return self.max_connections
        return max(1, min(self.max_connections, soft // 2))


@runtime_checkable
class UpdateLeases(Protocol):
    """A store that can hold an update while it is handled, and record it as seen afterwards."""

    async def claim_update(self, update_id: int, lease_seconds: int) -> UpdateClaim:
        """'claimed' (handle it), 'busy' (claimed elsewhere, not yet finished) or 'seen' (handled)."""
        ...

    async def settle_update(self, update_id: int, handled: bool) -> None:
        """Record a handled update as seen, or release the claim on one that was not finished."""
        ...


class SeenOnArrival:
    """For a store without leases: an update counts as seen as soon as it is claimed."""

    def __init__(self, store: ConversationStore) -> None:
        self.store = store

    async def claim_update(self, update_id: int, lease_seconds: int) -> UpdateClaim:
        """Record the update now; a redelivery is 'seen' even if this one is never finished."""
        return "claimed" if await self.store.mark_update_seen(update_id) else "seen"

    async def settle_update(self, update_id: int, handled: bool) -> None:
        """Nothing to do: the update was recorded when it was claimed."""


def leases_for(store: ConversationStore) -> UpdateLeases:
    """The store itself when it supports leases, else the record-on-arrival fallback."""
    return store if isinstance(store, UpdateLeases) else SeenOnArrival(store)


def webhook_path(url: str) -> str:
    """The path part of the public webhook URL (`/` when it has none)."""
    from urllib.parse import urlparse

    return urlparse(url).path or "/"


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _plausible(data: object) -> bool:
    """No nesting deeper than MAX_NESTING, no integer beyond 64 bits, no float that is not finite."""
    stack: list[tuple[object, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > MAX_NESTING:
                return False
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(value, int) and not isinstance(value, bool):
            if not -INT64 <= value < INT64:
                return False
        elif isinstance(value, float) and not math.isfinite(value):
            return False
    return True


def parse_update(body: bytes, bot: Bot) -> Update | None:
    """The update in a POST body, or None when it is not one (answered with 400, never a crash)."""
    try:
        data = json.loads(body, parse_constant=_no_constants)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or not _plausible(data):
        return None
    update_id = data.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool) or update_id < 0:
        return None
    try:
        return Update.de_json(data, bot)
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError, OSError):
        return None


class Intake:
    """Everything between a POST and the update processor: secret, parsing, claims, graceful stop."""

    def __init__(self, runtime: BotRuntime, secret: str, leases: UpdateLeases, lease_seconds: int) -> None:
        self.runtime = runtime
        self.secret = secret
        self.leases = leases
        self.lease_seconds = lease_seconds
        self.stopping = False
        self.handling: set[asyncio.Task[None]] = set()
        self._receiving = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def refused(self) -> Any:
        return self.runtime.metrics.webhook_refused

    async def receive(self, secret: str, body: bytes) -> tuple[int, str]:
        """The HTTP status and body to answer one POST with."""
        self._receiving += 1
        self._idle.clear()
        try:
            return await self._receive(secret, body)
        finally:
            self._receiving -= 1
            if self._receiving == 0:
                self._idle.set()

    async def _receive(self, secret: str, body: bytes) -> tuple[int, str]:
        if self.stopping:  # Telegram retries, and reaches a replica that is not stopping
            self.refused.labels(reason="stopping").inc()
            return 503, "stopping"
        if self.secret and not hmac.compare_digest(secret.encode(), self.secret.encode()):
            self.refused.labels(reason="forbidden").inc()
            return 403, "forbidden"
        update = parse_update(body, self.runtime.application.bot)
        if update is None:
            self.refused.labels(reason="bad_update").inc()
            return 400, "bad update"
        try:
            claim = await self.leases.claim_update(update.update_id, self.lease_seconds)
        except Exception as error:  # noqa: BLE001 - the store is down: Telegram retries later
            log_event(logger, "error", logging.ERROR, error=type(error).__name__, where="webhook_claim")
            self.refused.labels(reason="store_unavailable").inc()
            return 503, "store unavailable"
        if claim == "seen":
            self.runtime.metrics.duplicates.inc()
            return 200, "duplicate"
        if claim == "busy":
            self.refused.labels(reason="in_progress").inc()
            return 503, "in progress"
        task = asyncio.create_task(self._process(update))
        self.handling.add(task)
        task.add_done_callback(self.handling.discard)
        await asyncio.wait({task})
        handled = not task.cancelled() and task.exception() is None
        try:
            await self.leases.settle_update(update.update_id, handled)
        except Exception as error:  # noqa: BLE001 - handled is handled; an unsettled claim just runs out
            log_event(logger, "error", logging.ERROR, error=type(error).__name__, where="webhook_settle")
        if handled:
            return 200, "ok"
        self.refused.labels(reason="not_finished").inc()
        return 503, "not finished"

    async def _process(self, update: Update) -> None:
        app = self.runtime.application
        try:
            await app.update_processor.process_update(update, app.process_update(update))
        except Exception as error:
            log_event(logger, "error", logging.ERROR, error=type(error).__name__, where="webhook")
            raise

    async def drain(self, grace: float) -> None:
        """Refuse new updates, let those in flight finish for `grace` seconds, then cancel the rest."""
        self.stopping = True
        try:
            await asyncio.wait_for(self._idle.wait(), grace)
        except TimeoutError:
            for task in list(self.handling):
                task.cancel()
            await self._idle.wait()


class UpdateEndpoint(RequestHandler):
    """Receives Telegram's POSTs and answers what the intake decides."""

    def initialize(self, intake: Intake) -> None:  # type: ignore[override]
        self.intake = intake

    async def post(self) -> None:
        status, text = await self.intake.receive(self.request.headers.get(SECRET_HEADER, ""), self.request.body)
        self.set_status(status)
        self.finish(text)


class HealthEndpoint(RequestHandler):
    def get(self) -> None:
        self.finish({"status": "ok"})


class MetricsEndpoint(RequestHandler):
    def initialize(self, runtime: BotRuntime) -> None:  # type: ignore[override]
        self.runtime = runtime

    def get(self) -> None:
        self.set_header("Content-Type", CONTENT_TYPE)
        self.finish(self.runtime.metrics.render())


def _log_request(handler: RequestHandler) -> None:
    """Only server errors: one line per 403 or 400 would let anyone fill the log (they are counted)."""
    if handler.get_status() >= 500 and handler.get_status() != 503:
        log_event(logger, "error", logging.ERROR, error=f"HTTP {handler.get_status()}", where="webhook")


def make_web_app(runtime: BotRuntime, settings: Settings, intake: Intake) -> WebApplication:
    path = webhook_path(settings.webhook_url)
    return WebApplication(
        [
            (r"/healthz", HealthEndpoint),
            (r"/metrics", MetricsEndpoint, {"runtime": runtime}),
            (path, UpdateEndpoint, {"intake": intake}),
        ],
        log_function=_log_request,
    )


class CountingHTTPServer(HTTPServer):
    """Tornado's HTTP server, counting its open connections."""

    open_connections = 0

    def handle_stream(self, stream: IOStream, address: tuple[Any, ...]) -> None:
        self.open_connections += 1
        super().handle_stream(stream, address)

    def on_close(self, server_conn: object) -> None:
        self.open_connections -= 1
        super().on_close(server_conn)


class _QuietConnections(logging.Filter):
    """Drop tornado's INFO line per timed-out or malformed connection: an attack would make it a flood."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


class WebhookServer:
    """The bot plus its HTTP server; `start`/`stop` serve tests and production alike."""

    def __init__(self, settings: Settings, runtime: BotRuntime, limits: WebhookLimits | None = None) -> None:
        self.settings = settings
        self.runtime = runtime
        self.limits = limits or WebhookLimits()
        self.intake = Intake(runtime, settings.webhook_secret, leases_for(runtime.store), self.limits.lease_seconds)
        self.server: CountingHTTPServer | None = None
        self.port = settings.webhook_port
        self.cap = self.limits.connection_cap()
        self._sockets: list[socket.socket] = []
        self._quiet = _QuietConnections()
        self._overload = _OverloadLog(runtime.metrics, self.limits.log_every)

    async def start(self, *, register: bool = True) -> None:
        await self.runtime.start(polling=False)
        self.server = CountingHTTPServer(
            make_web_app(self.runtime, self.settings, self.intake),
            idle_connection_timeout=self.limits.idle_timeout,
            body_timeout=self.limits.body_timeout,
            max_body_size=MAX_BODY_BYTES,
            max_buffer_size=MAX_BODY_BYTES * 2,
        )
        self._sockets = bind_sockets(self.settings.webhook_port, address=self.settings.webhook_listen)
        self.port = self._sockets[0].getsockname()[1]
        try:
            for sock in self._sockets:
                self._accept_from(sock)
            if register:
                await self.runtime.application.bot.set_webhook(
                    self.settings.webhook_url,
                    secret_token=self.settings.webhook_secret or None,
                    allowed_updates=Update.ALL_TYPES,
                )
        except BaseException:
            self._close_listeners()  # a retried start must find the port free
            raise
        logging.getLogger("tornado.general").addFilter(self._quiet)
        log_event(logger, "webhook_listening", address=self.settings.webhook_listen, port=self.port)

    def _accept_from(self, sock: socket.socket) -> None:
        IOLoop.current().add_handler(sock, self._accepter(sock), IOLoop.READ)

    def _accepter(self, sock: socket.socket) -> Callable[[Any, int], None]:
        def accept(fd: Any, events: int) -> None:
            accept_waiting(sock, self._handle, lambda error: self._pause_accepting(sock, error))

        return accept

    def _handle(self, connection: socket.socket, address: Any) -> None:
        """Serve an accepted connection, or close it at once when the server is at its connection cap."""
        server = self.server
        if server is None or server.open_connections >= self.cap:
            connection.close()
            self._overload.note("connection_cap", self.cap)
            return
        server.handle_stream(IOStream(connection, max_buffer_size=MAX_BODY_BYTES * 2), address)

    def _pause_accepting(self, sock: socket.socket, error: OSError) -> None:
        loop = IOLoop.current()
        loop.remove_handler(sock)
        reason = errno.errorcode.get(error.errno or 0, "accept_error").lower()  # emfile, enfile, enobufs…
        self._overload.note(reason, self.server.open_connections if self.server else 0)

        def resume() -> None:
            if sock in self._sockets:
                self._accept_from(sock)

        loop.call_later(self.limits.accept_pause, resume)

    def _close_listeners(self) -> None:
        for sock in self._sockets:
            IOLoop.current().remove_handler(sock)
            sock.close()
        self._sockets = []

    async def stop(self) -> None:
        """Stop accepting, let updates in flight finish, then close connections and stop the bot."""
        self._close_listeners()
        await self.intake.drain(self.limits.stop_grace)
        if self.server is not None:
            await self.server.close_all_connections()
        logging.getLogger("tornado.general").removeFilter(self._quiet)
        await self.runtime.stop()


class _OverloadLog:
    """Counts refused connections; logs one `webhook_overloaded` line per `every` seconds at most."""

    def __init__(self, metrics: Metrics, every: float) -> None:
        self.metrics = metrics
        self.every = every
        self._last = -math.inf
        self._since = 0

    def note(self, reason: str, open_connections: int) -> None:
        self.metrics.webhook_refused.labels(reason=reason).inc()
        self._since += 1
        now = time.monotonic()
        if now - self._last >= self.every:
            log_event(
                logger, "webhook_overloaded", logging.WARNING, reason=reason, refused=self._since, open=open_connections
            )
            self._last, self._since = now, 0
