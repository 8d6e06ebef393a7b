"""Stopping a webhook replica loses no update: the one in flight finishes, and one cut off is handled on redelivery.

An update is claimed when it arrives and recorded as seen once handled. A store that can hold a
claim (`UpdateLeases`) lets a redelivery of an unfinished update through; with one that cannot,
the update counts as seen when it arrives, as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from telegram import Update
from telegram.ext import ContextTypes, TypeHandler

from bot.bootstrap import Loaded
from bot.storage import open_store
from bot.storage.base import ConversationStore
from bot.telegram.app import BotRuntime
from bot.telegram.webhook import Claim, UpdateLeases, WebhookLimits, WebhookServer
from tests.botapi import BotApiStandIn
from tests.e2e.harness import WEBHOOK_PATH, WEBHOOK_SECRET, Person, Replica, settings_for

WAIT = 5.0
"""Seconds any one step may take before the test fails (an upper bound, never a measurement)."""


class Gate:
    """Holds every update before its handlers run, until opened."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.opened = asyncio.Event()

    async def hold(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        self.entered.set()
        await self.opened.wait()


def gate_updates(server: WebhookServer) -> Gate:
    gate = Gate()
    server.runtime.application.add_handler(TypeHandler(Update, gate.hold), group=-1)
    return gate


class LeasingStore:
    """A real store plus claims held in memory, shared by every replica given the same `leases`."""

    def __init__(self, store: ConversationStore, leases: dict[int, str]) -> None:
        self.store = store
        self.leases = leases

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    async def claim_update(self, update_id: int, lease_seconds: int) -> Claim:
        state = self.leases.get(update_id)
        if state is not None:
            return "seen" if state == "seen" else "busy"
        self.leases[update_id] = "held"
        return "claimed"

    async def settle_update(self, update_id: int, handled: bool) -> None:
        if handled:
            self.leases[update_id] = "seen"
        else:
            del self.leases[update_id]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[ConversationStore]:
    opened = await open_store("sqlite", tmp_path)
    yield opened
    await opened.close()


async def start_replica(
    api: BotApiStandIn, loaded: Loaded, store: Any, tmp_path: Path, limits: WebhookLimits | None = None
) -> WebhookServer:
    settings = settings_for(
        api,
        tmp_path,
        webhook_url="https://twitchcheck.example" + WEBHOOK_PATH,
        webhook_secret=WEBHOOK_SECRET,
        webhook_listen="127.0.0.1",
        webhook_port=0,
    )
    runtime = BotRuntime(settings, loaded, store, retry_backoff=0.01, on_update_handled=api.handled_callback())
    server = WebhookServer(settings, runtime, limits)
    await server.start(register=False)
    return server


def url(server: WebhookServer) -> str:
    return f"http://127.0.0.1:{server.port}{WEBHOOK_PATH}"


async def test_stopping_a_replica_finishes_the_update_in_flight(
    api: BotApiStandIn, loaded: Loaded, tmp_path: Path, alice: Person
) -> None:
    replica = await Replica.start(api, loaded, tmp_path, "sqlite")
    gate = gate_updates(replica.server)
    update = api.pending_update(api.send_command(alice.chat, alice.user, "/start"))
    delivery = asyncio.create_task(api.deliver_webhook(replica.url, update, WEBHOOK_SECRET))
    await asyncio.wait_for(gate.entered.wait(), WAIT)
    stopping = asyncio.create_task(replica.server.stop())
    try:
        for _ in range(50):  # let stop() get as far as it can go without the update (loop turns, no timing)
            await asyncio.sleep(0)
        assert not stopping.done()
        gate.opened.set()
        assert await asyncio.wait_for(delivery, WAIT) == (200, "ok")
        await asyncio.wait_for(stopping, WAIT)
    finally:
        gate.opened.set()
        await asyncio.gather(stopping, delivery, return_exceptions=True)
        await replica.store.close()
    assert alice.question().text.startswith("First, a safety question")


async def test_an_update_cut_off_by_a_stop_is_handled_when_telegram_redelivers_it(
    api: BotApiStandIn, loaded: Loaded, tmp_path: Path, store: ConversationStore, alice: Person
) -> None:
    leases: dict[int, str] = {}
    first = await start_replica(api, loaded, LeasingStore(store, leases), tmp_path, WebhookLimits(stop_grace=0))
    second = await start_replica(api, loaded, LeasingStore(store, leases), tmp_path)
    try:
        gate = gate_updates(first)
        update_id = api.send_command(alice.chat, alice.user, "/start")
        update = api.pending_update(update_id)
        delivery = asyncio.create_task(api.deliver_webhook(url(first), update, WEBHOOK_SECRET))
        await asyncio.wait_for(gate.entered.wait(), WAIT)
        assert leases == {update_id: "held"}
        await first.stop()  # no grace: the update is cut off, and its claim released
        status, _ = await asyncio.wait_for(delivery, WAIT)
        assert status != 200  # so Telegram delivers it again
        assert update_id not in leases
        assert await api.deliver_webhook(url(second), update, WEBHOOK_SECRET) == (200, "ok")
        assert alice.question().text.startswith("First, a safety question")
    finally:
        await second.stop()


async def test_a_redelivery_while_another_replica_handles_the_update_is_asked_to_come_back(
    api: BotApiStandIn, loaded: Loaded, tmp_path: Path, store: ConversationStore, alice: Person
) -> None:
    leases: dict[int, str] = {}
    first = await start_replica(api, loaded, LeasingStore(store, leases), tmp_path)
    second = await start_replica(api, loaded, LeasingStore(store, leases), tmp_path)
    try:
        gate = gate_updates(first)
        update = api.pending_update(api.send_command(alice.chat, alice.user, "/start"))
        delivery = asyncio.create_task(api.deliver_webhook(url(first), update, WEBHOOK_SECRET))
        await asyncio.wait_for(gate.entered.wait(), WAIT)
        assert await api.deliver_webhook(url(second), update, WEBHOOK_SECRET) == (503, "in progress")
        gate.opened.set()
        assert await asyncio.wait_for(delivery, WAIT) == (200, "ok")
        assert await api.deliver_webhook(url(second), update, WEBHOOK_SECRET) == (200, "duplicate")
        assert len([m for m in api.bot_messages(alice.chat) if m.text.startswith("First, a safety question")]) == 1
    finally:
        await first.stop()
        await second.stop()


async def test_a_store_without_leases_counts_an_update_as_seen_when_it_arrives(
    api: BotApiStandIn, loaded: Loaded, tmp_path: Path, store: ConversationStore, alice: Person
) -> None:
    assert not isinstance(store, UpdateLeases)
    first = await start_replica(api, loaded, store, tmp_path)
    second = await start_replica(api, loaded, store, tmp_path)
    try:
        gate = gate_updates(first)
        update = api.pending_update(api.send_command(alice.chat, alice.user, "/start"))
        delivery = asyncio.create_task(api.deliver_webhook(url(first), update, WEBHOOK_SECRET))
        await asyncio.wait_for(gate.entered.wait(), WAIT)
        assert await api.deliver_webhook(url(second), update, WEBHOOK_SECRET) == (200, "duplicate")
        gate.opened.set()
        assert await asyncio.wait_for(delivery, WAIT) == (200, "ok")
    finally:
        await first.stop()
        await second.stop()


async def test_while_stopping_a_request_on_an_open_connection_is_refused_and_not_recorded(
    api: BotApiStandIn, loaded: Loaded, tmp_path: Path, store: ConversationStore, alice: Person
) -> None:
    first = await start_replica(api, loaded, store, tmp_path)
    second = await start_replica(api, loaded, store, tmp_path)
    try:
        gate = gate_updates(first)
        held = api.pending_update(api.send_command(alice.chat, alice.user, "/start"))
        delivery = asyncio.create_task(api.deliver_webhook(url(first), held, WEBHOOK_SECRET))
        await asyncio.wait_for(gate.entered.wait(), WAIT)
        stopping = asyncio.create_task(first.stop())
        for _ in range(50):
            await asyncio.sleep(0)
        late = api.pending_update(api.send_command(alice.chat, alice.user, "/help"))
        assert (await first.intake.receive(WEBHOOK_SECRET, _body(late)))[0] == 503
        gate.opened.set()
        assert await asyncio.wait_for(delivery, WAIT) == (200, "ok")
        await asyncio.wait_for(stopping, WAIT)
        assert await api.deliver_webhook(url(second), late, WEBHOOK_SECRET) == (200, "ok")
    finally:
        await second.stop()


def _body(update: dict[str, Any]) -> bytes:
    import json

    return json.dumps(update).encode()
