"""The one narrow place that turns rendered messages into Bot API calls."""

from __future__ import annotations

from collections.abc import Iterable

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode

from bot.content.render import Action, Button, Renderer
from bot.content.render import Message as Rendered
from bot.engine.conversation import Conversation
from bot.engine.engine import Engine
from bot.engine.replies import Reply
from bot.telegram.callback_data import CallbackCodec, Kind, Press

ACTION_KINDS = {
    Action.WHY: Kind.WHY,
    Action.RESTART: Kind.RESTART,
    Action.FORGET: Kind.FORGET,
    Action.FORGET_YES: Kind.FORGET_YES,
    Action.FORGET_NO: Kind.FORGET_NO,
}


class StepIndex:
    """Steps and choices by position, so callback data carries small numbers instead of names."""

    def __init__(self, engine: Engine) -> None:
        self.steps = {flow_id: [*flow.steps, *flow.prompts] for flow_id, flow in engine.flows.items()}
        self.positions = {flow_id: {step: i for i, step in enumerate(ids)} for flow_id, ids in self.steps.items()}
        self.choices = {
            (flow_id, step.id): [choice.value for choice in step.choices]
            for flow_id, flow in engine.flows.items()
            for step in (*flow.steps.values(), *flow.prompts.values())
        }

    def position(self, flow_id: str, step_id: str) -> int:
        return self.positions[flow_id][step_id]

    def step_at(self, flow_id: str, position: int) -> str | None:
        steps = self.steps.get(flow_id, [])
        return steps[position] if 0 <= position < len(steps) else None


class Sender:
    """Sends replies as HTML messages with signed inline keyboards."""

    def __init__(self, renderer: Renderer, codec: CallbackCodec, index: StepIndex) -> None:
        self.renderer = renderer
        self.codec = codec
        self.index = index

    def keyboard(
        self, rendered: Rendered, owner: int, conversation: Conversation | None
    ) -> InlineKeyboardMarkup | None:
        if not rendered.buttons:
            return None
        version = conversation.version if conversation else 0
        rows = []
        for row in rendered.buttons:
            rows.append([self.button(button, owner, version, conversation, rendered) for button in row])
        return InlineKeyboardMarkup(rows)

    def button(
        self, button: Button, owner: int, version: int, conversation: Conversation | None, rendered: Rendered
    ) -> InlineKeyboardButton:
        if button.action == Action.ANSWER and conversation is not None and rendered.step is not None:
            step = self.index.position(conversation.flow_id, rendered.step)
            choice = self.index.choices[conversation.flow_id, rendered.step].index(button.value)
            press = Press(Kind.ANSWER, owner, version, step, choice)
        else:
            press = Press(ACTION_KINDS[button.action], owner, version)
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
                    reply_markup=self.keyboard(rendered, owner, conversation),
                    disable_web_page_preview=True,
                )
            )
        return sent

    async def send_replies(
        self,
        bot: Bot,
        chat_id: int,
        replies: Iterable[Reply],
        owner: int,
        conversation: Conversation | None,
        language: str | None = None,
        thread_id: int | None = None,
    ) -> list[Message]:
        messages = self.renderer.render_all(replies, language)
        return await self.send(bot, chat_id, messages, owner, conversation, thread_id)
