"""`twitchcheck run`: refuse bad setups with one line, run until SIGTERM, reload flows on SIGHUP."""

from __future__ import annotations

import asyncio
import logging
import signal
import sqlite3
import sys

from redis.exceptions import RedisError

from bot.bootstrap import load_all
from bot.config import ConfigError, Settings
from bot.engine.errors import FlowErrors
from bot.logs import log_event, setup_logging
from bot.storage import open_store
from bot.storage.base import ConversationStore
from bot.telegram.app import BotRuntime

logger = logging.getLogger("twitchcheck")


def run_bot(settings: Settings, webhook: bool = False) -> int:
    """Validate everything first, then serve until asked to stop; return the exit code."""
    token = settings.require_token()
    if webhook:
        settings.require_webhook()
    setup_logging(settings.log_level, settings.log_format, secrets=(token,))
    loaded = load_all([settings.flows_dir], settings.content_dir)
    for warning in loaded.warnings:
        log_event(logger, "flow_warning", logging.WARNING, problem=str(warning))
    if webhook:
        from bot.telegram.webhook import serve_webhook

        return asyncio.run(serve_webhook(settings, loaded))
    return asyncio.run(_poll(settings, loaded))


async def open_configured_store(settings: Settings) -> ConversationStore:
    """The store TWITCHCHECK_STORAGE names; a wrong name or an unreachable server is a one-line ConfigError."""
    try:
        return await open_store(settings.storage, settings.data_dir, settings.ttl_days * 86400)
    except ValueError as error:
        raise ConfigError(f"TWITCHCHECK_STORAGE: {error}") from None
    except RedisError as error:
        raise ConfigError(f"TWITCHCHECK_STORAGE: cannot reach Redis: {error}") from None
    except (sqlite3.Error, OSError) as error:
        raise ConfigError(
            f"TWITCHCHECK_DATA_DIR: cannot open the SQLite store in {str(settings.data_dir)!r}: {error}"
        ) from None


async def _poll(settings: Settings, loaded: object) -> int:
    store = await open_configured_store(settings)
    runtime = BotRuntime(settings, loaded, store)  # type: ignore[arg-type]
    stop = asyncio.Event()
    install_signals(stop, runtime, settings)
    try:
        await runtime.start(polling=True)
        await stop.wait()
    finally:
        await runtime.stop()
        await store.close()
    return 0


def install_signals(stop: asyncio.Event, runtime: BotRuntime, settings: Settings) -> None:
    """SIGTERM/SIGINT stop gracefully; SIGHUP reloads flows and keeps the last good ones on error."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    def reload() -> None:
        try:
            runtime.reload(load_all([settings.flows_dir], settings.content_dir))
        except FlowErrors as errors:
            for problem in errors.problems:
                log_event(logger, "reload_refused", logging.ERROR, problem=str(problem))
            print(f"reload refused, keeping the last good flows:\n{errors}", file=sys.stderr)

    loop.add_signal_handler(signal.SIGHUP, reload)
