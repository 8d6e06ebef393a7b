"""One `harness` per backend, so the contract tests run unchanged on SQLite and on Redis."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from bot.engine.conversation import Conversation
from bot.storage import RedisStore, SqliteStore
from bot.storage.base import DEDUP_TTL_SECONDS
from bot.storage.redis import CLAIM_PREFIX, CONV_PREFIX, PERSON_PREFIX, SEEN_PREFIX
from bot.storage.sqlite import FILE_NAME
from tests.support.redis_server import RedisServer, redis_server

__all__ = ["redis_server"]  # re-exported so pytest registers the session fixture here

TTL_SECONDS = 3600
LEASE_SECONDS = 120


class FakeClock:
    """A settable time.time, so SQLite expiry is tested without sleeping."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Harness:
    """A store plus the backend-specific ways to expire data and to read what is physically stored."""

    kind: str
    store: SqliteStore | RedisStore

    async def expire_everything(self) -> None:
        """Make every conversation and remembered update id pass its time to live."""
        raise NotImplementedError

    async def expire_claims(self) -> None:
        """Make every claim on an update pass its lease, as when the replica holding it crashed."""
        raise NotImplementedError

    async def stored_keys(self) -> set[str]:
        """Conversation keys present in the backend itself, expired-but-not-purged rows included."""
        raise NotImplementedError

    def travel_to(self, when: float) -> None:
        """Make the store's own clock (what reminder leases are read on) show `when`."""
        raise NotImplementedError


class SqliteHarness(Harness):
    kind = "sqlite"

    def __init__(self, store: SqliteStore, clock: FakeClock, data_dir: Path) -> None:
        self.store, self.clock, self.data_dir = store, clock, data_dir

    async def expire_everything(self) -> None:
        self.clock.advance(max(TTL_SECONDS, DEDUP_TTL_SECONDS) + 1)

    async def expire_claims(self) -> None:
        self.clock.advance(LEASE_SECONDS)

    def query(self, sql: str) -> list[tuple[object, ...]]:
        """Read the file through a second, plain sqlite3 connection, as an operator would."""
        with closing(sqlite3.connect(self.data_dir / FILE_NAME)) as db:
            return db.execute(sql).fetchall()

    async def stored_keys(self) -> set[str]:
        return {str(row[0]) for row in self.query("SELECT key FROM conversations")}

    def travel_to(self, when: float) -> None:
        self.clock.now = when


class RedisHarness(Harness):
    kind = "redis"

    def __init__(self, store: RedisStore, raw: aioredis.Redis) -> None:
        self.store, self.raw = store, raw
        self.now: float | None = None

    def travel_to(self, when: float) -> None:
        self.now = when  # from now on the store reads this clock instead of Redis's TIME

    def clock(self) -> float:
        return time.time() if self.now is None else self.now

    async def expire_everything(self) -> None:
        # PEXPIREAT with a time in the past makes Redis drop the key at once, as if its TTL ran out.
        for pattern in (CONV_PREFIX + "*", SEEN_PREFIX + "*", CLAIM_PREFIX + "*", PERSON_PREFIX + "*"):
            async for key in self.raw.scan_iter(match=pattern):
                await self.raw.pexpireat(key, 1)

    async def expire_claims(self) -> None:
        async for key in self.raw.scan_iter(match=CLAIM_PREFIX + "*"):
            await self.raw.pexpireat(key, 1)

    async def stored_keys(self) -> set[str]:
        return {key.removeprefix(CONV_PREFIX) async for key in self.raw.scan_iter(match=CONV_PREFIX + "*")}


@pytest.fixture
async def sqlite_harness(tmp_path: Path) -> AsyncIterator[SqliteHarness]:
    clock = FakeClock()
    data_dir = tmp_path / "data"
    store = await SqliteStore.open(data_dir, ttl_seconds=TTL_SECONDS, clock=clock)
    try:
        yield SqliteHarness(store, clock, data_dir)
    finally:
        await store.close()


@pytest.fixture
async def redis_harness(redis_server: RedisServer) -> AsyncIterator[RedisHarness]:
    raw = aioredis.Redis.from_url(redis_server.url, decode_responses=True)
    await raw.flushdb()
    harness = RedisHarness(None, raw)  # type: ignore[arg-type]
    harness.store = await RedisStore.open(redis_server.url, ttl_seconds=TTL_SECONDS, clock=lambda: harness.clock())
    store = harness.store
    try:
        yield harness
    finally:
        await store.close()
        await raw.aclose()


@pytest.fixture(params=["sqlite", "redis"])
def harness(request: pytest.FixtureRequest) -> Harness:
    """Each contract test runs once per backend; the Redis run needs the redis-server fixture."""
    fixture: Harness = request.getfixturevalue(f"{request.param}_harness")
    return fixture


def make_conversation(version: int = 1, **answers: str) -> Conversation:
    """A mid-flow conversation; pass answers to tell two writers' versions apart."""
    return Conversation(
        flow_id="twitching",
        step="duration",
        answers=answers or {"where": "eyelid"},
        history=("start", "where"),
        version=version,
    )
