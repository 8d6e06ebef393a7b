"""Thin handlers: decode the update, call the session, and hand what it returns to the Sender.

Nothing here calls the Bot API's message methods or decides how a turn is shown: `Sender` does both."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, replace
from datetime import date

from telegram import CallbackQuery, Chat, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import ContextTypes

from bot.content.library import Content
from bot.content.render import OTHER_COUNTRY, Action, Button, Renderer
from bot.content.render import Message as Rendered
from bot.content.summary import extra_message
from bot.engine.conversation import Conversation
from bot.engine.replies import Command, Notice, Pick, Result, Typed, command_of
from bot.logs import log_event
from bot.metrics import Metrics
from bot.people import COUNTRY, People, raised_a_flag, wants_repeat_note
from bot.privacy import Anonymizer
from bot.session import SHOWN, Session, StaleVersion, Turn, epoch_of
from bot.telegram.callback_data import CallbackCodec, Kind, Press
from bot.telegram.card import CardView, card
from bot.telegram.inline import CACHE_SECONDS as INLINE_CACHE_SECONDS
from bot.telegram.inline import check_button, excerpt_cards
from bot.telegram.sender import Edited, Place, Sender, country_tag

logger = logging.getLogger("twitchcheck")
LONG_TEXT_CHARS = 300
"""Typed answers are a few words; longer text gets a gentle "please answer briefly"."""
GROUP_CHECKS = "in_group_checks"
GROUP_TYPES = (ChatType.GROUP, ChatType.SUPERGROUP)
COUNTRY_CODE = 2
"""Letters of a country code typed after /country (ISO 3166, like FR)."""


@dataclass
class Who:
    """Who sent an update and where: the ids Telegram gives, and their anonymous forms."""

    chat_id: int
    user_id: int
    key: str
    user: str
    private: bool
    language: str | None
    thread_id: int | None = None


class TwitchCheckBot:
    """Every handler of the bot, sharing one service, renderer, codec and sender."""

    def __init__(
        self,
        service: Session,
        content: Content,
        renderer: Renderer,
        codec: CallbackCodec,
        sender: Sender,
        anonymizer: Anonymizer,
        ttl_days: int,
        metrics: Metrics,
    ) -> None:
        self.service = service
        self.content = content
        self.renderer = renderer
        self.codec = codec
        self.sender = sender
        self.anon = anonymizer
        self.ttl_days = ttl_days
        self.metrics = metrics
        self.people = People(service.store)

    # -- helpers -----------------------------------------------------------------------------------------------

    def who(self, update: Update) -> Who | None:
        chat, user = update.effective_chat, update.effective_user
        if chat is None or user is None:
            return None
        message = update.effective_message
        thread = message.message_thread_id if message is not None and message.is_topic_message else None
        return Who(
            chat.id,
            user.id,
            self.anon.conversation(chat.id, user.id),
            self.anon.user(user.id),
            chat.type == ChatType.PRIVATE,
            user.language_code,
            thread,
        )

    def deep_link(self, context: ContextTypes.DEFAULT_TYPE, payload: str = "") -> str:
        return f"https://t.me/{context.bot.username}?start={payload or self.service.engine.default_flow}"

    async def say(
        self,
        context: ContextTypes.DEFAULT_TYPE,
        who: Who,
        key: str,
        markup: InlineKeyboardMarkup | None = None,
        **values: object,
    ) -> None:
        await self.say_text(context, who, self.renderer.text(key, **values), markup)

    async def say_text(
        self, context: ContextTypes.DEFAULT_TYPE, who: Who, text: str, markup: InlineKeyboardMarkup | None = None
    ) -> None:
        """Send an HTML message (no link preview) to the person's chat and thread."""
        await self.sender.say(context.bot, who.chat_id, text, markup=markup, thread_id=who.thread_id, no_preview=True)

    def view(self, turn: Turn, who: Who, country: str | None = None) -> CardView:
        """How the turn looks on the check's card (design §6), for the flow the conversation is on."""
        flow = self.service.flow_for(turn.conversation)
        return card(
            self.renderer, flow, turn.conversation, turn.replies, who.language, intro=turn.welcome, country=country
        )

    async def personal(self, who: Who, turn: Turn) -> tuple[Turn, str | None]:
        """The turn as this person sees it, and their country: read only when it shows a recommendation or the
        emergency numbers. A check that ends here is counted (its time only), and the third in 7 days
        with no red-flag answer adds the repeat-checks note to a 🟢 or 🟠."""
        result = next((reply for reply in turn.replies if isinstance(reply, Result)), None)
        if result is None and not _is_notice(turn, "ui.english_only"):
            return turn, None
        record = await self.people.load(who.user)
        country = record.get(COUNTRY)
        if result is None or not turn.changed:
            return turn, country
        count = await self.people.finished(who.user, record)
        flow = self.service.flow_for(turn.conversation)
        if wants_repeat_note(count, result.outcome.level, raised_a_flag(flow, turn.conversation)):
            noted = replace(result, notes=(*result.notes, self.content.text("levels.repeat_checks_note")))
            turn = turn.with_replies(tuple(noted if reply is result else reply for reply in turn.replies))
        return turn, country

    async def show(self, context: ContextTypes.DEFAULT_TYPE, who: Who, turn: Turn, card: Message | None = None) -> None:
        """Show a turn for this person: the Sender edits `card` (the one a press came from) or moves the
        card below, as the turn says."""
        turn, country = await self.personal(who, turn)

        def draw(conversation: Conversation) -> CardView:
            return self.view(Turn(conversation, turn.replies, turn.changed), who, country)

        async def afresh(conversation: Conversation) -> Conversation:
            return await self.service.show_afresh(who.key, who.user, conversation)

        place = Place(who.chat_id, who.user_id, who.thread_id)
        await self.sender.show(context.bot, place, turn, draw, afresh, card)
        if turn.changed:
            self.log_turn(who, turn)

    def log_turn(self, who: Who, turn: Turn) -> None:
        if turn.started:
            log_event(logger, "conversation_started", user=who.user, flow=turn.conversation.flow_id)
        for reply in turn.replies:
            if isinstance(reply, Result):
                self.metrics.outcomes.labels(level=reply.outcome.level.key).inc()
                log_event(
                    logger,
                    "outcome",
                    user=who.user,
                    flow=turn.conversation.flow_id,
                    level=reply.outcome.level.key,
                    outcome=reply.outcome.id,
                )

    async def in_group_checks(self, chat: Chat) -> bool:
        settings = await self.service.store.load_chat_settings(self.anon.chat(chat.id))
        return bool(settings.get(GROUP_CHECKS))

    async def redirect_to_private(self, context: ContextTypes.DEFAULT_TYPE, who: Who, payload: str = "") -> None:
        button = InlineKeyboardButton(
            self.content.text("buttons.continue_private"), url=self.deep_link(context, payload)
        )
        await self.say(context, who, "ui.group_redirect", InlineKeyboardMarkup([[button]]))

    # -- commands ----------------------------------------------------------------------------------------------

    async def on_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/start [flow] and /twitch: begin or resume a check (groups get the private link)."""
        who = self.who(update)
        if who is None:
            return
        payload = context.args[0] if context.args else None
        flow_id = payload if payload in self.service.engine.flows else None
        if not who.private and not await self.in_group_checks(update.effective_chat):  # type: ignore[arg-type]
            await self.redirect_to_private(context, who, flow_id or "")
            return
        turn = await self.service.start(
            who.key, flow_id, user=who.user, resume=flow_id is None, update=update.update_id
        )
        await self.show(context, who, turn)  # a new check's card starts with the welcome

    async def on_help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/help: how to answer and the commands."""
        if who := self.who(update):
            lines = self.renderer.text("ui.help").split("\n")
            last = max((i for i, line in enumerate(lines) if line.startswith("• ")), default=len(lines) - 1)
            text = "\n".join([*lines[: last + 1], self.renderer.text("ui.help_country"), *lines[last + 1 :]])
            await self.say_text(context, who, text)

    async def on_privacy(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/privacy: what is stored and for how long."""
        if who := self.who(update):
            text = "\n".join(
                [
                    self.renderer.text("ui.privacy", days=self.ttl_days),
                    self.renderer.text("ui.privacy_person", days=self.ttl_days),
                ]
            )
            await self.say_text(context, who, text)

    async def on_country(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/country [code]: the country picker, or set the country a typed two-letter code names (private chats)."""
        who = self.who(update)
        if who is None:
            return
        if not who.private:
            await self.say(context, who, "ui.country_private")
            return
        typed = (context.args or [""])[0].strip().upper()
        if not typed:
            await self.sender.send(context.bot, who.chat_id, [self.renderer.countries()], who.user_id, None)
            return
        await self.set_country(context, who, typed)

    async def set_country(self, context: ContextTypes.DEFAULT_TYPE, who: Who, code: str) -> None:
        """Store the person's country, or say the code is unknown (and offer the picker)."""
        if len(code) != COUNTRY_CODE or not self.content.countries.knows(code):
            text = self.renderer.text("ui.country_unknown_code", code=code[: COUNTRY_CODE * 4])
            picker = self.renderer.countries()
            await self.sender.send(context.bot, who.chat_id, [Rendered(text, picker.buttons)], who.user_id, None)
            return
        await self.people.set_country(who.user, code)
        log_event(logger, "country_set", user=who.user)
        await self.sender.say(context.bot, who.chat_id, self.renderer.country_set(code))

    async def country(self, update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who, press: Press) -> None:
        """ "Your country" and the picker's buttons: show the picker, set a listed country, or ask for the code."""
        query = update.callback_query
        assert query is not None
        await self.acknowledge(query)
        if not who.private:
            await self.say(context, who, "ui.country_private")
        elif press.kind == Kind.COUNTRY:
            await self.sender.send(context.bot, who.chat_id, [self.renderer.countries()], who.user_id, None)
        elif press.choice == country_tag(OTHER_COUNTRY):
            await self.say(context, who, "ui.country_other")
        else:
            code = next((c for c in self.content.countries.listed if country_tag(c) == press.choice), None)
            if code is None:  # a country no longer listed (content edited since the picker was sent)
                await self.sender.send(context.bot, who.chat_id, [self.renderer.countries()], who.user_id, None)
            else:
                await self.set_country(context, who, code)

    async def on_about(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/about: what the bot is, its sources and the disclaimer."""
        who = self.who(update)
        if who is None:
            return
        m = self.renderer.markup
        lines = [self.renderer.text("ui.about"), "", m.bold(self.content.text("outcome.sources_heading"))]
        lines += [f"• {m.link(s.title, s.url)} ({m.escape(s.publisher)})" for s in self.content.sources.values()]
        lines += ["", m.italic(self.content.text("disclaimer"))]
        await self.say_text(context, who, "\n".join(lines))

    async def on_navigation(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/back and /restart: move within the check."""
        who = self.who(update)
        message = update.effective_message
        if who is None or message is None or not message.text:
            return
        if not who.private and not await self.in_group_checks(update.effective_chat):  # type: ignore[arg-type]
            await self.redirect_to_private(context, who)
            return
        command = command_of(message.text) or Command.RESTART
        await self.show(
            context, who, await self.service.handle(who.key, command, user=who.user, update=update.update_id)
        )

    async def on_cancel(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/cancel: stop the check and delete its answers."""
        if who := self.who(update):
            existed = await self.service.cancel(who.key)
            await self.say(context, who, "ui.cancelled" if existed else "ui.nothing_to_cancel")

    async def on_forget(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/forget: ask for confirmation before deleting everything stored about the person."""
        who = self.who(update)
        if who is None:
            return
        rendered = Rendered(
            self.renderer.text("ui.forget_confirm"),
            (
                (
                    Button(self.content.text("buttons.forget_yes"), Action.FORGET_YES),
                    Button(self.content.text("buttons.forget_no"), Action.FORGET_NO),
                ),
            ),
        )
        await self.sender.send(context.bot, who.chat_id, [rendered], who.user_id, None, who.thread_id)

    async def on_excerpt(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/excerpt [topic]: post an article excerpt card with a "Start a private check" button."""
        message = update.effective_message
        chat = update.effective_chat
        if message is None or chat is None or not message.text:
            return
        words = message.text.split()[1:]
        topic = words[0].lower() if words else ""
        excerpts = list(self.content.excerpts.values())
        chosen = next((e for e in excerpts if topic in (e.topic, e.id)), None) if topic else excerpts[0]
        thread = message.message_thread_id if message.is_topic_message else None
        if chosen is None:
            topics = ", ".join(e.topic for e in excerpts)
            await self.sender.say(
                context.bot, chat.id, self.renderer.text("ui.unknown_topic", topics=topics), thread_id=thread
            )
            return
        button = InlineKeyboardButton(self.content.text("buttons.start_private_check"), url=self.deep_link(context))
        markup = InlineKeyboardMarkup([[button]])
        await self.sender.say(context.bot, chat.id, self.renderer.excerpt_card(chosen), markup=markup, thread_id=thread)

    async def on_inline_query(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`@bot cramps` in any chat: article excerpt cards to post, with a private-check button."""
        query = update.inline_query
        if query is None:
            return
        flow = self.service.engine.default_flow
        cards = excerpt_cards(self.content, self.renderer, query.query, self.deep_link(context, flow))
        await self.sender.answer_inline(
            query, cards, cache_time=INLINE_CACHE_SECONDS, is_personal=False, button=check_button(self.content, flow)
        )

    async def on_group_checks(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/groupchecks on|off: a group admin allows or stops checks inside the group."""
        who = self.who(update)
        chat = update.effective_chat
        if who is None or chat is None or chat.type not in GROUP_TYPES:
            return
        member = await context.bot.get_chat_member(chat.id, who.user_id)
        if member.status not in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER):
            return
        args = context.args or []
        enable = bool(args) and args[0].lower() in ("on", "yes", "enable")
        await self.service.store.save_chat_settings(self.anon.chat(chat.id), {GROUP_CHECKS: enable})
        await self.say(context, who, "ui.in_group_enabled_notice" if enable else "ui.in_group_disabled")

    # -- answers -----------------------------------------------------------------------------------------------

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Typed answers in a private chat (emergency phrases are caught at any point)."""
        who = self.who(update)
        message = update.effective_message
        if who is None or message is None or message.text is None:
            return
        text = message.text
        # The update's id is saved with the answer, so a redelivery of it (webhooks) changes nothing.
        # With nothing stored, the session starts a check (and reads emergency language at once).
        turn = await self.service.handle(who.key, Typed(text), user=who.user, update=update.update_id)
        if len(text) > LONG_TEXT_CHARS and _is_notice(turn, "ui.not_understood"):
            turn = turn.with_replies((Notice("ui.too_long"), *turn.replies[1:]))
        await self.show(context, who, turn)

    async def on_non_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stickers, photos, voice and the like: a kind hint, and the question again."""
        who = self.who(update)
        if who is None:
            return
        conversation = await self.service.load(who.key)
        if conversation is None:
            await self.say(context, who, "ui.non_text")
            return
        replies = (Notice("ui.non_text"), *self.service.current(conversation))
        await self.show(context, who, Turn(conversation, replies, changed=False))

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Every inline button: answers, result actions and /forget's confirmation."""
        query = update.callback_query
        who = self.who(update)
        if query is None or who is None:
            return
        press = self.codec.decode(query.data)
        if press is None:
            await self.acknowledge(query, self.content.text("ui.forged_press"))
            return
        if press.owner != who.user_id:
            await self.acknowledge(query, self.content.text("ui.not_your_check"), url=self.deep_link(context))
            return
        if press.chat and press.chat != self.codec.chat_tag(who.chat_id):
            # Signed, but sent to another chat: replayed here, by a modified client.
            await self.acknowledge(query, self.content.text("ui.forged_press"))
            return
        if press.kind in (Kind.FORGET_YES, Kind.FORGET_NO):
            await self.forget(update, context, who, press)
        elif press.kind == Kind.FORGET:
            await self.acknowledge(query)
            await self.on_forget(update, context)
        elif press.kind == Kind.ANSWER:
            await self.answer(update, context, who, press)
        elif press.kind == Kind.SUMMARY:
            await self.summary(update, context, who, press)
        elif press.kind in (Kind.COUNTRY, Kind.COUNTRY_SET):
            await self.country(update, context, who, press)
        elif press.kind == Kind.RESTART:
            await self.start_again(update, context, who, press)
        else:
            await self.why(update, context, who, press)

    async def answer(self, update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who, press: Press) -> None:
        """An answer button: record it and edit the card in place; an old card's press never advances anything."""
        query = update.callback_query
        assert query is not None
        conversation = await self.service.load(who.key)
        if conversation is None:
            await self.acknowledge(query, self.content.text("ui.forged_press"))
            return
        tags = self.service.tags_for(conversation)
        step_id = tags.step(conversation.flow_id, press.step)
        if step_id is not None and (step_id != conversation.step or not same_check(press, conversation)):
            await self.refuse_stale(context, who, query, press, conversation)
            return
        value = tags.choice(conversation.flow_id, step_id, press.choice) if step_id else None
        if step_id is None or value is None:
            # Our own button, for a question or choice the flow no longer has (edited since): ask again.
            await self.acknowledge(query, self.content.text("ui.forged_press"))
            await self.show(context, who, Turn(conversation, self.service.current(conversation), changed=False))
            return
        try:
            turn = await self.service.handle(
                who.key, Pick(step_id, value), user=who.user, version=press.version, loaded=conversation
            )
        except StaleVersion:
            await self.refuse_stale(context, who, query, press)
            return
        await self.acknowledge(query)
        # A card too old for Telegram to send with the press has no message: the Sender moves it below.
        await self.show(context, who, turn, query.message if isinstance(query.message, Message) else None)

    async def refuse_stale(
        self,
        context: ContextTypes.DEFAULT_TYPE,
        who: Who,
        query: CallbackQuery,
        press: Press,
        current: Conversation | None = None,
        *,
        relink: bool = True,
    ) -> None:
        """A press on buttons that are no longer live: a second tap on the card says "already saved" and sends
        nothing; an older card says "moved on" and shows the current question below (with `relink`; result
        buttons only say it); neither advances anything."""
        current = current or await self.service.load(who.key)
        if current is None:
            await self.acknowledge(query, self.content.text("ui.forged_press"))
            return
        if press.epoch == epoch_of(current) and press.version >= current.meta.get(SHOWN, 0):
            await self.acknowledge(query, self.content.text("ui.already_saved"))
            return
        replies = self.service.current(current)
        if any(isinstance(reply, Result) for reply in replies):
            await self.acknowledge(query, self.content.text("ui.finished"))
            return
        await self.acknowledge(query, self.content.text("ui.moved_on"))
        if relink:
            await self.show(context, who, Turn(current, replies, changed=False))

    async def acknowledge(self, query: CallbackQuery, text: str | None = None, url: str | None = None) -> None:
        """Answer a press; Telegram refusing the answer (a press handled too late) must not stop the press."""
        await self.sender.acknowledge(query, text, url)

    async def start_again(self, update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who, press: Press) -> None:
        """ "Start again" under a recommendation; under an older one it must not wipe the check in progress."""
        query = update.callback_query
        assert query is not None
        conversation = await self.service.load(who.key)
        if conversation is not None and not same_check(press, conversation):
            await self.refuse_stale(context, who, query, press, conversation, relink=False)
            return
        await self.acknowledge(query)
        await self.show(
            context, who, await self.service.handle(who.key, Command.RESTART, user=who.user, loaded=conversation)
        )

    async def why(self, update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who, press: Press) -> None:
        """ "Why this advice" of the check this button ended; another check's reasons would contradict it."""
        query = update.callback_query
        assert query is not None
        conversation = await self.service.load(who.key)
        finished = self.service.finished(conversation, "why") if conversation else None
        if conversation is None or finished is None or not same_check(press, conversation):
            await self.refuse_stale(context, who, query, press, conversation, relink=False)
            return
        await self.acknowledge(query)
        await self.sender.say(context.bot, who.chat_id, self.renderer.why(finished.result), thread_id=who.thread_id)

    async def summary(self, update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who, press: Press) -> None:
        """Send the summary for the doctor of the check this button ended; a restarted check's button is stale."""
        query = update.callback_query
        assert query is not None
        conversation = await self.service.load(who.key)
        finished = self.service.finished(conversation, "summary") if conversation else None
        if conversation is None or finished is None or not same_check(press, conversation):
            await self.refuse_stale(context, who, query, press, conversation, relink=False)
            return
        country = (await self.people.load(who.user)).get(COUNTRY)
        f = finished
        rendered = extra_message(
            self.renderer, f.kind, f.flow, f.conversation, f.result, date.today().isoformat(), country
        )
        if rendered is None:
            await self.refuse_stale(context, who, query, press, conversation, relink=False)
            return
        await self.acknowledge(query)
        await self.sender.send(context.bot, who.chat_id, [rendered], who.user_id, conversation, who.thread_id)

    async def forget(self, update: Update, context: ContextTypes.DEFAULT_TYPE, who: Who, press: Press) -> None:
        query = update.callback_query
        assert query is not None
        await self.acknowledge(query)
        if press.kind == Kind.FORGET_YES:
            removed = await self.service.store.forget_user(who.user)
            log_event(logger, "forgotten", user=who.user, rows=removed)
            text = self.renderer.text("ui.forget_done")
        else:
            text = self.renderer.text("ui.forget_kept")
        if await self.sender.replace(query, text, log=False) is Edited.FAILED:  # SAME: a double tap, it says so
            await self.sender.say(context.bot, who.chat_id, text)

    # -- groups and other updates ------------------------------------------------------------------------------

    async def on_added_to_group(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Introduce the bot briefly when it joins a group."""
        change = update.my_chat_member
        if change is None or change.chat.type not in GROUP_TYPES:
            return
        was = change.old_chat_member.status
        now = change.new_chat_member.status
        joined = now in (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR) and was in (
            ChatMemberStatus.LEFT,
            ChatMemberStatus.BANNED,
        )
        if joined:
            await self.sender.say(context.bot, change.chat.id, self.renderer.text("ui.group_intro"))

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log a safe summary (no texts, no token) and tell the person their answers are safe."""
        error = context.error
        kind = type(update).__name__ if update is not None else "none"
        self.metrics.errors.inc()
        log_event(logger, "error", logging.ERROR, error=type(error).__name__, update=kind)
        if isinstance(update, Update) and update.effective_chat and update.effective_chat.type == ChatType.PRIVATE:
            with contextlib.suppress(Exception):  # the error handler must never raise
                await self.sender.say(context.bot, update.effective_chat.id, self.renderer.text("ui.error"), html=False)


def same_check(press: Press, conversation: Conversation) -> bool:
    """Whether `press` came from the card of `conversation` as it is now: same epoch, same version."""
    return press.epoch == epoch_of(conversation) and press.version == conversation.version


def _is_notice(turn: Turn, key: str) -> bool:
    return bool(turn.replies) and isinstance(turn.replies[0], Notice) and turn.replies[0].key == key
