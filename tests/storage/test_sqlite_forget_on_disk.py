"""After /forget, no answer is left readable in any SQLite file: the database, its -wal or its -shm.

The files are searched byte by byte for a marker stored in the answers, as someone holding a
copy of the data folder (a backup, a stolen disk) would. SQLite's default for `secure_delete`
depends on how it was built, so each test runs once as built and once on a build where it is
off; the store must set it itself.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from bot.storage import SqliteStore
from bot.storage.sqlite import FILE_NAME, PURGE_BATCH_ROWS

from .conftest import TTL_SECONDS, FakeClock, make_conversation

MARKER = "forget-me-7f3a"
KEPT = "keep-me-c41d"
SAVES_PER_PERSON = 15
SIDECARS = ("", "-wal", "-shm")


def files_holding(data_dir: Path, text: str) -> list[str]:
    """The store's files (database, -wal, -shm) whose raw bytes contain `text`."""
    needle = text.encode()
    found = []
    for suffix in SIDECARS:
        path = data_dir / (FILE_NAME + suffix)
        if path.exists() and needle in path.read_bytes():
            found.append(path.name)
    return found


@pytest.fixture(params=["as-built", "secure-delete-off-by-default"])
def sqlite_build(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run as this SQLite was built, and as a build whose `secure_delete` default is off."""
    if request.param == "secure-delete-off-by-default":
        real_connect = sqlite3.connect

        def connect_like_a_default_build(*args: object, **kwargs: object) -> sqlite3.Connection:
            connection = real_connect(*args, **kwargs)  # type: ignore[call-overload]
            connection.execute("PRAGMA secure_delete=OFF")
            return connection  # type: ignore[no-any-return]

        monkeypatch.setattr(sqlite3, "connect", connect_like_a_default_build)
    yield request.param


async def save_many_versions(store: SqliteStore, key: str, user: str, text: str) -> None:
    """One person's check answered question by question: each answer is a new version of the row."""
    assert await store.save(key, make_conversation(1, where=f"{text}-1"), expected_version=None, user=user)
    for version in range(2, SAVES_PER_PERSON + 1):
        conversation = make_conversation(version, where=f"{text}-{version}")
        assert await store.save(key, conversation, expected_version=version - 1, user=user)


def checkpoint_from_outside(data_dir: Path) -> None:
    """What an operator's backup or sqlite3 shell may do: copy the WAL into the database file."""
    with closing(sqlite3.connect(data_dir / FILE_NAME)) as db:
        db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()


@pytest.mark.usefixtures("sqlite_build")
async def test_forget_leaves_no_answer_in_the_database_its_wal_or_its_shm(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path)
    try:
        await save_many_versions(store, "gone-a", "leaver", MARKER)
        checkpoint_from_outside(tmp_path)  # now in the database file as well as in the WAL
        await save_many_versions(store, "gone-b", "leaver", MARKER)
        await save_many_versions(store, "stays", "stayer", KEPT)
        assert files_holding(tmp_path, MARKER), "the search must see answers before they are forgotten"

        assert await store.forget_user("leaver") == 2

        assert files_holding(tmp_path, MARKER) == []
        assert files_holding(tmp_path, KEPT), "someone else's answers are kept"
        assert await store.load("stays") == make_conversation(SAVES_PER_PERSON, where=f"{KEPT}-{SAVES_PER_PERSON}")
        # The store goes on working normally after scrubbing its log.
        assert await store.save("new", make_conversation(1), expected_version=None, user="n")
    finally:
        await store.close()
    assert files_holding(tmp_path, MARKER) == []


async def test_cancel_leaves_no_answer_on_disk_either(tmp_path: Path) -> None:
    """/cancel tells people their answers are deleted, so it scrubs like /forget."""
    store = await SqliteStore.open(tmp_path)
    try:
        await save_many_versions(store, "cancelled", "u", MARKER)
        await save_many_versions(store, "stays", "u", KEPT)
        await store.delete("cancelled")
        assert files_holding(tmp_path, MARKER) == []
        assert files_holding(tmp_path, KEPT)
    finally:
        await store.close()


@pytest.mark.usefixtures("sqlite_build")
async def test_secure_delete_is_on_for_both_of_the_stores_connections(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path)
    try:
        for connection in (store._db, store._maintenance):
            assert connection.execute("PRAGMA secure_delete").fetchone() == (1,)
    finally:
        await store.close()


@pytest.mark.usefixtures("sqlite_build")
async def test_purged_conversations_leave_the_disk_too(tmp_path: Path) -> None:
    clock = FakeClock()
    store = await SqliteStore.open(tmp_path, ttl_seconds=TTL_SECONDS, clock=clock)
    try:
        for i in range(PURGE_BATCH_ROWS + 3):  # more than one purge batch
            conversation = make_conversation(1, where=f"{MARKER}-{i}")
            await store.save(f"old{i}", conversation, expected_version=None, user=f"u{i}")
        clock.advance(TTL_SECONDS + 1)
        await save_many_versions(store, "fresh", "f", KEPT)

        assert await store.purge_expired() == PURGE_BATCH_ROWS + 3

        assert files_holding(tmp_path, MARKER) == []
        assert files_holding(tmp_path, KEPT)
    finally:
        await store.close()


async def test_a_reader_holding_the_wal_delays_the_scrub_until_a_later_checkpoint(tmp_path: Path) -> None:
    """A backup reading at the moment of /forget keeps the log; the next checkpoint clears it."""
    store = await SqliteStore.open(tmp_path)
    reader = sqlite3.connect(tmp_path / FILE_NAME, isolation_level=None)
    try:
        await save_many_versions(store, "gone", "leaver", MARKER)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM conversations").fetchall()  # a snapshot that needs the WAL

        assert await store.forget_user("leaver") == 1
        assert store._wal_scrub_pending

        reader.execute("COMMIT")
        assert await store.purge_expired() == 0  # the hourly purge ends with a checkpoint
        assert not store._wal_scrub_pending
        assert files_holding(tmp_path, MARKER) == []
    finally:
        reader.close()
        await store.close()
