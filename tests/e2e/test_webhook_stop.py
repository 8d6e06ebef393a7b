"""Stopping a webhook replica loses no update: the one in flight finishes, and one cut off is handled on redelivery.

An update is claimed in the store when it arrives and recorded as seen once handled. The real
SQLite store holds the claim, so a redelivery of an update that was cut off, or whose replica
crashed (once its lease runs out), is handled; each replica has its own connection to the one
file, as separate processes would. A store without leases counts an update as seen when it arrives.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from telegram import Update
from telegram.ext import ContextTypes, TypeHandler

from bot.bootstrap import Loaded
from bot.storage import SqliteStore
from bot.storage.sqlite import FILE_NAME
from bot.telegram.webhook import UpdateLeases, WebhookLimits, WebhookServer
from tests.support.botapi import BotApiStandIn
from tests.support.harness import WEBHOOK_PATH, WEBHOOK_SECRET, Person, Replica, headline, start_webhook_server

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


class Clock:
    """time.time, but one a test can move forward, so a lease runs out without waiting for it."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def __call__(self) -> float:
        return time.time() + self.ahead


class WithoutLeases:
    """A real store with its claim methods hidden, as a store that has none."""

    def __init__(self, store: SqliteStore) -> None:
        self.store = store

    def __getattr__(self, name: str) -> Any:
        if name in ("claim_update", "settle_update"):
            raise AttributeError(name)
        return getattr(self.store, name)


OpenStore = Callable[[], Awaitable[SqliteStore]]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def open_sqlite(tmp_path: Path, clock: Clock) -> AsyncIterator[OpenStore]:
    """Opens one more connection to the shared SQLite file, as another replica's process would."""
    opened: list[SqliteStore] = []

    async def open_one() -> SqliteStore:
        opened.append(await SqliteStore.open(tmp_path, clock=clock))
        return opened[-1]

    yield open_one
    for store in opened:
        await store.close()


@pytest.fixture
async def store(open_sqlite: OpenStore) -> SqliteStore:
    return await open_sqlite()


def claimed_updates(data_dir: Path) -> list[int]:
    """Update ids with a claim in the file, read as an operator would."""
    with closing(sqlite3.connect(data_dir / FILE_NAME)) as db:
        return [row[0] for row in db.execute("SELECT update_id FROM update_claims")]


def safety_questions(api: BotApiStandIn, person: Person) -> int:
    return len([m for m in api.bot_messages(person.chat) if headline(m).startswith("First, a safety question")])


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
    assert headline(alice.question()).startswith("First, a safety question")


async def test_an_update_cut_off_by_a_stop_is_handled_when_telegram_redelivers_it(
    api: BotApiStandIn, loaded: Loaded, tmp_path: Path, open_sqlite: OpenStore, alice: Person
) -> None:
    first = await start_webhook_server(api, loaded, tmp_path, await open_sqlite(), WebhookLimits(stop_grace=0))
    second = await start_webhook_server(api, loaded, tmp_path, await open_sqlite())
    try:
        gate = gate_updates(first)
        update_id = api.send_command(alice.chat, alice.user, "/start")
        update = api.pending_update(update_id)
        delivery = asyncio.create_task(api.deliver_webhook(url(first), update, WEBHOOK_SECRET))
        await asyncio.wait_for(gate.entered.wait(), WAIT)
        assert claimed_updates(tmp_path) == [update_id]
        await first.stop()  # no grace: the update is cut off, and its claim released
        status, _ = await asyncio.wait_for(delivery, WAIT)
        assert status != 200  # so Telegram delivers it again
        assert claimed_updates(tmp_path) == []
        assert await api.deliver_webhook(url(second), update, WEBHOOK_SECRET) == (200, "ok")
        assert headline(alice.question()).startswith("First, a safety question")
        assert await api.deliver_webhook(url(second), update, WEBHOOK_SECRET) == (200, "duplicate")
        assert safety_questions(api, alice) == 1
    finally:
        await second.stop()


async def test_an_update_whose_replica_crashed_before_settling_is_handled_once_when_its_lease_runs_out(
    api: BotApiStandIn, loaded: Loaded, tmp_path: Path, open_sqlite: OpenStore, clock: Clock, alice: Person
) -> None:
    crashing = await open_sqlite()
    first = await start_webhook_server(api, loaded, tmp_path, crashing, WebhookLimits(stop_grace=0))
    second = await start_webhook_server(api, loaded, tmp_path, await open_sqlite())
    gate = gate_updates(first)
    update = api.pending_update(api.send_command(alice.chat, alice.user, "/start"))
    delivery = asyncio.create_task(api.deliver_webhook(url(first), update, WEBHOOK_SECRET))
    try:
        await asyncio.wait_for(gate.entered.wait(), WAIT)
        # The replica dies between claim and settle: from here on nothing it does reaches the file.
        await crashing.close()
        assert await api.deliver_webhook(url(second), update, WEBHOOK_SECRET) == (503, "in progress")
        clock.ahead += first.limits.lease_seconds
        assert await api.deliver_webhook(url(second), update, WEBHOOK_SECRET) == (200, "ok")
        assert await api.deliver_webhook(url(second), update, WEBHOOK_SECRET) == (200, "duplicate")
        assert headline(alice.question()).startswith("First, a safety question")
        assert safety_questions(api, alice) == 1
    finally:
        await first.stop()  # cancels what the dead replica still held; its answer is not a 200
        assert (await asyncio.wait_for(delivery, WAIT))[0] != 200
        await second.stop()
    assert safety_questions(api, alice) == 1


async def test_a_redelivery_while_another_replica_handles_the_update_is_asked_to_come_back(
    api: BotApiStandIn, loaded: Loaded, tmp_path: Path, open_sqlite: OpenStore, alice: Person
) -> None:
    first = await start_webhook_server(api, loaded, tmp_path, await open_sqlite())
    second = await start_webhook_server(api, loaded, tmp_path, await open_sqlite())
    try:
        gate = gate_updates(first)
        update = api.pending_update(api.send_command(alice.chat, alice.user, "/start"))
        delivery = asyncio.create_task(api.deliver_webhook(url(first), update, WEBHOOK_SECRET))
        await asyncio.wait_for(gate.entered.wait(), WAIT)
        assert await api.deliver_webhook(url(second), update, WEBHOOK_SECRET) == (503, "in progress")
        gate.opened.set()
        assert await asyncio.wait_for(delivery, WAIT) == (200, "ok")
        assert await api.deliver_webhook(url(second), update, WEBHOOK_SECRET) == (200, "duplicate")
        assert safety_questions(api, alice) == 1
    finally:
        await first.stop()
        await second.stop()


async def test_a_store_without_leases_counts_an_update_as_seen_when_it_arrives(
    api: BotApiStandIn, loaded: Loaded, tmp_path: Path, store: SqliteStore, alice: Person
) -> None:
    assert isinstance(store, UpdateLeases)
    without = WithoutLeases(store)
    assert not isinstance(without, UpdateLeases)
    first = await start_webhook_server(api, loaded, tmp_path, without)
    second = await start_webhook_server(api, loaded, tmp_path, without)
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
    api: BotApiStandIn, loaded: Loaded, tmp_path: Path, store: SqliteStore, alice: Person
) -> None:
    first = await start_webhook_server(api, loaded, tmp_path, store)
    second = await start_webhook_server(api, loaded, tmp_path, store)
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


class SettleFails:
    """A real store whose settle_update fails, as when the store goes down after the update was handled."""

    def __init__(self, store: SqliteStore) -> None:
        self.store = store

    async def settle_update(self, update_id: int, handled: bool) -> None:
        raise ConnectionError("store went away")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


async def test_a_handled_update_whose_claim_cannot_be_settled_is_still_answered_ok(
    api: BotApiStandIn,
    loaded: Loaded,
    tmp_path: Path,
    store: SqliteStore,
    alice: Person,
    caplog: pytest.LogCaptureFixture,
) -> None:
    replica = await start_webhook_server(api, loaded, tmp_path, SettleFails(store))
    try:
        update = api.pending_update(api.send_command(alice.chat, alice.user, "/start"))
        assert await api.deliver_webhook(url(replica), update, WEBHOOK_SECRET) == (200, "ok")
        assert headline(alice.question()).startswith("First, a safety question")
    finally:
        await replica.stop()
    settle_errors = [r for r in caplog.records if getattr(r, "fields", {}).get("where") == "webhook_settle"]
    assert len(settle_errors) == 1 and not any(r.exc_info for r in caplog.records)
