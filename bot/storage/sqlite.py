"""The default store: one SQLite file, so a single instance needs nothing set up.

Every statement a person's update needs (one read, one write) runs right on the event
loop: a WAL read or commit by primary key takes tens of microseconds, less than a trip to
a worker thread and back (`python -m tests.benchmarks.bench_store` shows both). What can
take milliseconds stays off the loop, on a second connection in a worker thread: WAL
checkpoints (the only place `synchronous=NORMAL` fsyncs) every CHECKPOINT_EVERY_WRITES
writes, and purging expired rows, in small batches so the loop's writes never wait long
for the lock. SQLite's automatic checkpoint stays on as a safety net, at a WAL size the
off-loop ones never let it reach while the loop has time to run them.

The loop's connection never waits inside SQLite for a lock (busy_timeout 0): that wait would
freeze every chat while another process, or our own purge, holds the write lock. A statement
that finds the database locked is retried with awaits in between, so the loop goes on serving
meanwhile, until it succeeds or LOCKED_DEADLINE_SECONDS pass (then StoreLockedError, one clear
line). A locked statement changes nothing, so retrying it keeps compare-and-set exact.

Deleted answers must leave the disk, not only the tables. `secure_delete` overwrites deleted
rows with zeros (its default depends on how SQLite was built, so it is set here), but the WAL
still holds the pages as they were before the delete, and a file copy or backup would take
them along. So after /forget, /cancel or a purge that removed conversations, a checkpoint
copies the zeroed pages into the database file and truncates the WAL to nothing. It needs
every reader to be done with the WAL; if one (a backup, say) is not, it gives up quickly and
every later checkpoint tries again, close() included, until one succeeds.

A worker thread cannot be interrupted, so cancelling the task that awaits it does not stop
it. The maintenance connection is therefore guarded by a lock held until the thread itself
is done, not merely until its awaiting task is: a cancelled purge keeps it until its current
batch ends, and `close()` waits for it before checkpointing and closing. A purge checks a
stop flag between batches, set on cancellation and by `close()`, so shutting down never
waits for a long purge, and no connection is ever closed while a thread is using it.

Every write is one SQL statement, so compare-and-set is atomic without explicit
transactions (`RETURNING` tells whether a conditional write happened). Claiming and settling
an update touch two tables, so each is one BEGIN IMMEDIATE transaction, run without an await
inside: it takes the write lock before reading, so a second process on the file cannot slip
in between, and a locked BEGIN is retried like any statement.
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
from bot.storage.base import (
    DEDUP_TTL_SECONDS,
    DEFAULT_TTL_SECONDS,
    SENDING_POLL_SECONDS,
    SENDING_SECONDS,
    Reminder,
    UpdateClaim,
    check_bumped,
)

T = TypeVar("T")

FILE_NAME = "twitchcheck.sqlite3"

_PRAGMAS = (
    # WAL lets readers (backups, a second process) run while we write; with NORMAL a
    # commit does not fsync, and a power cut can lose at most the last commits, not corrupt.
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    # Overwrite deleted rows with zeros instead of only unlinking them (see the module docstring).
    "PRAGMA secure_delete=ON",
)
OPEN_BUSY_TIMEOUT_MS = 5000
"""Opening may wait this long for another writer: nothing is being served yet."""
LOOP_BUSY_TIMEOUT_MS = 0
"""The loop's connection never waits inside SQLite; a locked statement is retried between awaits."""
LOCKED_RETRY_FIRST_DELAY = 0.001
LOCKED_RETRY_MAX_DELAY = 0.05
"""Retries back off from LOCKED_RETRY_FIRST_DELAY to this: a waiting statement costs the loop microseconds per try."""
LOCKED_DEADLINE_SECONDS = 10.0
"""A statement gives up after the database has been locked this long: far longer than any of our own
purge batches or checkpoints holds it, short enough that a person gets an answer, not silence."""
MAINTENANCE_BUSY_TIMEOUT_MS = 5000
SCRUB_BUSY_TIMEOUT_MS = 200
"""A truncating checkpoint blocks new writers while it waits for readers, so it waits only this long."""
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
    # An update a replica is handling; the lease (expires_at) frees it if that replica dies.
    "CREATE TABLE IF NOT EXISTS update_claims (update_id INTEGER PRIMARY KEY, expires_at REAL NOT NULL)",
    # One follow-up per person (bot/reminders/). run_at is due_at, or when a claim's lease ends, or a retry.
    """CREATE TABLE IF NOT EXISTS reminders (
        user TEXT PRIMARY KEY,
        chat_id INTEGER NOT NULL,
        flow TEXT NOT NULL,
        due_at REAL NOT NULL,
        run_at REAL NOT NULL,
        claim TEXT NOT NULL DEFAULT '',
        sending_until REAL NOT NULL DEFAULT 0 -- being sent until then (see renew_reminder)
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS reminders_run_at ON reminders (run_at)",
    # One record per person (bot/people.py): their country and recent completion times, as JSON.
    "CREATE TABLE IF NOT EXISTS people (user TEXT PRIMARY KEY, data TEXT NOT NULL, expires_at REAL NOT NULL)",
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
_IS_SEEN = "SELECT 1 FROM seen_updates WHERE update_id = ? AND expires_at > ?"
# A live claim stays as it is (and nothing is returned); an expired one is taken over.
_CLAIM = """INSERT INTO update_claims (update_id, expires_at) VALUES (?, ?)
    ON CONFLICT (update_id) DO UPDATE SET expires_at = excluded.expires_at
    WHERE update_claims.expires_at <= ?
    RETURNING 1"""
_RECORD_SEEN = """INSERT INTO seen_updates (update_id, expires_at) VALUES (?, ?)
    ON CONFLICT (update_id) DO UPDATE SET expires_at = excluded.expires_at"""
_RELEASE = "DELETE FROM update_claims WHERE update_id = ?"
_SCHEDULE = """INSERT INTO reminders (user, chat_id, flow, due_at, run_at, claim) VALUES (?, ?, ?, ?, ?, '')
    ON CONFLICT (user) DO UPDATE SET chat_id = excluded.chat_id, flow = excluded.flow,
        due_at = excluded.due_at, run_at = excluded.run_at, claim = ''"""
# One statement, so two processes on the file can never claim the same row: the lease is run_at moved on.
_CLAIM_REMINDERS = """UPDATE reminders SET run_at = ?, claim = lower(hex(randomblob(8)))
    WHERE user IN (SELECT user FROM reminders WHERE run_at <= ? ORDER BY run_at LIMIT ?)
    RETURNING user, chat_id, flow, due_at, claim"""
_SENT_REMINDER = "DELETE FROM reminders WHERE user = ? AND claim = ? AND claim != '' RETURNING 1"
_RETRY_REMINDER = """UPDATE reminders SET run_at = ?, claim = '', sending_until = 0
    WHERE user = ? AND claim = ? AND claim != '' RETURNING 1"""
_RENEW_REMINDER = """UPDATE reminders SET run_at = ?, sending_until = ?
    WHERE user = ? AND claim = ? AND claim != '' RETURNING 1"""
_CANCEL_REMINDER = "DELETE FROM reminders WHERE user = ? AND sending_until <= ?"
_BEING_SENT = "SELECT 1 FROM reminders WHERE user = ? AND sending_until > ?"
_ADD_SENDING = "ALTER TABLE reminders ADD COLUMN sending_until REAL NOT NULL DEFAULT 0"
_LOAD_PERSON = "SELECT data FROM people WHERE user = ? AND expires_at > ?"
_SAVE_PERSON = """INSERT INTO people (user, data, expires_at) VALUES (?, ?, ?)
    ON CONFLICT (user) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at"""
_SAVE_CHAT = """INSERT INTO chat_settings (chat, data) VALUES (?, ?)
    ON CONFLICT (chat) DO UPDATE SET data = excluded.data"""


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


class StoreClosedError(sqlite3.ProgrammingError):
    """Background work asked of a store that `close()` has started to close."""


class StoreLockedError(sqlite3.OperationalError):
    """Another writer held the database's lock for longer than LOCKED_DEADLINE_SECONDS."""


def _is_locked(error: sqlite3.OperationalError) -> bool:
    return getattr(error, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_BUSY


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
        # Deletes whose old pages must leave the WAL, and how many of them a truncation has covered.
        self._scrubs_wanted = 0
        self._scrubs_done = 0
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
                f"PRAGMA busy_timeout={OPEN_BUSY_TIMEOUT_MS}",
                *_PRAGMAS,
                f"PRAGMA wal_autocheckpoint={SAFETY_NET_CHECKPOINT_PAGES}",
                f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT_BYTES}",
                *_SCHEMA,
                f"PRAGMA busy_timeout={LOOP_BUSY_TIMEOUT_MS}",
            )
            for statement in loop_pragmas:
                db.execute(statement)
            if "sending_until" not in {row[1] for row in db.execute("PRAGMA table_info(reminders)")}:
                db.execute(_ADD_SENDING)  # a file from before the column
            # Used from one worker thread at a time (see _off_loop), never concurrently.
            maintenance = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            connections.append(maintenance)
            maintenance.execute(f"PRAGMA busy_timeout={MAINTENANCE_BUSY_TIMEOUT_MS}")
            for statement in _PRAGMAS:
                maintenance.execute(statement)
            return cls(db, maintenance, path, ttl_seconds=ttl_seconds, dedup_ttl_seconds=dedup_ttl_seconds, clock=clock)
        except BaseException:
            for connection in connections:
                connection.close()
            raise

    async def load(self, key: str) -> Conversation | None:
        """Return the live conversation under `key`, or None."""
        row = (await self._execute(_LOAD, (key, self._clock()))).fetchone()
        return Conversation.from_dict(json.loads(row[0])) if row else None

    async def save(self, key: str, conversation: Conversation, *, expected_version: int | None, user: str) -> bool:
        """Write `conversation` if the stored version is `expected_version` (None: nothing live)."""
        check_bumped(conversation, expected_version)
        now = self._clock()
        data = _dumps(conversation.to_dict())
        expires_at = now + self._ttl
        if expected_version is None:
            params: tuple[Any, ...] = (key, user, conversation.version, data, expires_at, now)
            return (await self._write(_CREATE, params)).fetchone() is not None
        params = (user, conversation.version, data, expires_at, key, expected_version, now)
        return (await self._write(_UPDATE, params)).fetchone() is not None

    async def delete(self, key: str) -> None:
        """Drop one conversation, from the disk too (people are told their answers are deleted)."""
        if (await self._write("DELETE FROM conversations WHERE key = ?", (key,))).rowcount:
            await self._scrub_wal()

    async def forget_user(self, user: str) -> int:
        """Delete the user's conversations, expired ones too, and leave none of it readable on disk.

        Chat settings belong to chats, not users, and stay.
        """
        removed = (await self._write("DELETE FROM conversations WHERE user = ?", (user,))).rowcount
        person = (await self._write("DELETE FROM people WHERE user = ?", (user,))).rowcount
        reminded = await self._cancel(user)
        if removed or reminded or person:
            await self._scrub_wal()
        return removed

    async def purge_expired(self) -> int:
        """Delete expired conversations, update ids and claims off the loop; return how many conversations went."""
        now = self._clock()
        await self._off_loop(_purge_update_ids, now)
        removed = await self._off_loop(_purge_table, "conversations", now)
        if await self._off_loop(_purge_table, "people", now):
            self._scrubs_wanted += 1
        if removed:
            self._scrubs_wanted += 1
        await self._run_checkpoint()
        return removed

    async def mark_update_seen(self, update_id: int) -> bool:
        """Record `update_id`; False if it is already recorded and not yet past the dedup window."""
        now = self._clock()
        return (await self._write(_MARK_SEEN, (update_id, now + self._dedup_ttl, now))).fetchone() is not None

    async def claim_update(self, update_id: int, lease_seconds: int) -> UpdateClaim:
        """'seen' if handled within the dedup window, 'busy' while another claim's lease lasts, else claim it."""
        claim = functools.partial(_claim, update_id=update_id, now=self._clock(), lease=lease_seconds)
        return await self._write_transaction(claim)

    async def settle_update(self, update_id: int, handled: bool) -> None:
        """Drop the claim; if `handled`, record the update as seen for the dedup window from now."""
        seen_until = self._clock() + self._dedup_ttl if handled else None
        await self._write_transaction(functools.partial(_settle, update_id=update_id, seen_until=seen_until))

    async def load_person(self, user: str) -> dict[str, Any]:
        """The person's live record, or {}."""
        row = (await self._execute(_LOAD_PERSON, (user, self._clock()))).fetchone()
        return dict(json.loads(row[0])) if row else {}

    async def save_person(self, user: str, data: dict[str, Any]) -> None:
        """Replace the person's record, to expire after the store's TTL from now."""
        await self._write(_SAVE_PERSON, (user, _dumps(data), self._clock() + self._ttl))

    async def load_chat_settings(self, chat: str) -> dict[str, Any]:
        """Return a group's settings, or {}."""
        row = (await self._execute("SELECT data FROM chat_settings WHERE chat = ?", (chat,))).fetchone()
        return dict(json.loads(row[0])) if row else {}

    async def save_chat_settings(self, chat: str, settings: dict[str, Any]) -> None:
        """Replace a group's settings."""
        await self._write(_SAVE_CHAT, (chat, _dumps(settings)))

    async def schedule_reminder(self, reminder: Reminder) -> None:
        """Store the user's one reminder, replacing an earlier one (and any claim on it)."""
        r = reminder
        await self._write(_SCHEDULE, (r.user, r.chat_id, r.flow, r.due_at, r.due_at))

    async def load_reminder(self, user: str) -> Reminder | None:
        """The user's reminder, or None."""
        sql = "SELECT user, chat_id, flow, due_at FROM reminders WHERE user = ?"
        row = (await self._execute(sql, (user,))).fetchone()
        return Reminder(str(row[0]), int(row[1]), float(row[3]), str(row[2])) if row else None

    async def cancel_reminder(self, user: str) -> bool:
        """Delete the user's reminder, after the send under way if there is one, from the disk too."""
        if await self._cancel(user):
            await self._scrub_wal()
            return True
        return False

    async def _cancel(self, user: str) -> bool:
        """Delete the user's reminder once no send of it is under way (at most SENDING_SECONDS)."""
        deadline = asyncio.get_running_loop().time() + SENDING_SECONDS
        while True:
            now = self._clock()
            if (await self._write(_CANCEL_REMINDER, (user, now))).rowcount:
                return True
            being_sent = (await self._execute(_BEING_SENT, (user, now))).fetchone() is not None
            if not being_sent:
                return False
            if asyncio.get_running_loop().time() > deadline:  # a test's clock that stands still
                return bool((await self._write("DELETE FROM reminders WHERE user = ?", (user,))).rowcount)
            await asyncio.sleep(SENDING_POLL_SECONDS)

    async def claim_due_reminders(self, limit: int, lease_seconds: float) -> list[Reminder]:
        """Claim up to `limit` due reminders, earliest first; each stays hidden for `lease_seconds`.

        Time is this machine's clock: every process on one SQLite file runs on the same machine
        (WAL needs shared memory, so never a network file system), so there is one clock to read.
        """
        now = self._clock()
        rows = (await self._write(_CLAIM_REMINDERS, (now + lease_seconds, now, limit))).fetchall()
        claimed = [Reminder(str(u), int(c), float(d), str(f), str(k)) for u, c, f, d, k in rows]
        return sorted(claimed, key=lambda r: r.due_at)

    async def renew_reminder(self, reminder: Reminder, lease_seconds: float, *, sending: bool = False) -> bool:
        """Extend the lease to `lease_seconds` from now, only with the current claim (the fence before a send)."""
        now = self._clock()
        params = (now + lease_seconds, now + SENDING_SECONDS if sending else 0, reminder.user, reminder.claim)
        return (await self._write(_RENEW_REMINDER, params)).fetchone() is not None

    async def settle_reminder(self, reminder: Reminder, retry_in: float | None = None) -> bool:
        """Delete a sent reminder, or make an unsent one due `retry_in` from now; only with the current claim."""
        if retry_in is None:
            done = (await self._write(_SENT_REMINDER, (reminder.user, reminder.claim))).fetchone() is not None
            if done:
                # Its chat id leaves the WAL at the next checkpoint (every few hundred writes, or the hourly purge).
                self._scrubs_wanted += 1
            return done
        params = (self._clock() + retry_in, reminder.user, reminder.claim)
        return (await self._write(_RETRY_REMINDER, params)).fetchone() is not None

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
                await self._in_thread(_checkpoint_and_close, self._wal_scrub_pending)
        self._db.close()

    @property
    def _wal_scrub_pending(self) -> bool:
        """True while the WAL may still hold pages from before a delete that must leave the disk."""
        return self._scrubs_done < self._scrubs_wanted

    async def _execute(self, sql: str, params: tuple[Any, ...]) -> sqlite3.Cursor:
        """Run one statement on the loop; if another writer holds the lock, retry it between awaits."""
        return await self._retry_locked(functools.partial(self._db.execute, sql, params))

    async def _retry_locked(self, attempt: Callable[[], T]) -> T:
        """Run `attempt` on the loop, and again between awaits while another writer holds the lock.

        `attempt` must change nothing when it finds the database locked (one statement, or a
        transaction rolled back whole), so retrying it is exact.
        """
        try:
            return attempt()
        except sqlite3.OperationalError as error:
            if not _is_locked(error):
                raise
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LOCKED_DEADLINE_SECONDS
        delay = LOCKED_RETRY_FIRST_DELAY
        while True:
            await asyncio.sleep(delay)
            try:
                return attempt()
            except sqlite3.OperationalError as error:
                if not _is_locked(error):
                    raise
                if loop.time() >= deadline:
                    raise StoreLockedError(
                        f"the SQLite database {self.path} stayed locked by another writer for "
                        f"{LOCKED_DEADLINE_SECONDS:g} s; is another process (a second bot on the same "
                        "data folder, or a sqlite3 shell) writing to it?"
                    ) from error
            delay = min(delay * 2, LOCKED_RETRY_MAX_DELAY)

    async def _write(self, sql: str, params: tuple[Any, ...]) -> sqlite3.Cursor:
        """Run one write on the loop; every CHECKPOINT_EVERY_WRITES, start a checkpoint off it."""
        cursor = await self._execute(sql, params)
        self._count_write()
        return cursor

    async def _write_transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work(connection)` on the loop as one write transaction, counted as one write."""
        result = await self._retry_locked(functools.partial(_in_transaction, self._db, work))
        self._count_write()
        return result

    def _count_write(self) -> None:
        """Every CHECKPOINT_EVERY_WRITES writes, start a checkpoint off the loop."""
        self._writes_since_checkpoint += 1
        if (
            self._writes_since_checkpoint >= CHECKPOINT_EVERY_WRITES
            and not self._closing
            and (self._checkpoint is None or self._checkpoint.done())
        ):
            self._writes_since_checkpoint = 0
            self._checkpoint = asyncio.get_running_loop().create_task(self._background_checkpoint())

    async def _background_checkpoint(self) -> None:
        with contextlib.suppress(StoreClosedError):  # close() came first, and checkpoints itself
            await self._run_checkpoint()

    async def _run_checkpoint(self) -> None:
        """Checkpoint off the loop, truncating the WAL if a delete still has pages in it."""
        wanted = self._scrubs_wanted
        scrub = self._scrubs_done < wanted
        if await self._off_loop(_checkpoint, scrub) and scrub:
            self._scrubs_done = max(self._scrubs_done, wanted)

    async def _scrub_wal(self) -> None:
        """After a delete: copy the zeroed pages into the file and empty the WAL (or leave it to a later checkpoint)."""
        self._scrubs_wanted += 1
        # The rows are gone from the tables either way; a failed or refused checkpoint is retried later.
        with contextlib.suppress(sqlite3.Error):  # StoreClosedError too: close() scrubs as its last job
            await self._run_checkpoint()

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


def _in_transaction(db: sqlite3.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    """BEGIN IMMEDIATE, `work`, COMMIT; rolled back whole if anything in it fails (a locked BEGIN included)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        result = work(db)
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return result


def _claim(db: sqlite3.Connection, *, update_id: int, now: float, lease: int) -> UpdateClaim:
    if db.execute(_IS_SEEN, (update_id, now)).fetchall():
        return "seen"
    return "claimed" if db.execute(_CLAIM, (update_id, now + lease, now)).fetchall() else "busy"


def _settle(db: sqlite3.Connection, *, update_id: int, seen_until: float | None) -> None:
    if seen_until is not None:
        db.execute(_RECORD_SEEN, (update_id, seen_until))
    db.execute(_RELEASE, (update_id,))


def _purge_update_ids(db: sqlite3.Connection, stop: threading.Event, now: float) -> int:
    """Expired seen ids, and claims whose replica died before settling them."""
    return sum(_purge_table(db, stop, table, now) for table in ("seen_updates", "update_claims"))


def _purge_table(db: sqlite3.Connection, stop: threading.Event, table: str, now: float) -> int:
    """Delete expired rows in short batches, so each holds the write lock only briefly; end early on `stop`."""
    removed = 0
    while not stop.is_set():
        batch = db.execute(
            f"DELETE FROM {table} WHERE rowid IN "  # noqa: S608 - table is one of four fixed names
            f"(SELECT rowid FROM {table} WHERE expires_at <= ? LIMIT {PURGE_BATCH_ROWS})",
            (now,),
        ).rowcount
        removed += batch
        if batch < PURGE_BATCH_ROWS:
            break
    return removed


def _checkpoint(db: sqlite3.Connection, _stop: threading.Event, scrub: bool = False) -> bool:
    """Copy the WAL into the database file (and fsync); with `scrub`, also empty the WAL file.

    Without `scrub` this never blocks readers or writers. With it, it waits up to
    SCRUB_BUSY_TIMEOUT_MS for readers to leave the WAL; False if they did not.
    """
    if not scrub:
        db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        return True
    db.execute(f"PRAGMA busy_timeout={SCRUB_BUSY_TIMEOUT_MS}")
    try:
        busy, _, _ = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        db.execute(f"PRAGMA busy_timeout={MAINTENANCE_BUSY_TIMEOUT_MS}")
    return bool(busy == 0)


def _checkpoint_and_close(db: sqlite3.Connection, stop: threading.Event, scrub: bool) -> None:
    """The last job: a final checkpoint, then close the connection in the thread that used it last."""
    try:
        _checkpoint(db, stop, scrub)
    finally:
        db.close()
