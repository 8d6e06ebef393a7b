"""Groups and channels: privacy first, nobody presses someone else's check, nothing crashes."""

from __future__ import annotations

import pytest

from tests.support.botapi import BotApiStandIn
from tests.support.harness import SHIPPED, TO_LOCATION, Person, RunningBot, headline


@pytest.fixture
def group(api: BotApiStandIn):
    return api.group("Twitch support", supergroup=True)


def in_group(api: BotApiStandIn, person: Person, group) -> Person:
    return Person(api, person.user, group)


@pytest.mark.parametrize(
    ("command", "at_bot"),
    [("/start", True), ("/twitch", False), ("/twitch", True), ("/restart", True), ("/back", False)],
)
async def test_a_check_asked_for_in_a_group_continues_in_private(
    bot: RunningBot, api, alice: Person, group, command: str, at_bot: bool
) -> None:
    member = in_group(api, alice, group)
    await member.command(command, at_bot=at_bot)
    reply = api.last_bot_message(group)
    assert "private" in reply.text.lower()
    assert reply.buttons == [{"text": "Continue in private", "url": "https://t.me/TwitchCheckBot?start=twitching"}]
    assert not any("safety question" in m.text for m in api.bot_messages(group))


async def test_in_group_checks_belong_to_whoever_started_them(
    bot: RunningBot, api, alice: Person, bob: Person, group
) -> None:
    api.make_admin(group, alice.user)
    a, b = in_group(api, alice, group), in_group(api, bob, group)
    await b.command("/groupchecks on")  # not an admin: ignored
    await b.command("/twitch")
    assert "private" in api.last_bot_message(group).text.lower()

    await a.command("/groupchecks on")
    await a.command("/twitch")
    question = a.question()
    assert headline(question).startswith("First, a safety question")

    query_id = await b.tap("Yes", question)
    answer = api.callback_query(query_id).answer
    assert "someone else" in answer["text"].lower() or "belongs" in answer["text"].lower()
    assert answer["url"] == "https://t.me/TwitchCheckBot?start=twitching"
    assert a.question().message_id == question.message_id  # unchanged: no 🚨, no new question

    await a.tap("No", question)
    await a.tap_through(TO_LOCATION[1:])
    assert headline(a.question()) == SHIPPED.steps["location"].text


async def test_the_bot_introduces_itself_when_added(bot: RunningBot, api, alice: Person) -> None:
    fresh = api.group("New group", bot_status=None)
    update_id = api.add_bot_to_group(fresh, alice.user)
    await api.wait_until_idle()
    del update_id
    intro = api.last_bot_message(fresh).text
    assert "/twitch" in intro


async def test_excerpt_cards_carry_a_private_check_button(bot: RunningBot, api, alice: Person, group) -> None:
    member = in_group(api, alice, group)
    await member.command("/excerpt caffeine")
    card = api.last_bot_message(group)
    assert "High intake of stimulants like caffeine" in card.text
    assert card.buttons[0]["url"] == "https://t.me/TwitchCheckBot?start=twitching"
    await member.command("/excerpt unicorns")
    assert "caffeine" in api.last_bot_message(group).text  # lists the topics


async def test_channel_posts_get_excerpt_cards_and_never_crash(bot: RunningBot, api) -> None:
    channel = api.channel("Health news")
    api.channel_post(channel, "/excerpt stress")
    api.channel_post(channel, "A normal post about sleep.")
    await api.wait_until_idle()
    messages = api.bot_messages(channel)
    assert len(messages) == 1
    assert "Stress and anxiety are frequent contributors" in messages[0].text
    assert bot.runtime is not None
    assert bot.runtime.metrics.errors._value.get() == 0  # noqa: SLF001 - prometheus counter value


async def test_other_update_kinds_never_crash(bot: RunningBot, api, alice: Person) -> None:
    api.queue_raw_update(
        {
            "poll_answer": {
                "poll_id": "1",
                "option_ids": [0],
                "option_persistent_ids": ["a"],
                "user": {"id": alice.user.id, "is_bot": False, "first_name": "A"},
            }
        }
    )
    api.block_bot(alice.user)
    api.unblock_bot(alice.user)
    api.queue_raw_update(
        {
            "edited_message": {
                "message_id": 99,
                "date": 0,
                "chat": {"id": alice.user.id, "type": "private"},
                "from": {"id": alice.user.id, "is_bot": False, "first_name": "A"},
                "text": "edited",
                "edit_date": 1,
            }
        }
    )
    await api.wait_until_idle()
    assert bot.runtime is not None
    assert bot.runtime.metrics.errors._value.get() == 0  # noqa: SLF001
    await alice.command("/start")
    assert headline(alice.question()).startswith("First, a safety question")
