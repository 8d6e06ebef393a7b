"""The follow-up's pure rules: which checks offer a reminder, and what a re-check already knows."""

from __future__ import annotations

import random
from dataclasses import replace

from bot.engine.conversation import Conversation
from bot.engine.engine import PREFILL, Engine
from bot.engine.followup import offers_followup, recheck_prefill
from bot.engine.model import Flow, Level
from bot.engine.replies import Pick, Reply, Result, Typed
from tests.support.paths import asked, pick, start, walk

SELF_CARE = {"location": "eye", "duration": "under_2_weeks", "everyday_causes": "yes"}
"""Answers that end at 🟢 self-care ("no" elsewhere)."""


def result(replies: tuple[Reply, ...]) -> Result:
    [found] = [reply for reply in replies if isinstance(reply, Result)]
    return found


def recheck(engine: Engine, flow: Flow) -> Conversation:
    fresh, _ = engine.start(flow.id)
    return replace(fresh, meta={PREFILL: recheck_prefill(flow)})


def test_the_recheck_prefill_comes_from_the_flows_own_declarations(twitching: Flow) -> None:
    """The account step's Skip, and the duration choice whose range holds 14 days."""
    assert recheck_prefill(twitching) == {"account": "skip", "duration": "over_2_weeks"}
    assert recheck_prefill(twitching, days=3)["duration"] == "under_2_weeks"


def test_self_care_offers_a_reminder(engine: Engine) -> None:
    _, replies = start(engine, "twitching", SELF_CARE)
    assert result(replies).outcome.level is Level.SELF_CARE and result(replies).followup


def test_routine_offers_one_only_when_it_came_from_not_sure_answers(engine: Engine, twitching: Flow) -> None:
    base = {"emergency_now": "no", "location": "eye", "duration": "under_2_weeks", "weakness": "no"}

    def offers(outcome: str, answers: dict[str, str]) -> bool:  # routed by the machine, as the engine does
        return offers_followup(twitching, outcome, answers, engine.machines[twitching.id].route(answers).rule)

    assert offers("routine", {**base, "duration": "not_sure"})
    assert offers("routine", {**base, "weakness": "not_sure"})
    assert not offers("routine", {**base, "duration": "over_2_weeks"})
    assert not offers("routine", {**base, "location": "several"})
    assert not offers("urgent", {**base, "weakness": "yes"})
    assert not offers("emergency", {**base, "emergency_now": "yes"})


def test_a_typed_emergency_is_never_followed_up(engine: Engine) -> None:
    fresh, _ = engine.start("twitching")
    _, replies = engine.advance(fresh, Typed("I can't breathe"))
    assert not result(replies).followup


def test_the_recheck_skips_the_account_and_duration_and_ends_at_routine(engine: Engine, twitching: Flow) -> None:
    """The answers that gave self-care two weeks ago now give 🟠: the twitching has lasted 2 weeks."""
    conversation = recheck(engine, twitching)
    asked: list[str] = []
    replies: tuple[Reply, ...] = ()
    while not twitching.is_outcome(conversation.step):
        asked.append(conversation.step)
        step = twitching.steps[conversation.step]
        conversation, replies = engine.advance(conversation, Pick(step.id, pick(step, SELF_CARE.get(step.key)).value))
    assert "account" not in asked and "duration" not in asked
    assert conversation.answers["duration"] == "over_2_weeks"
    assert result(replies).outcome.level is Level.ROUTINE
    assert not result(replies).followup  # "2 weeks or more" is known, not a doubt: book the appointment


def test_the_recheck_keeps_what_it_knows_through_the_emergency_question(engine: Engine, twitching: Flow) -> None:
    conversation = recheck(engine, twitching)
    conversation, _ = engine.advance(conversation, Typed("my arm went numb"))
    assert conversation.step == "emergency_confirm"
    conversation, _ = engine.advance(conversation, Pick("emergency_confirm", "no"))
    for step, choice in walk(twitching, {"location": "eye"}):  # the safety question, then on to the location
        if conversation.step == step.id:
            conversation, _ = engine.advance(conversation, Pick(step.id, choice.value))
        if step.id == "location":
            break
    prefill = recheck_prefill(twitching)
    ids = asked(twitching, {"location": "eye", **prefill})
    next_unknown = next(s for s in ids[ids.index("location") + 1 :] if twitching.steps[s].key not in prefill)
    known = {**conversation.answers, **conversation.meta.get(PREFILL, {})}  # given, or waiting for its question
    assert known["duration"] == "over_2_weeks" and conversation.step == next_unknown


def test_every_recheck_path_ends_at_routine_or_higher(engine: Engine, twitching: Flow) -> None:
    """A thousand random ways through the re-check, every choice possible at every step."""
    pick = random.Random(13)
    levels = set()
    for _ in range(1000):
        conversation = recheck(engine, twitching)
        replies: tuple[Reply, ...] = ()
        while not twitching.is_outcome(conversation.step):
            step = twitching.steps[conversation.step]
            value = pick.choice(step.choices).value
            conversation, replies = engine.advance(conversation, Pick(step.id, value))
        level = result(replies).outcome.level
        assert level >= Level.ROUTINE, conversation.answers
        levels.add(level)
    assert levels == {Level.ROUTINE, Level.URGENT, Level.EMERGENCY}
