"""What only the SQLite store does: a file on disk, clock-driven expiry, purging, restarts."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.storage import SqliteStore, open_store
from bot.storage.base import DEDUP_TTL_SECONDS
from bot.storage.sqlite import FILE_NAME

from .conftest import TTL_SECONDS, FakeClock, SqliteHarness, make_conversation


async def test_open_creates_the_data_folder_and_file(tmp_path: Path) -> None:
    data_dir = tmp_path / "not" / "yet" / "there"
    store = await SqliteStore.open(data_dir)
    await store.close()
    assert (data_dir / FILE_NAME).is_file()


async def test_open_store_defaults_to_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    store = await open_store(" SQLite ", tmp_path)
    try:
        assert isinstance(store, SqliteStore)
        assert await store.save("k", make_conversation(1), expected_version=None, user="u")
    finally:
        await store.close()
    assert (tmp_path / FILE_NAME).is_file()


async def test_reopening_the_same_folder_keeps_everything(tmp_path: Path) -> None:
    clock = FakeClock()
    store = await SqliteStore.open(tmp_path, clock=clock)
    await store.save("k", make_conversation(1), expected_version=None, user="u")
    await store.save_chat_settings("g", {"lang": "de"})
    await store.mark_update_seen(42)
    await store.close()

    store = await SqliteStore.open(tmp_path, clock=clock)
    try:
        assert await store.load("k") == make_conversation(1)
        assert await store.save("k", make_conversation(2), expected_version=1, user="u")
        assert await store.load_chat_settings("g") == {"lang": "de"}
        assert await store.mark_update_seen(42) is False
        assert await store.forget_user("u") == 1
    finally:
        await store.close()


async def test_time_to_live_counts_from_the_last_save(sqlite_harness: SqliteHarness) -> None:
    store, clock = sqlite_harness.store, sqlite_harness.clock
    await store.save("k", make_conversation(1), expected_version=None, user="u")
    clock.advance(TTL_SECONDS - 1)
    assert await store.save("k", make_conversation(2), expected_version=1, user="u")
    clock.advance(TTL_SECONDS - 1)
    assert await store.load("k") == make_conversation(2)
    clock.advance(1)
    assert await store.load("k") is None


async def test_update_ids_are_remembered_for_the_dedup_window_only(sqlite_harness: SqliteHarness) -> None:
    store, clock = sqlite_harness.store, sqlite_harness.clock
    await store.mark_update_seen(9)
    clock.advance(DEDUP_TTL_SECONDS - 1)
    assert await store.mark_update_seen(9) is False
    clock.advance(1)
    assert await store.mark_update_seen(9) is True


async def test_purge_deletes_expired_rows_only(sqlite_harness: SqliteHarness) -> None:
    store, clock = sqlite_harness.store, sqlite_harness.clock
    await store.save("old1", make_conversation(1), expected_version=None, user="u")
    await store.save("old2", make_conversation(1), expected_version=None, user="v")
    await store.mark_update_seen(1)
    clock.advance(max(TTL_SECONDS, DEDUP_TTL_SECONDS))
    await store.save("fresh", make_conversation(1), expected_version=None, user="u")
    await store.mark_update_seen(2)

    assert await store.purge_expired() == 2

    assert await sqlite_harness.stored_keys() == {"fresh"}
    assert sqlite_harness.query("SELECT update_id FROM seen_updates") == [(2,)]
    assert await store.purge_expired() == 0


async def test_two_stores_on_one_file_still_let_one_writer_win(tmp_path: Path) -> None:
    """Two processes (say, a restart overlapping the old one) share the file safely."""
    first, second = await SqliteStore.open(tmp_path), await SqliteStore.open(tmp_path)
    try:
        await first.save("k", make_conversation(1), expected_version=None, user="u")
        results = await asyncio.gather(
            first.save("k", make_conversation(2, where="one"), expected_version=1, user="u"),
            second.save("k", make_conversation(2, where="two"), expected_version=1, user="u"),
        )
        assert sorted(results) == [False, True]
        winner = make_conversation(2, where="one" if results[0] else "two")
        assert await second.load("k") == winner
    finally:
        await first.close()
        await second.close()


async def test_file_uses_write_ahead_logging(sqlite_harness: SqliteHarness) -> None:
    """WAL is what lets a backup or a second process read while the bot writes."""
    assert sqlite_harness.query("PRAGMA journal_mode") == [("wal",)]


@pytest.mark.parametrize("ttl", [0, -5])
async def test_non_positive_ttl_is_rejected(tmp_path: Path, ttl: int) -> None:
    with pytest.raises(ValueError, match="must be positive"):
        await SqliteStore.open(tmp_path, ttl_seconds=ttl)
