"""What only the Redis store does: Redis-side TTLs, the per-user index, connecting by URL."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis.exceptions

from bot.storage import RedisStore, open_store
from bot.storage.base import DEDUP_TTL_SECONDS
from tests.support import redis_server as redis_support
from tests.support.redis_server import RedisServer, free_port, start_redis_server

from .conftest import LEASE_SECONDS, TTL_SECONDS, RedisHarness, make_conversation


def within(pttl_ms: int, seconds: int, slack_ms: int = 5000) -> bool:
    """A freshly set TTL: at most `seconds`, and not much less (the test took a moment)."""
    return seconds * 1000 - slack_ms < pttl_ms <= seconds * 1000


async def test_conversation_and_user_index_expire_with_the_ttl(redis_harness: RedisHarness) -> None:
    raw = redis_harness.raw
    await redis_harness.store.save("k", make_conversation(1), expected_version=None, user="u")
    assert within(await raw.pttl("tc:conv:k"), TTL_SECONDS)
    assert within(await raw.pttl("tc:user:u"), TTL_SECONDS)
    assert await raw.smembers("tc:user:u") == {"tc:conv:k"}


async def test_each_save_restarts_the_ttl(redis_harness: RedisHarness) -> None:
    raw = redis_harness.raw
    await redis_harness.store.save("k", make_conversation(1), expected_version=None, user="u")
    await raw.pexpire("tc:conv:k", 10_000)
    await redis_harness.store.save("k", make_conversation(2), expected_version=1, user="u")
    assert within(await raw.pttl("tc:conv:k"), TTL_SECONDS)


async def test_refused_save_leaves_the_ttl_alone(redis_harness: RedisHarness) -> None:
    raw = redis_harness.raw
    await redis_harness.store.save("k", make_conversation(1), expected_version=None, user="u")
    await raw.pexpire("tc:conv:k", 10_000)
    assert not await redis_harness.store.save("k", make_conversation(3), expected_version=2, user="u")
    assert within(await raw.pttl("tc:conv:k"), 10)


async def test_seen_update_ids_expire_after_the_dedup_window(redis_harness: RedisHarness) -> None:
    await redis_harness.store.mark_update_seen(5)
    assert within(await redis_harness.raw.pttl("tc:seen:5"), DEDUP_TTL_SECONDS)


async def test_a_claim_expires_with_its_lease_and_goes_once_settled(redis_harness: RedisHarness) -> None:
    store, raw = redis_harness.store, redis_harness.raw
    await store.claim_update(5, LEASE_SECONDS)
    assert within(await raw.pttl("tc:claim:5"), LEASE_SECONDS)
    await raw.pexpire("tc:claim:5", 10_000)
    assert await store.claim_update(5, LEASE_SECONDS) == "busy"
    assert within(await raw.pttl("tc:claim:5"), 10), "a refused claim does not extend the lease"
    await store.settle_update(5, handled=True)
    assert await raw.exists("tc:claim:5") == 0
    assert within(await raw.pttl("tc:seen:5"), DEDUP_TTL_SECONDS)


async def test_an_unfinished_update_leaves_nothing_behind(redis_harness: RedisHarness) -> None:
    await redis_harness.store.claim_update(5, LEASE_SECONDS)
    await redis_harness.store.settle_update(5, handled=False)
    assert await redis_harness.raw.exists("tc:claim:5", "tc:seen:5") == 0


async def test_chat_settings_have_no_ttl(redis_harness: RedisHarness) -> None:
    await redis_harness.store.save_chat_settings("g", {"lang": "de"})
    assert await redis_harness.raw.pttl("tc:chat:g") == -1


async def test_purge_prunes_expired_names_from_the_user_index_and_reports_zero(redis_harness: RedisHarness) -> None:
    store, raw = redis_harness.store, redis_harness.raw
    await store.save("old", make_conversation(1), expected_version=None, user="u")
    await store.save("new", make_conversation(1), expected_version=None, user="u")
    await raw.pexpireat("tc:conv:old", 1)  # Redis drops it now, as when its TTL runs out

    assert await store.purge_expired() == 0  # Redis already deleted the conversation itself

    assert await raw.smembers("tc:user:u") == {"tc:conv:new"}
    assert await store.load("new") == make_conversation(1)


async def test_forget_user_skips_a_key_now_owned_by_someone_else(redis_harness: RedisHarness) -> None:
    store = redis_harness.store
    await store.save("shared", make_conversation(1), expected_version=None, user="alice")
    await store.save("shared", make_conversation(2), expected_version=1, user="bob")
    assert await store.forget_user("alice") == 0
    assert await store.load("shared") == make_conversation(2)
    assert await store.forget_user("bob") == 1


async def test_open_store_accepts_a_redis_url(redis_server: RedisServer, tmp_path: Path) -> None:
    store = await open_store(redis_server.url, tmp_path)
    try:
        assert isinstance(store, RedisStore)
        assert await store.mark_update_seen(123456789)
    finally:
        await store.close()
    assert not any(tmp_path.iterdir()), "the Redis store must not write to the data dir"


async def test_open_store_fails_fast_when_redis_is_unreachable(tmp_path: Path) -> None:
    port = free_port()  # free a moment ago: nothing listens on it
    with pytest.raises(redis.exceptions.ConnectionError, match=str(port)):
        await open_store(f"redis://127.0.0.1:{port}/0", tmp_path)


def test_helper_starts_and_stops_a_real_server(redis_server: RedisServer) -> None:
    server = start_redis_server()
    assert server.port != redis_server.port
    assert redis_support._answers_ping(server.port)
    server.stop()
    assert server.process.returncode is not None
    assert not redis_support._answers_ping(server.port)
    assert not server.workdir.exists()


def test_missing_redis_server_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redis_support, "find_redis_server", lambda: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="redis-server not found"):
        redis_support.require_redis_server()


def test_missing_redis_server_skips_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redis_support, "find_redis_server", lambda: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="redis-server not found"):
        redis_support.require_redis_server()
