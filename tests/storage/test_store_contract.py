"""The ConversationStore contract, checked identically on every backend."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.engine.conversation import Conversation
from bot.storage import open_store
from bot.telegram.webhook import UpdateLeases

from .conftest import LEASE_SECONDS, Harness, make_conversation


async def test_saved_conversation_loads_back_equal(harness: Harness) -> None:
    conversation = Conversation(
        flow_id="twitching",
        step="red_flags",
        answers={"where": "lid ü 眼", "weakness": "not_sure"},
        history=("start", "where", "weakness"),
        version=3,
        meta={"locale": "de", "nested": {"n": [1, 2]}},
    )
    assert await harness.store.save("k1", conversation, expected_version=None, user="u1")
    assert await harness.store.load("k1") == conversation


async def test_missing_conversation_loads_as_none(harness: Harness) -> None:
    assert await harness.store.load("nobody") is None


async def test_create_is_refused_while_a_live_conversation_exists(harness: Harness) -> None:
    first, second = make_conversation(1, where="eyelid"), make_conversation(1, where="calf")
    assert await harness.store.save("k", first, expected_version=None, user="u")
    assert not await harness.store.save("k", second, expected_version=None, user="u")
    assert await harness.store.load("k") == first


async def test_matching_versions_chain_updates(harness: Harness) -> None:
    store = harness.store
    assert await store.save("k", make_conversation(1), expected_version=None, user="u")
    assert await store.save("k", make_conversation(2, where="calf"), expected_version=1, user="u")
    assert await store.save("k", make_conversation(3, where="arm"), expected_version=2, user="u")
    assert await store.load("k") == make_conversation(3, where="arm")


async def test_stale_expected_version_is_refused_and_data_kept(harness: Harness) -> None:
    store = harness.store
    await store.save("k", make_conversation(1), expected_version=None, user="u")
    await store.save("k", make_conversation(2, where="calf"), expected_version=1, user="u")
    assert not await store.save("k", make_conversation(2, where="stale tap"), expected_version=1, user="u")
    assert await store.load("k") == make_conversation(2, where="calf")


async def test_update_of_a_missing_conversation_is_refused(harness: Harness) -> None:
    assert not await harness.store.save("k", make_conversation(2), expected_version=1, user="u")
    assert await harness.store.load("k") is None


async def test_update_that_keeps_the_version_is_a_programming_error(harness: Harness) -> None:
    await harness.store.save("k", make_conversation(1), expected_version=None, user="u")
    with pytest.raises(ValueError, match="must be greater than expected_version"):
        await harness.store.save("k", make_conversation(1, where="calf"), expected_version=1, user="u")


async def test_concurrent_updates_from_one_version_let_exactly_one_win(harness: Harness) -> None:
    store = harness.store
    await store.save("k", make_conversation(1), expected_version=None, user="u")
    taps = [make_conversation(2, where=f"tap {i}") for i in range(5)]
    results = await asyncio.gather(*(store.save("k", tap, expected_version=1, user="u") for tap in taps))
    assert results.count(True) == 1
    assert await store.load("k") == taps[results.index(True)]


async def test_concurrent_creates_let_exactly_one_win(harness: Harness) -> None:
    store = harness.store
    starts = [make_conversation(1, where=f"start {i}") for i in range(5)]
    results = await asyncio.gather(*(store.save("k", s, expected_version=None, user="u") for s in starts))
    assert results.count(True) == 1
    assert await store.load("k") == starts[results.index(True)]


async def test_expired_conversation_is_gone_and_can_start_over(harness: Harness) -> None:
    store = harness.store
    await store.save("k", make_conversation(4), expected_version=None, user="u")
    await harness.expire_everything()
    assert await store.load("k") is None
    assert not await store.save("k", make_conversation(5), expected_version=4, user="u")
    assert await store.save("k", make_conversation(1, where="new"), expected_version=None, user="u")
    assert await store.load("k") == make_conversation(1, where="new")


async def test_delete_drops_only_that_conversation(harness: Harness) -> None:
    store = harness.store
    await store.save("a", make_conversation(1), expected_version=None, user="u")
    await store.save("b", make_conversation(1), expected_version=None, user="u")
    await store.delete("a")
    await store.delete("never-existed")
    assert await store.load("a") is None
    assert await harness.stored_keys() == {"b"}
    assert await store.forget_user("u") == 1


async def test_forget_user_removes_only_that_users_conversations(harness: Harness) -> None:
    store = harness.store
    for key, user in [("a1", "alice"), ("a2", "alice"), ("b1", "bob")]:
        await store.save(key, make_conversation(1), expected_version=None, user=user)
    await store.save("a1", make_conversation(2), expected_version=1, user="alice")  # saved twice, counted once
    await store.save_chat_settings("group", {"lang": "en"})

    assert await store.forget_user("alice") == 2

    assert await store.load("a1") is None and await store.load("a2") is None
    assert await store.load("b1") == make_conversation(1)
    assert await harness.stored_keys() == {"b1"}
    assert await store.load_chat_settings("group") == {"lang": "en"}
    assert await store.forget_user("alice") == 0
    assert await store.forget_user("nobody") == 0


async def test_forget_user_also_erases_expired_leftovers(harness: Harness) -> None:
    store = harness.store
    await store.save("a1", make_conversation(1), expected_version=None, user="alice")
    await harness.expire_everything()
    await store.save("a2", make_conversation(1), expected_version=None, user="alice")
    await store.forget_user("alice")
    assert await harness.stored_keys() == set()


async def test_update_is_seen_once(harness: Harness) -> None:
    store = harness.store
    assert await store.mark_update_seen(1001) is True
    assert await store.mark_update_seen(1001) is False
    assert await store.mark_update_seen(1002) is True


async def test_update_id_is_forgotten_after_the_dedup_window(harness: Harness) -> None:
    await harness.store.mark_update_seen(7)
    await harness.expire_everything()
    assert await harness.store.mark_update_seen(7) is True
    assert await harness.store.mark_update_seen(7) is False


async def test_an_update_is_claimed_once_while_its_lease_lasts(harness: Harness) -> None:
    store = harness.store
    assert isinstance(store, UpdateLeases)
    assert await store.claim_update(1001, LEASE_SECONDS) == "claimed"
    assert await store.claim_update(1001, LEASE_SECONDS) == "busy"
    assert await store.claim_update(1002, LEASE_SECONDS) == "claimed"


async def test_concurrent_claims_let_exactly_one_through(harness: Harness) -> None:
    claims = await asyncio.gather(*(harness.store.claim_update(5, LEASE_SECONDS) for _ in range(5)))
    assert sorted(claims) == ["busy"] * 4 + ["claimed"]


async def test_a_handled_update_is_seen_until_the_dedup_window_ends(harness: Harness) -> None:
    store = harness.store
    await store.claim_update(1001, LEASE_SECONDS)
    await store.settle_update(1001, handled=True)
    assert await store.claim_update(1001, LEASE_SECONDS) == "seen"
    await harness.expire_claims()
    assert await store.claim_update(1001, LEASE_SECONDS) == "seen"
    assert await store.mark_update_seen(1001) is False  # one record of handled updates, whichever way it came
    await harness.expire_everything()
    assert await store.claim_update(1001, LEASE_SECONDS) == "claimed"


async def test_an_update_left_unfinished_can_be_claimed_again_at_once(harness: Harness) -> None:
    store = harness.store
    await store.claim_update(1001, LEASE_SECONDS)
    await store.settle_update(1001, handled=False)
    assert await store.claim_update(1001, LEASE_SECONDS) == "claimed"
    assert await store.claim_update(1001, LEASE_SECONDS) == "busy"


async def test_the_claim_of_a_replica_that_crashed_expires_with_its_lease(harness: Harness) -> None:
    store = harness.store
    await store.claim_update(1001, LEASE_SECONDS)  # and the replica never settles it
    await harness.expire_claims()
    assert await store.claim_update(1001, LEASE_SECONDS) == "claimed"
    assert await store.claim_update(1001, LEASE_SECONDS) == "busy"
    await store.settle_update(1001, handled=True)
    assert await store.claim_update(1001, LEASE_SECONDS) == "seen"


async def test_an_update_recorded_on_arrival_counts_as_seen(harness: Harness) -> None:
    # A replica on a store without leases records updates with mark_update_seen when they arrive.
    await harness.store.mark_update_seen(1001)
    assert await harness.store.claim_update(1001, LEASE_SECONDS) == "seen"


async def test_settling_an_update_that_was_never_claimed_is_harmless(harness: Harness) -> None:
    store = harness.store
    await store.settle_update(1001, handled=False)
    assert await store.claim_update(1001, LEASE_SECONDS) == "claimed"
    await store.settle_update(1002, handled=True)
    assert await store.claim_update(1002, LEASE_SECONDS) == "seen"


async def test_chat_settings_round_trip_and_replace(harness: Harness) -> None:
    store = harness.store
    assert await store.load_chat_settings("g1") == {}
    await store.save_chat_settings("g1", {"lang": "de", "in_group": False, "admins": ["x"]})
    await store.save_chat_settings("g2", {"lang": "fr"})
    assert await store.load_chat_settings("g1") == {"lang": "de", "in_group": False, "admins": ["x"]}
    await store.save_chat_settings("g1", {"lang": "en"})
    assert await store.load_chat_settings("g1") == {"lang": "en"}
    assert await store.load_chat_settings("g2") == {"lang": "fr"}


async def test_chat_settings_do_not_expire(harness: Harness) -> None:
    await harness.store.save_chat_settings("g", {"lang": "de"})
    await harness.expire_everything()
    await harness.store.purge_expired()
    assert await harness.store.load_chat_settings("g") == {"lang": "de"}


@pytest.mark.parametrize(
    "storage",
    [
        "",
        "postgres://db/1",
        "mysql",
        "redis://",
        "redis:///0",
        "redis://host:port/0",
        "redis://host:6379/zero",
        "file.db",
    ],
)
async def test_open_store_rejects_unknown_storage(storage: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"use 'sqlite' or a URL like redis://") as error:
        await open_store(storage, tmp_path)
    assert "\n" not in str(error.value)
    assert not any(tmp_path.iterdir()), "a rejected value must not create a store"
