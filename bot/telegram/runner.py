"""`twitchcheck run`: refuse bad setups with one line, ride out a network blip, serve until SIGTERM.

Start-up can fail in two ways, and the exit status tells a service manager which one it was:

- the setup is wrong (a setting, a token Telegram rejects, a broken flow): `ConfigError` or
  `FlowErrors`, exit 2 or 1 straight away. Starting again would fail the same way.
- something the bot needs is unreachable for now (Telegram down or answering 5xx or 429, Redis
  refusing connections): `Unavailable`. Start-up retries it with doubling delays for
  `StartupPolicy.budget` seconds, then raises `TryAgainLater`: exit 75 (EX_TEMPFAIL), which the
  documented systemd unit restarts.

Serving is the other room: polling here, the webhook server in `webhook.py`; this module uses it.
SIGHUP reloads flows and content and keeps the last good ones whatever is wrong with the new files;
so does a change to them under `--watch` (bot/watch.py). Checks in progress finish on the flow
version they started with (bot/flow_versions.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import itertools
import logging
import signal
import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

from redis.exceptions import AuthenticationError, AuthorizationError, RedisError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.bootstrap import Loaded, load_all
from bot.config import ConfigError, Settings, TryAgainLater
from bot.logs import log_event, one_line, setup_logging
from bot.storage import open_store
from bot.storage.base import ConversationStore
from bot.telegram.app import BotRuntime
from bot.watch import POLL_SECONDS, FolderWatcher, Snapshot, snapshot
from bot.yamlfiles.errors import FlowErrors

if TYPE_CHECKING:
    from bot.telegram.webhook import WebhookServer

logger = logging.getLogger("twitchcheck")
T = TypeVar("T")
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@dataclass(frozen=True)
class StartupPolicy:
    """How long start-up rides out unavailability: delays double from `first_delay` up to `max_delay`.

    `budget` is a minute: long enough for a Telegram hiccup or a Redis restart, short enough that
    the service manager's status shows a bot that cannot start. `sleep` and `clock` are seams for
    tests; `request_backoff` is each Bot API call's own retry delay (`RetryingRequest`).
    """

    budget: float = 60.0
    first_delay: float = 1.0
    max_delay: float = 15.0
    request_backoff: float = 0.5
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    clock: Callable[[], float] = time.monotonic


STARTUP = StartupPolicy()


class Unavailable(Exception):
    """Telegram or the store cannot be reached for now; one line, no secrets, worth retrying."""


def run_bot(
    settings: Settings, webhook: bool = False, policy: StartupPolicy | None = None, *, watch: bool = False
) -> int:
    """Validate everything first, then serve until asked to stop; return the exit code."""
    settings.require_token()
    if webhook:
        settings.require_webhook()
    setup_logging(settings.log_level, settings.log_format, secrets=settings.secrets)
    # Taken before loading, so an edit saved while the bot starts is reloaded, not missed.
    files = snapshot(watched_folders(settings)) if watch else None
    loaded = load_all([settings.flows_dir], settings.content_dir)
    for warning in loaded.warnings:
        log_event(logger, "flow_warning", logging.WARNING, problem=str(warning))
    return asyncio.run(serve(settings, loaded, webhook=webhook, policy=policy or STARTUP, watch=files))


def watched_folders(settings: Settings) -> list[Path]:
    """What `--watch` follows: the flows and the content the bot was started with."""
    return [settings.flows_dir, settings.content_dir]


async def serve(
    settings: Settings,
    loaded: Loaded,
    *,
    webhook: bool,
    policy: StartupPolicy,
    stop: asyncio.Event | None = None,
    watch: Snapshot | None = None,
    poll_seconds: float = POLL_SECONDS,
) -> int:
    """Open the store and start serving, retrying what is unavailable; then serve until SIGTERM, SIGINT or `stop`.

    With `watch` (the files as they were when `loaded` was read), a change to them reloads the flows.
    """
    loop = asyncio.get_running_loop()
    stop = stop or asyncio.Event()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    try:
        store = await retry_startup(partial(open_configured_store, settings), policy, stop)
        if store is None:
            return 0
        try:
            started = await retry_startup(
                partial(start_serving, settings, loaded, store, webhook=webhook, policy=policy), policy, stop
            )
            if started is None:
                return 0
            runtime, stop_serving = started
            loop.add_signal_handler(signal.SIGHUP, reload_flows, runtime, settings)
            watching = None
            if watch is not None:
                watcher = FolderWatcher(watched_folders(settings), partial(reload_flows, runtime, settings), seen=watch)
                watching = asyncio.create_task(watcher.run(poll_seconds))
            try:
                await stop.wait()
            finally:
                if watching is not None:
                    watching.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await watching
                await stop_serving()
        finally:
            await store.close()
    finally:
        for sig in (*STOP_SIGNALS, signal.SIGHUP):
            loop.remove_signal_handler(sig)
    return 0


async def retry_startup(
    attempt: Callable[[], Awaitable[T]], policy: StartupPolicy, stop: asyncio.Event | None = None
) -> T | None:
    """`attempt()`, again after each `Unavailable` until `policy.budget` runs out (then `TryAgainLater`).

    None when `stop` is set while waiting to try again: the operator stopped a bot that never started.
    """
    began = policy.clock()
    delay = policy.first_delay
    for tries in itertools.count(1):
        try:
            return await attempt()
        except Unavailable as error:
            spent = policy.clock() - began
            if spent + delay > policy.budget:
                raise TryAgainLater(
                    f"{error}; gave up after {tries} attempt(s) in {spent:.0f} s "
                    "(exit 75: the service manager should start the bot again later)"
                ) from None
            log_event(logger, "startup_retry", logging.WARNING, attempt=tries, retry_in=delay, error=str(error))
        if await _stopped_within(stop, delay, policy.sleep):
            return None
        delay = min(delay * 2, policy.max_delay)
    raise AssertionError("unreachable")


async def _stopped_within(
    stop: asyncio.Event | None, seconds: float, sleep: Callable[[float], Awaitable[None]]
) -> bool:
    """Sleep `seconds`, or less if `stop` is set meanwhile; say whether it was."""
    if stop is None:
        await sleep(seconds)
        return False
    if stop.is_set():
        return True
    waiting = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(sleep(seconds))]
    try:
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in waiting:
            task.cancel()
        await asyncio.gather(*waiting, return_exceptions=True)
    return stop.is_set()


async def open_configured_store(settings: Settings) -> ConversationStore:
    """The store TWITCHCHECK_STORAGE names: `ConfigError` if it cannot work, `Unavailable` if not yet."""
    try:
        return await open_store(settings.storage, settings.data_dir, settings.ttl_days * 86400)
    except ValueError as error:
        raise ConfigError(f"TWITCHCHECK_STORAGE: {error}") from None  # the caller redacts any password
    except (AuthenticationError, AuthorizationError) as error:
        raise ConfigError(f"TWITCHCHECK_STORAGE: Redis refused the credentials in the URL: {error}") from None
    except (RedisConnectionError, RedisTimeoutError) as error:
        raise Unavailable(f"TWITCHCHECK_STORAGE: cannot reach Redis: {one_line(str(error))}") from None
    except RedisError as error:
        raise ConfigError(f"TWITCHCHECK_STORAGE: Redis refused the connection: {one_line(str(error))}") from None
    except sqlite3.OperationalError as error:
        if "locked" in str(error) or "busy" in str(error):
            raise Unavailable(f"TWITCHCHECK_DATA_DIR: the SQLite store is locked by another process: {error}") from None
        raise _sqlite_error(settings, error) from None
    except (sqlite3.Error, OSError) as error:
        raise _sqlite_error(settings, error) from None


def _sqlite_error(settings: Settings, error: Exception) -> ConfigError:
    return ConfigError(f"TWITCHCHECK_DATA_DIR: cannot open the SQLite store in {str(settings.data_dir)!r}: {error}")


async def start_serving(
    settings: Settings, loaded: Loaded, store: ConversationStore, *, webhook: bool, policy: StartupPolicy
) -> tuple[BotRuntime, Callable[[], Awaitable[None]]]:
    """Start polling or the webhook server; return the runtime and how to stop it.

    A failed start is undone before its error, sorted into `ConfigError` or `Unavailable`, is raised.
    """
    runtime = BotRuntime(settings, loaded, store, retry_backoff=policy.request_backoff)
    if webhook:
        from bot.telegram.webhook import WebhookServer

        server = WebhookServer(settings, runtime)
        begin, end = server.start, server.stop
    else:
        server = None
        begin, end = partial(runtime.start, polling=True), runtime.stop
    try:
        await begin()
    except Exception as error:
        with contextlib.suppress(Exception):
            await _undo_start(runtime, server)
        raise startup_error(error, settings, webhook=webhook) from None
    return runtime, end


async def _undo_start(runtime: BotRuntime, server: WebhookServer | None) -> None:
    """Stop whatever a failed start got going, quietly: `stop()` would log a `bot_stopped` that never started."""
    if server is not None and server.server is not None:
        server.server.stop()
    app = runtime.application
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()
    # shutdown() skips a bot whose getMe failed, whose connection to the Bot API is still open.
    await app.bot.request.shutdown()


def startup_error(error: Exception, settings: Settings, *, webhook: bool) -> Exception:
    """What a failed start means for the operator: a setting to fix, a service to wait for, or a bug."""
    api = urlsplit(settings.api_base_url).hostname or settings.api_base_url
    if isinstance(error, InvalidToken):
        # PTB's own message quotes the token; the server's answer is in the cause.
        answer = str(error.__cause__) if isinstance(error.__cause__, TelegramError) else "Unauthorized"
        return ConfigError(
            f"TELEGRAM_BOT_TOKEN was rejected by the Bot API at {api} ({one_line(answer, 80)}); "
            "copy the token again from @BotFather, and check TELEGRAM_API_BASE_URL if you changed it"
        )
    if isinstance(error, RetryAfter):
        return Unavailable(f"the Bot API at {api} asks the bot to slow down (429 Too Many Requests)")
    if isinstance(error, BadRequest):
        check = "TWITCHCHECK_WEBHOOK_URL" if webhook else "TELEGRAM_API_BASE_URL"
        return ConfigError(
            f"the Bot API at {api} refused a start-up call: {one_line(error.message, 160)}; check {check}"
        )
    if isinstance(error, NetworkError):
        # A 502 page comes back as "Bad Gateway (502). Parsing the server response b'<html>…' failed".
        reason = error.message.split(". Parsing the server response", 1)[0]
        return Unavailable(f"cannot reach the Bot API at {api}: {one_line(reason, 160)}")
    if isinstance(error, TelegramError):
        return ConfigError(f"the Bot API at {api} refused to start the bot: {one_line(error.message, 160)}")
    if webhook and isinstance(error, OSError):
        where = f"{settings.webhook_listen}:{settings.webhook_port}"
        if error.errno == errno.EADDRINUSE:
            return Unavailable(f"TWITCHCHECK_WEBHOOK_PORT: {where} is in use by another process")
        return ConfigError(
            f"TWITCHCHECK_WEBHOOK_LISTEN/TWITCHCHECK_WEBHOOK_PORT: cannot listen on {where}: {error.strerror or error}"
        )
    return error


def reload_flows(runtime: BotRuntime, settings: Settings, load: Callable[..., Loaded] = load_all) -> bool:
    """SIGHUP or `--watch`: load and prove the flows again; on any problem log one `reload_refused` line (the
    first problem, and how many more `validate` lists) and keep the last good ones. Checks in progress finish
    on their own version either way."""
    try:
        runtime.reload(load([settings.flows_dir], settings.content_dir))
    except FlowErrors as errors:
        first = one_line(str(errors.problems[0]), 1000) if errors.problems else str(settings.flows_dir)
        log_event(logger, "reload_refused", logging.ERROR, problem=first, more=max(0, len(errors.problems) - 1))
        return False
    except Exception as error:  # noqa: BLE001 - whatever is in the new files, the running bot carries on
        what = f"{settings.flows_dir}: {type(error).__name__}: {one_line(str(error), 300)}"
        log_event(logger, "reload_refused", logging.ERROR, problem=what)
        return False
    return True
