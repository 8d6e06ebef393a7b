"""Wire the python-telegram-bot Application: handlers, retries, rate limiting, ordering, lifecycle."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import Awaitable, Callable

from telegram import BotCommand, Update
from telegram.constants import ChatType
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot.bootstrap import Loaded
from bot.config import Settings
from bot.content.render import HTML, Renderer
from bot.engine.engine import Engine
from bot.flow_versions import FlowVersions
from bot.logs import log_event
from bot.metrics import Metrics
from bot.privacy import Anonymizer, salt_from
from bot.reminders.dispatcher import ReminderDispatcher
from bot.session import Session
from bot.storage.base import ConversationStore
from bot.telegram.callback_data import CallbackCodec
from bot.telegram.handlers import TwitchCheckBot
from bot.telegram.limits import SharedRateLimiter
from bot.telegram.ordering import PerChatOrderedProcessor
from bot.telegram.reminders import PRESS_PATTERN, ReminderHandlers
from bot.telegram.request import RetryingRequest
from bot.telegram.sender import ButtonTags, Sender

logger = logging.getLogger("twitchcheck")
PURGE_EVERY_SECONDS = 3600
CONNECTION_POOL_SIZE = 8
"""Bot API requests in flight at once, each on its own kept-open connection; more wait their turn
(bot/telegram/request.py). Telegram's limit of about 30 messages a second, plus the answers to
presses, is about 60 requests a second, which 8 connections carry at round trips up to 130 ms.
httpcore checks every idle connection, and counts the idle ones again for each, whenever a request
starts or ends, so a pool of 16 cost about a sixth more CPU per update under load than 8 did
(`python -m tests.benchmarks.bench_e2e`), and PTB's default of 256 more still."""
FLOOD_REPLY = "You've sent a lot at once, so I'll answer the first ones. Please wait for my reply before sending more."
"""Told once to a chat whose queue is full (see bot/telegram/ordering.py); plain text, shown as is."""
COMMANDS = (
    ("start", "Start the twitching check"),
    ("back", "Go back one question"),
    ("restart", "Start the check again"),
    ("cancel", "Stop the check and delete its answers"),
    ("forget", "Delete everything stored about me"),
    ("privacy", "What is stored, and for how long"),
    ("country", "My country, for the right emergency number"),
    ("remind", "Remind me in 2 weeks"),
    ("reminders", "When my reminder is due"),
    ("cancelreminder", "Cancel my reminder"),
    ("about", "About this bot, sources and disclaimer"),
    ("help", "How to answer, and the commands"),
)


def build_handlers(
    loaded: Loaded,
    store: ConversationStore,
    settings: Settings,
    metrics: Metrics,
    versions: FlowVersions[ButtonTags] | None = None,
    engine: Engine | None = None,
) -> TwitchCheckBot:
    """The bot's handlers over the current flow version (`loaded`'s, unless `versions` is given) and a store.
    `engine`: one already built for `loaded`'s flows (tests start many bots over one load); else a new one."""
    if versions is None:
        versions = FlowVersions(
            loaded.flows,
            loaded.content,
            index=ButtonTags,
            keep_for=settings.ttl_days * 86400.0,
            engine=engine,
            name=loaded.fingerprint(),
        )
    content = versions.content() or loaded.content
    anonymizer = Anonymizer(salt_from(settings.token, settings.id_salt))
    renderer = Renderer(content, HTML)
    codec = CallbackCodec(anonymizer.sign)
    sender = Sender(renderer, codec, versions.current.index)
    return TwitchCheckBot(
        Session(versions, store),
        content,
        renderer,
        codec,
        sender,
        anonymizer,
        settings.ttl_days,
        metrics,
    )


def build_application(
    settings: Settings,
    handlers: TwitchCheckBot,
    *,
    retry_backoff: float = 0.5,
    poll_timeout: float = 30,
    rate_limited: bool = True,
    on_update_handled: Callable[[int], None] | None = None,
    reminders: ReminderHandlers | None = None,
) -> Application:  # type: ignore[type-arg]
    """A PTB Application with our handlers; `updater=None` callers (webhooks) just skip polling."""
    r = reminders or ReminderHandlers(handlers)
    processor = PerChatOrderedProcessor(handlers.metrics, on_handled=on_update_handled)
    request = RetryingRequest(backoff=retry_backoff, connection_pool_size=CONNECTION_POOL_SIZE)
    updates_request = RetryingRequest(backoff=retry_backoff, read_timeout=poll_timeout + 10)
    application = (
        ApplicationBuilder()
        .token(settings.require_token())
        .base_url(settings.api_base_url)
        .request(request)
        .get_updates_request(updates_request)
        .rate_limiter(SharedRateLimiter() if rate_limited else SharedRateLimiter(overall_max_rate=0, group_max_rate=0))
        .concurrent_updates(processor)
        .build()
    )
    processor.on_flood = tell_to_wait(application, handlers)
    new = filters.UpdateType.MESSAGE
    private = filters.ChatType.PRIVATE
    h = handlers
    application.add_handlers(
        [
            CommandHandler(["start", "twitch"], h.on_start, filters=new),
            CommandHandler("help", h.on_help, filters=new),
            CommandHandler("privacy", h.on_privacy, filters=new),
            CommandHandler("about", h.on_about, filters=new),
            CommandHandler(["back", "restart"], h.on_navigation, filters=new),
            CommandHandler("cancel", h.on_cancel, filters=new),
            CommandHandler("forget", h.on_forget, filters=new),
            CommandHandler("country", h.on_country, filters=new),
            CommandHandler("excerpt", h.on_excerpt, filters=new),
            CommandHandler("groupchecks", h.on_group_checks, filters=new),
            CommandHandler("remind", r.on_remind, filters=new),
            CommandHandler("reminders", r.on_reminders, filters=new),
            CommandHandler("cancelreminder", r.on_cancel_reminder, filters=new),
            MessageHandler(filters.UpdateType.CHANNEL_POST & filters.Regex(r"^/excerpt(@\w+)?(\s|$)"), h.on_excerpt),
            CallbackQueryHandler(r.on_press, pattern=PRESS_PATTERN),
            CallbackQueryHandler(h.on_button),
            InlineQueryHandler(h.on_inline_query),
            ChatMemberHandler(h.on_added_to_group, ChatMemberHandler.MY_CHAT_MEMBER),
            MessageHandler(new & private & filters.COMMAND, h.on_help),
            MessageHandler(new & private & filters.TEXT, h.on_text),
            MessageHandler(new & private & ~filters.StatusUpdate.ALL, h.on_non_text),
        ]
    )
    # Its own group, so it sees the private "kicked" (blocked) updates the group handler above ignores.
    application.add_handler(ChatMemberHandler(r.on_blocked, ChatMemberHandler.MY_CHAT_MEMBER), group=1)
    application.add_error_handler(h.on_error)
    return application


def tell_to_wait(
    application: Application,  # type: ignore[type-arg]
    handlers: TwitchCheckBot,
) -> Callable[[Update], Awaitable[None]]:
    """The "please wait" for a flooding chat: a toast on a button press, a message in a private chat."""

    async def tell(update: Update) -> None:
        bot, sender = application.bot, handlers.sender  # the current one: a reload replaces it
        if update.callback_query is not None:
            await sender.answer_press(bot, update.callback_query.id, FLOOD_REPLY)
        elif update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE:
            await sender.say(bot, update.effective_chat.id, FLOOD_REPLY, html=False)

    return tell


def settle_the_heap() -> None:
    """Set aside what is in memory now (the flows, the content, the libraries) from garbage collection.

    About 120,000 objects live as long as the bot; without this, every full collection walks them all
    again while updates wait (issue 22: about 0.2 ms less CPU per button update,
    `python -m tests.benchmarks.bench_e2e`). Collected once first, so no garbage is kept. What is set
    aside is still freed when nothing refers to it; only objects in reference cycles would stay, and a
    flow version has none (tests/e2e/test_safe_reload.py), so a version dropped after a reload is freed.
    """
    gc.collect()
    gc.freeze()


class BotRuntime:
    """Start and stop the bot the same way in production and in end-to-end tests."""

    def __init__(
        self,
        settings: Settings,
        loaded: Loaded,
        store: ConversationStore,
        *,
        retry_backoff: float = 0.5,
        poll_timeout: float = 30,
        rate_limited: bool = True,
        on_update_handled: Callable[[int], None] | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        engine: Engine | None = None,
    ) -> None:
        """`clock` and `sleep` drive the reminders (when one is due, the dispatcher's pauses); tests pass their own,
        and may pass an `engine` already built for `loaded`'s flows."""
        self.settings = settings
        self.store = store
        self.metrics = Metrics()
        self.handlers = build_handlers(loaded, store, settings, self.metrics, engine=engine)
        self.reminders = ReminderHandlers(self.handlers, clock=clock, zone=settings.reminder_zone)
        self.application = build_application(
            settings,
            self.handlers,
            retry_backoff=retry_backoff,
            poll_timeout=poll_timeout,
            rate_limited=rate_limited,
            on_update_handled=on_update_handled,
            reminders=self.reminders,
        )
        self.dispatcher = ReminderDispatcher(
            store, lambda reminder: self.reminders.deliver(self.application.bot, reminder), clock=clock, sleep=sleep
        )
        self.poll_timeout = poll_timeout
        self._purger: asyncio.Task[None] | None = None

    async def start(self, *, polling: bool = True) -> None:
        app = self.application
        await app.initialize()
        await app.bot.set_my_commands([BotCommand(name, text) for name, text in COMMANDS])
        await app.start()
        settle_the_heap()
        if polling and app.updater is not None:
            await app.updater.start_polling(
                poll_interval=0,
                timeout=int(self.poll_timeout),
                allowed_updates=Update.ALL_TYPES,
                drop_pending_updates=False,
            )
        self._purger = asyncio.create_task(self._purge_forever())
        self.dispatcher.start()
        log_event(logger, "bot_started", username=app.bot.username, polling=polling)

    async def stop(self) -> None:
        app = self.application
        await self.dispatcher.stop()  # reminders under way finish first; claimed ones not started go back
        if self._purger is not None:
            self._purger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._purger
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        gc.unfreeze()  # what was set aside at start may be collected again (a process running bots one after another)
        log_event(logger, "bot_stopped")

    def reload(self, loaded: Loaded) -> None:
        """Make newly validated flows and content current: new checks start on them, and checks in
        progress finish on the version they started with (bot/flow_versions.py)."""
        h = self.handlers
        versions = h.service.versions
        before = set(versions.ids)
        versions.add(loaded.flows, loaded.content)
        fresh = build_handlers(loaded, self.store, self.settings, self.metrics, versions)
        h.content, h.renderer, h.sender = fresh.content, fresh.renderer, fresh.sender
        flows = ",".join(sorted(loaded.flows))
        log_event(logger, "flows_reloaded", flows=flows, version=versions.current.id, kept=len(versions.ids) - 1)
        self._log_dropped(before - set(versions.ids))

    def sweep_versions(self) -> None:
        """Drop the old flow versions no conversation can still need (hourly, with the purge)."""
        self._log_dropped(set(self.handlers.service.versions.sweep()))

    @staticmethod
    def _log_dropped(dropped: set[str]) -> None:
        for version in sorted(dropped):
            log_event(logger, "flow_version_dropped", version=version)

    async def _purge_forever(self) -> None:
        while True:
            try:
                removed = await self.store.purge_expired()
                if removed:
                    log_event(logger, "purged", rows=removed)
            except Exception as error:  # noqa: BLE001 - purging must never stop the bot
                log_event(logger, "error", logging.ERROR, error=type(error).__name__, where="purge")
            self.sweep_versions()
            await asyncio.sleep(PURGE_EVERY_SECONDS)
