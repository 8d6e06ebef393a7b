"""The one way in for every front end: `start(key, flow, prefill)`, `handle(key, input) -> Turn`, `extra(key, kind)`.

Load → advance → save, with compare-and-set so a double tap advances only once. This is the one
place that joins the pure engine to a store: the Telegram adapter, the shell, the studio's Try it and
the case runner all call it (the last three over `MemoryStore`, driven by `now` without an event loop)
and only render what comes back. A `Turn` says what to show, in no medium's terms, and how: as a new
message, by editing the card in place, or by moving the card below. Each conversation is read with the
flow version it started on (bot/flow_versions.py): `engine_for`, `flow_for` and `tags_for` give the front
end the same engine, flow and button index the session uses for it.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Generic, Literal, Protocol, TypeVar

from bot.engine.conversation import Conversation
from bot.engine.engine import Engine
from bot.engine.model import Flow
from bot.engine.replies import Command, Input, Notice, Pick, Question, Reply, Result, Typed, command_of
from bot.flow_versions import FlowVersion, FlowVersions, I

MAX_CONFLICT_RETRIES = 5
"""Concurrent writers to one conversation are rare (one person); a few retries always settle."""

SHOWN = "shown"
"""`meta` key the front end owns: the conversation version at which the check was last shown afresh
(Telegram sends its card as a new message). The engine rebuilds `meta` on each step, so the service
carries this key across; a press whose version is older than it came from an older card."""

RECHECK = "recheck"
"""`meta` key the front end owns: the reminder message whose "still there" started this check, kept
for the whole check, so a second tap on that message is recognised and changes nothing."""

INTRO = "intro"
"""`meta` key the front end owns: the check is still shown on the message it started with, which
keeps the welcome at its top; showing it afresh drops the key."""

UPDATES = "updates"
"""`meta` key the service owns: the ids of the last RECENT_UPDATES updates that changed the conversation,
saved in the same compare-and-set write as the change. Typed text carries no version, so a webhook
redelivery of an update that was saved but never settled (the replica stopped or died) is recognised
by its id here, and changes nothing."""
RECENT_UPDATES = 8
"""Telegram redelivers an unsettled update soon, usually before the person's next one; a few more
ids cover updates that overtake it."""

EPOCH = "epoch"
"""`meta` key the service owns: a random tag drawn when a check starts with nothing stored (first use,
or after /forget, /cancel or expiry) and kept for the conversation's life. Buttons carry it, so a card
from before the conversation was deleted never answers the new one, at whatever step and version."""
EPOCH_BYTES = 2

CHANGED = "flow_changed"
"""`meta` key of a conversation read afresh because its flow version is gone and it no longer fits
the current flow: until the person answers the first question, what is shown starts with `FLOW_CHANGED`."""
FLOW_CHANGED = "ui.flow_changed"


class Show(enum.Enum):
    """How a front end shows a turn (design §6); Telegram's `Sender` acts on it, a terminal prints every turn."""

    NEW = "new"
    """As new messages: a check just started, or a notice with no card."""
    EDIT = "edit"
    """By editing the card the press came from (a button press): one rate-limited call."""
    MOVE = "move"
    """The card sent anew below what the person typed; the older card's buttons go stale."""


@dataclass(frozen=True, slots=True)
class Turn:
    """What one input did: the conversation after it, what to show (`replies`, no medium's terms), whether it
    changed, and how to show it."""

    conversation: Conversation
    replies: tuple[Reply, ...]
    changed: bool
    started: bool = False
    show: Show = Show.MOVE

    @property
    def welcome(self) -> bool:
        """Whether the welcome heads what is shown: the check is still on the message it started with."""
        return bool(self.conversation.meta.get(INTRO))

    @property
    def asks(self) -> bool:
        """Whether the turn shows a question (then the card, with its buttons, is part of what is shown)."""
        return any(isinstance(reply, Question) for reply in self.replies)

    @property
    def shown_anew(self) -> bool:
        """Whether the session already recorded this turn's card as shown anew (`SHOWN` at its version)."""
        return self.changed and self.conversation.meta.get(SHOWN) == self.conversation.version

    @property
    def result(self) -> Result | None:
        """The recommendation this turn shows, if any."""
        return next((reply for reply in self.replies if isinstance(reply, Result)), None)

    def with_replies(self, replies: tuple[Reply, ...]) -> Turn:
        """The same turn showing `replies` instead."""
        return replace(self, replies=replies)


Extra = Literal["why", "summary"]
"""What a finished check's buttons ask for besides the recommendation."""


@dataclass(frozen=True, slots=True)
class Finished:
    """A finished check, for its "Why this advice" (`result.reasons`) or its summary for the doctor."""

    kind: Extra
    flow: Flow
    conversation: Conversation
    result: Result


class StaleVersion(Exception):
    """The button pressed belongs to an older version of the conversation."""


class Conversations(Protocol):
    """The part of a store the session uses (`bot/storage/base.py`'s ConversationStore has it)."""

    async def load(self, key: str) -> Conversation | None: ...

    async def save(self, key: str, conversation: Conversation, *, expected_version: int | None, user: str) -> bool: ...

    async def delete(self, key: str) -> None: ...


class MemoryStore:
    """Conversations in a dict, for the front ends that hold one person's check in a process (shell,
    studio, case runner) and for tests; it never waits, so `now` can drive the session over it."""

    def __init__(self) -> None:
        self.conversations: dict[str, Conversation] = {}

    async def load(self, key: str) -> Conversation | None:
        return self.conversations.get(key)

    async def save(self, key: str, conversation: Conversation, *, expected_version: int | None, user: str) -> bool:
        stored = self.conversations.get(key)
        if (stored.version if stored is not None else None) != expected_version:
            return False
        self.conversations[key] = conversation
        return True

    async def delete(self, key: str) -> None:
        self.conversations.pop(key, None)


T = TypeVar("T")


def now(call: Awaitable[T]) -> T:
    """The value of a session call over `MemoryStore`, with no event loop: nothing in it ever waits."""
    coroutine = call.__await__()
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    raise RuntimeError("a session call waited: `now` drives only calls over a store that never waits")


S = TypeVar("S", bound=Conversations)


class Session(Generic[I, S]):
    """Applies inputs to stored conversations, each with its own flow version; reloads add versions."""

    def __init__(self, versions: FlowVersions[I] | Engine, store: S | None = None) -> None:
        self.versions: FlowVersions[I] = (
            versions
            if isinstance(versions, FlowVersions)
            else FlowVersions(versions.flows, None, index=lambda _: None, engine=versions, name="")  # type: ignore[arg-type,return-value]
        )
        self.store: S = store if store is not None else MemoryStore()  # type: ignore[assignment]

    @property
    def engine(self) -> Engine:
        """The current version's engine: new checks start on it."""
        return self.versions.current.engine

    def version_for(self, conversation: Conversation) -> FlowVersion[I]:
        """The version that reads `conversation`: the one it started on while kept, else the current one."""
        return self.versions.get(conversation.flow_version) or self.versions.current

    def engine_for(self, conversation: Conversation) -> Engine:
        return self.version_for(conversation).engine

    def flow_for(self, conversation: Conversation) -> Flow:
        """The flow `conversation` is on, in its version (KeyError if that version has no such flow)."""
        return self.engine_for(conversation).flows[conversation.flow_id]

    def tags_for(self, conversation: Conversation) -> I:
        """The front end's index (Telegram's ButtonTags) for the version that reads `conversation`."""
        return self.version_for(conversation).index

    def resolve(self, stored: Conversation) -> Conversation:
        """`stored` as the service reads it: as it is while its version is kept or it fits the current
        flow; otherwise afresh at the current flow's start, with the same version number (so the
        next save replaces it) and marked `CHANGED`. Nobody is ever shown a step that is gone."""
        if self.versions.get(stored.flow_version) is not None:
            return stored
        current = self.versions.current
        if current.engine.fits(stored):
            return stored
        flows = current.engine.flows
        flow_id = stored.flow_id if stored.flow_id in flows else current.engine.default_flow
        meta = {CHANGED: True, **({SHOWN: stored.meta[SHOWN]} if SHOWN in stored.meta else {}), **carried(stored)}
        return Conversation(flow_id, flows[flow_id].start, version=stored.version, meta=meta, flow_version=current.id)

    async def load(self, key: str) -> Conversation | None:
        stored = await self.store.load(key)
        return self.resolve(stored) if stored is not None else None

    async def start(
        self,
        key: str,
        flow: str | None = None,
        prefill: Mapping[str, str] | None = None,
        *,
        user: str | None = None,
        resume: bool = False,
        update: int | None = None,
        welcome: bool = True,
        keep: Mapping[str, Any] | None = None,
    ) -> Turn:
        """Begin a check on `flow` (the default one when None or unknown), or, with `resume`, show where an
        unfinished one stands. `prefill` answers questions ahead by answer key, as they are reached (a
        re-check knows how long it has lasted). Without `welcome` the check does not open with the welcome
        (its front end says something of its own); `keep` adds front-end `meta` (`RECHECK`, which stays).
        `update` is the id of the Telegram update asking for it: one already applied changes nothing.
        """
        user = key if user is None else user
        for _ in range(MAX_CONFLICT_RETRIES):
            stored = await self.store.load(key)
            current = self.resolve(stored) if stored is not None else None
            if current is not None and applied(current, update):
                return Turn(current, self.current(current), changed=False)
            if resume and current is not None:
                on = self.engine_for(current).flows.get(current.flow_id)
                asking = on is not None and on.question(current.step) is not None
                if asking and (flow is None or flow == current.flow_id):
                    if current is stored:
                        return Turn(current, self.current(current), changed=False)
                    # Read afresh: store the new start now, so what they type next answers the question shown.
                    moved = current.bumped()
                    if await self.store.save(key, moved, expected_version=current.version, user=user):
                        return Turn(moved, self.current(moved), changed=True)
                    continue
            version = self.versions.use_current()
            engine = version.engine
            chosen = flow if flow is not None and flow in engine.flows else engine.default_flow
            fresh, replies = engine.start(chosen, current.version if current else 0, prefill)
            kept = carried(current, update) if current is not None else {EPOCH: new_epoch(), **recorded({}, update)}
            intro = {INTRO: True} if welcome else {}
            meta = {**fresh.meta, SHOWN: fresh.version, **intro, **(keep or {}), **kept}
            fresh = replace(fresh, meta=meta, flow_version=version.id)
            if await self.store.save(key, fresh, expected_version=current.version if current else None, user=user):
                return Turn(fresh, replies, changed=True, started=True, show=Show.NEW)
        raise RuntimeError("conversation kept changing under us")

    async def handle(
        self,
        key: str,
        given: Input,
        *,
        user: str | None = None,
        version: int | None = None,
        loaded: Conversation | None = None,
        afresh: bool = True,
        update: int | None = None,
    ) -> Turn:
        """Advance the stored conversation by `given` (typed `/back` and `/restart` are those commands).

        With no conversation stored, a check starts, and typed emergency language is read at once.
        With `version` (from a button), a mismatch raises StaleVersion instead of applying the press
        to a question the person has already moved past, and the turn is shown by editing the card
        the press came from. Without it (typed text, commands), a concurrent change makes us reload
        and apply again, in order, and the turn is shown anew below (`afresh=False` keeps it on the
        card it was shown on). `loaded` is the conversation the caller has just read, saving a store
        round trip; compare-and-set still catches it if it has changed since. `update` is the id of
        the Telegram update carrying `given`: one already applied changes nothing, and the turn shows
        where the conversation stands.
        """
        user = key if user is None else user
        if isinstance(given, Typed):
            given = command_of(given.text) or given
        afresh = afresh and version is None
        show = Show.MOVE if afresh else Show.EDIT
        for attempt in range(MAX_CONFLICT_RETRIES):
            stored = loaded if attempt == 0 and loaded is not None else await self.store.load(key)
            if stored is None and version is not None:
                raise StaleVersion(0)
            if stored is None:
                turn = await self.start(key, user=user, update=update)
                started = turn.conversation
                engine = self.engine_for(started)
                if turn.changed and isinstance(given, Typed) and engine.is_emergency(started.flow_id, given.text):
                    return await self.handle(key, given, user=user, afresh=afresh)
                return turn
            current = self.resolve(stored)
            if version is not None and current.version != version:
                raise StaleVersion(current.version)
            if applied(current, update):
                return Turn(current, self.current(current), changed=False, show=show)
            # A restart is a new check, so it starts on the current version.
            reading = self.versions.use_current() if given is Command.RESTART else self.version_for(current)
            if current is not stored and not self._meant_for_start(current, given):
                # Typed (or /back) while looking at a question that is gone: say why we start again.
                moved = current.bumped(meta={})
                replies: tuple[Reply, ...] = (Notice(FLOW_CHANGED), *reading.engine.current(moved))
            else:
                moved, replies = reading.engine.advance(current, given)
                if moved is current:
                    return Turn(current, replies, changed=False, show=show)
            if moved.flow_version != reading.id:
                moved = replace(moved, flow_version=reading.id)
            shown = moved.version if afresh else current.meta.get(SHOWN)
            if shown is not None:
                intro = {INTRO: True} if current.meta.get(INTRO) and not afresh else {}
                recheck = {RECHECK: current.meta[RECHECK]} if RECHECK in current.meta else {}
                moved = replace(moved, meta={**moved.meta, SHOWN: shown, **intro, **recheck})
            moved = replace(moved, meta={**moved.meta, **carried(current, update)})
            if await self.store.save(key, moved, expected_version=current.version, user=user):
                return Turn(moved, replies, changed=True, show=show)
            if version is not None:
                raise StaleVersion(current.version)
        raise RuntimeError("conversation kept changing under us")

    async def show_afresh(self, key: str, user: str, conversation: Conversation) -> Conversation:
        """Record that the check is shown again as a new message, unchanged otherwise.

        The version moves on, so the buttons of what was shown before become stale.
        """
        current: Conversation | None = conversation
        for _ in range(MAX_CONFLICT_RETRIES):
            if current is None:
                return conversation
            meta = {key: value for key, value in current.meta.items() if key != INTRO}
            moved = current.bumped(meta={**meta, SHOWN: current.version + 1})
            if await self.store.save(key, moved, expected_version=current.version, user=user):
                return moved
            current = await self.store.load(key)
        raise RuntimeError("conversation kept changing under us")

    async def extra(self, key: str, kind: Extra) -> Finished | None:
        """What a finished check's "Why this advice" or "Summary for the doctor" shows; None when the stored
        conversation is not a finished check (restarted, forgotten, or its flow version gone)."""
        stored = await self.store.load(key)
        conversation = self.resolve(stored) if stored is not None else None
        if conversation is None:
            return None
        return self.finished(conversation, kind)

    def finished(self, conversation: Conversation, kind: Extra) -> Finished | None:
        """`extra` for a conversation already read."""
        flow = self.engine_for(conversation).flows.get(conversation.flow_id)
        result = next((r for r in self.current(conversation) if isinstance(r, Result)), None) if flow else None
        if flow is None or result is None:
            return None
        return Finished(kind, flow, conversation, result)

    async def cancel(self, key: str) -> bool:
        """Delete the conversation; True if there was one."""
        existed = await self.store.load(key) is not None
        await self.store.delete(key)
        return existed

    def current(self, conversation: Conversation) -> tuple[Reply, ...]:
        """Where the person is, read with the conversation's own version (and why it starts again, if it does)."""
        replies = self.engine_for(conversation).current(conversation)
        return (Notice(FLOW_CHANGED), *replies) if conversation.meta.get(CHANGED) else replies

    def _meant_for_start(self, conversation: Conversation, given: Input) -> bool:
        """Whether input to a conversation just read afresh (the person last saw a question that is gone)
        is meant for its first question: a button on it (shown with the explanation), a restart, or typed
        emergency language (never missed, whatever was on screen)."""
        if isinstance(given, Pick) or given is Command.RESTART:
            return True
        return isinstance(given, Typed) and self.engine_for(conversation).is_emergency(conversation.flow_id, given.text)

    @staticmethod
    def notice(key: str, **values: str) -> Notice:
        return Notice(key, values)


def new_epoch() -> str:
    """A fresh random `EPOCH` tag (hex)."""
    return secrets.token_hex(EPOCH_BYTES)


def epoch_of(conversation: Conversation) -> str:
    """The conversation's `EPOCH` ("" for one stored before epochs were recorded)."""
    return str(conversation.meta.get(EPOCH, ""))


def applied(conversation: Conversation, update: int | None) -> bool:
    """Whether the update `update` has already changed `conversation` (a redelivery)."""
    return update is not None and update in conversation.meta.get(UPDATES, ())


def recorded(meta: Mapping[str, Any], update: int | None) -> dict[str, Any]:
    """`UPDATES` of `meta` with `update` added (the oldest dropped past RECENT_UPDATES)."""
    ids = list(meta.get(UPDATES, ()))
    if update is not None:
        ids = [*ids, update][-RECENT_UPDATES:]
    return {UPDATES: ids} if ids else {}


def carried(conversation: Conversation, update: int | None = None) -> dict[str, Any]:
    """What the service keeps across every change of `conversation` (the engine rebuilds `meta`):
    its epoch, and the updates that changed it, now with `update`."""
    epoch = {EPOCH: conversation.meta[EPOCH]} if EPOCH in conversation.meta else {}
    return {**epoch, **recorded(conversation.meta, update)}
