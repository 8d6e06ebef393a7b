"""The default store: one SQLite file, so a single instance needs nothing set up.

Every statement a person's update needs (one read, one write) runs right on the event
loop: a WAL read or commit by primary key takes tens of microseconds, less than a trip to
a worker thread and back (`python -m tests.benchmarks.bench_store` shows both). What can
take milliseconds stays off the loop, on a second connection in a worker thread: WAL
checkpoints (the only place `synchronous=NORMAL` fsyncs) every CHECKPOINT_EVERY_WRITES
writes, and purging expired rows, in small batches so the loop's writes never wait long
for the lock. SQLite's automatic checkpoint stays on as a safety net, at a WAL size the
off-loop ones never let it reach while the loop has time to run them.

A worker thread cannot be interrupted, so cancelling the task that awaits it does not stop
it. The maintenance connection is therefore guarded by a lock held until the thread itself
is done, not merely until its awaiting task is: a cancelled purge keeps it until its current
batch ends, and `close()` waits for it before checkpointing and closing. A purge checks a
stop flag between batches, set on cancellation and by `close()`, so shutting down never
waits for a long purge, and no connection is ever closed while a thread is using it.

Every write is one SQL statement, so compare-and-set is atomic without explicit
transactions (`RETURNING` tells whether a conditional write happened).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from bot.engine.conversation import Conversation
from bot.storage.base import DEDUP_TTL_SECONDS, DEFAULT_TTL_SECONDS

T = TypeVar("T")

FILE_NAME = "twitchcheck.sqlite3"

_PRAGMAS = (
    # WAL lets readers (backups, a second process) run while we write; with NORMAL a
    # commit does not fsync, and a power cut can lose at most the last commits, not corrupt.
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
)
LOOP_BUSY_TIMEOUT_MS = 1000
"""The loop's connection waits at most this long for the lock (held only by one purge batch)."""
MAINTENANCE_BUSY_TIMEOUT_MS = 5000
CHECKPOINT_EVERY_WRITES = 250
"""About SQLite's own automatic interval (1,000 WAL pages; a save writes about four), done off the loop."""
SAFETY_NET_CHECKPOINT_PAGES = 4000
"""If the loop is too busy to run the off-loop checkpoints, SQLite checkpoints on it at this WAL size."""
WAL_SIZE_LIMIT_BYTES = 64 * 2**20
"""After a checkpoint, a WAL file larger than this is truncated, so a burst does not keep its disk space."""
PURGE_BATCH_ROWS = 500

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS conversations (
        key TEXT PRIMARY KEY,
        user TEXT NOT NULL,
        version INTEGER NOT NULL,
        data TEXT NOT NULL, -- Conversation.to_dict() as JSON
        expires_at REAL NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS conversations_user ON conversations (user)",
    "CREATE TABLE IF NOT EXISTS chat_settings (chat TEXT PRIMARY KEY, data TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS seen_updates (update_id INTEGER PRIMARY KEY, expires_at REAL NOT NULL)",
)

_LOAD = "SELECT data FROM conversations WHERE key = ? AND expires_at > ?"
# An expired row still physically present counts as absent, so the upsert overwrites it.
_CREATE = """INSERT INTO conversations (key, user, version, data, expires_at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (key) DO UPDATE SET user = excluded.user, version = excluded.version,
        data = excluded.data, expires_at = excluded.expires_at
    WHERE conversations.expires_at <= ?
    RETURNING 1"""
_UPDATE = """UPDATE conversations SET user = ?, version = ?, data = ?, expires_at = ?
    WHERE key = ? AND version = ? AND expires_at > ?
    RETURNING 1"""
_MARK_SEEN = """INSERT INTO seen_updates (update_id, expires_at) VALUES (?, ?)
    ON CONFLICT (update_id) DO UPDATE SET expires_at = excluded.expires_at
    WHERE seen_updates.expires_at <= ?
    RETURNING 1"""
_SAVE_CHAT = """INSERT INTO chat_settings (chat, data) VALUES (?, ?)
    ON CONFLICT (chat) DO UPDATE SET data = excluded.data"""


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def check_bumped(conversation: Conversation, expected_version: int | None) -> None:
    """Refuse an update that keeps the version, since two such writers would both win."""
    if expected_version is not None and conversation.version <= expected_version:
        raise ValueError(
            f"conversation version {conversation.version} must be greater than expected_version "
            f"{expected_version}; save conversation.bumped(...)"
        )


class StoreClosedError(sqlite3.ProgrammingError):
    """Background work asked of a store that `close()` has started to close."""


class SqliteStore:
    """A `ConversationStore` on one SQLite file: per-update statements on the loop, maintenance off it."""

    def __init__(
        self,
        db: sqlite3.Connection,
        maintenance: sqlite3.Connection,
        path: Path,
        *,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
        dedup_ttl_seconds: int = DEDUP_TTL_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if ttl_seconds <= 0 or dedup_ttl_seconds <= 0:
            raise ValueError("ttl_seconds and dedup_ttl_seconds must be positive")
        self._db = db
        self._maintenance = maintenance
        # Held from when a worker-thread job is started until its thread has finished (see _in_thread).
        self._maintenance_lock = asyncio.Lock()
        self._job_stop: threading.Event | None = None
        self._closing = False
        self._maintenance_closed = False
        self._writes_since_checkpoint = 0
        self._checkpoint: asyncio.Task[None] | None = None
        self.path = path
        self._ttl = ttl_seconds
        self._dedup_ttl = dedup_ttl_seconds
        self._clock = clock

    @classmethod
    async def open(
        cls,
        data_dir: Path,
        *,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
        dedup_ttl_seconds: int = DEDUP_TTL_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> SqliteStore:
        """Open (creating folder, file and tables as needed) `<data_dir>/twitchcheck.sqlite3`."""
        data_dir.mkdir(parents=True, exist_ok=True)
        path = data_dir / FILE_NAME
        connections: list[sqlite3.Connection] = []
        try:
            # isolation_level=None: autocommit, each statement commits on its own.
            db = sqlite3.connect(path, isolation_level=None)
            connections.append(db)
            loop_pragmas = (
                f"PRAGMA busy_timeout={LOOP_BUSY_TIMEOUT_MS}",
                f"PRAGMA wal_autocheckpoint={SAFETY_NET_CHECKPOINT_PAGES}",
                f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT_BYTES}",
            )
            for statement in (*_PRAGMAS, *loop_pragmas):
                db.execute(statement)
            for statement in _SCHEMA:
                db.execute(statement)
            # Used from one worker thread at a time (see _off_loop), never concurrently.
            maintenance = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            connections.append(maintenance)
            maintenance.execute("PRAGMA synchronous=NORMAL")
            maintenance.execute(f"PRAGMA busy_timeout={MAINTENANCE_BUSY_TIMEOUT_MS}")
            return cls(db, maintenance, path, ttl_seconds=ttl_seconds, dedup_ttl_seconds=dedup_ttl_seconds, clock=clock)
        except BaseException:
            for connection in connections:
                connection.close()
            raise

    async def load(self, key: str) -> Conversation | None:
        """Return the live conversation under `key`, or None."""
        row = self._db.execute(_LOAD, (key, self._clock())).fetchone()
        return Conversation.from_dict(json.loads(row[0])) if row else None

    async def save(self, key: str, conversation: Conversation, *, expected_version: int | None, user: str) -> bool:
        """Write `conversation` if the stored version is `expected_version` (None: nothing live)."""
        check_bumped(conversation, expected_version)
        now = self._clock()
        data = _dumps(conversation.to_dict())
        expires_at = now + self._ttl
        if expected_version is None:
            params: tuple[Any, ...] = (key, user, conversation.version, data, expires_at, now)
            return self._write(_CREATE, params).fetchone() is not None
        params = (user, conversation.version, data, expires_at, key, expected_version, now)
        return self._write(_UPDATE, params).fetchone() is not None

    async def delete(self, key: str) -> None:
        """Drop one conversation."""
        self._write("DELETE FROM conversations WHERE key = ?", (key,))

    async def forget_user(self, user: str) -> int:
        """Delete the user's conversations, expired ones too; chat settings belong to chats, not users."""
        return self._write("DELETE FROM conversations WHERE user = ?", (user,)).rowcount

    async def purge_expired(self) -> int:
        """Delete expired conversations (and expired update ids) off the loop; return the conversations count."""
        now = self._clock()
        await self._off_loop(_purge_table, "seen_updates", now)
        removed = await self._off_loop(_purge_table, "conversations", now)
        await self._off_loop(_checkpoint)
        return removed

    async def mark_update_seen(self, update_id: int) -> bool:
        """Record `update_id`; False if it is already recorded and not yet past the dedup window."""
        now = self._clock()
        return self._write(_MARK_SEEN, (update_id, now + self._dedup_ttl, now)).fetchone() is not None

    async def load_chat_settings(self, chat: str) -> dict[str, Any]:
        """Return a group's settings, or {}."""
        row = self._db.execute("SELECT data FROM chat_settings WHERE chat = ?", (chat,)).fetchone()
        return dict(json.loads(row[0])) if row else {}

    async def save_chat_settings(self, chat: str, settings: dict[str, Any]) -> None:
        """Replace a group's settings."""
        self._write(_SAVE_CHAT, (chat, _dumps(settings)))

    async def close(self) -> None:
        """Stop background work, wait for its thread, checkpoint what is left, and close both connections.

        A running purge stops after its current batch; no background job starts after this.
        """
        self._closing = True
        if self._job_stop is not None:
            self._job_stop.set()
        await self._maintenance_lock.acquire()  # now no worker thread is using the connection
        if self._maintenance_closed:  # an earlier close() got this far
            self._maintenance_lock.release()
        else:
            self._maintenance_closed = True
            with contextlib.suppress(sqlite3.Error):
                await self._in_thread(_checkpoint_and_close)
        self._db.close()

    def _write(self, sql: str, params: tuple[Any, ...]) -> sqlite3.Cursor:
        """Run one write on the loop; every CHECKPOINT_EVERY_WRITES, start a checkpoint off it."""
        cursor = self._db.execute(sql, params)
        self._writes_since_checkpoint += 1
        if (
            self._writes_since_checkpoint >= CHECKPOINT_EVERY_WRITES
            and not self._closing
            and (self._checkpoint is None or self._checkpoint.done())
        ):
            self._writes_since_checkpoint = 0
            self._checkpoint = asyncio.get_running_loop().create_task(self._background_checkpoint())
        return cursor

    async def _background_checkpoint(self) -> None:
        with contextlib.suppress(StoreClosedError):  # close() came first, and checkpoints itself
            await self._off_loop(_checkpoint)

    async def _off_loop(self, work: Callable[..., T], *args: Any) -> T:
        """Run `work(maintenance_connection, stop_event, *args)` in a worker thread, one job at a time."""
        await self._maintenance_lock.acquire()
        if self._closing:
            self._maintenance_lock.release()
            raise StoreClosedError("the SQLite store is closed")
        return await self._in_thread(work, *args)

    async def _in_thread(self, work: Callable[..., T], *args: Any) -> T:
        """Start `work` in a worker thread; the caller holds the lock, released once the thread is done.

        Cancelling the caller sets the job's stop event (a purge ends after its batch) and returns
        at once, but the lock stays held until the thread really returns, so no other job, and
        not close(), touches the connection meanwhile.
        """
        lock = self._maintenance_lock
        stop = threading.Event()
        try:
            job = asyncio.get_running_loop().run_in_executor(
                None, functools.partial(work, self._maintenance, stop, *args)
            )
        except BaseException:
            lock.release()
            raise
        self._job_stop = stop

        def finished(_: asyncio.Future[T]) -> None:
            if self._job_stop is stop:
                self._job_stop = None
            lock.release()

        job.add_done_callback(finished)  # before shield's own callback, so released before we resume
        try:
            # The job future itself must never be cancelled: it would count as done while its thread runs.
            return await asyncio.shield(job)
        except asyncio.CancelledError:
            stop.set()
            raise


def _purge_table(db: sqlite3.Connection, stop: threading.Event, table: str, now: float) -> int:
    """Delete expired rows in short batches, so each holds the write lock only briefly; end early on `stop`."""
    removed = 0
    while not stop.is_set():
        batch = db.execute(
            f"DELETE FROM {table} WHERE rowid IN "  # noqa: S608 - table is one of two fixed names
            f"(SELECT rowid FROM {table} WHERE expires_at <= ? LIMIT {PURGE_BATCH_ROWS})",
            (now,),
        ).rowcount
        removed += batch
        if batch < PURGE_BATCH_ROWS:
            break
    return removed


def _checkpoint(db: sqlite3.Connection, _stop: threading.Event) -> None:
    """Copy the WAL into the database file (and fsync) without blocking readers or writers."""
    db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()


def _checkpoint_and_close(db: sqlite3.Connection, stop: threading.Event) -> None:
    """The last job: a final checkpoint, then close the connection in the thread that used it last."""
    try:
        _checkpoint(db, stop)
    finally:
        db.close()
