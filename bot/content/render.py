"""Pure rendering of engine replies into messages: text plus buttons, as HTML or plain text, for any medium.

Only the adapters send; this module just decides what a person reads. Beside it, each its own module:
Telegram's one card per check (bot/telegram/card.py), the summary for the doctor (summary.py) and
splitting a long message under Telegram's limit (split.py).
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass

from bot.content.library import Content, Excerpt
from bot.content.split import split_message
from bot.engine.model import Level, Step
from bot.engine.replies import Echo, Notice, Question, Reply, Result

SUMMARY_LEVELS = (Level.ROUTINE, Level.URGENT)
"""Outcomes that send the person to a doctor later, so a summary to show them helps; an emergency
is a phone call now, and self-care needs no appointment."""


class Action:
    """What a button does; the adapter encodes these into callback data."""

    ANSWER = "answer"
    WHY = "why"
    RESTART = "restart"
    FORGET = "forget"
    FORGET_YES = "forget_yes"
    FORGET_NO = "forget_no"
    SUMMARY = "summary"
    REMIND = "remind"
    """"Remind me in 2 weeks" under a result that offers a follow-up; private chats only (the sender sees to it)."""
    COUNTRY = "country"
    """"Your country" under a result: the country picker (/country)."""
    COUNTRY_SET = "country_set"
    """A country in the picker; its value is the two-letter code, or OTHER_COUNTRY."""


OTHER_COUNTRY = "other"
"""The picker's "Another country": asks for the two-letter code."""


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
    """Turns replies into messages for one medium; holds the content, the markup style and the medium's texts.

    With `texts="shell"`, a `shell.<name>` text replaces `ui.<name>` where content has one: the shell
    says "type the number" where Telegram says "tap a button", and Telegram's wording stays as it is.
    """

    def __init__(self, content: Content, markup: Markup = HTML, texts: str | None = None) -> None:
        self.content = content
        self.markup = markup
        self.texts = texts

    def key(self, key: str) -> str:
        """The content key this medium shows for `key`: its own text if it has one."""
        if self.texts and key.startswith("ui."):
            own = f"{self.texts}.{key.removeprefix('ui.')}"
            if own in self.content.texts:
                return own
        return key

    def render(self, reply: Reply, language: str | None = None, country: str | None = None) -> list[Message]:
        """The messages for one engine reply; `country` is the one the person set (None: not known)."""
        place = self.content.country_for(country, language)
        if isinstance(reply, Question):
            return [self.question(reply, place)]
        if isinstance(reply, Notice):
            if reply.key == "ui.english_only":  # shown before the confirming question: the numbers too
                c = self.content
                local = c.local_number(c.country_for(country, language)) or c.emergency_number(language)
                return [Message(self.text(reply.key, local=local, always=c.emergency_always))]
            return [Message(self.local(self.text(reply.key, **reply.values), place))]
        if isinstance(reply, Echo):
            return [Message(self.markup.bold(self.content.text(self.key("ui.understood"), answer=reply.label)))]
        return self.result(reply, language, country)

    def local(self, text: str, country: str | None) -> str:
        """`text` in the words of the person's country for its health services (content/<language>/countries.yaml)."""
        return self.content.countries.localise(text, country)

    def render_all(
        self, replies: Iterable[Reply], language: str | None = None, country: str | None = None
    ) -> list[Message]:
        """The messages for a turn; an echo ("➜ Leg or foot") joins the message after it, saving a send,
        except a recommendation, which must start with its level's mark."""
        messages: list[Message] = []
        echo: str | None = None
        for reply in replies:
            for message in self.render(reply, language, country):
                if isinstance(reply, Echo):
                    echo = message.text if echo is None else f"{echo}\n{message.text}"
                    continue
                if echo is not None and isinstance(reply, Result):
                    messages.append(Message(echo))  # the recommendation's first line is its mark (docs/medical.md)
                elif echo is not None:
                    message = Message(f"{echo}\n\n{message.text}", message.buttons, message.step)
                echo = None
                messages.append(message)
        if echo is not None:
            messages.append(Message(echo))
        return messages

    def text(self, key: str, **values: object) -> str:
        """A content text (the medium's own, if it has one), escaped for the medium."""
        return self.markup.escape(self.content.text(self.key(key), **values))

    def question(self, question: Question, country: str | None = None) -> Message:
        step = question.step
        buttons = tuple((Button(choice.label, Action.ANSWER, choice.value),) for choice in step.choices)
        text = self.markup.escape(self.local(step.text, country))
        if question.summary:
            lines = [self.markup.escape(f"• {reason.topic}: {reason.answer}") for reason in question.summary]
            text = "\n".join([text, *lines, "", self.text("ui.review_question")])
        return Message(text, buttons, step.id)

    def excerpt_card(self, excerpt: Excerpt) -> str:
        """A passage to share (/excerpt in a group, or inline mode): the passage, its source, the disclaimer."""
        return self.text("ui.excerpt_card", excerpt=excerpt.text.strip(), title=self.content.sources["article"].title)

    def why(self, result: Result) -> str:
        """The "Why this advice" section: the answers that led to the recommendation."""
        m, c = self.markup, self.content
        lines = [m.bold(c.text("outcome.why_heading"))]
        if result.typed_emergency:
            lines.append(m.escape("• " + c.text("outcome.emergency_typed")))
        lines += [m.escape("• " + c.text("outcome.why_line", topic=r.topic, answer=r.answer)) for r in result.reasons]
        return "\n".join(lines)

    def result(self, result: Result, language: str | None = None, country: str | None = None) -> list[Message]:
        """The recommendation, split under Telegram's limit; the first line is the level's mark and title.

        Its own words name the services of the person's `country` (or, when not known, a default); the
        article's passages stay verbatim. A 🚨 shows the country's number and `always`, or, with no
        country set, the numbers of several (bot/content/library.py, `emergency_text`).
        """
        m, c, outcome = self.markup, self.content, result.outcome

        def own(text: str) -> str:
            return m.escape(self.local(text, c.country_for(country, language)))

        sections = [f"{outcome.level.mark} {m.bold(self.local(outcome.title, c.country_for(country, language)))}"]
        sections[0] += f"\n{own(outcome.recommendation)}"
        if outcome.level is Level.EMERGENCY:
            sections[0] += "\n\n" + m.bold(c.emergency_text(country, language))
        sections += [own(note) for note in result.notes]
        sections.append(self.why(result))
        if result.excerpts:
            quoted = [m.bold(c.text("outcome.excerpts_heading"))]
            quoted += [m.italic("“" + c.excerpts[e].text.strip() + "”") for e in result.excerpts]
            quoted.append(m.escape("— " + c.text("outcome.excerpt_attribution", title=c.sources["article"].title)))
            sections.append("\n\n".join(quoted))
        if outcome.tips:
            sections.append(f"{m.bold(c.text('outcome.tips_heading'))}\n{own(outcome.tips)}")
        sections.append(f"{m.bold(c.text('outcome.watch_heading'))}\n{own(outcome.watch_for)}")
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
        chunks = split_message(sections, html=m.html)
        buttons: tuple[tuple[Button, ...], ...] = ((Button(c.text("buttons.why"), Action.WHY),),)
        if outcome.level in SUMMARY_LEVELS:
            buttons += ((Button(c.text("buttons.summary"), Action.SUMMARY),),)
        if result.followup:
            buttons += ((Button(c.text("buttons.remind"), Action.REMIND),),)
        buttons += ((Button(c.text("buttons.country"), Action.COUNTRY),),)
        buttons += (
            (
                Button(c.text("buttons.start_again"), Action.RESTART),
                Button(c.text("buttons.delete_data"), Action.FORGET),
            ),
        )
        messages = [Message(chunk) for chunk in chunks]
        messages[-1] = Message(messages[-1].text, buttons)
        return messages

    def countries(self) -> Message:
        """The country picker (/country): a button per listed country, and "Another country"."""
        c = self.content
        buttons = tuple(
            (Button(country.button, Action.COUNTRY_SET, code),) for code, country in c.countries.listed.items()
        )
        buttons += ((Button(c.text("buttons.country_other"), Action.COUNTRY_SET, OTHER_COUNTRY),),)
        return Message(self.text("ui.country_pick"), buttons)

    def country_set(self, code: str) -> str:
        """What setting `code` as the person's country says: its emergency number, and that /forget deletes it."""
        c = self.content
        listed = c.countries.listed.get(code)
        if listed is not None:
            return self.text("ui.country_set", name=listed.name, number=listed.emergency)
        number = c.local_number(code) or c.emergency_list()
        return self.text("ui.country_set_unlisted", code=code, number=number)


def label_of(step: Step, value: str | None) -> str:
    """The label of the choice recorded as `value`, or "" (never a raw stored value)."""
    choice = step.choice(value) if value is not None else None
    return choice.label if choice else ""
