"""Load → advance → save → replies, with compare-and-set so a double tap advances only once.

This is the one place that joins the pure engine to a store; the Telegram adapter calls it
and only renders and sends what comes back.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.engine.conversation import Conversation
from bot.engine.engine import Engine
from bot.engine.replies import Input, Notice, Reply
from bot.storage.base import ConversationStore

MAX_CONFLICT_RETRIES = 5
"""Concurrent writers to one conversation are rare (one person); a few retries always settle."""

SHOWN = "shown"
"""`meta` key the front end owns: the conversation version at which the check was last shown afresh
(Telegram sends its card as a new message). The engine rebuilds `meta` on each step, so the service
carries this key across; a press whose version is older than it came from an older card."""


@dataclass(frozen=True, slots=True)
class Turn:
    """What one input did: the conversation after it, what to show, and whether it changed."""

    conversation: Conversation
    replies: tuple[Reply, ...]
    changed: bool
    started: bool = False


class StaleVersion(Exception):
    """The button pressed belongs to an older version of the conversation."""


class ConversationService:
    """Applies inputs to stored conversations; the engine can be swapped on hot reload."""

    def __init__(self, engine: Engine, store: ConversationStore) -> None:
        self.engine = engine
        self.store = store

    async def load(self, key: str) -> Conversation | None:
        return await self.store.load(key)

    async def start(self, key: str, user: str, flow_id: str | None = None, *, resume: bool = False) -> Turn:
        """Begin a check (or, with `resume`, show where an unfinished one stands)."""
        for _ in range(MAX_CONFLICT_RETRIES):
            current = await self.store.load(key)
            if resume and current is not None and current.flow_id in self.engine.flows:
                flow = self.engine.flows[current.flow_id]
                if flow.question(current.step) is not None and (flow_id is None or flow_id == current.flow_id):
                    return Turn(current, self.engine.current(current), changed=False)
            chosen = flow_id if flow_id is not None and flow_id in self.engine.flows else self.engine.default_flow
            fresh, replies = self.engine.start(chosen, current.version if current else 0)
            fresh = replace(fresh, meta={**fresh.meta, SHOWN: fresh.version})
            if await self.store.save(key, fresh, expected_version=current.version if current else None, user=user):
                return Turn(fresh, replies, changed=True, started=True)
        raise RuntimeError("conversation kept changing under us")

    async def apply(
        self,
        key: str,
        user: str,
        given: Input,
        *,
        version: int | None = None,
        loaded: Conversation | None = None,
        afresh: bool = False,
    ) -> Turn | None:
        """Advance the stored conversation by `given`; None when there is no conversation.

        With `version` (from a button), a mismatch raises StaleVersion instead of applying the
        press to a question the person has already moved past. Without it (typed text,
        commands), a concurrent change makes us reload and apply again, in order. `loaded` is
        the conversation the caller has just read, saving a store round trip; compare-and-set
        still catches it if it has changed since. `afresh` says the front end will show the
        result as a new message (not by editing the last one), recorded under `SHOWN`.
        """
        for attempt in range(MAX_CONFLICT_RETRIES):
            current = loaded if attempt == 0 and loaded is not None else await self.store.load(key)
            if current is None:
                return None
            if version is not None and current.version != version:
                raise StaleVersion(current.version)
            moved, replies = self.engine.advance(current, given)
            if moved is current:
                return Turn(current, replies, changed=False)
            shown = moved.version if afresh else current.meta.get(SHOWN)
            if shown is not None:
                moved = replace(moved, meta={**moved.meta, SHOWN: shown})
            if await self.store.save(key, moved, expected_version=current.version, user=user):
                return Turn(moved, replies, changed=True)
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
            moved = current.bumped(meta={**current.meta, SHOWN: current.version + 1})
            if await self.store.save(key, moved, expected_version=current.version, user=user):
                return moved
            current = await self.store.load(key)
        raise RuntimeError("conversation kept changing under us")

    async def cancel(self, key: str) -> bool:
        """Delete the conversation; True if there was one."""
        existed = await self.store.load(key) is not None
        await self.store.delete(key)
        return existed

    def current(self, conversation: Conversation) -> tuple[Reply, ...]:
        return self.engine.current(conversation)

    @staticmethod
    def notice(key: str, **values: str) -> Notice:
        return Notice(key, values)
