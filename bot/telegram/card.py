"""Telegram's one card per check (design §6): `card(renderer, flow, conversation, replies) -> CardView`.

Pure, like the rendering it builds on: the answers so far as short lines, this turn's notes, then the open
question and its buttons; the `Sender` decides whether it edits the card in place or sends it anew.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.content.render import Message, Renderer, label_of
from bot.engine.conversation import Conversation
from bot.engine.model import Flow
from bot.engine.replies import Echo, Question, Reply, Result


@dataclass(frozen=True, slots=True)
class CardView:
    """A turn as Telegram's one card per check shows it: the card's new state, then new messages.

    `card` is None when the turn has no question or recommendation (a notice alone); at a
    recommendation the card keeps only its answer lines, without buttons, and the recommendation
    comes in `after`, as new messages, so it notifies.
    """

    card: Message | None
    after: tuple[Message, ...] = ()


def card(
    renderer: Renderer,
    flow: Flow,
    conversation: Conversation,
    replies: Iterable[Reply],
    language: str | None = None,
    *,
    intro: bool = False,
    country: str | None = None,
) -> CardView:
    """The check's card: the answers so far as short lines, this turn's notes, then the open question.

    A typed answer's echo is left out: its own line on the card ("✓ Where it twitches: Leg or foot")
    shows how it was read. With `intro`, the card is still the message the check started with, and
    the welcome stays at its top.
    """
    notes: list[str] = []
    question: Question | None = None
    result: Result | None = None
    for reply in replies:
        if isinstance(reply, Question):
            question = reply
        elif isinstance(reply, Result):
            result = reply
        elif not isinstance(reply, Echo):
            notes += [message.text for message in renderer.render(reply, language, country)]
    if question is None and result is None:
        return CardView(None, tuple(Message(note) for note in notes))
    lines = answered(renderer, flow, conversation)
    parts = [renderer.text("ui.welcome")] if intro else []
    parts += ["\n".join(lines)] if lines else []
    parts += notes
    if question is not None:
        asked = renderer.question(question, renderer.content.country_for(country, language))
        return CardView(Message("\n\n".join([*parts, asked.text]), asked.buttons, asked.step))
    assert result is not None
    return CardView(Message("\n\n".join(parts)) if parts else None, tuple(renderer.result(result, language, country)))


def answered(renderer: Renderer, flow: Flow, conversation: Conversation) -> list[str]:
    """One short line per answer given so far, in the order asked ("✓ Where it twitches: Leg or foot")."""
    lines = []
    for step_id in conversation.history:
        step = flow.steps.get(step_id)
        label = label_of(step, conversation.answers.get(step.key)) if step is not None else ""
        if step is not None and label:
            lines.append(renderer.text("ui.card_line", topic=step.topic, answer=label))
    return lines
