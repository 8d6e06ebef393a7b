"""Run the real bot (Application, HTTP stack, SQLite or Redis) against the local Bot API stand-in."""

from __future__ import annotations

import html
import re
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from bot.bootstrap import Loaded
from bot.config import Settings
from bot.engine.engine import Engine
from bot.engine.model import Step
from bot.storage import open_store
from bot.storage.base import ConversationStore
from bot.telegram.app import BotRuntime
from bot.telegram.webhook import WebhookLimits, WebhookServer
from tests.support.botapi import BotApiStandIn, Chat, StoredMessage, User
from tests.support.flows import main_flow
from tests.support.paths import asked, pick, taps, taps_before, walk

MARKS = ("🚨", "🔴", "🟠", "🟢")
ECHO = "➜ "
"""How a typed answer that was understood is shown back, on top of the next message."""
ANSWERED = "✓ "
"""How the check's card lists the answers given so far, above the current question."""


WELCOME = "Hi, I'm TwitchCheck."
"""How the welcome starts: at the top of a check's first card, until the card moves below a typed answer."""


def headline(message: StoredMessage) -> str:
    """A message's text without the welcome, the card's "✓ …" answer lines and a typed answer's "➜ …" echo."""
    text = message.text
    if text.startswith(WELCOME):
        text = text.partition("\n\n")[2]
    lines = text.split("\n")
    while lines and (lines[0].startswith((ECHO, ANSWERED)) or not lines[0]):
        lines.pop(0)
    return "\n".join(lines)


def answered(message: StoredMessage) -> list[str]:
    """The card's answer lines ("✓ Where it twitches: Leg or foot") above its question."""
    return [line for line in message.text.split("\n") if line.startswith(ANSWERED)]


def says(message: StoredMessage, part: str) -> bool:
    """True when `part` is one of the paragraphs under the card's answer lines (a note or the question)."""
    return f"\n\n{headline(message)}".find(f"\n\n{part}") >= 0


def shown(api: BotApiStandIn, chat: Chat) -> list[str]:
    """Every text the bot showed in `chat`, with what its cards said before each edit."""
    texts = []
    for message in api.bot_messages(chat):
        texts += [html.unescape(re.sub(r"<[^>]+>", "", old)) for old, _ in message.history if old]
        texts.append(message.text)
    return texts


def settings_for(api: BotApiStandIn, data_dir: Path, storage: str = "sqlite", **extra: object) -> Settings:
    return Settings(
        token=api.token, api_base_url=api.base_url, data_dir=data_dir, storage=storage, id_salt="e2e-salt", **extra
    )  # type: ignore[arg-type]


_ENGINES: dict[int, Engine] = {}
"""One engine per load while the load lives (a test's own load goes with its test), by the load's id."""


def engine_for(loaded: Loaded) -> Engine:
    """The engine every test bot over `loaded` shares: it holds no conversation."""
    engine = _ENGINES.get(id(loaded))
    if engine is None:
        engine = _ENGINES[id(loaded)] = loaded.engine()
        weakref.finalize(loaded, _ENGINES.pop, id(loaded), None)
    return engine


@dataclass
class RunningBot:
    """One bot process: its runtime and store; `restart` builds new ones over the same data."""

    api: BotApiStandIn
    loaded: Loaded
    settings: Settings
    runtime: BotRuntime | None = None
    store: ConversationStore | None = None
    options: dict[str, Any] = field(default_factory=dict)
    """More keywords for BotRuntime (a clock, `rate_limited`…)."""
    share_engine: bool = True
    """Start over the one engine built for `loaded` in this process (building one takes half a second); a test of
    what a bot frees passes False, so that its engine is its own."""

    async def open_store(self) -> ConversationStore:
        """The store this process opens (a subclass may give it the test's clock)."""
        return await open_store(self.settings.storage, self.settings.data_dir)

    async def start(self) -> Self:
        self.store = await self.open_store()
        self.runtime = BotRuntime(
            self.settings,
            self.loaded,
            self.store,
            retry_backoff=0.01,
            poll_timeout=1,
            on_update_handled=self.api.handled_callback(),
            engine=engine_for(self.loaded) if self.share_engine else None,
            **self.options,
        )
        await self.runtime.start(polling=True)
        return self

    async def stop(self) -> None:
        if self.runtime is not None:
            await self.runtime.stop()
        if self.store is not None:
            await self.store.close()
        self.runtime = self.store = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()


@dataclass
class Person:
    """Someone talking to the bot in one chat; each action waits until the bot has handled it."""

    api: BotApiStandIn
    user: User
    chat: Chat
    presses: list[str] = field(default_factory=list)

    async def say(self, text: str) -> None:
        update_id = self.api.send_text(self.chat, self.user, text)
        await self.api.wait_until_idle_for(update_id)

    async def command(self, command: str, *, at_bot: bool = False) -> None:
        update_id = self.api.send_command(self.chat, self.user, command, at_bot=at_bot)
        await self.api.wait_until_idle_for(update_id)

    def question(self) -> StoredMessage:
        """The newest bot message in this chat that still has answer buttons."""
        for message in reversed(self.api.bot_messages(self.chat)):
            if message.callback_data:
                return message
        raise AssertionError("no message with buttons")

    async def tap(self, label: str, message: StoredMessage | None = None) -> str:
        query_id = self.api.press_button(self.chat, self.user, message or self.question(), label)
        self.presses.append(query_id)
        await self.api.wait_until_idle_for(self.api.callback_query(query_id).update_id)
        return query_id

    async def tap_through(self, labels: list[str]) -> None:
        for label in labels:
            await self.tap(label)

    async def double_tap(self, label: str, message: StoredMessage) -> tuple[str, str]:
        """Press `label` on `message` twice, the second before the first is handled (as its buttons were)."""
        data = next(b["callback_data"] for b in message.buttons if b["text"] == label)
        first = self.api.press(self.chat, self.user, message, data)
        second = self.api.press(self.chat, self.user, message, data, on_screen=False)
        await self.api.wait_until_idle_for(self.api.callback_query(second).update_id)
        await self.api.wait_until_idle_for(self.api.callback_query(first).update_id)
        return first, second

    def texts(self) -> list[str]:
        return [m.text for m in self.api.bot_messages(self.chat)]

    def recommendation(self) -> StoredMessage:
        """The message that starts with a level mark (docs/medical.md: exactly one, and nothing above the mark)."""
        found = [m for m in self.api.bot_messages(self.chat) if m.text.startswith(MARKS)]
        assert len(found) == 1, [m.text[:40] for m in found]
        return found[0]


# Button paths through the flow the bot runs, one per level, found by the answers' values
# (tests/support/paths.py), so a question added or reworded in the YAML changes none of them.
SHIPPED = main_flow()
EMERGENCY = taps(SHIPPED, {"emergency_now": "yes"})
URGENT = taps(SHIPPED, {"location": "arm", "weakness": "yes"})
"""Weakness "yes", then "No" to its follow-up (spreading on both sides?) and to the other red flags."""
ROUTINE = taps(SHIPPED, {"location": "leg", "duration": "over_2_weeks"})
SELF_CARE = taps(SHIPPED, {"location": "eye", "duration": "under_2_weeks", "everyday_causes": "yes"})
TO_LOCATION = taps_before(SHIPPED, "location")
"""The taps that reach "where is the twitching?" (the safety screen, who, unwell too, Skip)."""
SECOND = SHIPPED.steps[asked(SHIPPED)[1]].text
"""The question after "No" at the safety screen."""


def after(step_id: str, answers: dict[str, str] | None = None) -> Step:
    """The question asked right after `step_id` on the button path with these answers."""
    ids = asked(SHIPPED, answers)
    return SHIPPED.steps[ids[ids.index(step_id) + 1]]


def label(step: Step | str, value: str | None = None) -> str:
    """The label of the button recording `value` at `step` (with no value: "No", else "Skip", else the first)."""
    return pick(SHIPPED.steps[step] if isinstance(step, str) else step, value).label


def default_label(message: StoredMessage) -> str:
    """The button a test taps when it has no answer to give: the question's "No", else "Skip", else its first.

    The question is the step of the flow under test whose buttons the message shows.
    """
    shown = message.button_texts
    for step in SHIPPED.steps.values():
        if [choice.label for choice in step.choices] == shown:
            return label(step)
    return "No" if "No" in shown else shown[0]


def line(step_id: str, value: str) -> str:
    """The card's answer line for `value` at `step_id` ("✓ Where it twitches: Leg or foot")."""
    return f"{ANSWERED}{SHIPPED.steps[step_id].topic}: {label(step_id, value)}"


def lines_of(answers: dict[str, str], count: int) -> list[str]:
    """The card's first `count` answer lines for the button path with these answers."""
    return [f"{ANSWERED}{step.topic}: {choice.label}" for step, choice in walk(SHIPPED, answers)[:count]]


WEBHOOK_PATH = "/telegram/webhook"
WEBHOOK_SECRET = "replica-test-secret"


async def start_webhook_server(
    api: BotApiStandIn,
    loaded: Loaded,
    data_dir: Path,
    store: ConversationStore,
    limits: WebhookLimits | None = None,
    *,
    storage: str = "sqlite",
    port: int = 0,
    register: bool = False,
) -> WebhookServer:
    """One webhook replica over `store`. Without `register` the test plays the load balancer and
    delivers updates by hand."""
    public = f"http://127.0.0.1:{port}" if register else "https://twitchcheck.example"
    settings = settings_for(
        api,
        data_dir,
        storage=storage,
        webhook_url=public + WEBHOOK_PATH,
        webhook_secret=WEBHOOK_SECRET,
        webhook_listen="127.0.0.1",
        webhook_port=port,
    )
    runtime = BotRuntime(settings, loaded, store, retry_backoff=0.01, on_update_handled=api.handled_callback())
    server = WebhookServer(settings, runtime, limits)
    await server.start(register=register)
    return server


@dataclass
class Replica:
    """One of several webhook processes behind one public URL, each with its own Redis connection."""

    server: WebhookServer
    store: ConversationStore

    @classmethod
    async def start(
        cls, api: BotApiStandIn, loaded: Loaded, data_dir: Path, storage: str, *, port: int = 0, register: bool = False
    ) -> Replica:
        """Each replica opens its own connection to `storage`; see `start_webhook_server`."""
        store = await open_store(storage, data_dir)
        server = await start_webhook_server(api, loaded, data_dir, store, storage=storage, port=port, register=register)
        return cls(server, store)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    @property
    def url(self) -> str:
        return self.base + WEBHOOK_PATH

    async def stop(self) -> None:
        await self.server.stop()
        await self.store.close()
