"""The check's card (design §6): what it shows, and that it always fits Telegram's limits."""

from __future__ import annotations

import pytest

from bot.bootstrap import Loaded, load_all
from bot.content.render import PLAIN, Renderer
from bot.content.split import MAX_MESSAGE_CHARS, _size
from bot.engine.conversation import Conversation
from bot.engine.replies import Notice, Pick, Question, Reason, Result
from bot.telegram.card import card
from tests.support.flows import CONTENT_DIR, FLOWS_DIR
from tests.support.paths import walk

MAX_BUTTONS = 100
"""Telegram refuses an inline keyboard with more buttons than this."""
NOTICES = (
    "ui.account_change",
    "ui.account_nothing",
    "ui.ambiguous",
    "ui.back_at_start",
    "ui.confirm_no",
    "ui.empty_text",
    "ui.finished",
    "ui.forged_press",
    "ui.not_understood",
    "ui.restarted",
    "ui.stale_press",
    "ui.went_back",
    "ui.too_long",
    "ui.non_text",
)
"""Every note the engine and the handlers put on a card."""


@pytest.fixture(scope="module")
def loaded() -> Loaded:
    return load_all([FLOWS_DIR], CONTENT_DIR)


def test_the_card_lists_the_answers_then_asks_the_open_question(loaded: Loaded) -> None:
    engine = loaded.engine()
    renderer = Renderer(loaded.content, PLAIN)
    flow = engine.flows["twitching"]
    conversation, _ = engine.start("twitching")
    path = walk(flow, {"location": "leg"})
    at = [step.id for step, _ in path].index("location") + 1
    for step, choice in path[:at]:
        conversation, replies = engine.advance(conversation, Pick(step.id, choice.value))
    view = card(renderer, flow, conversation, replies)
    assert view.card is not None and view.after == ()
    lines = "".join(f"✓ {step.topic}: {choice.label}\n" for step, choice in path[:at])
    following = path[at][0]
    assert "✓ Where it twitches: Leg or foot\n" in lines
    assert view.card.text == f"{lines}\n{following.text}"
    assert [button.label for row in view.card.buttons for button in row] == [c.label for c in following.choices]


def test_at_the_recommendation_the_card_keeps_its_lines_without_buttons(loaded: Loaded) -> None:
    engine = loaded.engine()
    renderer = Renderer(loaded.content, PLAIN)
    conversation, _ = engine.start("twitching")
    conversation, replies = engine.advance(conversation, Pick("emergency_now", "yes"))
    view = card(renderer, engine.flows["twitching"], conversation, replies)
    assert view.card is not None and view.card.text == "✓ Emergency signs now: Yes" and not view.card.buttons
    assert view.after[0].text.startswith("🚨") and view.after[-1].buttons


def test_a_note_alone_is_a_message_not_a_card(loaded: Loaded) -> None:
    engine = loaded.engine()
    renderer = Renderer(loaded.content, PLAIN)
    conversation, _ = engine.start("twitching")
    view = card(renderer, engine.flows["twitching"], conversation, (Notice("ui.finished"),))
    assert view.card is None and [m.text for m in view.after] == [loaded.content.text("ui.finished")]


def test_no_card_can_exceed_telegrams_limits_on_any_path(loaded: Loaded) -> None:
    """An upper bound over every path: the welcome, each step answered once with its longest answer line, the
    longest question shown with a review listing every step, and two of the longest note with the longest
    list of choices."""
    renderer = Renderer(loaded.content)
    for flow in loaded.flows.values():
        steps = list(flow.steps.values())
        questions = [*steps, *flow.prompts.values()]
        lines = sum(
            max(_size(renderer.text("ui.card_line", topic=s.topic, answer=c.label)) + 1 for c in s.choices)
            for s in steps
        )
        review = [Reason(s.topic, max((c.label for c in s.choices), key=len)) for s in steps]
        question = max(_size(renderer.question(Question(q, 1, tuple(review))).text) for q in questions)
        options = max((", ".join(f"{n}) {c.label}" for n, c in enumerate(q.choices, 1)) for q in questions), key=len)
        note = max(_size(renderer.text(key, options=options)) for key in NOTICES)
        welcome = _size(renderer.text("ui.welcome")) + 2  # the first card keeps it on top
        bound = welcome + lines + 2 + 2 * (note + 2) + question
        assert bound <= MAX_MESSAGE_CHARS, f"{flow.id}: a card could reach {bound} characters"
        assert all(len(q.choices) <= MAX_BUTTONS for q in questions)


def test_a_result_card_without_answers_sends_only_the_recommendation(loaded: Loaded) -> None:
    engine = loaded.engine()
    renderer = Renderer(loaded.content, PLAIN)
    flow = engine.flows["twitching"]
    conversation = Conversation("twitching", "emergency")
    result = engine.current(conversation)[0]
    assert isinstance(result, Result)
    view = card(renderer, flow, conversation, (result,))
    assert view.card is None and view.after[0].text.startswith("🚨")
