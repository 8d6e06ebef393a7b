"""Pure rendering of engine replies into messages: text plus buttons, as HTML or plain text.

Only the adapters send; this module just decides what a person reads.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.content.library import Content, Excerpt
from bot.engine.conversation import Conversation
from bot.engine.model import Flow, Level, Step, StepKind
from bot.engine.replies import Echo, Notice, Question, Reply, Result

MAX_MESSAGE_CHARS = 4096
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


@dataclass(frozen=True, slots=True)
class CardView:
    """A turn as Telegram's one card per check shows it: the card's new state, then new messages.

    `card` is None when the turn has no question or recommendation (a notice alone); at a
    recommendation the card keeps only its answer lines, without buttons, and the recommendation
    comes in `after`, as new messages, so it notifies.
    """

    card: Message | None
    after: tuple[Message, ...] = ()


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

    def card(
        self,
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
                notes += [message.text for message in self.render(reply, language, country)]
        if question is None and result is None:
            return CardView(None, tuple(Message(note) for note in notes))
        answered = self.answered(flow, conversation)
        parts = [self.text("ui.welcome")] if intro else []
        parts += ["\n".join(answered)] if answered else []
        parts += notes
        if question is not None:
            asked = self.question(question, self.content.country_for(country, language))
            return CardView(Message("\n\n".join([*parts, asked.text]), asked.buttons, asked.step))
        assert result is not None
        return CardView(Message("\n\n".join(parts)) if parts else None, tuple(self.result(result, language, country)))

    def answered(self, flow: Flow, conversation: Conversation) -> list[str]:
        """One short line per answer given so far, in the order asked ("✓ Where it twitches: Leg or foot")."""
        lines = []
        for step_id in conversation.history:
            step = flow.steps.get(step_id)
            label = _label_of(step, conversation.answers.get(step.key)) if step is not None else ""
            if step is not None and label:
                lines.append(self.text("ui.card_line", topic=step.topic, answer=label))
        return lines

    def excerpt_card(self, excerpt: Excerpt) -> str:
        """A passage to share (/excerpt in a group, or inline mode): the passage, its source, the disclaimer."""
        return self.text("ui.excerpt_card", excerpt=excerpt.text.strip(), title=self.content.sources["article"].title)

    def finished(
        self, kind: str, flow: Flow, conversation: Conversation, result: Result, date: str, country: str | None = None
    ) -> Message | None:
        """A finished check's extra (`bot/session.py`'s `extra`): "why" this advice, or the "summary" for the doctor
        (None unless the check ended in 🟠 or 🔴)."""
        if kind == "why":
            return Message(self.why(result))
        return self.summary(flow, conversation, date, country)

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

    def summary(self, flow: Flow, conversation: Conversation, date: str, country: str | None = None) -> Message | None:
        """A short message to show or forward to a doctor, or None unless the check ended in 🟠 or 🔴.

        Only the flow's own words appear: topics, choice labels, the advice's title and the sources'
        titles. Nothing the person typed, no ids; `date` comes from the adapter, so this stays pure.
        """
        outcome = flow.outcomes.get(conversation.step)
        if outcome is None or outcome.level not in SUMMARY_LEVELS:
            return None
        m, c = self.markup, self.content
        routed = _routing_keys(flow)
        answered = [(step, _label_of(step, conversation.answers.get(step.key))) for step in flow.steps.values()]

        def lines(kind: str, only: frozenset[str] | None = None) -> list[str]:
            chosen = [
                (s, label) for s, label in answered if label and s.kind == kind and (only is None or s.key in only)
            ]
            return [m.escape("• " + c.text("outcome.why_line", topic=s.topic, answer=label)) for s, label in chosen]

        about, flags = lines(StepKind.QUESTION, routed), lines(StepKind.RED_FLAG)
        sections = [f"{m.bold(c.text('summary.title'))}\n{self.text('summary.date', date=date)}"]
        if about:
            sections.append("\n".join([m.bold(c.text("summary.about_heading")), *about]))
        if flags:
            sections.append("\n".join([m.bold(c.text("summary.flags_heading")), *flags]))
        sections.append(self.text("summary.advice", advice=outcome.title))
        cited = [c.sources[s] for s in outcome.sources]
        if cited:
            heading = m.bold(c.text("outcome.sources_heading"))
            sections.append("\n".join([heading, *(f"• {m.link(s.title, s.url)}" for s in cited)]))
        sections.append(m.italic(c.text("summary.footer")))
        return Message(self.local("\n\n".join(sections), country))


def _routing_keys(flow: Flow) -> frozenset[str]:
    """Every answer the routing reads: in its rules and in the conditions of its branches."""
    conditions = [rule.when for rule in flow.rules]
    conditions += [branch.when for step in flow.steps.values() for choice in step.choices for branch in choice.branches]
    return frozenset().union(*(condition.keys() for condition in conditions))


def _label_of(step: Step, value: str | None) -> str:
    """The label of the choice recorded as `value`, or "" (never a raw stored value)."""
    choice = step.choice(value) if value is not None else None
    return choice.label if choice else ""


def split_message(sections: list[str], limit: int = MAX_MESSAGE_CHARS, *, html: bool = True) -> list[str]:
    """Pack sections into messages of at most `limit` UTF-16 units (Telegram's count), breaking between lines.

    Each line is well-formed on its own (tags never span lines), so a break between lines never
    leaves an unclosed tag. A single overlong line is cut at a space; with `html`, a cut never falls
    inside a tag or an entity, and the tags open at the cut are closed before it and opened again after.
    """
    lines: list[str] = []
    for index, section in enumerate(sections):
        if index:
            lines.append("")
        for line in section.split("\n"):
            lines += _cut_line(line, limit, html) if _size(line) > limit else [line]
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        extra = _size(line) + (1 if current else 0)
        if current and size + extra > limit:
            chunks.append("\n".join(current).strip("\n"))
            current, size = [], 0
            if not line:
                continue
            extra = _size(line)
        current.append(line)
        size += extra
    if current:
        chunks.append("\n".join(current).strip("\n"))
    return [chunk for chunk in chunks if (_TAG.sub("", chunk) if html else chunk).strip()]


_TAG = re.compile(r"<[^<>]*>")
_TOKEN = re.compile(r"<[^<>]*>|&#?\w+;|[^<&]+|[<&]")
"""A line of our HTML as tags, entities and runs of text; only text runs may be cut."""


def _size(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units, so an emoji counts 2."""
    return len(text.encode("utf-16-le")) // 2


class _Piece:
    """One piece of an overlong line being built: its text so far and the tags open in it."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.opened: list[tuple[str, str]] = []  # (opening, closing) tags; ("", "") for a dropped tag
        self.closing = 0  # size of the closing tags still owed
        self.empty = True  # nothing but reopened tags yet

    def add(self, text: str, size: int) -> None:
        self.parts.append(text)
        self.size += size
        self.empty = False

    def open(self, tag: str, close: str) -> None:
        self.parts.append(tag)
        self.size += _size(tag)
        self.opened.append((tag, close))
        self.closing += _size(close)

    def close(self, token: str) -> None:
        tag, close = self.opened.pop() if self.opened else ("", token)
        self.closing -= _size(close) if tag else 0
        if tag and self.parts and self.parts[-1] == tag:  # opened with nothing inside: drop it
            self.parts.pop()
            self.size -= _size(tag)
        else:
            self.parts.append(close)
            self.size += _size(close)

    def used(self) -> int:
        return self.size + self.closing

    def finish(self) -> str:
        """The piece with its open tags closed."""
        return "".join(self.parts) + "".join(close for _, close in reversed(self.opened))

    def next(self) -> _Piece:
        """A new piece that opens again the tags open here."""
        piece = _Piece()
        for tag, close in self.opened:
            if tag:
                piece.open(tag, close)
            else:
                piece.opened.append((tag, close))
        return piece


def _cut_line(line: str, limit: int, html: bool) -> list[str]:
    """Cut one overlong line into pieces of at most `limit` units, each well-formed on its own.

    Tags whose opening and closing would take more than a quarter of a piece are dropped (their
    text stays), so a new piece always has room for text and the loop always moves on.
    """
    pieces: list[str] = []
    piece = _Piece()
    for token in _TOKEN.findall(line) if html else [line]:
        if html and _TAG.fullmatch(token):
            if token.startswith("</"):
                piece.close(token)
                continue
            name = token[1:-1].split()
            close = f"</{name[0] if name else ''}>"
            reopened = sum(_size(tag) + _size(end) for tag, end in piece.opened)
            if reopened + _size(token) + _size(close) > limit // 4:
                piece.opened.append(("", ""))
                continue
            if piece.used() + _size(token) + _size(close) > limit and not piece.empty:
                pieces.append(piece.finish())
                piece = piece.next()
            piece.open(token, close)
            continue
        atomic = html and token.startswith("&") and len(token) > 1
        while token:
            size = _size(token)
            room = limit - piece.used()
            if size <= room:
                piece.add(token, size)
                break
            cut = 0 if atomic else _fitting(token, room)
            space = token.rfind(" ", 0, cut)
            if space > 0 and token[:space].strip():
                cut = space
            if cut == 0 and not piece.empty:
                pieces.append(piece.finish())
                piece = piece.next()
                continue
            cut = max(cut, 1)  # only with a limit too small for one entity or character
            piece.add(token[:cut], _size(token[:cut]))
            token = token[cut:].lstrip(" ")
            pieces.append(piece.finish())
            piece = piece.next()
    if not piece.empty or not pieces:
        pieces.append(piece.finish())
    return pieces


def _fitting(text: str, room: int) -> int:
    """How many characters of `text` fit in `room` UTF-16 units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > room:
            return index
    return len(text)
