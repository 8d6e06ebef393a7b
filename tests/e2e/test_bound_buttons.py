"""A button answers only the check it was shown for: in its own chat, and not after /forget.

Callback data is signed, so it cannot be forged, but it can be replayed: a modified client may
send the data of one of a person's buttons as a press on another message. The data carries a
tag of its chat, and the check's epoch, which a new check after /forget moves on.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.telegram.callback_data import Kind
from tests.support.botapi import BotApiStandIn, StoredMessage
from tests.support.fixture_flows import load_steps, question
from tests.support.harness import Person, RunningBot, answered, headline, settings_for


@pytest.fixture
async def steps_bot(api: BotApiStandIn, tmp_path: Path):
    running = await RunningBot(api, load_steps(tmp_path / "flows"), settings_for(api, tmp_path / "data")).start()
    yield running
    await running.stop()


def data_of(message: StoredMessage, label: str) -> str:
    return next(b["callback_data"] for b in message.buttons if b["text"] == label)


async def replay(api: BotApiStandIn, person: Person, message: StoredMessage, data: str) -> str:
    """Send `data` as a press on `message`, whatever its buttons say (a modified client can)."""
    query_id = api.press(person.chat, person.user, message, data, on_screen=False)
    await api.wait_until_idle_for(api.callback_query(query_id).update_id)
    return query_id


async def test_a_private_chat_button_replayed_on_the_same_persons_group_check_changes_nothing(
    steps_bot: RunningBot, api: BotApiStandIn, alice: Person
) -> None:
    group = api.group("Twitch support", supergroup=True)
    api.make_admin(group, alice.user)
    in_group = Person(api, alice.user, group)
    await alice.command("/start")
    private_card = alice.question()
    await in_group.command("/groupchecks on")
    await in_group.command("/twitch")
    group_card = in_group.question()
    assert headline(group_card).startswith(question(1))

    query_id = await replay(api, in_group, group_card, data_of(private_card, "Yes"))
    assert api.callback_query(query_id).answer.get("text")  # refused, with a word why
    assert not any(answered(m) for m in api.bot_messages(group))  # the group check took no answer
    assert headline(in_group.question()).startswith(question(1))
    await in_group.tap("No")  # its own buttons still work
    assert answered(in_group.question()) and headline(in_group.question()).startswith(question(2))


async def test_a_card_from_before_forget_does_not_answer_the_new_check(
    steps_bot: RunningBot, api: BotApiStandIn, alice: Person
) -> None:
    await alice.command("/start")
    old_card = alice.question()
    await alice.command("/forget")
    confirm = api.last_bot_message(alice.chat)
    yes = next(b["callback_data"] for b in confirm.buttons if b["callback_data"].startswith(Kind.FORGET_YES + "."))
    await replay(api, alice, confirm, yes)
    await alice.command("/start")
    new_card = alice.question()
    assert new_card.message_id != old_card.message_id
    assert headline(new_card).startswith(question(1))

    query_id = await alice.tap("Yes", old_card)  # the old card still shows its buttons
    assert api.callback_query(query_id).answer.get("text")  # refused, with a word why
    assert not any(answered(m) for m in api.bot_messages(alice.chat))  # the new check took no answer
    assert headline(alice.question()).startswith(question(1))
    assert not any(m.text.startswith(("🚨", "🔴", "🟠", "🟢")) for m in api.bot_messages(alice.chat))
