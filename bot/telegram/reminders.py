"""Reminders in Telegram: the offer under a result, /remind /reminders /cancelreminder, the reminder and its buttons.

A reminder is offered only where the check ended in a private chat, and only when
bot/engine/followup.py says the advice is to wait and see. It is the one message the bot ever
sends without being asked, so it is opt-in, and /cancelreminder, /forget or blocking the bot
removes it. Sending goes through bot/reminders/dispatcher.py; this module only says what to send.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable
from datetime import UTC, timedelta, tzinfo
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import ContextTypes
from telegram.warnings import PTBDeprecationWarning

from bot.conversations import INTRO, RECHECK, SHOWN, Turn
from bot.engine.conversation import Conversation
from bot.engine.engine import PREFILL
from bot.engine.followup import FOLLOWUP_DAYS, offers_followup, recheck_prefill
from bot.logs import log_event
from bot.reminders.civil import due_after, local_date
from bot.reminders.dispatcher import Delivery, Wait
from bot.storage.base import Reminder
from bot.telegram.callback_data import Kind, Press, tag
from bot.telegram.handlers import TwitchCheckBot, Who
from bot.telegram.limits import BACKGROUND

logger = logging.getLogger("twitchcheck")

REMINDER_KINDS = (Kind.REMIND, Kind.STILL_THERE, Kind.GONE)
PRESS_PATTERN = rf"^[{''.join(REMINDER_KINDS)}]\."
"""Callback data of the buttons this module answers (see callback_data.py's layout)."""
MAX_START_RETRIES = 5
SAME_REMINDER_SECONDS = 60
"""Two taps on "Remind me" this close together set the same reminder: the second says nothing."""
CARRY_ON = tag("carry_on")
START_RECHECK = tag("start_recheck")
"""The choices of "You have a check in progress: carry on with it, or start the re-check?", asked on the
reminder itself when "Yes, it's still there" would replace a check with answers in it (both are STILL_THERE presses)."""


class ReminderHandlers:
    """The reminder commands and buttons, over the bot's own handlers (so a reload reaches them too)."""

    def __init__(
        self,
        bot: TwitchCheckBot,
        *,
        clock: Callable[[], float] = time.time,
        zone: tzinfo = UTC,
        days: int = FOLLOWUP_DAYS,
    ) -> None:
        self.bot = bot
        self.clock = clock
        self.zone = zone
        self.days = days

    # -- commands ------------------------------------------------------------------------------------------------

    async def on_remind(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/remind: ask me in 2 weeks whether the twitching is still there (after a check that offers it)."""
        who = self.bot.who(update)
        if who is not None:
            await self.set_reminder(context, who)

    async def in_private(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> Who | None:
        """Who sent a reminder command, if in a private chat; elsewhere they are told reminders are private."""
        who = self.bot.who(update)
        if who is not None and not who.private:
            await self.bot.say(context, who, "reminders.private_only")
            return None
        return who

    async def on_reminders(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/reminders: when my reminder is due, if I have one."""
        who = await self.in_private(update, context)
        if who is None:
            return
        reminder = await self.bot.service.store.load_reminder(who.user)
        if reminder is None:
            await self.bot.say(context, who, "reminders.none")
        else:
            await self.bot.say(context, who, "reminders.pending", date=self.date(reminder.due_at))

    async def on_cancel_reminder(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/cancelreminder: cancel and delete my reminder."""
        who = await self.in_private(update, context)
        if who is None:
            return
        if await self.bot.service.store.cancel_reminder(who.user):
            log_event(logger, "reminder_cancelled", user=who.user)
            await self.bot.say(context, who, "reminders.cancelled")
        else:
            await self.bot.say(context, who, "reminders.none")

    async def on_blocked(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The person blocked the bot: their reminder could never be sent, so it goes now."""
        change = update.my_chat_member
        if change is None or change.chat.type != ChatType.PRIVATE:
            return
        if change.new_chat_member.status == ChatMemberStatus.BANNED:
            user = self.bot.anon.user(change.from_user.id)
            if await self.bot.service.store.cancel_reminder(user):
                log_event(logger, "reminder_dropped", user=user, reason="blocked")

    # -- buttons -------------------------------------------------------------------------------------------------

    async def on_press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """ "Remind me in 2 weeks" under a result, and the reminder's "still there?" answers."""
        query = update.callback_query
        who = self.bot.who(update)
        if query is None or who is None:
            return
        press = self.bot.codec.decode(query.data)
        if press is None:
            await self.bot.acknowledge(query, self.bot.content.text("ui.forged_press"))
            return
        if press.owner != who.user_id:
            await self.bot.acknowledge(query, self.bot.content.text("ui.not_your_check"))
            return
        await self.bot.acknowledge(query)
        if press.kind == Kind.REMIND:
            await self.set_reminder(context, who, tapped=True)
            return
        still_there = press.kind == Kind.STILL_THERE
        if still_there and await self.recheck_started_by(who, query.message):
            return  # a second tap on the reminder: its re-check is under way, keep its answers
        if still_there and isinstance(query.message, Message):
            if press.choice == CARRY_ON:
                await self.show_reminder(query.message, who.user_id)  # answerable again, once that check is done
                return
            if press.choice != START_RECHECK and await self.check_in_progress(who):
                await self.ask_first(query.message, who.user_id)
                return
        if isinstance(query.message, Message):
            label = "buttons.still_there" if still_there else "buttons.gone"
            if not await self.mark_answered(query.message, label) and not still_there:
                return  # a second tap on "No, it's gone": already answered, say nothing twice
        if still_there:
            await self.start_recheck(context, who, query.message)
        else:
            await self.bot.say(context, who, "reminders.gone")

    # -- what they do --------------------------------------------------------------------------------------------

    async def set_reminder(self, context: ContextTypes.DEFAULT_TYPE, who: Who, *, tapped: bool = False) -> None:
        """Set (or move) the person's reminder, if their finished check offers one; say when it is due.

        A second tap on the button (`tapped`) that would set the same reminder again says nothing more.
        """
        if not who.private:
            await self.bot.say(context, who, "reminders.private_only")
            return
        store = self.bot.service.store
        conversation = await store.load(who.key)
        if conversation is None or not self.offered(conversation):
            existing = await store.load_reminder(who.user)
            if existing is not None:
                await self.bot.say(context, who, "reminders.pending", date=self.date(existing.due_at))
            else:
                await self.bot.say(context, who, "reminders.not_offered")
            return
        due = due_after(self.clock(), self.days, self.zone)
        existing = await store.load_reminder(who.user) if tapped else None
        if existing is not None and abs(existing.due_at - due) < SAME_REMINDER_SECONDS:
            return
        await store.schedule_reminder(Reminder(who.user, who.chat_id, due, conversation.flow_id))
        log_event(logger, "reminder_set", user=who.user)
        await self.bot.say(context, who, "reminders.set", date=self.date(due))

    def offered(self, conversation: Conversation) -> bool:
        """True when the conversation is a finished check whose advice offers a follow-up."""
        flow = self.bot.service.engine_for(conversation).flows.get(conversation.flow_id)  # the version it ended on
        return (
            flow is not None
            and flow.is_outcome(conversation.step)
            and offers_followup(flow, conversation.step, conversation.answers)
        )

    async def check_in_progress(self, who: Who) -> bool:
        """True when the person has a check with answers in it that has not reached its advice."""
        current = await self.bot.service.load(who.key)
        if current is None or not current.answers:
            return False
        flow = self.bot.service.engine_for(current).flows.get(current.flow_id)
        return flow is not None and not flow.is_outcome(current.step)

    async def ask_first(self, message: Message, owner: int) -> None:
        """Turn the reminder into the question: carry on with the check in progress, or start the re-check?"""
        text = f"{self.bot.renderer.text('reminders.message')}\n\n{self.bot.renderer.text('reminders.in_progress')}"
        choices = ((CARRY_ON, "buttons.carry_on"), (START_RECHECK, "buttons.start_recheck"))
        await self.edit_reminder(message, text, self.keyboard(owner, [(Kind.STILL_THERE, c, k) for c, k in choices]))

    async def show_reminder(self, message: Message, owner: int) -> None:
        """Put the reminder back as it was sent, with its two answers."""
        await self.edit_reminder(message, self.bot.renderer.text("reminders.message"), self.answers_keyboard(owner))

    async def edit_reminder(self, message: Message, text: str, keyboard: InlineKeyboardMarkup) -> None:
        try:
            await message.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=keyboard)
        except BadRequest as error:
            if "not modified" not in str(error).lower():  # a double tap shows the same thing twice
                log_event(logger, "edit_failed", logging.WARNING, error=type(error).__name__)

    async def recheck_started_by(self, who: Who, reminder: object) -> bool:
        """True when the person's check is the re-check this reminder message started."""
        if not isinstance(reminder, Message):
            return False
        current = await self.bot.service.load(who.key)
        return current is not None and current.meta.get(RECHECK) == reminder.message_id

    async def start_recheck(self, context: ContextTypes.DEFAULT_TYPE, who: Who, reminder: object = None) -> None:
        """Start a fresh check that already knows the twitching has lasted `days` (the account step skipped).

        The service starts it as any check (on the current flow), then the prefill is added with
        compare-and-set, so a press racing with it is refused as stale rather than lost.
        """
        service = self.bot.service
        for _ in range(MAX_START_RETRIES):
            started = await service.start(who.key, who.user)
            fresh = started.conversation
            flow = service.engine.flows.get(fresh.flow_id)
            if flow is None:
                break
            prefill = recheck_prefill(flow, self.days)
            started_by = {RECHECK: reminder.message_id} if isinstance(reminder, Message) else {}
            meta = {key: value for key, value in fresh.meta.items() if key != INTRO}  # its own intro is said above
            moved = fresh.bumped(meta={**meta, PREFILL: prefill, SHOWN: fresh.version + 1, **started_by})
            if await service.store.save(who.key, moved, expected_version=fresh.version, user=who.user):
                await self.bot.say(context, who, "reminders.recheck")
                await self.bot.show(context, who, Turn(moved, started.replies, changed=True, started=True))
                return
        raise RuntimeError("conversation kept changing under us")

    async def mark_answered(self, message: Message, label_key: str) -> bool:
        """Show the reminder as answered and take its buttons away; False if it already showed that answer."""
        markup = self.bot.renderer.markup
        text = f"{self.bot.renderer.text('reminders.message')}\n\n➜ {markup.bold(self.bot.content.text(label_key))}"
        try:
            await message.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=None)
        except BadRequest as error:
            if "not modified" in str(error).lower():
                return False
            log_event(logger, "edit_failed", logging.WARNING, error=type(error).__name__)
        return True

    def date(self, when: float) -> str:
        """A date as people say it: "Wednesday 9 December"."""
        day = local_date(when, self.zone)
        return f"{day:%A} {day.day} {day:%B}"

    # -- the reminder itself -------------------------------------------------------------------------------------

    def reminder_keyboard(self, reminder: Reminder) -> InlineKeyboardMarkup:
        """ "Yes, it's still there" and "No, it's gone", signed for the person the reminder is for."""
        return self.answers_keyboard(reminder.chat_id)

    def answers_keyboard(self, owner: int) -> InlineKeyboardMarkup:
        """The reminder's two answers, signed for `owner` (in a private chat, the chat id is the person's)."""
        return self.keyboard(owner, [(Kind.STILL_THERE, "", "buttons.still_there"), (Kind.GONE, "", "buttons.gone")])

    def keyboard(self, owner: int, buttons: list[tuple[str, str, str]]) -> InlineKeyboardMarkup:
        """One button a row: (kind, choice tag, text key), signed for `owner`."""
        rows = []
        for kind, choice, key in buttons:
            data = self.bot.codec.encode(Press(kind, owner, choice=choice))
            rows.append([InlineKeyboardButton(self.bot.content.text(key), callback_data=data)])
        return InlineKeyboardMarkup(rows)

    async def deliver(self, api: Bot, reminder: Reminder) -> Delivery:
        """Try once to send one reminder: "sent"; "gone" if it never can be (blocked, chat gone); a Wait
        when Telegram asks to retry after a while (the dispatcher retries, once it is sure the reminder
        is still wanted); else "retry"."""
        # Through the application's limiter, a reminder uses only the background share of Telegram's limit.
        limited: dict[str, Any] = {"rate_limit_args": BACKGROUND} if getattr(api, "rate_limiter", None) else {}
        try:
            await api.send_message(
                reminder.chat_id,
                self.bot.renderer.text("reminders.message"),
                parse_mode=ParseMode.HTML,
                reply_markup=self.reminder_keyboard(reminder),
                **limited,
            )
        except RetryAfter as error:
            return Wait(retry_after_seconds(error))
        except Forbidden:
            return "gone"
        except BadRequest as error:
            return "gone" if "chat not found" in str(error).lower() else "retry"
        except TelegramError:
            return "retry"
        return "sent"


def retry_after_seconds(error: RetryAfter) -> float:
    """How long Telegram asked to wait, as seconds (PTB 22 gives an int or a timedelta and warns on reading it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        wait = error.retry_after
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
