"""Closing the SQLite store while its worker thread purges: wait for the thread, stop it between batches.

The maintenance connection is wrapped in a gate that parks the worker thread right after a
purge batch, so the test decides exactly where the thread is when the task awaiting it is
cancelled and `close()` starts; no sleeping, no timing. Before the fix, the cancelled task let
go of the connection while its thread went on purging, and `close()` closed the connection
under it (a segfault when the thread was inside a statement).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import threading
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from bot.storage import SqliteStore
from bot.storage.sqlite import FILE_NAME, PURGE_BATCH_ROWS, StoreClosedError

from .conftest import TTL_SECONDS, FakeClock, make_conversation

EXPIRED_ROWS = PURGE_BATCH_ROWS * 20
PARK_AFTER_BATCH = 3
GUARD_SECONDS = 30
"""Only a guard against hanging when something is wrong; nothing waits for it when all is well."""


class GatedConnection:
    """The store's maintenance connection, parking its thread after one purge batch and logging late use."""

    def __init__(self, real: sqlite3.Connection, *, hold_later_batches: bool) -> None:
        self.real = real
        self.hold_later_batches = hold_later_batches
        self.batches = 0
        self.parked = threading.Event()
        self.resume = threading.Event()
        self.closed = threading.Event()
        self.used_after_close: list[str] = []

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        purge_batch = sql.startswith("DELETE FROM conversations")
        if purge_batch:
            self.batches += 1
            if self.batches > PARK_AFTER_BATCH and self.hold_later_batches:
                # A thread still purging here must not outlive close(): hold it until the
                # connection is closed, which a correct close() never does meanwhile.
                self.closed.wait(GUARD_SECONDS)
        if self.closed.is_set():
            self.used_after_close.append(sql)
        cursor = self.real.execute(sql, params)
        if purge_batch and self.batches == PARK_AFTER_BATCH:
            self.parked.set()  # between batches, holding no SQLite lock or mutex
            if not self.resume.wait(GUARD_SECONDS):
                raise TimeoutError("the test never resumed the purge")
        return cursor

    def close(self) -> None:
        self.closed.set()
        self.real.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


async def open_with_expired_rows(data_dir: Path, clock: FakeClock) -> SqliteStore:
    store = await SqliteStore.open(data_dir, ttl_seconds=TTL_SECONDS, clock=clock)
    data = json.dumps(make_conversation(1).to_dict())
    with closing(sqlite3.connect(data_dir / FILE_NAME)) as db, db:
        db.executemany(
            "INSERT INTO conversations (key, user, version, data, expires_at) VALUES (?, ?, 1, ?, ?)",
            ((f"old{i}", f"u{i}", data, clock.now) for i in range(EXPIRED_ROWS)),
        )
    await store.save("fresh", make_conversation(1), expected_version=None, user="f")
    return store


@pytest.mark.parametrize("cancel_purge", [True, False], ids=["purge-task-cancelled", "purge-task-running"])
async def test_close_during_a_purge_waits_for_its_thread_and_stops_it_between_batches(
    tmp_path: Path, cancel_purge: bool
) -> None:
    clock = FakeClock()
    store = await open_with_expired_rows(tmp_path, clock)
    gate = GatedConnection(store._maintenance, hold_later_batches=cancel_purge)
    store._maintenance = gate  # type: ignore[assignment]

    purge = asyncio.create_task(store.purge_expired())
    assert await asyncio.to_thread(gate.parked.wait, GUARD_SECONDS), "the purge never reached its third batch"
    if cancel_purge:  # what BotRuntime.stop() does to its purger before the store is closed
        purge.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await purge
    closing_task = asyncio.create_task(store.close())
    await asyncio.sleep(0)  # let close() begin: it must now wait for the parked thread
    gate.resume.set()
    await asyncio.wait_for(closing_task, GUARD_SECONDS)

    if not cancel_purge:
        with pytest.raises(StoreClosedError):
            await purge
    assert gate.used_after_close == [], "a worker thread used the connection after close() closed it"
    assert gate.closed.is_set()
    assert gate.batches == PARK_AFTER_BATCH, "the purge went on after close() instead of stopping"

    left = EXPIRED_ROWS - PARK_AFTER_BATCH * PURGE_BATCH_ROWS
    with closing(sqlite3.connect(tmp_path / FILE_NAME)) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("SELECT count(*) FROM conversations").fetchone() == (left + 1,)
    reopened = await SqliteStore.open(tmp_path, ttl_seconds=TTL_SECONDS, clock=clock)
    try:
        assert await reopened.purge_expired() == left
        assert await reopened.load("fresh") == make_conversation(1)
    finally:
        await reopened.close()


async def test_a_closed_store_refuses_background_work_and_closes_twice(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path)
    await store.save("k", make_conversation(1), expected_version=None, user="u")
    await store.close()
    with pytest.raises(StoreClosedError):
        await store.purge_expired()
    await store.close()
    with pytest.raises(sqlite3.ProgrammingError):
        await store.load("k")
