"""Pure rendering of engine replies into messages: text plus buttons, as HTML or plain text.

Only the adapters send; this module just decides what a person reads.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass

from bot.content.library import Content
from bot.engine.model import Level
from bot.engine.replies import Echo, Notice, Question, Reply, Result

MAX_MESSAGE_CHARS = 4096


class Action:
    """What a button does; the adapter encodes these into callback data."""

    ANSWER = "answer"
    WHY = "why"
    RESTART = "restart"
    FORGET = "forget"
    FORGET_YES = "forget_yes"
    FORGET_NO = "forget_no"


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    action: str
    value: str = ""


@dataclass(frozen=True, slots=True)
class Message:
    """One message to send; `step` is set for questions so the adapter can bind buttons to it."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    step: str | None = None


class Markup:
    """Plain text: nothing is escaped and headings stay as they are."""

    html = False

    def escape(self, text: str) -> str:
        return text

    def bold(self, text: str) -> str:
        return text

    def italic(self, text: str) -> str:
        return text

    def link(self, text: str, url: str) -> str:
        return f"{text} ({url})" if url else text


class HtmlMarkup(Markup):
    """Telegram HTML: every piece of content is escaped, only our own tags remain."""

    html = True

    def escape(self, text: str) -> str:
        return html.escape(text, quote=False)

    def bold(self, text: str) -> str:
        return self._wrap("b", text)

    def italic(self, text: str) -> str:
        return self._wrap("i", text)

    def _wrap(self, tag: str, text: str) -> str:
        """Tag each line on its own, so a message split between lines never cuts a tag in two."""
        return "\n".join(f"<{tag}>{self.escape(line)}</{tag}>" if line.strip() else line for line in text.split("\n"))

    def link(self, text: str, url: str) -> str:
        if not url:
            return self.escape(text)
        return f'<a href="{html.escape(url, quote=True)}">{self.escape(text)}</a>'


PLAIN = Markup()
HTML = HtmlMarkup()


class Renderer:
    """Turns replies into messages for one medium; holds the content and the markup style."""

    def __init__(self, content: Content, markup: Markup = HTML) -> None:
        self.content = content
        self.markup = markup

    def render(self, reply: Reply, language: str | None = None) -> list[Message]:
        """The messages for one engine reply."""
        if isinstance(reply, Question):
            return [self.question(reply)]
        if isinstance(reply, Notice):
            return [Message(self.markup.escape(self.content.text(reply.key, **reply.values)))]
        if isinstance(reply, Echo):
            return [Message(self.markup.bold(self.content.text("ui.understood", answer=reply.label)))]
        return self.result(reply, language)

    def render_all(self, replies: Iterable[Reply], language: str | None = None) -> list[Message]:
        """The messages for a turn; an echo ("➜ Leg or foot") joins the message after it, saving a send,
        except a recommendation, which must start with its level's mark."""
        messages: list[Message] = []
        echo: str | None = None
        for reply in replies:
            for message in self.render(reply, language):
                if isinstance(reply, Echo):
                    echo = message.text if echo is None else f"{echo}\n{message.text}"
                    continue
                if echo is not None and isinstance(reply, Result):
                    messages.append(Message(echo))  # the recommendation's first line is its mark (design §3)
                elif echo is not None:
                    message = Message(f"{echo}\n\n{message.text}", message.buttons, message.step)
                echo = None
                messages.append(message)
        if echo is not None:
            messages.append(Message(echo))
        return messages

    def text(self, key: str, **values: object) -> str:
        """A content text, escaped for the medium."""
        return self.markup.escape(self.content.text(key, **values))

    def question(self, question: Question) -> Message:
        step = question.step
        buttons = tuple((Button(choice.label, Action.ANSWER, choice.value),) for choice in step.choices)
        text = self.markup.escape(step.text)
        if question.summary:
            lines = [self.markup.escape(f"• {reason.topic}: {reason.answer}") for reason in question.summary]
            text = "\n".join([text, *lines, "", self.text("ui.review_question")])
        return Message(text, buttons, step.id)

    def why(self, result: Result) -> str:
        """The "Why this advice" section: the answers that led to the recommendation."""
        m, c = self.markup, self.content
        lines = [m.bold(c.text("outcome.why_heading"))]
        if result.typed_emergency:
            lines.append(m.escape("• " + c.text("outcome.emergency_typed")))
        lines += [m.escape("• " + c.text("outcome.why_line", topic=r.topic, answer=r.answer)) for r in result.reasons]
        return "\n".join(lines)

    def result(self, result: Result, language: str | None = None) -> list[Message]:
        """The recommendation, split under Telegram's limit; the first line is the level's mark and title."""
        m, c, outcome = self.markup, self.content, result.outcome
        sections = [f"{outcome.level.mark} {m.bold(outcome.title)}\n{m.escape(outcome.recommendation)}"]
        if outcome.level is Level.EMERGENCY:
            number = c.emergency_number(language)
            sections[0] += "\n\n" + m.bold(c.text("outcome.emergency_numbers", local=number, always=c.emergency_always))
        sections += [m.escape(note) for note in result.notes]
        sections.append(self.why(result))
        if result.excerpts:
            quoted = [m.bold(c.text("outcome.excerpts_heading"))]
            quoted += [m.italic("“" + c.excerpts[e].text.strip() + "”") for e in result.excerpts]
            quoted.append(m.escape("— " + c.text("outcome.excerpt_attribution", title=c.sources["article"].title)))
            sections.append("\n\n".join(quoted))
        if outcome.tips:
            sections.append(f"{m.bold(c.text('outcome.tips_heading'))}\n{m.escape(outcome.tips)}")
        sections.append(f"{m.bold(c.text('outcome.watch_heading'))}\n{m.escape(outcome.watch_for)}")
        cited = [c.sources[s] for s in outcome.sources]
        sections.append(
            "\n".join(
                [
                    m.bold(c.text("outcome.sources_heading")),
                    *(f"• {m.link(s.title, s.url)} ({m.escape(s.publisher)})" for s in cited),
                ]
            )
        )
        sections.append(m.italic(c.text("disclaimer")))
        chunks = split_message(sections)
        buttons = (
            (Button(c.text("buttons.why"), Action.WHY),),
            (
                Button(c.text("buttons.start_again"), Action.RESTART),
                Button(c.text("buttons.delete_data"), Action.FORGET),
            ),
        )
        messages = [Message(chunk) for chunk in chunks]
        messages[-1] = Message(messages[-1].text, buttons)
        return messages


def split_message(sections: list[str], limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """Pack sections into messages of at most `limit` characters, breaking only between lines.

    Each line is well-formed on its own (tags never span lines), so a break between lines
    never leaves an unclosed tag. A single overlong line is cut at a space.
    """
    lines: list[str] = []
    for index, section in enumerate(sections):
        if index:
            lines.append("")
        for line in section.split("\n"):
            while len(line) > limit:
                cut = line.rfind(" ", 0, limit)
                cut = cut if cut > 0 else limit
                lines.append(line[:cut])
                line = line[cut:].lstrip()
            lines.append(line)
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        extra = len(line) + (1 if current else 0)
        if current and size + extra > limit:
            chunks.append("\n".join(current).strip("\n"))
            current, size = [], 0
            if not line:
                continue
            extra = len(line)
        current.append(line)
        size += extra
    if current:
        chunks.append("\n".join(current).strip("\n"))
    return [chunk for chunk in chunks if chunk]
