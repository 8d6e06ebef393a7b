"""Store latency and memory, run by hand: `python -m tests.benchmarks.bench_store`.

Prints median and p95 latency of save, load and one update cycle (load + save, what each
Telegram update costs) on SQLite and Redis, plus two baselines: the same statements on
plain blocking sqlite3 (the store's floor), and an empty round trip to a worker thread (what
each statement would cost on top if the store ran them off the event loop, as it once did
with aiosqlite). Then stores 100,000 conversations in SQLite and shows peak RSS staying flat.
Target: SQLite load + save <= 200 µs median.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import closing
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make `bot` and `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bot.engine.conversation import Conversation  # noqa: E402
from bot.storage import ConversationStore, RedisStore, SqliteStore  # noqa: E402
from bot.storage.sqlite import _CREATE, _LOAD, _UPDATE  # noqa: E402
from tests.support.redis_server import RedisServerError, start_redis_server  # noqa: E402

OPS = 3000
WARMUP = 300
KEYS = 500  # distinct conversations the timed operations rotate over
RSS_TOTAL = 100_000
RSS_CHECKPOINTS = (0, 25_000, 50_000, 100_000)
TARGET_US = 200.0

Row = tuple[str, str, list[int]]


def realistic_conversation(version: int = 1) -> Conversation:
    """Twelve answers and twelve steps of history, as after a full check."""
    steps = [f"step_{i:02d}_question" for i in range(12)]
    return Conversation(
        flow_id="twitching",
        step="outcome",
        answers={step: ("not_sure" if i % 3 else "no") for i, step in enumerate(steps)},
        history=tuple(steps),
        version=version,
        meta={"locale": "en", "started": 1_700_000_000, "chat": "private"},
    )


def user_of(i: int) -> str:
    return f"{i:064x}"  # the adapter passes salted hashes; keep the realistic length


async def timed(fn: Callable[[int], Awaitable[object]], ops: int = OPS) -> list[int]:
    """Run fn(i) WARMUP + ops times; return the timed durations in ns."""
    for i in range(WARMUP):
        await fn(i)
    samples = []
    for i in range(ops):
        start = time.perf_counter_ns()
        await fn(WARMUP + i)
        samples.append(time.perf_counter_ns() - start)
    return samples


async def bench_store(name: str, store: ConversationStore) -> list[Row]:
    """save, load and load+save on `store`, each step bumping the version like the engine does."""
    conversations = [realistic_conversation(1) for _ in range(KEYS)]
    for k, conversation in enumerate(conversations):
        await store.save(f"key{k}", conversation, expected_version=None, user=user_of(k))

    async def save(i: int) -> None:
        k = i % KEYS
        current = conversations[k]
        conversations[k] = current.bumped()
        if not await store.save(f"key{k}", conversations[k], expected_version=current.version, user=user_of(k)):
            raise AssertionError("benchmark save lost a compare-and-set it should win")

    async def load(i: int) -> None:
        if await store.load(f"key{i % KEYS}") is None:
            raise AssertionError("benchmark load found nothing")

    async def cycle(i: int) -> None:
        k = i % KEYS
        current = await store.load(f"key{k}")
        assert current is not None
        if not await store.save(f"key{k}", current.bumped(), expected_version=current.version, user=user_of(k)):
            raise AssertionError("benchmark cycle lost a compare-and-set it should win")

    return [
        (name, "save", await timed(save)),
        (name, "load", await timed(load)),
        (name, "load+save", await timed(cycle)),
    ]


async def bench_thread_hop() -> Row:
    """The fixed cost of one trip to a worker thread and back (asyncio.to_thread, as aiosqlite does)."""

    async def hop(i: int) -> None:
        await asyncio.to_thread(int)

    return ("worker thread", "empty round trip", await timed(hop))


def bench_plain_sqlite3(data_dir: Path) -> Row:
    """SqliteStore's load + save work (SQL and JSON) on blocking sqlite3, in this thread: all but the hops."""
    with closing(sqlite3.connect(data_dir / "twitchcheck.sqlite3", isolation_level=None)) as db:
        db.execute("PRAGMA synchronous=NORMAL")  # per connection, as SqliteStore sets it
        now = time.time()
        for k in range(KEYS):
            params = (f"plain{k}", user_of(k), 1, json.dumps(realistic_conversation().to_dict()), now + 3600, now)
            db.execute(_CREATE, params).fetchall()
        samples = []
        for i in range(WARMUP + OPS):
            k = i % KEYS
            start = time.perf_counter_ns()
            now = time.time()
            (data,) = db.execute(_LOAD, (f"plain{k}", now)).fetchone()
            current = Conversation.from_dict(json.loads(data))
            new = current.bumped()
            payload = json.dumps(new.to_dict(), ensure_ascii=False, separators=(",", ":"))
            params = (user_of(k), new.version, payload, now + 3600, f"plain{k}", current.version, now)
            assert db.execute(_UPDATE, params).fetchall()
            if i >= WARMUP:
                samples.append(time.perf_counter_ns() - start)
    return ("sqlite3, blocking, no hop", "load+save", samples)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def current_rss_mib() -> float:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize() / 2**20
    except OSError:
        return float("nan")


async def bench_rss(data_dir: Path) -> list[tuple[int, float, float, float]]:
    """Peak and current RSS after storing 0 .. 100,000 conversations; returns (count, peak, rss, seconds)."""
    store = await SqliteStore.open(data_dir)
    conversation = realistic_conversation()
    rows, started, stored = [], time.perf_counter(), 0
    try:
        for checkpoint in RSS_CHECKPOINTS:
            while stored < checkpoint:
                await store.save(f"rss{stored}", conversation, expected_version=None, user=user_of(stored))
                stored += 1
            rows.append((stored, peak_rss_mib(), current_rss_mib(), time.perf_counter() - started))
    finally:
        await store.close()
    return rows


def report(rows: list[Row]) -> None:
    print(f"{'backend':<28} {'operation':<17} {'median µs':>10} {'p95 µs':>10}")
    for backend, op, samples in rows:
        ordered = sorted(samples)
        p95 = ordered[int(len(ordered) * 0.95)]
        print(f"{backend:<28} {op:<17} {statistics.median(ordered) / 1000:>10.1f} {p95 / 1000:>10.1f}")


async def main() -> int:
    size = len(json.dumps(realistic_conversation().to_dict(), separators=(",", ":")))
    print(f"Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}; conversation JSON {size} bytes")
    print(f"{OPS} timed ops per row after {WARMUP} warm-up, rotating over {KEYS} conversations\n")
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="tc-bench-") as tmp:
        sqlite_store = await SqliteStore.open(Path(tmp) / "latency")
        try:
            rows += await bench_store("sqlite (SqliteStore)", sqlite_store)
            rows.append(await bench_thread_hop())
        finally:
            await sqlite_store.close()
        rows.append(bench_plain_sqlite3(Path(tmp) / "latency"))

        try:
            server = start_redis_server()
        except RedisServerError as error:
            print(f"Redis rows skipped: {error}\n")
        else:
            try:
                redis_store = await RedisStore.open(server.url)
                try:
                    rows += await bench_store("redis (local redis-server)", redis_store)
                finally:
                    await redis_store.close()
            finally:
                server.stop()
        report(rows)

        cycle = statistics.median(rows[2][2]) / 1000
        verdict = "meets" if cycle <= TARGET_US else "MISSES"
        print(f"\nSQLite load+save median {cycle:.1f} µs {verdict} the {TARGET_US:.0f} µs target.\n")

        rss_dir = Path(tmp) / "rss"
        print(f"{'conversations stored':>20} {'peak RSS MiB':>13} {'RSS now MiB':>12} {'elapsed s':>10}")
        for count, peak, now, elapsed in await bench_rss(rss_dir):
            print(f"{count:>20,} {peak:>13.1f} {now:>12.1f} {elapsed:>10.1f}")
        file_mib = sum(p.stat().st_size for p in rss_dir.iterdir()) / 2**20
        print(f"SQLite files on disk: {file_mib:.1f} MiB (the data lives there, not in the process)")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
