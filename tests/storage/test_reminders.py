"""The reminder part of the store contract, on SQLite and on Redis: schedule, claim with a lease, settle."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.engine.conversation import Conversation
from bot.storage import SqliteStore, open_store
from bot.storage.base import Reminder

from .conftest import Harness

NOW = 1_800_000_000.0
LEASE = 300.0


async def claim(harness: Harness, when: float, limit: int) -> list[Reminder]:
    """Claim what is due when the store's clock shows `when` (Redis: within milliseconds of it)."""
    harness.travel_to(when)
    return await harness.store.claim_due_reminders(limit, LEASE)


def reminder(user: str, due: float = NOW, chat_id: int = 0) -> Reminder:
    return Reminder(user, chat_id or abs(hash(user)) % 10**9 + 1, due, "twitching")


async def test_a_scheduled_reminder_loads_back(harness: Harness) -> None:
    await harness.store.schedule_reminder(Reminder("u1", 1234567, NOW + 0.25, "twitching"))
    assert await harness.store.load_reminder("u1") == Reminder("u1", 1234567, NOW + 0.25, "twitching")
    assert await harness.store.load_reminder("nobody") is None


async def test_scheduling_again_replaces_the_one_reminder(harness: Harness) -> None:
    store = harness.store
    await store.schedule_reminder(reminder("u1", NOW))
    await store.schedule_reminder(reminder("u1", NOW + 100))
    assert await claim(harness, NOW, 10) == []
    [claimed] = await claim(harness, NOW + 100, 10)
    assert claimed.due_at == NOW + 100


async def test_only_due_reminders_are_claimed_earliest_first_up_to_the_limit(harness: Harness) -> None:
    store = harness.store
    for index, user in enumerate(["c", "a", "b", "later"]):
        await store.schedule_reminder(reminder(user, NOW - 10 + index if user != "later" else NOW + 60))
    claimed = await claim(harness, NOW, 2)
    assert [r.user for r in claimed] == ["c", "a"]
    assert all(r.claim for r in claimed)
    assert [r.user for r in await claim(harness, NOW, 10)] == ["b"]


async def test_a_claimed_reminder_is_hidden_until_its_lease_ends(harness: Harness) -> None:
    store = harness.store
    await store.schedule_reminder(reminder("u1"))
    [first] = await claim(harness, NOW, 10)
    assert await claim(harness, NOW + LEASE - 1, 10) == []
    # The replica holding it died: once the lease is over, another one claims it.
    [again] = await claim(harness, NOW + LEASE + 1, 10)
    assert again.user == "u1" and again.claim != first.claim
    # The first claim is no longer the current one, so it cannot settle (delete) the reminder.
    assert not await store.settle_reminder(first)
    assert await store.settle_reminder(again)
    assert await store.load_reminder("u1") is None


async def test_a_sent_reminder_is_gone_for_good(harness: Harness) -> None:
    store = harness.store
    await store.schedule_reminder(reminder("u1"))
    [claimed] = await claim(harness, NOW, 10)
    assert await store.settle_reminder(claimed)
    assert await claim(harness, NOW + 10 * LEASE, 10) == []
    assert await store.load_reminder("u1") is None


async def test_an_unsent_reminder_is_due_again_at_its_retry_time(harness: Harness) -> None:
    store = harness.store
    await store.schedule_reminder(reminder("u1"))
    [claimed] = await claim(harness, NOW, 10)
    assert await store.settle_reminder(claimed, retry_in=60)
    assert await claim(harness, NOW + 59, 10) == []
    [again] = await claim(harness, NOW + 61, 10)  # a second's margin: Redis's clock moves on
    assert again.due_at == NOW  # when it was meant for stays, for the give-up rule


async def test_a_reminder_rescheduled_while_claimed_survives_the_old_claim(harness: Harness) -> None:
    store = harness.store
    await store.schedule_reminder(reminder("u1"))
    [claimed] = await claim(harness, NOW, 10)
    await store.schedule_reminder(reminder("u1", NOW + 1000))
    assert not await store.settle_reminder(claimed)
    assert (await store.load_reminder("u1")) == reminder("u1", NOW + 1000)


async def test_cancel_removes_a_reminder_claimed_or_not(harness: Harness) -> None:
    store = harness.store
    await store.schedule_reminder(reminder("u1"))
    await store.schedule_reminder(reminder("u2"))
    [first, _] = await claim(harness, NOW, 10)
    assert await store.cancel_reminder("u1") and await store.cancel_reminder("u2")
    assert not await store.cancel_reminder("u1")
    assert not await store.settle_reminder(first)
    assert await claim(harness, NOW + 10 * LEASE, 10) == []


async def test_forget_user_removes_their_reminder_and_no_one_elses(harness: Harness) -> None:
    store = harness.store
    conversation = Conversation(flow_id="twitching", step="duration", version=1)
    await store.save("k1", conversation, expected_version=None, user="u1")
    await store.schedule_reminder(reminder("u1"))
    await store.schedule_reminder(reminder("u2"))
    assert await store.forget_user("u1") == 1
    assert await store.load_reminder("u1") is None
    assert await store.load_reminder("u2") is not None


async def test_two_stores_on_the_same_data_never_claim_one_reminder_twice(
    harness: Harness, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Two processes' connections claiming at once: every reminder goes to exactly one of them."""
    if harness.kind == "sqlite":
        # Two processes on one SQLite file run on one machine, so they read one clock.
        other = await SqliteStore.open(harness.data_dir, clock=harness.clock)  # type: ignore[attr-defined]
    else:
        other = await open_store(request.getfixturevalue("redis_server").url, tmp_path)
    try:
        for index in range(200):
            await harness.store.schedule_reminder(reminder(f"u{index}", 1000.0 - index))  # due on any clock

        async def drain(store: object) -> list[str]:
            got: list[str] = []
            while batch := await store.claim_due_reminders(7, LEASE):  # type: ignore[attr-defined]
                got += [r.user for r in batch]
                await asyncio.sleep(0)
            return got

        mine, theirs = await asyncio.gather(drain(harness.store), drain(other))
        assert sorted(mine + theirs) == sorted(f"u{index}" for index in range(200))
        assert mine and theirs
    finally:
        await other.close()


async def test_renewing_needs_the_current_claim_and_moves_the_lease_on(harness: Harness) -> None:
    store = harness.store
    await store.schedule_reminder(reminder("u1"))
    [claimed] = await claim(harness, NOW, 10)
    harness.travel_to(NOW + LEASE - 10)
    assert await store.renew_reminder(claimed, LEASE)  # still ours: hidden a whole lease from now
    assert await claim(harness, NOW + LEASE + 10, 10) == []
    [again] = await claim(harness, NOW + 2 * LEASE, 10)  # not renewed again: the lease runs out
    assert not await store.renew_reminder(claimed, LEASE)  # the old token is fenced off
    assert await store.renew_reminder(again, LEASE)


async def test_a_cancelled_claimed_reminder_cannot_be_renewed_or_brought_back(harness: Harness) -> None:
    """/cancelreminder or /forget after the claim: the sender's fence fails, and its hand-back changes nothing."""
    store = harness.store
    await store.schedule_reminder(reminder("u1"))
    [claimed] = await claim(harness, NOW, 10)
    assert await store.forget_user("u1") == 0
    assert not await store.renew_reminder(claimed, LEASE)
    assert not await store.settle_reminder(claimed, retry_in=0)
    assert await store.load_reminder("u1") is None
    assert await claim(harness, NOW + 10 * LEASE, 10) == []


async def test_leases_are_read_on_the_stores_clock(harness: Harness) -> None:
    """The claimer passes no time at all: a replica's clock, however wrong, cannot end another's lease."""
    store = harness.store
    await store.schedule_reminder(reminder("u1"))
    [_] = await claim(harness, NOW, 10)
    # Only the store's own clock moving past the lease frees it.
    assert await claim(harness, NOW + LEASE - 1, 10) == []
    assert len(await claim(harness, NOW + LEASE + 1, 10)) == 1
