"""Two webhook replicas behind one URL, sharing a real Redis: every answer advances exactly once, in order.

The test plays Telegram and the load balancer: it POSTs each update to a replica of its
choosing, sometimes to several at once, as Telegram does when it redelivers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

import aiohttp
import pytest
import redis.asyncio as aioredis
from prometheus_client.parser import text_string_to_metric_families

from bot.bootstrap import Loaded
from tests.support.botapi import BotApiStandIn
from tests.support.harness import (
    EMERGENCY,
    SHIPPED,
    TO_LOCATION,
    URGENT,
    WEBHOOK_SECRET,
    Person,
    Replica,
    after,
    headline,
)
from tests.support.redis_server import RedisServer, free_port

Route = Callable[[int], Sequence[Replica]]


@pytest.fixture
async def replicas(
    api: BotApiStandIn, loaded: Loaded, tmp_path: Path, redis_server: RedisServer
) -> AsyncIterator[tuple[Replica, Replica]]:
    raw = aioredis.Redis.from_url(redis_server.url)
    await raw.flushdb()
    await raw.aclose()
    first = await Replica.start(api, loaded, tmp_path / "a", redis_server.url)
    second = await Replica.start(api, loaded, tmp_path / "b", redis_server.url)
    yield first, second
    await first.stop()
    await second.stop()


IN_PROGRESS = (503, "in progress")
"""A copy that arrives while another replica still handles the update; Telegram sends it again later."""


async def deliver(api: BotApiStandIn, update_id: int, targets: Sequence[Replica]) -> None:
    """POST one update to every target at the same time, then retry the 503s as Telegram does.

    Exactly one copy handles it. The others answer 200 "duplicate", or 503 "in progress" while
    the update is being handled; retried once it is, those are duplicates too.
    """
    update = api.pending_update(update_id)
    results = await asyncio.gather(*(api.deliver_webhook(r.url, update, WEBHOOK_SECRET) for r in targets))
    assert set(results) <= {(200, "ok"), (200, "duplicate"), IN_PROGRESS}, results
    assert [body for _, body in results].count("ok") == 1, results
    for target, result in zip(targets, results, strict=True):
        if result == IN_PROGRESS:
            assert await api.deliver_webhook(target.url, update, WEBHOOK_SECRET) == (200, "duplicate")


async def walk(api: BotApiStandIn, person: Person, labels: list[str], route: Route) -> None:
    """/start, then tap each label on the newest question; update i goes to route(i)."""
    await deliver(api, api.send_command(person.chat, person.user, "/start"), route(0))
    for number, label in enumerate(labels, start=1):
        query_id = api.press_button(person.chat, person.user, person.question(), label)
        await deliver(api, api.callback_query(query_id).update_id, route(number))


async def scrape(replica: Replica) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the replica's /metrics, keyed by name and labels."""
    async with aiohttp.ClientSession() as session, session.get(replica.base + "/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def total(samples: Sequence[dict[tuple[str, tuple[tuple[str, str], ...]], float]], name: str, **labels: str) -> float:
    wanted = tuple(sorted(labels.items()))
    return sum(s.get((name, wanted), 0.0) for s in samples)


async def test_one_persons_updates_alternating_between_replicas_read_as_on_one_bot(
    api: BotApiStandIn, replicas: tuple[Replica, Replica], alice: Person, bob: Person
) -> None:
    first, second = replicas
    await walk(api, alice, URGENT, lambda number: [first])
    await walk(api, bob, URGENT, lambda number: [replicas[number % 2]])
    assert bob.texts() == alice.texts()
    assert bob.recommendation().text.startswith("🔴")
    assert not any("already answered" in q.answer.get("text", "") for q in api.world.callback_queries.values())


async def test_concurrent_duplicate_deliveries_advance_exactly_once(
    api: BotApiStandIn, replicas: tuple[Replica, Replica], alice: Person, bob: Person
) -> None:
    first, second = replicas
    await walk(api, alice, URGENT, lambda number: [first])
    # Every update reaches both replicas at once, and one of them twice.
    await walk(api, bob, URGENT, lambda number: [first, second, replicas[number % 2]])
    assert bob.texts() == alice.texts()
    samples = [await scrape(first), await scrape(second)]
    assert total(samples, "twitchcheck_duplicate_updates_total") == 2 * (len(URGENT) + 1)
    assert total(samples, "twitchcheck_outcomes_total", level="urgent") == 2


async def test_a_double_tap_split_across_replicas_advances_once(
    api: BotApiStandIn, replicas: tuple[Replica, Replica], alice: Person
) -> None:
    first, second = replicas
    await walk(api, alice, TO_LOCATION, lambda number: [first])
    question = alice.question()
    data = question.callback_data[0]  # the place offered first
    taps = [api.press(alice.chat, alice.user, question, data), api.press(alice.chat, alice.user, question, data)]
    await asyncio.gather(
        deliver(api, api.callback_query(taps[0]).update_id, [first]),
        deliver(api, api.callback_query(taps[1]).update_id, [second]),
    )
    toasts = sorted(api.callback_query(tap).answer.get("text") or "" for tap in taps)
    assert toasts == ["", "That answer is already saved."]
    place = SHIPPED.steps["location"].choices[0].value
    then = after("location", {"location": place})
    assert headline(alice.question()).startswith(then.text)  # advanced once: the question after the place
    beyond = after(then.id, {"location": place}).text
    assert not any(beyond in text for text in alice.texts())


async def test_a_wrong_or_missing_secret_is_refused_and_changes_nothing(
    api: BotApiStandIn, replicas: tuple[Replica, Replica], alice: Person
) -> None:
    first, _ = replicas
    update = api.pending_update(api.send_command(alice.chat, alice.user, "/start"))
    assert (await api.deliver_webhook(first.url, update, "not-the-secret"))[0] == 403
    assert (await api.deliver_webhook(first.url, update))[0] == 403
    assert api.bot_messages(alice.chat) == []
    # The refused update was not remembered as seen: Telegram's retry with the secret goes through.
    assert await api.deliver_webhook(first.url, update, WEBHOOK_SECRET) == (200, "ok")
    assert headline(alice.question()).startswith("First, a safety question")


async def test_a_malformed_body_gets_400(api: BotApiStandIn, replicas: tuple[Replica, Replica]) -> None:
    first, _ = replicas
    headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    async with aiohttp.ClientSession() as session:
        for body in ("not json", "[]", '{"no_update_id": 1}'):
            async with session.post(first.url, data=body, headers=headers) as response:
                assert response.status == 400, body


async def test_healthz_and_metrics_report_updates_outcomes_and_latency(
    api: BotApiStandIn, replicas: tuple[Replica, Replica], alice: Person, bob: Person
) -> None:
    first, second = replicas
    async with aiohttp.ClientSession() as session, session.get(first.base + "/healthz") as response:
        assert response.status == 200
        assert await response.json() == {"status": "ok"}
    await walk(api, alice, URGENT, lambda number: [replicas[number % 2]])
    await walk(api, bob, EMERGENCY, lambda number: [second])
    samples = [await scrape(first), await scrape(second)]
    updates = len(URGENT) + 1 + len(EMERGENCY) + 1
    assert total(samples, "twitchcheck_outcomes_total", level="urgent") == 1
    assert total(samples, "twitchcheck_outcomes_total", level="emergency") == 1
    assert total(samples, "twitchcheck_updates_total", kind="message") == 2
    assert total(samples, "twitchcheck_updates_total", kind="callback_query") == updates - 2
    assert total(samples, "twitchcheck_update_seconds_count") == updates
    assert total(samples, "twitchcheck_update_seconds_bucket", le="+Inf") == updates
    assert total(samples, "twitchcheck_errors_total") == 0


async def test_run_webhook_registers_itself_and_serves_a_whole_check(
    api: BotApiStandIn, loaded: Loaded, tmp_path: Path, alice: Person
) -> None:
    # One replica on the embedded SQLite store, registered with setWebhook; the stand-in then
    # pushes each update to it, as Telegram does.
    replica = await Replica.start(api, loaded, tmp_path, "sqlite", port=free_port(), register=True)
    try:
        hook = api.calls_to("setWebhook")[-1].params
        assert hook["url"] == replica.url and hook["secret_token"] == WEBHOOK_SECRET
        assert "callback_query" in hook["allowed_updates"] and "my_chat_member" in hook["allowed_updates"]
        await alice.command("/start")
        await alice.tap_through(EMERGENCY)
        assert alice.recommendation().text.startswith("🚨")
        assert {d.status for d in api.webhook_deliveries} == {200}
        assert api.calls_to("getUpdates") == []
    finally:
        await replica.stop()
