"""A typed answer is applied exactly once, even when its update is cut off after the answer was saved.

Telegram redelivers an update its webhook did not answer with 200: the replica stopped past its grace,
or died and its claim's lease ran out. Typed text carries no version, so the conversation records
the update that last changed it, in the same compare-and-set write as the answer; a redelivery that
finds its id there changes nothing and shows the current question again. Real SQLite and real Redis.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

import pytest
import redis.asyncio as aioredis

from bot.storage import SqliteStore, open_store
from bot.storage.base import ConversationStore
from bot.storage.redis import CLAIM_PREFIX
from bot.telegram.webhook import WebhookLimits, WebhookServer
from tests.botapi import BotApiStandIn
from tests.e2e.cuts import Cuts
from tests.e2e.harness import WEBHOOK_PATH, WEBHOOK_SECRET, Person, answered, headline, start_webhook_server
from tests.e2e.steps_flow import load_steps, question
from tests.support.redis_server import RedisServer

WAIT = 5.0
"""Seconds any one step may take before the test fails (an upper bound, never a measurement)."""


class Clock:
    """time.time, but one a test can move forward, so a SQLite lease runs out without waiting."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def __call__(self) -> float:
        return time.time() + self.ahead


class Backend(Protocol):
    kind: str

    async def open(self) -> ConversationStore:
        """One more connection to the shared store, as another replica's process would open."""
        ...

    async def expire_claim(self, update_id: int, lease_seconds: int) -> None:
        """Make the claim on `update_id` pass its lease, as when the replica holding it died."""
        ...


class SqliteBackend:
    kind = "sqlite"

    def __init__(self, data_dir: Path) -> None:
        self.data_dir, self.clock, self.opened = data_dir, Clock(), list[ConversationStore]()

    async def open(self) -> ConversationStore:
        self.opened.append(await SqliteStore.open(self.data_dir, clock=self.clock))
        return self.opened[-1]

    async def expire_claim(self, update_id: int, lease_seconds: int) -> None:
        self.clock.ahead += lease_seconds


class RedisBackend:
    kind = "redis"

    def __init__(self, url: str, data_dir: Path) -> None:
        self.url, self.data_dir, self.opened = url, data_dir, list[ConversationStore]()
        self.raw = aioredis.Redis.from_url(url)

    async def open(self) -> ConversationStore:
        self.opened.append(await open_store(self.url, self.data_dir))
        return self.opened[-1]

    async def expire_claim(self, update_id: int, lease_seconds: int) -> None:
        # PEXPIREAT in the past makes Redis drop the key at once, as when its lease runs out.
        assert await self.raw.pexpireat(f"{CLAIM_PREFIX}{update_id}", 1)


@pytest.fixture(params=["sqlite", "redis"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    chosen: SqliteBackend | RedisBackend
    if request.param == "sqlite":
        chosen = SqliteBackend(tmp_path / "data")
    else:
        server: RedisServer = request.getfixturevalue("redis_server")
        chosen = RedisBackend(server.url, tmp_path / "data")
        await chosen.raw.flushdb()
    yield chosen
    for store in chosen.opened:
        await store.close()
    if isinstance(chosen, RedisBackend):
        await chosen.raw.aclose()


def url(server: WebhookServer) -> str:
    return f"http://127.0.0.1:{server.port}{WEBHOOK_PATH}"


@pytest.mark.parametrize("cut", ["stop", "die"])
async def test_a_typed_answer_cut_off_after_it_was_saved_is_applied_once_when_redelivered(
    api: BotApiStandIn, tmp_path: Path, backend: Backend, alice: Person, cut: str
) -> None:
    loaded = load_steps(tmp_path / "flows")
    cuts = Cuts(await backend.open())
    first = await start_webhook_server(api, loaded, tmp_path, cuts, WebhookLimits(stop_grace=0))
    second = await start_webhook_server(api, loaded, tmp_path, await backend.open())
    try:
        start = api.pending_update(api.send_command(alice.chat, alice.user, "/start"))
        assert await api.deliver_webhook(url(second), start, WEBHOOK_SECRET) == (200, "ok")
        assert headline(alice.question()).startswith(question(1))

        typed = api.pending_update(api.send_text(alice.chat, alice.user, "no"))
        cuts.arm("answer_saved")
        delivery = asyncio.create_task(api.deliver_webhook(url(first), typed, WEBHOOK_SECRET))
        await asyncio.wait_for(cuts.reached.wait(), WAIT)
        if cut == "stop":
            await first.stop()  # past its grace (0 here): the update is cancelled and its claim released
        else:
            cuts.dead = True  # the replica dies: its claim stays until the lease runs out
            for task in list(first.intake.handling):
                task.cancel()
        status, _ = await asyncio.wait_for(delivery, WAIT)
        assert status != 200  # so Telegram delivers it again
        if cut == "die":
            assert await api.deliver_webhook(url(second), typed, WEBHOOK_SECRET) == (503, "in progress")
            await backend.expire_claim(typed["update_id"], first.limits.lease_seconds)

        assert await api.deliver_webhook(url(second), typed, WEBHOOK_SECRET) == (200, "ok")
        card = alice.question()
        assert headline(card).startswith(question(2)), card.text  # not question 3: "no" was not applied twice
        assert len(answered(card)) == 1, card.text
        assert await api.deliver_webhook(url(second), typed, WEBHOOK_SECRET) == (200, "duplicate")
    finally:
        if cut == "die":
            await first.stop()
        await second.stop()
