"""BotApiStandIn: a local Telegram Bot API for end-to-end tests through PTB's real HTTP stack.

    async with BotApiStandIn() as api:
        app = api.application_builder().build()      # or base_url=api.base_url yourself
        alice = api.user(1001, "Alice")
        update_id = api.send_command(alice, alice, "/start")
        ...run the app...
        await api.wait_until_idle_for(update_id)
        assert "Hello" in api.last_bot_message(alice).text

Requests go to ``{base_url}{token}/{method}`` exactly as PTB builds them; answers are
Telegram's ``{"ok": ...}`` envelopes with Telegram's status codes and descriptions, so PTB
raises its real exceptions.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

import aiohttp
from aiohttp import web
from telegram.ext import ApplicationBuilder

from .faults import Fault, FaultPlan
from .methods import METHODS, ApiError
from .people import ChatLike, PeopleMixin
from .processor import TrackingUpdateProcessor
from .waiting import Call, Pulse
from .webhook import Delivery, WebhookPusher, post_update
from .world import JSON, CallbackQueryRecord, DroppedUpdate, InlineQueryRecord, StoredMessage, User, World

T = TypeVar("T")

DEFAULT_TOKEN = "123456789:AAHstandInTokenForTwitchCheckTests0"
TOKEN_SHAPE = re.compile(r"\d+:[A-Za-z0-9_-]+")
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
)
POLL_CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"

#: Form fields that are plain strings; every other field arrives JSON-encoded (PTB's json_value).
STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "url",
        "secret_token",
        "ip_address",
        "action",
        "language_code",
        "title",
        "description",
        "short_description",
        "name",
        "emoji",
        "query",
        "data",
        "sticker",
        "photo",
        "voice",
        "audio",
        "video",
        "document",
        "animation",
        "file_id",
        "message_effect_id",
        "business_connection_id",
        "question",
        "explanation",
        "first_name",
        "last_name",
    }
)


def decode_param(name: str, raw: str) -> Any:
    """Undo PTB's form encoding: JSON for numbers, booleans, lists and objects."""
    if name in STRING_PARAMS:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


async def read_params(request: web.Request) -> dict[str, Any]:
    """Parameters from the query string and a form, multipart or JSON body, decoded."""
    params: dict[str, Any] = {k: decode_param(k, v) for k, v in request.query.items()}
    if not request.can_read_body:
        return params
    if request.content_type == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            params.update(body)
        return params
    for key, value in (await request.post()).items():
        if isinstance(value, web.FileField):
            params[key] = {
                "filename": value.filename,
                "content_type": value.content_type,
                "size": len(value.file.read()),
            }
        else:
            params[key] = decode_param(key, str(value))
    return params


class BotApiStandIn(PeopleMixin):
    """A fake Telegram on 127.0.0.1 with a world tests can act in and inspect."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "TwitchCheckBot",
        *,
        bot_name: str = "TwitchCheck",
        privacy_mode: bool = True,
        strict_html: bool = True,
    ) -> None:
        self.token = token
        bot = User(int(token.split(":")[0]), bot_name, bot_username, language_code=None, is_bot=True)
        self.world = World(bot, privacy_mode=privacy_mode, strict_html=strict_html)
        self.calls: list[Call] = []
        self.faults = FaultPlan()
        self.port = 0
        self._pulse = Pulse()
        self._queued: list[int] = []
        self._poller: object | None = None
        self._closing = False
        self._tracking = False
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._pusher: WebhookPusher | None = None
        self._pusher_task: asyncio.Task[None] | None = None

    # -- lifecycle ---------------------------------------------------------------------
    async def __aenter__(self) -> BotApiStandIn:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1 and start the webhook sender."""
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        # handler_cancellation: a long poll whose client hung up stops waiting, as on Telegram.
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=1)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        self._pusher = WebhookPusher(self.world, self._pulse, self._session)
        self._pusher_task = asyncio.create_task(self._pusher.run(), name="BotApiStandIn:webhook")

    async def stop(self) -> None:
        """End pending long polls, stop the sender and close the server and client session."""
        self._closing = True
        if self._pusher is not None:
            self._pusher.closing = True
        self._pulse.fire()
        if self._pusher_task is not None:
            self._pusher_task.cancel()  # it may be mid-POST to a webhook that is already gone
            with contextlib.suppress(asyncio.CancelledError):
                await self._pusher_task
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        """What PTB calls base_url: it appends "<token>/<method>"."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def bot(self) -> User:
        """The bot's own account, as getMe reports it."""
        return self.world.bot

    # -- PTB wiring --------------------------------------------------------------------
    def update_processor(self, max_concurrent_updates: int = 1) -> TrackingUpdateProcessor:
        """An update processor for ApplicationBuilder.concurrent_updates() that reports finished updates."""
        self._tracking = True
        return TrackingUpdateProcessor(self._mark_handled, max_concurrent_updates)

    def handled_callback(self) -> Callable[[int], None]:
        """For a bot's own update processor: call it with each update_id once handled."""
        self._tracking = True
        return self._mark_handled

    def application_builder(self) -> ApplicationBuilder:  # type: ignore[type-arg]
        """ApplicationBuilder with this token, base_url and the tracking processor already set."""
        return (
            ApplicationBuilder().token(self.token).base_url(self.base_url).concurrent_updates(self.update_processor())
        )

    def _mark_handled(self, update_id: int) -> None:
        self.world.handled.add(update_id)
        self._pulse.fire()

    # -- HTTP --------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await read_params(request)
        try:
            status, content_type, body = await self._answer(request.match_info["token"], method, params)
        except asyncio.CancelledError:
            self._record(method, params, 499, {"ok": False, "description": "client closed the request"})
            raise
        response = json.loads(body) if content_type == "application/json" else None
        self._record(method, params, status, response)
        return web.Response(status=status, text=body, content_type=content_type)

    async def _answer(self, token: str, method: str, params: dict[str, Any]) -> tuple[int, str, str]:
        if not TOKEN_SHAPE.fullmatch(token):
            return _error(ApiError(404, "Not Found"))
        if token != self.token:
            return _error(ApiError(401, "Unauthorized"))
        name = method.lower()
        fault = self.faults.take(name)
        if fault is not None:
            return (fault.status, *fault.body())
        try:
            if name == "getupdates":
                result = await self._get_updates(params)
            elif name in METHODS:
                result = METHODS[name](self.world, params)
            else:
                raise ApiError(404, "Not Found")
        except ApiError as exc:
            return _error(exc)
        if name == "setwebhook" and self._pusher is not None:
            self._pusher.paused = False
        return 200, "application/json", json.dumps({"ok": True, "result": result})

    async def _get_updates(self, params: dict[str, Any]) -> list[JSON]:
        """Long polling: answer as soon as an update is queued, or after ``timeout`` seconds."""
        if self.world.webhook.url:
            raise ApiError(409, WEBHOOK_CONFLICT)
        if params.get("offset") is not None:
            self.world.confirm_below(int(params["offset"]))
        if params.get("allowed_updates") is not None:
            self.world.allowed_updates = list(params["allowed_updates"])
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        ticket = object()
        self._poller = ticket  # an older poll still waiting now ends with 409, like Telegram's
        self._pulse.fire()
        try:
            with contextlib.suppress(TimeoutError):
                await self._pulse.until(
                    lambda: self._closing or self._poller is not ticket or self.world.pending, timeout
                )
            if self._poller is not ticket:
                raise ApiError(409, POLL_CONFLICT)
            return self.world.pending[:limit]
        finally:
            if self._poller is ticket:
                self._poller = None

    def _record(self, method: str, params: dict[str, Any], status: int, response: JSON | None) -> None:
        self.calls.append(Call(len(self.calls) + 1, method, params, status, response))
        self._pulse.fire()

    # -- people's side (see PeopleMixin) -----------------------------------------------
    def _queue(self, body: JSON) -> int:
        update_id = self.world.queue(body)
        self._queued.append(update_id)
        if self._pusher is not None:
            self._pusher.paused = False
        self._pulse.fire()
        return update_id

    def _changed(self) -> None:
        self._pulse.fire()

    # -- fault injection and webhooks --------------------------------------------------
    def fail_next(
        self, method: str, status: int = 500, count: int = 1, retry_after: float = 1, description: str | None = None
    ) -> None:
        """The next ``count`` calls to ``method`` ("*" = any) fail with ``status``.

        429 carries parameters.retry_after (Telegram sends whole seconds >= 1; a fraction
        keeps tests fast). 502 answers with nginx's HTML page, as Telegram's proxy does.
        """
        self.faults.add(method, Fault(status, retry_after, description), count)

    async def deliver_webhook(self, url: str, update: JSON, secret_token: str | None = None) -> tuple[int, str]:
        """POST one update to ``url`` like Telegram (JSON body, secret header); returns (status, body)."""
        assert self._session is not None, "start the stand-in first"
        update = {"update_id": update.get("update_id") or self.world.next_update_id(), **update}
        status, body = await post_update(self._session, url, update, secret_token)
        self.webhook_deliveries.append(Delivery(update["update_id"], url, status, body))
        self._pulse.fire()
        return status, body

    @property
    def webhook_deliveries(self) -> list[Delivery]:
        """Every POST to a webhook so far, automatic or through deliver_webhook."""
        assert self._pusher is not None, "start the stand-in first"
        return self._pusher.deliveries

    # -- inspection --------------------------------------------------------------------
    def pending_update(self, update_id: int) -> JSON:
        """A queued, not yet delivered update, as Telegram would POST it to a webhook."""
        for update in self.world.pending:
            if update["update_id"] == update_id:
                return update
        raise AssertionError(f"update {update_id} is not pending")

    def mark(self) -> int:
        """A cursor into ``calls``: pass it as ``since=`` to look only at later calls."""
        return len(self.calls)

    def calls_to(self, method: str, *, since: int = 0, **params: Any) -> list[Call]:
        """Calls to ``method`` (any case) after ``since`` whose params include ``params``."""
        return [call for call in self.calls[since:] if call.matches(method, params)]

    def messages(self, chat: ChatLike, *, include_deleted: bool = False) -> list[StoredMessage]:
        """Every message in the chat, from people and the bot, oldest first."""
        found = self.world.messages.get(self._chat(chat).id, [])
        return [m for m in found if include_deleted or not m.deleted]

    def bot_messages(self, chat: ChatLike, *, include_deleted: bool = False) -> list[StoredMessage]:
        """The bot's messages in the chat, in their current state."""
        return [m for m in self.messages(chat, include_deleted=include_deleted) if m.from_bot]

    def last_bot_message(self, chat: ChatLike) -> StoredMessage:
        """The bot's newest message in the chat that still exists."""
        sent = self.bot_messages(chat)
        if not sent:
            raise AssertionError(f"the bot has sent nothing to chat {self._chat(chat).id}\n{self._report()}")
        return sent[-1]

    def message(self, chat: ChatLike, message_id: int) -> StoredMessage | None:
        """One message by id, None if it never existed or was deleted."""
        return self.world.find_message(self._chat(chat).id, message_id)

    def callback_query(self, query_id: str) -> CallbackQueryRecord:
        """A press made with press(); ``.answered`` and ``.answer`` show the bot's reply."""
        return self.world.callback_queries[query_id]

    def inline(self, query_id: str) -> InlineQueryRecord:
        """An inline query made with inline_query(); ``.results`` and ``.answer`` show the bot's answer."""
        return self.world.inline_queries[query_id]

    def commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """What setMyCommands stored for a scope (default scope when None) and language."""
        return self.world.commands.get((json.dumps(scope or {"type": "default"}, sort_keys=True), language_code), [])

    @property
    def dropped(self) -> list[DroppedUpdate]:
        """Updates Telegram would not have delivered (privacy mode, allowed_updates, bot not in chat)."""
        return self.world.dropped

    @property
    def polling(self) -> bool:
        """Whether a getUpdates long poll is waiting right now."""
        return self._poller is not None

    @property
    def last_update_id(self) -> int:
        """The update_id of the latest update a helper created."""
        return self.world.last_update_id

    # -- waiting -----------------------------------------------------------------------
    async def wait_for(self, predicate: Callable[[], T | None], timeout: float = 5.0, what: str | None = None) -> T:
        """Wait until predicate() is truthy (re-checked after every call and change) and return it.

        On timeout, raises AssertionError with the recent calls and the update queue.
        """
        try:
            return await self._pulse.until(predicate, timeout)
        except TimeoutError:
            raise AssertionError(self._report(f"timed out after {timeout}s waiting for {what or predicate}")) from None

    async def wait_for_call(self, method: str, *, since: int = 0, timeout: float = 5.0, **params: Any) -> Call:
        """The first call to ``method`` after ``since`` whose params include ``params``."""

        def first() -> Call | None:
            return next(iter(self.calls_to(method, since=since, **params)), None)

        return await self.wait_for(first, timeout, f"{method} {params or ''} after call #{since}")

    async def wait_confirmed(self, update_id: int, timeout: float = 5.0) -> None:
        """Until the bot has taken the update for good: a later getUpdates offset, or a 2xx webhook answer.

        PTB confirms updates as soon as it has queued them, so this does not mean handled.
        """
        await self.wait_for(lambda: update_id in self.world.confirmed, timeout, f"update {update_id} to be confirmed")

    async def wait_until_idle_for(self, update_id: int, timeout: float = 5.0) -> None:
        """Until the bot has finished handling update ``update_id`` (handlers returned).

        Needs the Application built with ``api.update_processor()`` (application_builder()
        does it): nothing on the wire tells when PTB is done with an update.
        """
        self._require_tracking()
        dropped = next((d for d in self.dropped if d.update["update_id"] == update_id), None)
        if dropped is not None:
            raise AssertionError(f"update {update_id} never reached the bot: {dropped.reason}")
        await self.wait_for(
            lambda: update_id in self.world.handled, timeout, f"the bot to finish handling update {update_id}"
        )

    async def wait_until_idle(self, timeout: float = 5.0) -> None:
        """Until the bot has finished every update queued so far."""
        self._require_tracking()
        await self.wait_for(
            lambda: set(self._queued) <= self.world.handled, timeout, "the bot to finish every queued update"
        )

    def _require_tracking(self) -> None:
        if not self._tracking:
            raise AssertionError(
                "waiting for handled updates needs the Application built with "
                "concurrent_updates(api.update_processor()) or api.application_builder(); "
                "PTB confirms an update's offset before handling it"
            )

    def _report(self, headline: str = "stand-in state") -> str:
        lines = [headline, "recent calls (newest last):"]
        lines += [f"  {call.summary()}" for call in self.calls[-15:]] or ["  (none)"]
        lines.append(f"pending updates: {[u['update_id'] for u in self.world.pending]}")
        unhandled = [i for i in self._queued if i not in self.world.handled]
        lines.append(f"queued but not handled: {unhandled[-10:]}" if self._tracking else "handling not tracked")
        lines += [f"dropped {d.update['update_id']}: {d.reason}" for d in self.dropped[-5:]]
        if self.faults.remaining():
            lines.append(f"injected failures not yet used: {self.faults.remaining()}")
        if self.world.webhook.url:
            lines.append(f"webhook: {self.world.webhook.url}; last deliveries: {self.webhook_deliveries[-3:]}")
        return "\n".join(lines)


def _error(exc: ApiError) -> tuple[int, str, str]:
    return exc.code, "application/json", json.dumps(exc.to_dict())
