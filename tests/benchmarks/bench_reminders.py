"""Reminders: live reply latency during a 1,000-reminder burst, exactly-once figures, storage cost per reminder.

`python -m tests.benchmarks.bench_reminders [--window SECONDS] [--stress-only]`

1. Latency. The real bot (polling, SQLite, python-telegram-bot's rate limiter at Telegram's 30
   messages a second) against the local Bot API stand-in, with 1,000 reminders due at once. One
   person answers a check by buttons meanwhile; each press's latency is from the press to the bot
   having answered it. Printed for an idle bot, for the dispatcher's defaults (5 reminder sends a
   second, 4 in flight), and for an unpaced dispatcher (everything at once) to show what pacing buys.
2. Exactly once. Two replicas on one real Redis, 1,000 reminders due at once; replica a is killed
   mid-batch (its task cancelled, no hand-back) and replica b waits out a's lease. Printed: sent,
   duplicates, lost.
   Then the stress run of issue 19: the same two replicas, replica b's clock 10 minutes ahead,
   Telegram answering 429 to a tenth of the sends, half the people sending /forget at random
   moments while the reminders go out, replica a killed mid-run. Printed: duplicates, lost, and
   reminders sent after /forget (`--stress-only` runs just this).
3. Storage. Bytes per stored reminder in SQLite (dbstat: table and index pages) and in Redis
   (used_memory before and after 10,000 reminders).
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from contextlib import closing
from pathlib import Path

import redis.asyncio as aioredis

from bot.bootstrap import Loaded, load_all
from bot.config import DEFAULT_CONTENT, DEFAULT_FLOWS
from bot.storage import RedisStore, SqliteStore, open_store
from bot.storage.base import Reminder
from bot.storage.sqlite import FILE_NAME
from bot.telegram.app import BotRuntime
from tests.storage import test_reminders_replicas as replicas
from tests.support.botapi import BotApiStandIn
from tests.support.harness import SELF_CARE, Person, settings_for
from tests.support.redis_server import start_redis_server

BURST = 1000
FIRST_ID = 7_000_000
STORED = 10_000
ASKS = "Is the twitching still there?"


async def latency(loaded: Loaded, window: float, pacing: dict[str, float] | None) -> tuple[list[float], int]:
    """Press latencies (s) of one person answering checks for `window` seconds, and reminders sent meanwhile.

    `pacing` None: no reminders at all (the idle bot); {}: the dispatcher's defaults; else its overrides.
    """
    async with BotApiStandIn() as api:
        with tempfile.TemporaryDirectory() as tmp:
            settings = settings_for(api, Path(tmp))
            store = await open_store("sqlite", Path(tmp))
            runtime = BotRuntime(
                settings, loaded, store, retry_backoff=0.01, poll_timeout=1, on_update_handled=api.handled_callback()
            )
            dispatcher = runtime.dispatcher
            dispatcher.poll_seconds = 0.05
            for name, value in (pacing or {}).items():
                setattr(dispatcher, name, value)
            if pacing and "in_flight" in pacing:
                dispatcher._slots = asyncio.Semaphore(int(pacing["in_flight"]))  # noqa: SLF001
            for index in range(BURST):
                user = api.user(FIRST_ID + index, f"P{index}")
                api.world.started.add(api.private(user).id)
            live = api.user(6001, "Live", language_code="en")
            person = Person(api, live, api.private(live))
            await runtime.start(polling=True)
            try:
                await person.command("/start")
                if pacing is not None:
                    now = time.time()
                    for index in range(BURST):
                        chat = FIRST_ID + index
                        await store.schedule_reminder(Reminder(f"u{chat}", chat, now - 1, "twitching"))
                presses: list[float] = []
                answers = iter([])
                ends = time.perf_counter() + window
                while time.perf_counter() < ends:
                    label = next(answers, None)
                    if label is None:
                        await person.command("/restart")
                        answers = iter(SELF_CARE)
                        continue
                    started = time.perf_counter()
                    await person.tap(label)
                    presses.append(time.perf_counter() - started)
                sent = sum(
                    ASKS in m.text for i in range(BURST) for m in api.bot_messages(api.world.chats[FIRST_ID + i])
                )
            finally:
                await runtime.stop()
                await store.close()
    return presses, sent


def describe(name: str, presses: list[float], sent: int | None, window: float) -> str:
    ms = sorted(p * 1000 for p in presses)
    p95 = ms[int(len(ms) * 0.95) - 1] if len(ms) >= 20 else ms[-1]
    median = statistics.median(ms)
    line = f"{name:<36} presses {len(ms):>4}  median {median:6.1f} ms  p95 {p95:6.1f} ms  max {ms[-1]:6.1f} ms"
    if sent is not None:
        line += f"  reminders sent in {window:g} s: {sent}"
    return line


async def exactly_once(url: str) -> tuple[int, int, int]:
    """(sent, duplicates, lost): two replicas, one killed mid-batch (tests/storage/test_reminders_replicas.py)."""
    raw = aioredis.Redis.from_url(url)
    await raw.flushdb()
    await raw.aclose()
    async with BotApiStandIn() as api:
        for index in range(replicas.PEOPLE):
            api.world.started.add(api.private(api.user(replicas.FIRST_ID + index, f"P{index}")).id)
        clock = replicas.ShiftedTime()
        with tempfile.TemporaryDirectory() as tmp:
            a = await replicas.replica("a", api, url, clock, Path(tmp))
            b = await replicas.replica("b", api, url, clock, Path(tmp))
            try:
                await replicas.schedule_all(a.store)
                a.dispatcher.start()
                b.dispatcher.start()

                async def mid_batch() -> bool:
                    return len(a.sent) >= 150 and len(a.dispatcher._waiting) >= 5  # noqa: SLF001

                await replicas.until(mid_batch, "replica a mid-batch")
                assert a.dispatcher._loop is not None  # noqa: SLF001
                a.dispatcher._loop.cancel()  # noqa: SLF001
                a.dispatcher._loop = None  # noqa: SLF001
                await a.dispatcher.drain()
                a.dispatcher._waiting = []  # noqa: SLF001
                clock.shift += b.dispatcher.lease_seconds
                await replicas.until(lambda: replicas._nothing_left(b.store), "everything sent")  # noqa: SLF001
                await b.dispatcher.stop()
                counts: Counter[int] = replicas.reminder_counts(api)
            finally:
                await a.close()
                await b.close()
    sent = sum(counts.values())
    duplicates = sum(n - 1 for n in counts.values() if n > 1)
    lost = sum(1 for n in counts.values() if n == 0)
    return sent, duplicates, lost


async def stress(url: str) -> replicas.StressFigures:
    """The issue-19 stress run with BURST reminders (tests/storage/test_reminders_replicas.py runs fewer)."""
    raw = aioredis.Redis.from_url(url)
    await raw.flushdb()
    await raw.aclose()
    async with BotApiStandIn() as api:
        for index in range(BURST):
            api.world.started.add(api.private(api.user(replicas.FIRST_ID + index, f"P{index}")).id)
        with tempfile.TemporaryDirectory() as tmp:
            return await replicas.stress(api, url, Path(tmp), BURST)


def describe_stress(figures: replicas.StressFigures, seconds: float) -> str:
    f = figures
    return (
        f"stress, two replicas on one Redis, {f.due} due, {f.throttled} sends answered 429, replica b's clock "
        f"10 min ahead, {f.forgotten} /forget racing the sends, replica a killed mid-run ({seconds:.1f} s): "
        f"sent {f.sent}, duplicates {f.duplicates}, lost {f.lost}, sent after /forget {f.sent_after_forget}"
    )


def sample(index: int) -> Reminder:
    """A reminder as the bot stores one: a 20-character user hash, a 10-digit chat id, the flow's name."""
    return Reminder(f"{index:020x}", 1_000_000_000 + index, 1.8e9 + index, "twitching")


async def sqlite_bytes() -> float:
    with tempfile.TemporaryDirectory() as tmp:
        store = await SqliteStore.open(Path(tmp))
        try:
            for index in range(STORED):
                await store.schedule_reminder(sample(index))
        finally:
            await store.close()
        with closing(sqlite3.connect(Path(tmp) / FILE_NAME)) as db:
            try:
                used = db.execute(
                    "SELECT SUM(pgsize) FROM dbstat WHERE name IN ('reminders', 'reminders_run_at')"
                ).fetchone()[0]
            except sqlite3.OperationalError:  # SQLite built without dbstat: whole pages of the file
                size = db.execute("PRAGMA page_count").fetchone()[0] * db.execute("PRAGMA page_size").fetchone()[0]
                used = size
    return float(used) / STORED


async def redis_bytes(url: str) -> float:
    raw = aioredis.Redis.from_url(url)
    await raw.flushdb()
    store = await RedisStore.open(url)
    try:
        before = int((await raw.info("memory"))["used_memory"])
        for index in range(STORED):
            await store.schedule_reminder(sample(index))
        after = int((await raw.info("memory"))["used_memory"])
    finally:
        await store.close()
        await raw.flushdb()
        await raw.aclose()
    return (after - before) / STORED


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.bench_reminders")
    parser.add_argument("--window", type=float, default=20.0, help="seconds of live presses per measurement")
    parser.add_argument("--stress-only", action="store_true", help="only the issue-19 stress run")
    args = parser.parse_args(argv)
    if args.stress_only:
        server = start_redis_server()
        try:
            started = time.perf_counter()
            figures = await stress(server.url)
            print(describe_stress(figures, time.perf_counter() - started))
        finally:
            server.stop()
        return 0 if (figures.duplicates, figures.lost, figures.sent_after_forget) == (0, 0, 0) else 1
    loaded = load_all([DEFAULT_FLOWS], DEFAULT_CONTENT)
    print(f"live reply latency while {BURST} reminders are due at once (SQLite, rate limiter on):")
    idle, _ = await latency(loaded, args.window, None)
    print(describe("idle bot (no reminders)", idle, None, args.window))
    paced, sent = await latency(loaded, args.window, {})
    print(describe("paced (defaults: 5/s, 4 in flight)", paced, sent, args.window))
    unpaced, sent = await latency(loaded, args.window, {"per_second": 10_000.0, "in_flight": 64, "batch": 200})
    print(describe("unpaced (all at once, 64 in flight)", unpaced, sent, args.window))
    server = start_redis_server()
    try:
        sent, duplicates, lost = await exactly_once(server.url)
        print(
            f"\nexactly once, two replicas on one Redis, {replicas.PEOPLE} due, one killed mid-batch: "
            f"sent {sent}, duplicates {duplicates}, lost {lost}"
        )
        started = time.perf_counter()
        figures = await stress(server.url)
        print(describe_stress(figures, time.perf_counter() - started))
        in_sqlite, in_redis = await sqlite_bytes(), await redis_bytes(server.url)
        print(f"\nstorage per reminder: SQLite {in_sqlite:.0f} bytes, Redis {in_redis:.0f} bytes")
    finally:
        server.stop()
    clean = (figures.duplicates, figures.lost, figures.sent_after_forget) == (0, 0, 0)
    return 0 if duplicates == 0 and lost == 0 and clean else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
