"""bot/session.py on its own: a fake front end over the in-memory store, on a small fixture flow."""

from __future__ import annotations

import asyncio

import pytest

from bot.content.library import Content, load_content
from bot.engine.conversation import Conversation
from bot.engine.engine import Engine
from bot.engine.loader import parse_flow
from bot.engine.replies import Command, Notice, Pick, Question, Result, Typed
from bot.session import INTRO, MemoryStore, Session, Show, StaleVersion, Turn, now
from tests.engine.conftest import CONTENT_DIR, SAFE_ROUTING

FLOW = (
    """\
flow: small
title: Small check
start: where
steps:
  - id: where
    text: "Where is it?"
    next: how_long
    choices:
      - {label: "Arm", value: arm}
      - {label: "Leg", value: leg}
  - id: how_long
    text: "How long has it been?"
    next: weakness
    choices:
      - {label: "Days", value: days}
      - {label: "Weeks", value: weeks}
  - id: weakness
    kind: red_flag
    text: "Any weakness?"
    next: route
    choices:
      - {label: "Yes", value: "yes"}
      - {label: "No", value: "no"}
      - {label: "Not sure", value: not_sure}
"""
    + SAFE_ROUTING
)


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(CONTENT_DIR, CONTENT_DIR / "article.txt")


@pytest.fixture(scope="module")
def engine(content: Content) -> Engine:
    return Engine({"small": parse_flow(FLOW, content, source="small.yaml")})


class FakeFrontEnd:
    """What a front end does: start, send inputs, and note each turn's step and how it is shown."""

    def __init__(self, engine: Engine, store: MemoryStore | None = None) -> None:
        self.session: Session[None, MemoryStore] = Session(engine, store)
        self.shown: list[tuple[str, Show]] = []

    def note(self, turn: Turn) -> Turn:
        self.shown.append((turn.conversation.step, turn.show))
        return turn

    def start(self, **options: object) -> Turn:
        return self.note(now(self.session.start("p", **options)))  # type: ignore[arg-type]

    def send(self, given: Typed | Pick | Command, **options: object) -> Turn:
        return self.note(now(self.session.handle("p", given, **options)))  # type: ignore[arg-type]


def asked(turn: Turn) -> str | None:
    return next((r.step.id for r in turn.replies if isinstance(r, Question)), None)


def test_start_opens_the_flow_with_the_welcome_as_a_new_message(engine: Engine) -> None:
    front = FakeFrontEnd(engine)
    turn = front.start()
    assert (asked(turn), turn.started, turn.changed, turn.show, turn.welcome) == ("where", True, True, Show.NEW, True)
    assert front.session.store.conversations["p"] == turn.conversation


def test_handle_advances_and_typed_text_moves_the_card_below_without_the_welcome(engine: Engine) -> None:
    front = FakeFrontEnd(engine)
    front.start()
    turn = front.send(Typed("leg"))
    assert asked(turn) == "how_long" and turn.show is Show.MOVE and not turn.welcome
    assert turn.conversation.answers == {"where": "leg"}


def test_a_press_with_its_version_is_shown_by_editing_the_card(engine: Engine) -> None:
    front = FakeFrontEnd(engine)
    started = front.start()
    turn = front.send(Pick("where", "arm"), version=started.conversation.version)
    assert asked(turn) == "how_long" and turn.show is Show.EDIT


def test_start_with_prefill_skips_the_prefilled_question_when_it_is_reached(engine: Engine) -> None:
    front = FakeFrontEnd(engine)
    front.start(prefill={"how_long": "weeks"}, welcome=False)
    assert not front.session.store.conversations["p"].meta.get(INTRO)
    turn = front.send(Typed("arm"))
    assert asked(turn) == "weakness"
    assert turn.conversation.answers == {"where": "arm", "how_long": "weeks"}


def test_typed_slash_commands_are_the_session_s_commands(engine: Engine) -> None:
    front = FakeFrontEnd(engine)
    front.start()
    front.send(Typed("arm"))
    back = front.send(Typed("/back@SomeBot"))
    assert asked(back) == "where" and Notice("ui.went_back") in back.replies
    restarted = front.send(Typed("/restart"))
    assert asked(restarted) == "where" and restarted.conversation.answers == {}


def test_handle_with_nothing_stored_starts_a_check(engine: Engine) -> None:
    front = FakeFrontEnd(engine)
    turn = front.send(Typed("hello"))
    assert turn.started and asked(turn) == "where"


def test_extra_gives_why_and_summary_only_for_a_finished_check(engine: Engine) -> None:
    front = FakeFrontEnd(engine)
    front.start()
    assert now(front.session.extra("p", "why")) is None
    for text in ("arm", "weeks", "yes"):
        turn = front.send(Typed(text))
    assert isinstance(turn.result, Result) and turn.result.outcome.id == "urgent"
    why = now(front.session.extra("p", "why"))
    assert why is not None and why.kind == "why" and why.result == turn.result
    summary = now(front.session.extra("p", "summary"))
    assert summary is not None and summary.flow.id == "small" and summary.conversation == turn.conversation
    assert now(front.session.extra("nobody", "summary")) is None


def test_a_press_of_an_older_version_is_stale_and_changes_nothing(engine: Engine) -> None:
    front = FakeFrontEnd(engine)
    started = front.start()
    front.send(Typed("arm"))
    before = front.session.store.conversations["p"]
    with pytest.raises(StaleVersion):
        front.send(Pick("where", "leg"), version=started.conversation.version)
    assert front.session.store.conversations["p"] == before
    with pytest.raises(StaleVersion):
        now(Session(engine).handle("p", Pick("where", "leg"), version=1))  # nothing stored at all


class Racing(MemoryStore):
    """A store where another writer gets in first, `losses` times, just before each save."""

    def __init__(self, losses: int) -> None:
        super().__init__()
        self.losses = losses

    async def save(self, key: str, conversation: Conversation, *, expected_version: int | None, user: str) -> bool:
        if self.losses and key in self.conversations:
            self.losses -= 1
            other = self.conversations[key].bumped()
            self.conversations[key] = other  # the other writer's change: only the version moves
        return await super().save(key, conversation, expected_version=expected_version, user=user)


def test_compare_and_set_reloads_and_applies_typed_input_again(engine: Engine) -> None:
    store = Racing(losses=0)
    front = FakeFrontEnd(engine, store)
    front.start()
    store.losses = 2
    turn = front.send(Typed("leg"))
    assert asked(turn) == "how_long" and store.losses == 0
    assert store.conversations["p"] == turn.conversation and turn.conversation.answers == {"where": "leg"}


def test_compare_and_set_refuses_a_press_that_lost_the_race(engine: Engine) -> None:
    store = Racing(losses=0)
    front = FakeFrontEnd(engine, store)
    started = front.start()
    store.losses = 1
    with pytest.raises(StaleVersion):
        front.send(Pick("where", "leg"), version=started.conversation.version)


def test_now_refuses_a_call_that_waits() -> None:
    async def waits() -> int:
        await asyncio.sleep(0)
        return 1

    call = waits()
    with pytest.raises(RuntimeError, match="waited"):
        now(call)
    call.close()
