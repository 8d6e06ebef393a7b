"""What only the SQLite store does: a file on disk, clock-driven expiry, purging, restarts."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.storage import SqliteStore, open_store
from bot.storage import sqlite as sqlite_module
from bot.storage.base import DEDUP_TTL_SECONDS
from bot.storage.sqlite import FILE_NAME

from .conftest import LEASE_SECONDS, TTL_SECONDS, FakeClock, SqliteHarness, make_conversation


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


async def test_a_claim_lasts_its_lease_from_when_it_was_taken(sqlite_harness: SqliteHarness) -> None:
    store, clock = sqlite_harness.store, sqlite_harness.clock
    assert await store.claim_update(9, LEASE_SECONDS) == "claimed"
    clock.advance(LEASE_SECONDS - 1)
    assert await store.claim_update(9, LEASE_SECONDS) == "busy"  # a refused claim does not extend the lease
    clock.advance(1)
    assert await store.claim_update(9, LEASE_SECONDS) == "claimed"


async def test_a_handled_update_is_seen_for_the_dedup_window_from_when_it_was_settled(
    sqlite_harness: SqliteHarness,
) -> None:
    store, clock = sqlite_harness.store, sqlite_harness.clock
    await store.claim_update(9, LEASE_SECONDS)
    clock.advance(LEASE_SECONDS - 1)
    await store.settle_update(9, handled=True)
    assert sqlite_harness.query("SELECT update_id FROM update_claims") == []
    clock.advance(DEDUP_TTL_SECONDS - 1)
    assert await store.claim_update(9, LEASE_SECONDS) == "seen"
    clock.advance(1)
    assert await store.claim_update(9, LEASE_SECONDS) == "claimed"


async def test_claims_and_seen_ids_survive_a_restart(tmp_path: Path) -> None:
    clock = FakeClock()
    store = await SqliteStore.open(tmp_path, clock=clock)
    await store.claim_update(1, LEASE_SECONDS)
    await store.claim_update(2, LEASE_SECONDS)
    await store.settle_update(2, handled=True)
    await store.close()
    store = await SqliteStore.open(tmp_path, clock=clock)
    try:
        assert await store.claim_update(1, LEASE_SECONDS) == "busy"
        assert await store.claim_update(2, LEASE_SECONDS) == "seen"
    finally:
        await store.close()


async def test_claims_and_settles_from_two_stores_on_one_file_agree(tmp_path: Path) -> None:
    """Two processes on one file: each claim and settle is one transaction, so none sees half of another."""
    first, second = await SqliteStore.open(tmp_path), await SqliteStore.open(tmp_path)
    try:
        claims = await asyncio.gather(*(s.claim_update(7, LEASE_SECONDS) for s in (first, second, first, second)))
        assert sorted(claims) == ["busy"] * 3 + ["claimed"]
        holder, other = (first, second) if claims.index("claimed") % 2 == 0 else (second, first)
        await holder.settle_update(7, handled=True)
        assert await other.claim_update(7, LEASE_SECONDS) == "seen"
    finally:
        await first.close()
        await second.close()


async def test_purge_deletes_expired_rows_only(sqlite_harness: SqliteHarness) -> None:
    store, clock = sqlite_harness.store, sqlite_harness.clock
    await store.save("old1", make_conversation(1), expected_version=None, user="u")
    await store.save("old2", make_conversation(1), expected_version=None, user="v")
    await store.mark_update_seen(1)
    await store.claim_update(3, LEASE_SECONDS)  # its replica crashed
    clock.advance(max(TTL_SECONDS, DEDUP_TTL_SECONDS))
    await store.save("fresh", make_conversation(1), expected_version=None, user="u")
    await store.mark_update_seen(2)
    await store.claim_update(4, LEASE_SECONDS)

    assert await store.purge_expired() == 2

    assert await sqlite_harness.stored_keys() == {"fresh"}
    assert sqlite_harness.query("SELECT update_id FROM seen_updates") == [(2,)]
    assert sqlite_harness.query("SELECT update_id FROM update_claims") == [(4,)]
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


async def test_checkpoints_off_the_loop_keep_the_write_ahead_log_from_growing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_module, "CHECKPOINT_EVERY_WRITES", 50)
    store = await SqliteStore.open(tmp_path)
    wal = tmp_path / (FILE_NAME + "-wal")

    async def write_fifty(start: int) -> None:
        for i in range(start, start + 50):
            await store.save(f"k{i}", make_conversation(1), expected_version=None, user=f"u{i}")
        assert store._checkpoint is not None, "the fiftieth write starts a checkpoint"
        await store._checkpoint

    try:
        await write_fifty(0)
        after_one_batch = wal.stat().st_size
        for start in range(50, 500, 50):
            await write_fifty(start)
        # Without checkpoints (automatic ones are off on the loop's connection) the log
        # would hold all ten batches; with them, each batch reuses the log from the start.
        assert wal.stat().st_size <= after_one_batch * 1.5
        assert len(await asyncio.gather(*(store.load(f"k{i}") for i in range(500)))) == 500
    finally:
        await store.close()


async def test_purging_many_rows_goes_in_batches_and_misses_none(sqlite_harness: SqliteHarness) -> None:
    store = sqlite_harness.store
    for i in range(sqlite_module.PURGE_BATCH_ROWS * 2 + 7):
        await store.save(f"old{i}", make_conversation(1), expected_version=None, user="u")
    sqlite_harness.clock.advance(TTL_SECONDS + 1)
    await store.save("fresh", make_conversation(1), expected_version=None, user="u")
    assert await store.purge_expired() == sqlite_module.PURGE_BATCH_ROWS * 2 + 7
    assert await sqlite_harness.stored_keys() == {"fresh"}


async def test_a_loop_too_busy_for_checkpoints_still_keeps_the_log_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_module, "CHECKPOINT_EVERY_WRITES", 10**9)  # no off-loop checkpoints
    monkeypatch.setattr(sqlite_module, "SAFETY_NET_CHECKPOINT_PAGES", 100)
    store = await SqliteStore.open(tmp_path)
    try:
        for i in range(400):  # about four WAL pages each, without ever yielding to the loop
            await store.save(f"k{i}", make_conversation(1), expected_version=None, user=f"u{i}")
        page = 4096
        assert (tmp_path / (FILE_NAME + "-wal")).stat().st_size <= 120 * (page + 24) + 32
    finally:
        await store.close()
