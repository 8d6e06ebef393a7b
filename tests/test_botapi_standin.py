"""The Bot API stand-in, driven through python-telegram-bot's real HTTP stack."""

from __future__ import annotations

import asyncio
import datetime as dtm
import html
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st
from telegram import Bot, ChatMemberAdministrator, ChatMemberMember, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, EndPointNotFound, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from tests.support.botapi import SECRET_HEADER, BotApiStandIn, HtmlEntityError, parse_html

pytestmark = pytest.mark.e2e


@pytest.fixture
async def api() -> AsyncIterator[BotApiStandIn]:
    async with BotApiStandIn(bot_username="TwitchCheckBot") as stand_in:
        yield stand_in


@pytest.fixture
async def bot(api: BotApiStandIn) -> AsyncIterator[Bot]:
    async with Bot(api.token, base_url=api.base_url) as real_bot:
        yield real_bot


@pytest.fixture
def alice(api: BotApiStandIn) -> int:
    """A person who has started a private chat with the bot, so it may write to her."""
    person = api.user(1001, "Alice", "alice")
    api.send_text(person, person, "hi")
    return person.id


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(text, callback_data=data)] for text, data in pairs])


# -- basics ----------------------------------------------------------------------------
async def test_get_me_round_trip(api: BotApiStandIn, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (123456789, "TwitchCheckBot", True)
    assert bot.username == "TwitchCheckBot"
    assert api.calls_to("getMe") and api.calls_to("getMe")[0].ok


async def test_send_message_with_inline_keyboard(api: BotApiStandIn, bot: Bot, alice: int) -> None:
    sent = await bot.send_message(alice, "Any twitching?", reply_markup=keyboard(("Yes", "tw:yes"), ("No", "tw:no")))

    assert sent.text == "Any twitching?"
    assert sent.reply_markup is not None
    assert sent.reply_markup.inline_keyboard[1][0].callback_data == "tw:no"
    stored = api.last_bot_message(alice)
    assert (stored.message_id, stored.callback_data, stored.button_texts) == (
        sent.message_id,
        ["tw:yes", "tw:no"],
        ["Yes", "No"],
    )
    call = api.calls_to("sendMessage", chat_id=alice)[0]
    assert call.params["reply_markup"]["inline_keyboard"][0][0] == {"text": "Yes", "callback_data": "tw:yes"}


async def test_unknown_method_and_chat(api: BotApiStandIn, bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTwitch")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(424242, "hello?")


async def test_bot_cannot_start_conversations_or_write_after_a_block(api: BotApiStandIn, bot: Bot) -> None:
    bob = api.user(1002, "Bob")
    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await bot.send_message(bob.id, "hello")
    api.send_text(bob, bob, "/start")
    api.block_bot(bob)
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(bob.id, "hello")


@pytest.mark.parametrize("token", ["123456789:WrongTokenWrongTokenWrongToken00000", "not-a-token"])
async def test_wrong_token_is_rejected(api: BotApiStandIn, token: str) -> None:
    with pytest.raises(InvalidToken):
        async with Bot(token, base_url=api.base_url):
            pass
    assert api.calls[-1].status in (401, 404)


# -- what Telegram refuses -------------------------------------------------------------
async def test_text_length_counts_visible_characters(api: BotApiStandIn, bot: Bot, alice: int) -> None:
    fits = await bot.send_message(alice, "<b>" + "x" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    assert len(fits.text) == 4096
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(alice, "x" * 4097)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(alice, "😀" * 2049)  # Telegram counts UTF-16 units: 4098


@pytest.mark.parametrize("text", ["", "   \n "])
async def test_empty_text_refused(bot: Bot, alice: int, text: str) -> None:
    with pytest.raises(BadRequest, match="Message text is empty|Message must be non-empty"):
        await bot.send_message(alice, text)


async def test_callback_data_over_64_bytes_refused(api: BotApiStandIn, bot: Bot, alice: int) -> None:
    await bot.send_message(alice, "ok", reply_markup=keyboard(("Fits", "é" * 32)))  # 64 bytes
    with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
        await bot.send_message(alice, "too much", reply_markup=keyboard(("Long", "x" * 65)))
    with pytest.raises(BadRequest, match="(?i)button_text_invalid"):
        await bot.send_message(alice, "blank", reply_markup=keyboard(("", "data")))
    assert [m.text for m in api.bot_messages(alice)] == ["ok"]


@pytest.mark.parametrize(
    ("markup", "reason"),
    [
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("Tom & Jerry", 'Unescaped "&" at byte offset 4'),
        ("a &nbsp; b", 'Unsupported HTML entity "&nbsp;" at byte offset 2'),
        ('<a href="https://x.org" target="_blank">x</a>', 'Unsupported attribute "target" in the tag "a"'),
        ("x < y", 'Unsupported start tag "" at byte offset 2'),
    ],
)
async def test_malformed_html_refused(bot: Bot, alice: int, markup: str, reason: str) -> None:
    with pytest.raises(BadRequest, match="Can't parse entities") as caught:
        await bot.send_message(alice, markup, parse_mode=ParseMode.HTML)
    assert reason.lower() in caught.value.message.lower()


async def test_valid_html_accepted_and_rendered(api: BotApiStandIn, bot: Bot, alice: int) -> None:
    source = 'Tom &amp; Jerry: <a href="https://example.org/?a=1&amp;b=2">site</a> <b>now</b>'
    sent = await bot.send_message(alice, source, parse_mode=ParseMode.HTML)

    assert sent.text == "Tom & Jerry: site now"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("text_link", 13, 4), ("bold", 18, 3)]
    assert sent.entities[0].url == "https://example.org/?a=1&b=2"
    stored = api.last_bot_message(alice)
    assert (stored.text, stored.source_text, stored.parse_mode) == (sent.text, source, "HTML")


# -- editing, deleting, callbacks ------------------------------------------------------
async def test_edit_then_not_modified(api: BotApiStandIn, bot: Bot, alice: int) -> None:
    sent = await bot.send_message(alice, "Step 1", reply_markup=keyboard(("Next", "next")))
    edited = await bot.edit_message_text("Step 2", alice, sent.message_id, reply_markup=keyboard(("Next", "next")))
    assert edited.text == "Step 2"

    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("Step 2", alice, sent.message_id, reply_markup=keyboard(("Next", "next")))
    await bot.edit_message_text("Step 2", alice, sent.message_id)  # no markup: the keyboard goes
    assert api.message(alice, sent.message_id).reply_markup is None
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("ghost", alice, 9999)


async def test_edit_reply_markup_and_delete(api: BotApiStandIn, bot: Bot, alice: int) -> None:
    sent = await bot.send_message(alice, "Pick", reply_markup=keyboard(("A", "a")))
    await bot.edit_message_reply_markup(alice, sent.message_id, reply_markup=keyboard(("B", "b")))
    assert api.message(alice, sent.message_id).callback_data == ["b"]
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(alice, sent.message_id, reply_markup=keyboard(("B", "b")))

    assert await bot.delete_message(alice, sent.message_id)
    assert api.message(alice, sent.message_id) is None
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(alice, sent.message_id)


async def test_answer_callback_query_twice_fails(api: BotApiStandIn, bot: Bot, alice: int) -> None:
    sent = await bot.send_message(alice, "Pick", reply_markup=keyboard(("Yes", "yes")))
    query_id = api.press(alice, alice, sent.message_id, "yes")

    assert await bot.answer_callback_query(query_id, text="Noted")
    assert api.callback_query(query_id).answer == {"text": "Noted"}
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(AssertionError, match="no button with callback_data 'no'"):
        api.press(alice, alice, sent.message_id, "no")


async def test_group_admins_and_chat_info(api: BotApiStandIn, bot: Bot) -> None:
    carol, dave = api.user(2001, "Carol"), api.user(2002, "Dave")
    group = api.group("Twitch talk", supergroup=True)
    api.make_admin(group, carol)

    assert isinstance(await bot.get_chat_member(group.id, carol.id), ChatMemberAdministrator)
    assert isinstance(await bot.get_chat_member(group.id, dave.id), ChatMemberMember)
    admins = await bot.get_chat_administrators(group.id)
    assert [a.user.id for a in admins] == [carol.id]
    with pytest.raises(BadRequest, match="User not found"):
        await bot.get_chat_member(group.id, 31337)
    info = await bot.get_chat(group.id)
    assert (info.type, info.title) == ("supergroup", "Twitch talk")


async def test_commands_and_chat_action(api: BotApiStandIn, bot: Bot, alice: int) -> None:
    assert await bot.set_my_commands([("start", "Begin"), ("help", "How this works")])
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert api.commands()[1] == {"command": "help", "description": "How this works"}
    with pytest.raises(BadRequest, match="(?i)bot_command_invalid"):
        await bot.set_my_commands([("Start", "Begin")])
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    assert await bot.send_chat_action(alice, "typing")


# -- polling ---------------------------------------------------------------------------
async def test_get_updates_long_poll_wakes_on_new_update(api: BotApiStandIn, bot: Bot) -> None:
    erin = api.user(3001, "Erin")
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await api.wait_for(lambda: api.polling, what="the long poll to start")

    update_id = api.send_text(erin, erin, "my eyelid twitches")
    updates = await asyncio.wait_for(poll, timeout=5)  # far below the 30 s poll

    assert [(u.update_id, u.message.text) for u in updates] == [(update_id, "my eyelid twitches")]
    assert update_id not in api.world.confirmed
    assert await bot.get_updates(offset=update_id + 1) == ()
    await api.wait_confirmed(update_id)


async def test_get_updates_conflicts(api: BotApiStandIn, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=30))
    await api.wait_for(lambda: api.polling)
    async with Bot(api.token, base_url=api.base_url) as second_instance:
        assert await second_instance.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await first
    await bot.set_webhook("http://127.0.0.1:9/hook")
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()


async def test_allowed_updates_and_privacy_mode_filter_updates(api: BotApiStandIn, bot: Bot) -> None:
    frank = api.user(3002, "Frank")
    group = api.group("Chatty")
    await bot.get_updates(allowed_updates=["callback_query"])
    dropped_id = api.send_text(frank, frank, "hello")
    assert api.dropped[-1].update["update_id"] == dropped_id

    await bot.get_updates(allowed_updates=[])  # back to the default set
    api.send_text(group, frank, "just chatting")  # privacy mode hides this
    command_id = api.send_command(group, frank, "/help", at_bot=True)
    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == [command_id]
    assert updates[0].message.text == "/help@TwitchCheckBot"
    assert updates[0].message.entities[0].length == len("/help@TwitchCheckBot")
    assert "privacy mode" in api.dropped[-1].reason


async def test_people_helpers_make_updates_ptb_understands(api: BotApiStandIn, bot: Bot) -> None:
    ivan = api.user(3004, "Ivan", "ivan")
    group = api.group("Newcomers", bot_status=None)
    channel = api.channel("News", username="twitch_news")
    ids = [
        api.send_sticker(ivan, ivan, "🙂"),
        api.send_photo(ivan, ivan, caption="my calf"),
        api.send_voice(ivan, ivan, duration=4),
        api.add_bot_to_group(group, ivan),
        api.channel_post(channel, "New article"),
    ]
    first = await bot.get_updates(limit=2)
    rest = await bot.get_updates(offset=first[-1].update_id + 1)
    updates = [*first, *rest]

    assert [u.update_id for u in first] == ids[:2]
    assert updates[0].message.sticker.emoji == "🙂"
    assert updates[1].message.caption == "my calf" and len(updates[1].message.photo) == 2
    assert updates[2].message.voice.to_dict()["duration"] == 4
    joined = updates[3].my_chat_member
    assert (joined.old_chat_member.status, joined.new_chat_member.status) == ("left", "member")
    assert updates[4].message.new_chat_members[0].id == api.bot.id
    assert updates[5].channel_post.text == "New article" and updates[5].channel_post.chat.username == "twitch_news"
    # add_bot_to_group returns the service message's id; my_chat_member comes just before it
    assert [u.update_id for u in updates] == [*ids[:3], ids[3] - 1, *ids[3:]]


# -- faults ----------------------------------------------------------------------------
@pytest.mark.parametrize("status", [500, 502])
async def test_server_errors_surface_as_network_error(api: BotApiStandIn, bot: Bot, alice: int, status: int) -> None:
    api.fail_next("sendMessage", status=status)
    with pytest.raises(NetworkError) as caught:
        await bot.send_message(alice, "first try")
    assert type(caught.value) is NetworkError
    assert (await bot.send_message(alice, "second try")).text == "second try"
    assert [c.status for c in api.calls_to("sendMessage")] == [status, 200]


async def test_flood_limit_surfaces_as_retry_after(
    api: BotApiStandIn, bot: Bot, alice: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    api.fail_next("sendMessage", status=429, retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(alice, "spam")
    assert caught.value.retry_after == dtm.timedelta(seconds=3)
    assert api.calls[-1].response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }


# -- webhooks --------------------------------------------------------------------------
async def test_webhook_receives_queued_updates_with_secret(api: BotApiStandIn, bot: Bot) -> None:
    received: list[tuple[str | None, dict]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get(SECRET_HEADER), await request.json()))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    server = web.AppRunner(app, access_log=None)
    await server.setup()
    site = web.TCPSite(server, "127.0.0.1", 0)
    await site.start()
    try:
        port = server.addresses[0][1]
        url = f"http://127.0.0.1:{port}/hook"
        await bot.set_webhook(url, secret_token="s3cret")
        gina = api.user(3003, "Gina")
        update_id = api.send_text(gina, gina, "hello webhook")
        await api.wait_confirmed(update_id)
        assert [(secret, body["update_id"]) for secret, body in received] == [("s3cret", update_id)]
        assert received[0][1]["message"]["text"] == "hello webhook"
        with pytest.raises(Conflict):
            await bot.get_updates()
        assert (await bot.get_webhook_info()).url == url

        status, body = await api.deliver_webhook(url, {"message": {"text": "manual"}}, secret_token="x")
        assert (status, body, received[-1][0]) == (200, "ok", "x")
    finally:
        await server.cleanup()


# -- a real Application ----------------------------------------------------------------
async def test_application_answers_start_through_polling(api: BotApiStandIn) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Greet, echoing the deep-link payload."""
        payload = " ".join(context.args or [])
        await update.effective_message.reply_text(
            f"Hello {update.effective_user.first_name}! {payload}".strip(),
            reply_markup=keyboard(("Begin", "begin")),
        )

    async def begin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Acknowledge the button and move on."""
        await update.callback_query.answer()
        await update.callback_query.edit_message_text("First question")

    application: Application = api.application_builder().build()
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(begin, pattern="^begin$"))
    hana = api.user(4001, "Hana")
    group = api.group("Clinic")

    async with application:
        await application.start()
        await application.updater.start_polling(timeout=dtm.timedelta(seconds=2))
        try:
            await api.wait_until_idle_for(api.send_command(hana, hana, "/start from_ad"))
            reply = api.last_bot_message(hana)
            assert reply.text == "Hello Hana! from_ad"

            query_id = api.press(hana, hana, reply, "begin")
            await api.wait_until_idle_for(api.callback_query(query_id).update_id)
            assert api.callback_query(query_id).answered
            assert (reply.text, reply.buttons) == ("First question", [])

            await api.wait_until_idle_for(api.send_command(group, hana, "/start", at_bot=True))
            assert api.last_bot_message(group).text == "Hello Hana!"
        finally:
            await application.updater.stop()
            await application.stop()
    assert api.calls[-1].method == "getUpdates" and api.calls[-1].params["timeout"] == 0


async def test_application_answers_through_webhook(api: BotApiStandIn) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Greet."""
        await update.effective_message.reply_text("Hello over a webhook")

    application: Application = api.application_builder().build()
    application.add_handler(CommandHandler("start", start))
    jan = api.user(4002, "Jan")
    with socket.socket() as probe:  # PTB's webhook server needs its port up front
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/telegram"

    async with application:
        await application.start()
        await application.updater.start_webhook(
            listen="127.0.0.1", port=port, url_path="telegram", webhook_url=url, secret_token="s3cret"
        )
        try:
            await api.wait_until_idle_for(api.send_command(jan, jan, "/start"))
            assert api.last_bot_message(jan).text == "Hello over a webhook"
            status, _ = await api.deliver_webhook(url, {"message": {}}, secret_token="wrong")
            assert status == 403
        finally:
            await application.updater.stop()
            await application.stop()
    assert api.calls_to("setWebhook", url=url, secret_token="s3cret")


async def test_waiting_times_out_with_a_readable_dump(api: BotApiStandIn, bot: Bot) -> None:
    with pytest.raises(AssertionError, match=r"(?s)timed out after 0.05s waiting for sendMessage.*#1 getMe"):
        await api.wait_for_call("sendMessage", timeout=0.05)
    with pytest.raises(AssertionError, match="update_processor"):
        await api.wait_until_idle_for(1)


# -- the HTML checker on its own -------------------------------------------------------
@pytest.mark.parametrize(
    ("markup", "reason"),
    [  # texts and byte offsets from TDLib's own parse_html tests
        ("🏟 🏟&lt;<abacaba", "Unclosed start tag at byte offset 13"),
        ("🏟 🏟&lt;<abac aba>", 'Unsupported start tag "abac" at byte offset 13'),
        ("🏟 🏟&lt;</", "Unexpected end tag at byte offset 13"),
        ("🏟 🏟&lt;<b></b></", "Unexpected end tag at byte offset 20"),
        ("🏟 🏟&lt;<i>a</em   >", 'Unmatched end tag at byte offset 17, expected "</i>", found "</em>"'),
    ],
)
def test_html_errors_match_tdlib(markup: str, reason: str) -> None:
    with pytest.raises(HtmlEntityError) as caught:
        parse_html(markup)
    assert caught.value.reason == reason


def test_html_lenient_mode_matches_telegram() -> None:
    assert parse_html("a & b &nbsp;", strict=False).text == "a & b &nbsp;"
    assert parse_html('<b class="x">y</b>', strict=False).entities == [{"type": "bold", "offset": 0, "length": 1}]


@given(st.text())
def test_escaped_text_round_trips(text: str) -> None:
    assert parse_html(html.escape(text)).text == text
