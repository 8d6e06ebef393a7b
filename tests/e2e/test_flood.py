"""One person flooding the bot is capped and told once to wait; other people are served as usual."""

from __future__ import annotations

from bot.telegram.app import FLOOD_REPLY
from bot.telegram.ordering import PER_CHAT_CAP
from tests.support.harness import Person, RunningBot, headline

FLOOD = 60


async def test_a_flood_is_capped_told_once_and_another_person_still_gets_their_check(
    bot: RunningBot, alice: Person, bob: Person
) -> None:
    api = alice.api
    # Queued in one go, so the bot fetches them in one batch, as after a burst or downtime.
    sent = [api.send_command(alice.chat, alice.user, "/start")]
    sent += [api.send_text(alice.chat, alice.user, "no") for _ in range(FLOOD)]
    sent.append(api.send_command(bob.chat, bob.user, "/start"))
    for update_id in sent:
        await api.wait_until_idle_for(update_id)
    assert alice.texts().count(FLOOD_REPLY) == 1
    assert headline(bob.question()).startswith("First, a safety question")
    assert FLOOD_REPLY not in bob.texts()
    assert bot.runtime is not None
    dropped = bot.runtime.metrics.registry.get_sample_value("twitchcheck_dropped_updates_total")
    assert dropped == len(sent) - 1 - PER_CHAT_CAP


async def test_a_flood_of_button_presses_is_told_to_wait_with_a_toast(bot: RunningBot, alice: Person) -> None:
    await alice.command("/start")
    question = alice.question()
    api = alice.api
    taps = [api.press(alice.chat, alice.user, question, question.callback_data[1]) for _ in range(PER_CHAT_CAP + 5)]
    for tap in taps:
        await api.wait_until_idle_for(api.callback_query(tap).update_id)
    toasts = [(api.callback_query(tap).answer or {}).get("text") for tap in taps]
    assert toasts.count(FLOOD_REPLY) == 1
    assert FLOOD_REPLY not in alice.texts()
