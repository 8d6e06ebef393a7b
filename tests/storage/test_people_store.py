"""A person's record (country, completion times) on every backend: kept, replaced, expired and forgotten
like their conversations."""

from __future__ import annotations

from .conftest import Harness, SqliteHarness, make_conversation


async def test_a_record_loads_back_and_is_replaced_whole(harness: Harness) -> None:
    assert await harness.store.load_person("u1") == {}
    await harness.store.save_person("u1", {"country": "US", "finished": [1.0, 2.0]})
    assert await harness.store.load_person("u1") == {"country": "US", "finished": [1.0, 2.0]}
    await harness.store.save_person("u1", {"country": "GB"})
    assert await harness.store.load_person("u1") == {"country": "GB"}
    assert await harness.store.load_person("u2") == {}


async def test_forget_deletes_the_record_with_the_conversations(harness: Harness) -> None:
    await harness.store.save("k1", make_conversation(), expected_version=None, user="u1")
    await harness.store.save_person("u1", {"country": "US", "finished": [1.0]})
    await harness.store.save_person("u2", {"country": "IE"})
    await harness.store.forget_user("u1")
    assert await harness.store.load_person("u1") == {}
    assert await harness.store.load_person("u2") == {"country": "IE"}


async def test_the_record_expires_with_the_same_time_to_live(harness: Harness) -> None:
    await harness.store.save_person("u1", {"country": "US"})
    await harness.expire_everything()
    assert await harness.store.load_person("u1") == {}
    await harness.store.purge_expired()
    if isinstance(harness, SqliteHarness):
        assert harness.query("SELECT count(*) FROM people") == [(0,)]
