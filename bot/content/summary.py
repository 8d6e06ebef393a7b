"""The summary for the doctor, and a finished check's extras: `doctor_summary(renderer, flow, conversation, date)`.

Only the flow's own words appear: topics, choice labels, the advice's title and the sources' titles.
"""

from __future__ import annotations

from bot.content.render import SUMMARY_LEVELS, Message, Renderer, label_of
from bot.engine.conversation import Conversation
from bot.engine.model import Flow, StepKind
from bot.engine.replies import Result


def extra_message(
    renderer: Renderer,
    kind: str,
    flow: Flow,
    conversation: Conversation,
    result: Result,
    date: str,
    country: str | None = None,
) -> Message | None:
    """A finished check's extra (`bot/session.py`'s `extra`): "why" this advice, or the "summary" for the doctor
    (None unless the check ended in 🟠 or 🔴)."""
    if kind == "why":
        return Message(renderer.why(result))
    return doctor_summary(renderer, flow, conversation, date, country)


def doctor_summary(
    renderer: Renderer, flow: Flow, conversation: Conversation, date: str, country: str | None = None
) -> Message | None:
    """A short message to show or forward to a doctor, or None unless the check ended in 🟠 or 🔴.

    Only the flow's own words appear: topics, choice labels, the advice's title and the sources'
    titles. Nothing the person typed, no ids; `date` comes from the adapter, so this stays pure.
    """
    outcome = flow.outcomes.get(conversation.step)
    if outcome is None or outcome.level not in SUMMARY_LEVELS:
        return None
    m, c = renderer.markup, renderer.content
    routed = routing_keys(flow)
    answered = [(step, label_of(step, conversation.answers.get(step.key))) for step in flow.steps.values()]

    def lines(kind: str, only: frozenset[str] | None = None) -> list[str]:
        chosen = [(s, label) for s, label in answered if label and s.kind == kind and (only is None or s.key in only)]
        return [m.escape("• " + c.text("outcome.why_line", topic=s.topic, answer=label)) for s, label in chosen]

    about, flags = lines(StepKind.QUESTION, routed), lines(StepKind.RED_FLAG)
    sections = [f"{m.bold(c.text('summary.title'))}\n{renderer.text('summary.date', date=date)}"]
    if about:
        sections.append("\n".join([m.bold(c.text("summary.about_heading")), *about]))
    if flags:
        sections.append("\n".join([m.bold(c.text("summary.flags_heading")), *flags]))
    sections.append(renderer.text("summary.advice", advice=outcome.title))
    cited = [c.sources[s] for s in outcome.sources]
    if cited:
        heading = m.bold(c.text("outcome.sources_heading"))
        sections.append("\n".join([heading, *(f"• {m.link(s.title, s.url)}" for s in cited)]))
    sections.append(m.italic(c.text("summary.footer")))
    return Message(renderer.local("\n\n".join(sections), country))


def routing_keys(flow: Flow) -> frozenset[str]:
    """Every answer the routing reads: in its rules and in the conditions of its branches."""
    conditions = [rule.when for rule in flow.rules]
    conditions += [branch.when for step in flow.steps.values() for choice in step.choices for branch in choice.branches]
    return frozenset().union(*(condition.keys() for condition in conditions))
