"""Inline mode through the real stack: `@bot cramps` offers excerpt cards anyone can post, even in a channel."""

from __future__ import annotations

from bot.bootstrap import Loaded
from tests.support.botapi import BotApiStandIn
from tests.support.harness import RunningBot

CHECK_LINK = "https://t.me/TwitchCheckBot?start=twitching"


async def ask(api: BotApiStandIn, query: str) -> list[dict]:
    """Alice types "@TwitchCheckBot `query`" in a composer; the results the bot answered with."""
    alice = api.user(1001, "Alice")
    query_id = api.inline_query(alice, query)
    await api.wait_until_idle_for(api.inline(query_id).update_id)
    record = api.inline(query_id)
    assert record.answered, "the inline query was not answered"
    assert record.answer["is_personal"] is False and record.answer["cache_time"] > 0
    assert record.answer["button"] == {"text": "Check your twitching privately", "start_parameter": "twitching"}
    return record.results


async def test_a_topic_word_offers_the_passage_that_mentions_it(bot: RunningBot, api: BotApiStandIn) -> None:
    results = await ask(api, "cramps")
    assert [r["id"] for r in results] == ["red_flags"]
    card = results[0]
    assert card["title"] == "Signs to see a doctor about"
    assert "Persistent muscle cramps." in card["input_message_content"]["message_text"]
    assert "From “Are ALS Fasciculations Constant? Key Signs to Know”" in card["input_message_content"]["message_text"]
    assert card["reply_markup"]["inline_keyboard"] == [[{"text": "Check your twitching privately", "url": CHECK_LINK}]]


async def test_a_topic_comes_first_and_a_typo_still_finds_it(bot: RunningBot, api: BotApiStandIn) -> None:
    assert (await ask(api, "caffeine"))[0]["id"] == "stimulants"
    assert (await ask(api, "cafeine"))[0]["id"] == "stimulants"
    assert [r["id"] for r in await ask(api, "stress")][0] == "stress"


async def test_an_empty_query_lists_every_topic(bot: RunningBot, api: BotApiStandIn, loaded: Loaded) -> None:
    results = await ask(api, "")
    assert [r["id"] for r in results] == list(loaded.content.excerpts)
    assert len({r["title"] for r in results}) == len(results)  # each card is told apart by its title


async def test_an_unknown_word_still_offers_the_topics(bot: RunningBot, api: BotApiStandIn, loaded: Loaded) -> None:
    results = await ask(api, "zebra unicorn")
    assert [r["id"] for r in results] == list(loaded.content.excerpts)


async def test_a_chosen_card_posted_to_a_channel_carries_the_private_check_link(
    bot: RunningBot, api: BotApiStandIn
) -> None:
    channel = api.channel("Twitch support news")
    admin = api.user(1005, "Ada")
    query_id = api.inline_query(admin, "sleep", chat_type="channel")
    await api.wait_until_idle_for(api.inline(query_id).update_id)
    posted = api.choose_inline_result(channel, admin, query_id, "sleep")
    assert posted.text.startswith("Lack of adequate sleep and general fatigue")
    assert posted.text.endswith("Information, not a diagnosis.")
    assert posted.buttons == [{"text": "Check your twitching privately", "url": CHECK_LINK}]
