"""Start, purge, stop, fifty times over a file full of expired rows: the shutdown race never bites.

Each round opens the store, starts the hourly purge, waits until its worker thread has
committed a batch (so the thread is certainly mid-purge), then stops the way the bot does:
the purge task cancelled (or, every other round, left running) and the store closed. Before
close() waited for the worker thread, this closed the connection under the purging thread:
a segfault in most runs, or a file left locked. Nothing here depends on timing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from contextlib import closing
from pathlib import Path

from bot.storage import SqliteStore
from bot.storage.sqlite import FILE_NAME, PURGE_BATCH_ROWS

from .conftest import TTL_SECONDS, FakeClock, make_conversation

ROUNDS = 50
EXPIRED_ROWS = PURGE_BATCH_ROWS * 40
GUARD_SECONDS = 30
"""Only a guard against hanging when something is wrong; nothing waits for it when all is well."""


def top_up_expired_rows(path: Path, now: float) -> None:
    """Bring the file back to EXPIRED_ROWS expired conversations."""
    data = json.dumps(make_conversation(1).to_dict())
    with closing(sqlite3.connect(path)) as db, db:
        db.executemany(
            "INSERT OR IGNORE INTO conversations (key, user, version, data, expires_at) VALUES (?, ?, 1, ?, ?)",
            ((f"old{i}", f"u{i}", data, now) for i in range(EXPIRED_ROWS)),
        )


def expired_count(path: Path) -> int:
    with closing(sqlite3.connect(path)) as db:
        return int(db.execute("SELECT count(*) FROM conversations WHERE key LIKE 'old%'").fetchone()[0])


async def until_a_batch_is_committed(path: Path, purge: asyncio.Task[int]) -> None:
    """Return once the purge's thread has deleted at least one batch (or the purge has ended)."""
    async with asyncio.timeout(GUARD_SECONDS):
        while not purge.done() and await asyncio.to_thread(expired_count, path) == EXPIRED_ROWS:
            await asyncio.sleep(0)


async def test_fifty_starts_purges_and_stops_keep_the_file_whole(tmp_path: Path) -> None:
    clock = FakeClock()
    path = tmp_path / FILE_NAME
    stopped_mid_purge = 0
    for round_number in range(ROUNDS):
        store = await SqliteStore.open(tmp_path, ttl_seconds=TTL_SECONDS, clock=clock)
        top_up_expired_rows(path, clock.now)
        await store.save("fresh", make_conversation(round_number + 1), expected_version=round_number or None, user="f")
        clock.advance(1)  # the rows just inserted are now past their time

        purge = asyncio.create_task(store.purge_expired())
        await until_a_batch_is_committed(path, purge)
        stopped_mid_purge += not purge.done()
        if round_number % 2 == 0:  # what BotRuntime.stop() does to its purger before closing the store
            purge.cancel()
        await asyncio.wait_for(store.close(), GUARD_SECONDS)
        with contextlib.suppress(asyncio.CancelledError, sqlite3.ProgrammingError):
            await purge

        with closing(sqlite3.connect(path)) as db:
            assert db.execute("PRAGMA quick_check").fetchall() == [("ok",)]
            db.execute("BEGIN IMMEDIATE")  # nobody is left holding the write lock
            db.execute("ROLLBACK")
    assert stopped_mid_purge >= ROUNDS // 2, "most rounds must stop while the purge is running"

    store = await SqliteStore.open(tmp_path, ttl_seconds=TTL_SECONDS, clock=clock)
    try:
        assert await store.load("fresh") == make_conversation(ROUNDS)
        await store.purge_expired()
        assert expired_count(path) == 0
    finally:
        await store.close()
