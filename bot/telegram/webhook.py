"""`twitchcheck run --webhook`: several replicas behind one URL, sharing state in the store.

Telegram may deliver an update twice, concurrently, or to another replica; the store's
update-id record drops redeliveries, and compare-and-set on conversations keeps each
answer to exactly one advance.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging

from telegram import Bot, Update
from tornado.httpserver import HTTPServer
from tornado.web import Application as WebApplication
from tornado.web import RequestHandler

from bot.bootstrap import Loaded
from bot.config import Settings
from bot.logs import log_event
from bot.metrics import CONTENT_TYPE
from bot.telegram.app import BotRuntime

logger = logging.getLogger("twitchcheck.webhook")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1 << 20


def webhook_path(url: str) -> str:
    """The path part of the public webhook URL (`/` when it has none)."""
    from urllib.parse import urlparse

    return urlparse(url).path or "/"


def parse_update(body: bytes, bot: Bot) -> Update | None:
    """The update in a POST body, or None when it is not one (answered with 400, never a crash)."""
    try:
        data = json.loads(body)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return None
        return Update.de_json(data, bot)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


class UpdateEndpoint(RequestHandler):
    """Receives Telegram's POSTs: verify the secret, drop redeliveries, process in per-chat order."""

    def initialize(self, runtime: BotRuntime, secret: str) -> None:  # type: ignore[override]
        self.runtime = runtime
        self.secret = secret

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "")
        if self.secret and not hmac.compare_digest(given.encode(), self.secret.encode()):
            self.set_status(403)
            self.finish("forbidden")
            return
        update = parse_update(self.request.body, self.runtime.application.bot)
        if update is None:
            self.set_status(400)
            self.finish("bad update")
            return
        if not await self.runtime.store.mark_update_seen(update.update_id):
            self.runtime.metrics.duplicates.inc()
            self.finish("duplicate")
            return
        app = self.runtime.application
        await app.update_processor.process_update(update, app.process_update(update))
        self.finish("ok")


class HealthEndpoint(RequestHandler):
    def get(self) -> None:
        self.finish({"status": "ok"})


class MetricsEndpoint(RequestHandler):
    def initialize(self, runtime: BotRuntime) -> None:  # type: ignore[override]
        self.runtime = runtime

    def get(self) -> None:
        self.set_header("Content-Type", CONTENT_TYPE)
        self.finish(self.runtime.metrics.render())


def make_web_app(runtime: BotRuntime, settings: Settings) -> WebApplication:
    path = webhook_path(settings.webhook_url)
    return WebApplication(
        [
            (r"/healthz", HealthEndpoint),
            (r"/metrics", MetricsEndpoint, {"runtime": runtime}),
            (path, UpdateEndpoint, {"runtime": runtime, "secret": settings.webhook_secret}),
        ]
    )


class WebhookServer:
    """The bot plus its HTTP server; `start`/`stop` serve tests and production alike."""

    def __init__(self, settings: Settings, runtime: BotRuntime) -> None:
        self.settings = settings
        self.runtime = runtime
        self.server: HTTPServer | None = None
        self.port = settings.webhook_port

    async def start(self, *, register: bool = True) -> None:
        await self.runtime.start(polling=False)
        self.server = HTTPServer(make_web_app(self.runtime, self.settings), max_body_size=MAX_BODY_BYTES)
        self.server.listen(self.settings.webhook_port, address=self.settings.webhook_listen)
        self.port = next(iter(self.server._sockets.values())).getsockname()[1]  # noqa: SLF001 - port 0 support
        if register:
            await self.runtime.application.bot.set_webhook(
                self.settings.webhook_url,
                secret_token=self.settings.webhook_secret or None,
                allowed_updates=Update.ALL_TYPES,
            )
        log_event(logger, "webhook_listening", port=self.port)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            await self.server.close_all_connections()
        await self.runtime.stop()


async def serve_webhook(settings: Settings, loaded: Loaded) -> int:
    """Serve until SIGTERM (settings were checked by `run_bot` before anything started)."""
    from bot.telegram.runner import install_signals, open_configured_store

    store = await open_configured_store(settings)
    runtime = BotRuntime(settings, loaded, store)
    server = WebhookServer(settings, runtime)
    stop = asyncio.Event()
    install_signals(stop, runtime, settings)
    try:
        await server.start()
        await stop.wait()
    finally:
        await server.stop()
        await store.close()
    return 0
