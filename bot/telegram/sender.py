"""The one narrow place that turns rendered messages into Bot API calls."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.content.render import Action, Button, Renderer
from bot.content.render import Message as Rendered
from bot.engine.conversation import Conversation
from bot.engine.engine import Engine
from bot.logs import log_event
from bot.session import epoch_of
from bot.telegram.callback_data import CallbackCodec, Kind, Press, tag

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


class Sender:
    """Sends replies as HTML messages with signed inline keyboards."""

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
