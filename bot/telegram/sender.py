"""The one narrow place that turns rendered messages into Bot API calls, and decides how a turn is shown.

`Sender.show(bot, place, turn, draw, afresh, card)` acts on the `Turn`'s `show` (design §6): a press edits
the card it came from in place (one rate-limited call) and sends the recommendation as a new message; a
card too old to edit, typed text and commands move the card below as a new message (recording that with
`afresh`, so the older card's buttons go stale); a new check sends it. Every other message call the
adapter makes (a plain text, a press's answer, an edit of the reminder or the /forget question, an
inline query's answer) goes through here too, so nothing else in `bot/` calls the Bot API for messages.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQuery,
    InlineQueryResult,
    Message,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from bot.content.render import Action, Button, Renderer
from bot.content.render import Message as Rendered
from bot.engine.conversation import Conversation
from bot.engine.engine import Engine
from bot.logs import log_event
from bot.session import Show, Turn, epoch_of
from bot.telegram.callback_data import CallbackCodec, Kind, Press, tag
from bot.telegram.card import CardView

logger = logging.getLogger("twitchcheck")
ACTION_KINDS = {
    Action.WHY: Kind.WHY,
    Action.RESTART: Kind.RESTART,
    Action.FORGET: Kind.FORGET,
    Action.FORGET_YES: Kind.FORGET_YES,
    Action.FORGET_NO: Kind.FORGET_NO,
    Action.SUMMARY: Kind.SUMMARY,
    Action.REMIND: Kind.REMIND,
    Action.COUNTRY: Kind.COUNTRY,
    Action.COUNTRY_SET: Kind.COUNTRY_SET,
}
PRIVATE_ONLY_ACTIONS = frozenset({Action.REMIND, Action.COUNTRY})
"""Buttons shown only in private chats: a reminder is sent to one person, never to a group, and a
person's country is set where only they see it."""


class ButtonTags:
    """Each flow's questions (steps and engine prompts) and choices by tag, so a button names
    the question and the choice it answers by id and value, never by position."""

    def __init__(self, engine: Engine) -> None:
        self._steps: dict[tuple[str, str], str] = {}
        self._choices: dict[tuple[str, str], dict[str, list[str]]] = {}
        for flow_id, flow in engine.flows.items():
            for step in (*flow.steps.values(), *flow.prompts.values()):
                self._steps[flow_id, self.step_tag(flow_id, step.id)] = step.id
                by_tag = self._choices[flow_id, step.id] = {}
                for choice in step.choices:
                    by_tag.setdefault(self.choice_tag(choice.value), []).append(choice.value)

    @staticmethod
    def step_tag(flow_id: str, step_id: str) -> str:
        """The tag a button carries for a question."""
        return tag(flow_id, step_id)

    @staticmethod
    def choice_tag(value: str) -> str:
        """The tag a button carries for a choice's value."""
        return tag(value)

    def step(self, flow_id: str, step_tag: str) -> str | None:
        """The id of the flow's question with this tag, if the flow still has it."""
        return self._steps.get((flow_id, step_tag))

    def choice(self, flow_id: str, step_id: str, choice_tag: str) -> str | None:
        """The value of the question's choice with this tag, if exactly one choice has it."""
        values = self._choices.get((flow_id, step_id), {}).get(choice_tag, [])
        return values[0] if len(values) == 1 else None


@dataclass(frozen=True, slots=True)
class Place:
    """Where a turn is shown: the chat, the person whose buttons they are, and the forum topic if any."""

    chat_id: int
    owner: int
    thread_id: int | None = None


class Edited(enum.Enum):
    """What editing a message in place did."""

    DONE = "done"
    SAME = "same"
    """Telegram said "not modified": the message already shows this (a double tap)."""
    FAILED = "failed"
    """Telegram can no longer edit it (too old, deleted)."""


class Sender:
    """Sends replies as HTML messages with signed inline keyboards; the only caller of the Bot API's
    message methods."""

    def __init__(self, renderer: Renderer, codec: CallbackCodec, index: ButtonTags) -> None:
        self.renderer = renderer
        self.codec = codec
        self.index = index

    def keyboard(
        self, rendered: Rendered, owner: int, conversation: Conversation | None, chat_id: int
    ) -> InlineKeyboardMarkup | None:
        """The message's buttons, each bound to `chat_id` and to the conversation's version and epoch."""
        if not rendered.buttons:
            return None
        bound = Press("", owner, conversation.version if conversation else 0, chat=self.codec.chat_tag(chat_id))
        if conversation is not None:
            bound = replace(bound, epoch=epoch_of(conversation))
        rows = []
        for row in rendered.buttons:
            rows.append([self.button(button, bound, conversation, rendered) for button in row])
        return InlineKeyboardMarkup(rows)

    def button(
        self, button: Button, bound: Press, conversation: Conversation | None, rendered: Rendered
    ) -> InlineKeyboardButton:
        if button.action == Action.ANSWER and conversation is not None and rendered.step is not None:
            step = self.index.step_tag(conversation.flow_id, rendered.step)
            press = replace(bound, kind=Kind.ANSWER, step=step, choice=self.index.choice_tag(button.value))
        elif button.action == Action.COUNTRY_SET:
            press = replace(bound, kind=Kind.COUNTRY_SET, choice=country_tag(button.value))
        else:
            press = replace(bound, kind=ACTION_KINDS[button.action])
        return InlineKeyboardButton(button.label, callback_data=self.codec.encode(press))

    async def show(
        self,
        bot: Bot,
        place: Place,
        turn: Turn,
        draw: Callable[[Conversation], CardView],
        afresh: Callable[[Conversation], Awaitable[Conversation]],
        card: Message | None = None,
    ) -> None:
        """Show `turn` as it says (`turn.show`): edit `card` in place, or send the card anew below.

        `draw` renders the card for a conversation; `afresh` records that the card is shown anew (its
        version moves on, so the buttons shown before go stale) and returns the conversation as saved."""
        if turn.show is Show.EDIT and card is not None:
            view = draw(turn.conversation)
            owner = place.owner
            if view.card is None or await self.edit(
                bot, card.chat_id, card.message_id, view.card, owner, turn.conversation
            ):
                await self.send(bot, place.chat_id, view.after, owner, turn.conversation, place.thread_id)
                return
            # too old to edit: the card moves below instead
        conversation = turn.conversation
        if turn.asks and not turn.shown_anew:
            conversation = await afresh(conversation)
        view = draw(conversation)
        if turn.asks and view.card is not None:
            await self.send(bot, place.chat_id, [view.card], place.owner, conversation, place.thread_id)
        await self.send(bot, place.chat_id, view.after, place.owner, conversation, place.thread_id)

    async def say(
        self,
        bot: Bot,
        chat_id: int,
        text: str,
        *,
        markup: InlineKeyboardMarkup | None = None,
        thread_id: int | None = None,
        html: bool = True,
        no_preview: bool = False,
        **extra: Any,
    ) -> Message:
        """Send one plain message (HTML unless `html` is off), with optional buttons already built."""
        options: dict[str, Any] = {"parse_mode": ParseMode.HTML} if html else {}
        if no_preview:
            options["disable_web_page_preview"] = True
        return await bot.send_message(
            chat_id, text, reply_markup=markup, message_thread_id=thread_id, **options, **extra
        )

    async def acknowledge(self, query: CallbackQuery, text: str | None = None, url: str | None = None) -> None:
        """Answer a press; Telegram refusing the answer (a press handled too late) must not stop the press."""
        try:
            await query.answer(text, url=url)
        except TelegramError as error:
            log_event(logger, "press_answer_failed", logging.WARNING, error=type(error).__name__)

    async def answer_press(self, bot: Bot, query_id: str, text: str) -> None:
        """Answer a press by its id, as a toast."""
        await bot.answer_callback_query(query_id, text)

    async def answer_inline(self, query: InlineQuery, results: Sequence[InlineQueryResult], **options: Any) -> None:
        """Answer an inline query with the cards to post."""
        await query.answer(results, **options)

    async def replace(
        self,
        target: Message | CallbackQuery,
        text: str,
        markup: InlineKeyboardMarkup | None = None,
        *,
        log: bool = True,
    ) -> Edited:
        """Edit a message's text (the one a press came from, or one we hold) in place, buttons replaced by `markup`."""
        try:
            if isinstance(target, CallbackQuery):
                await target.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
            else:
                await target.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
        except BadRequest as error:
            if "not modified" in str(error).lower():
                return Edited.SAME
            if log:
                log_event(logger, "edit_failed", logging.WARNING, error=type(error).__name__)
            return Edited.FAILED
        return Edited.DONE

    async def send(
        self,
        bot: Bot,
        chat_id: int,
        messages: Iterable[Rendered],
        owner: int,
        conversation: Conversation | None,
        thread_id: int | None = None,
    ) -> list[Message]:
        sent = []
        for rendered in messages:
            sent.append(
                await bot.send_message(
                    chat_id,
                    rendered.text,
                    parse_mode=ParseMode.HTML,
                    message_thread_id=thread_id,
                    reply_markup=self.keyboard(_for_chat(rendered, chat_id), owner, conversation, chat_id),
                    disable_web_page_preview=True,
                )
            )
        return sent

    async def edit(
        self, bot: Bot, chat_id: int, message_id: int, rendered: Rendered, owner: int, conversation: Conversation
    ) -> bool:
        """Edit the check's card in place; False when Telegram can no longer edit that message.

        "Not modified" counts as done: the card already shows this.
        """
        try:
            await bot.edit_message_text(
                rendered.text,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=self.keyboard(rendered, owner, conversation, chat_id),
                disable_web_page_preview=True,
            )
        except BadRequest as error:
            if "not modified" in str(error).lower():
                return True
            log_event(logger, "edit_failed", logging.WARNING, error=type(error).__name__)
            return False
        return True


def country_tag(code: str) -> str:
    """The tag a country button carries for its code (or the picker's "Another country")."""
    return tag("country", code)


def _for_chat(rendered: Rendered, chat_id: int) -> Rendered:
    """The message without its private-only buttons outside a private chat (groups have negative ids)."""
    if chat_id > 0 or not any(b.action in PRIVATE_ONLY_ACTIONS for row in rendered.buttons for b in row):
        return rendered
    kept = (tuple(b for b in row if b.action not in PRIVATE_ONLY_ACTIONS) for row in rendered.buttons)
    return Rendered(rendered.text, tuple(row for row in kept if row), rendered.step)
