"""Another writer holding the SQLite write lock: the loop keeps serving, and no press is lost.

A second connection (as a second process, a migration or a careless sqlite3 shell would) holds
the write lock with BEGIN IMMEDIATE. No timing is asserted: an unrelated coroutine must get to
run while the presses are still waiting, and the presses must go through once the lock is
released, or fail with one clear error once the store's deadline has passed.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from bot.storage import sqlite as sqlite_module

from .conftest import LEASE_SECONDS, SqliteHarness, make_conversation

PRESSES = 10
GUARD_SECONDS = 30
"""Only a guard against hanging when something is wrong; nothing waits for it when all is well."""


@contextmanager
def write_lock_held_elsewhere(data_dir: Path) -> Iterator[sqlite3.Connection]:
    """A second connection holding the database's write lock until it commits."""
    with closing(sqlite3.connect(data_dir / sqlite_module.FILE_NAME, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO chat_settings (chat, data) VALUES ('elsewhere', '{}')")
        try:
            yield other
        finally:
            if other.in_transaction:
                other.execute("COMMIT")


async def test_a_write_lock_held_elsewhere_never_freezes_the_loop_and_every_press_goes_through(
    sqlite_harness: SqliteHarness,
) -> None:
    store = sqlite_harness.store
    for i in range(PRESSES):
        await store.save(f"k{i}", make_conversation(1), expected_version=None, user=f"u{i}")

    with write_lock_held_elsewhere(sqlite_harness.data_dir) as other:
        presses = [
            asyncio.create_task(store.save(f"k{i}", make_conversation(2), expected_version=1, user=f"u{i}"))
            for i in range(PRESSES)
        ]
        seen = asyncio.create_task(store.mark_update_seen(7))
        ran = asyncio.Event()

        async def someone_elses_help() -> None:
            """Unrelated work on the same loop, such as another chat's /help."""
            ran.set()

        helper = asyncio.create_task(someone_elses_help())
        await asyncio.wait_for(ran.wait(), GUARD_SECONDS)
        await helper
        assert not any(press.done() for press in presses), "a press finished (or failed) before the loop ran again"
        assert not seen.done()
        # Reading needs no write lock: other people's checks still load meanwhile.
        assert await store.load("k0") == make_conversation(1)
        other.execute("COMMIT")

    assert await asyncio.wait_for(asyncio.gather(*presses), GUARD_SECONDS) == [True] * PRESSES
    assert await seen is True
    for i in range(PRESSES):
        assert await store.load(f"k{i}") == make_conversation(2)
    assert await store.load_chat_settings("elsewhere") == {}


async def test_a_lock_held_past_the_deadline_fails_the_press_with_one_clear_error(
    sqlite_harness: SqliteHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_module, "LOCKED_DEADLINE_SECONDS", 0.2)
    store = sqlite_harness.store
    await store.save("k", make_conversation(1), expected_version=None, user="u")

    with write_lock_held_elsewhere(sqlite_harness.data_dir):
        press = asyncio.create_task(store.save("k", make_conversation(2), expected_version=1, user="u"))
        ran = asyncio.Event()
        asyncio.get_running_loop().call_soon(ran.set)
        await asyncio.wait_for(ran.wait(), GUARD_SECONDS)
        assert not press.done()
        with pytest.raises(sqlite_module.StoreLockedError) as raised:
            await asyncio.wait_for(press, GUARD_SECONDS)

    assert isinstance(raised.value, sqlite3.OperationalError)
    assert str(raised.value) == (
        f"the SQLite database {sqlite_harness.data_dir / sqlite_module.FILE_NAME} stayed locked by another "
        "writer for 0.2 s; is another process (a second bot on the same data folder, or a sqlite3 shell) writing to it?"
    )
    # Nothing was written, and the store works again once the lock is gone.
    assert await store.load("k") == make_conversation(1)
    assert await store.save("k", make_conversation(2), expected_version=1, user="u")


async def test_a_forget_waits_for_the_lock_too(sqlite_harness: SqliteHarness) -> None:
    store = sqlite_harness.store
    await store.save("k", make_conversation(1), expected_version=None, user="u")
    with write_lock_held_elsewhere(sqlite_harness.data_dir) as other:
        forget = asyncio.create_task(store.forget_user("u"))
        ran = asyncio.Event()
        asyncio.get_running_loop().call_soon(ran.set)
        await asyncio.wait_for(ran.wait(), GUARD_SECONDS)
        assert not forget.done()
        other.execute("COMMIT")
    assert await asyncio.wait_for(forget, GUARD_SECONDS) == 1
    assert await store.load("k") is None


async def test_claims_and_settles_wait_for_the_lock_too(sqlite_harness: SqliteHarness) -> None:
    store = sqlite_harness.store
    await store.claim_update(1, LEASE_SECONDS)
    with write_lock_held_elsewhere(sqlite_harness.data_dir) as other:
        claim = asyncio.create_task(store.claim_update(2, LEASE_SECONDS))
        settle = asyncio.create_task(store.settle_update(1, handled=True))
        ran = asyncio.Event()
        asyncio.get_running_loop().call_soon(ran.set)
        await asyncio.wait_for(ran.wait(), GUARD_SECONDS)
        assert not claim.done() and not settle.done()
        other.execute("COMMIT")
    assert await asyncio.wait_for(claim, GUARD_SECONDS) == "claimed"
    await asyncio.wait_for(settle, GUARD_SECONDS)
    assert await store.claim_update(1, LEASE_SECONDS) == "seen"
    assert await store.claim_update(2, LEASE_SECONDS) == "busy"
