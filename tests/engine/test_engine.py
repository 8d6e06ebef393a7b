"""The pure engine: one input in, a new conversation and replies out, on the shipped flow."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.engine.conversation import Conversation
from bot.engine.engine import INTERRUPT_KEY, Engine
from bot.engine.model import NO, Flow, Level
from bot.engine.replies import Command, Echo, Input, Notice, Pick, Question, Reason, Result, Typed
from tests.support.paths import asked, figures, lengths

ALL_NO = ["no", "me", "no", "skip", "arm", "less than 2 weeks"] + ["no"] * 12
"""Typed answers for the calmest path: every question asked, ending in 🟢 self-care."""


def talk(engine: Engine, *inputs: Input | str) -> tuple[Conversation, tuple]:
    """A fresh conversation fed `inputs` (text is typed); returns the last conversation and replies."""
    conversation, replies = engine.start("twitching")
    for given_input in inputs:
        conversation, replies = engine.advance(
            conversation, Typed(given_input) if isinstance(given_input, str) else given_input
        )
    return conversation, replies


def result_of(replies: tuple) -> Result:
    [result] = [reply for reply in replies if isinstance(reply, Result)]
    return result


def notices(replies: tuple) -> list[str]:
    return [reply.key for reply in replies if isinstance(reply, Notice)]


def reach(engine: Engine, flow: Flow, step_id: str) -> Conversation:
    """A conversation at `step_id`, reached by answering "no" (or the first choice) to everything before it."""
    conversation, _ = engine.start(flow.id)
    while conversation.step != step_id:
        step = flow.steps[conversation.step]
        value = NO if step.choice(NO) else step.choices[0].value
        conversation, _ = engine.advance(conversation, Pick(step.id, value))
    return conversation


# --- random conversations, for the properties -------------------------------------------------

TYPED = [
    "yes",
    "no",
    "not sure",
    "Nope",
    "2",
    "7",
    "arm",
    "purple monkey",
    "",
    "I can't breathe",
    "chocking",
    "/back",
    "less than 2 weeks",
    "😬",
    "a" * 5000,
]


@st.composite
def inputs(draw: st.DrawFn, flow: Flow, conversation: Conversation) -> Input:
    """Anything a person (or a stale or forged button) could send at this point."""
    step = flow.steps.get(conversation.step)
    kind = draw(st.sampled_from(["pick", "typed", "back", "restart", "stale", "forged"]))
    if kind == "pick" and step is not None:
        return Pick(step.id, draw(st.sampled_from([c.value for c in step.choices])))
    if kind == "back":
        return Command.BACK
    if kind == "restart":
        return Command.RESTART
    if kind == "stale":
        return Pick(draw(st.sampled_from(list(flow.steps))), NO)
    if kind == "forged" and step is not None:
        return Pick(step.id, "definitely_not_a_value")
    return Typed(draw(st.one_of(st.sampled_from(TYPED), st.text(max_size=40))))


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_advance_is_pure_and_versions_count_every_change(engine: Engine, twitching: Flow, data: st.DataObject):
    conversation, _ = engine.start("twitching")
    for _ in range(data.draw(st.integers(1, 25))):
        given_input = data.draw(inputs(twitching, conversation))
        before = json.dumps(conversation.to_dict(), sort_keys=True)
        moved, replies = engine.advance(conversation, given_input)
        assert json.dumps(conversation.to_dict(), sort_keys=True) == before, "the input conversation changed"
        assert moved is conversation or moved.version == conversation.version + 1
        assert replies, "every input gets an answer"
        conversation = moved


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_conversations_survive_a_to_dict_from_dict_round_trip(engine: Engine, twitching: Flow, data: st.DataObject):
    conversation, _ = engine.start("twitching")
    for _ in range(data.draw(st.integers(0, 20))):
        conversation, _ = engine.advance(conversation, data.draw(inputs(twitching, conversation)))
    stored = json.loads(json.dumps(conversation.to_dict()))
    assert Conversation.from_dict(stored) == conversation
    assert engine.current(Conversation.from_dict(stored)) == engine.current(conversation)


def test_the_questions_per_path_are_the_documented_figures(twitching: Flow):
    """Shortest, median and longest over every button path (the account's Skip counts), as the README
    and docs/medical.md give them (`python -m tests.benchmarks.path_lengths --by who` prints them).
    Issue 18's ceilings: a child's check 12 (held); an adult's 16 (not held: docs/medical.md says why)."""
    assert figures(lengths(twitching, {"who": "me"})) == (1, 17, 20)
    assert figures(lengths(twitching, {"who": "adult"})) == (1, 17, 20)
    assert figures(lengths(twitching, {"who": "child"})) == (1, 11, 12)


def test_an_emergency_button_ends_the_check_at_once(engine: Engine):
    conversation, replies = talk(engine, "yes")
    assert conversation.step == "emergency"
    assert result_of(replies).outcome.level is Level.EMERGENCY
    assert conversation.history == ("emergency_now",)


def test_back_returns_to_the_previous_question_and_forgets_its_answer(engine: Engine):
    conversation, _ = talk(engine, "no", "me", "no", "skip", "arm")
    moved, replies = engine.advance(conversation, Command.BACK)
    assert moved.step == "location"
    assert "location" not in moved.answers
    assert notices(replies) == ["ui.went_back"]
    assert [reply.step.id for reply in replies if isinstance(reply, Question)] == ["location"]


def test_back_at_the_first_question_stays(engine: Engine):
    conversation, _ = engine.start("twitching")
    moved, replies = engine.advance(conversation, Command.BACK)
    assert moved is conversation
    assert notices(replies) == ["ui.back_at_start"]


def test_restart_forgets_everything_but_keeps_counting_versions(engine: Engine):
    conversation, _ = talk(engine, "no", "me", "no", "skip", "arm", "2 weeks or more")
    moved, replies = engine.advance(conversation, Command.RESTART)
    assert (moved.step, dict(moved.answers), moved.history) == ("emergency_now", {}, ())
    assert moved.version == conversation.version + 1
    assert notices(replies) == ["ui.restarted"]


def test_a_stale_button_changes_nothing(engine: Engine):
    conversation, _ = talk(engine, "no", "me", "no", "skip", "arm")
    moved, replies = engine.advance(conversation, Pick("emergency_now", "yes"))
    assert moved is conversation
    assert notices(replies) == ["ui.stale_press"]
    assert [reply.step.id for reply in replies if isinstance(reply, Question)] == ["duration"]


def test_a_forged_value_changes_nothing(engine: Engine):
    conversation, _ = talk(engine, "no", "me", "no", "skip")
    moved, replies = engine.advance(conversation, Pick("location", "brain"))
    assert moved is conversation
    assert notices(replies) == ["ui.forged_press"]


def test_text_that_is_not_an_answer_asks_again_with_the_options(engine: Engine):
    conversation, _ = talk(engine, "no", "me", "no", "skip")
    moved, replies = engine.advance(conversation, Typed("purple monkey dishwasher"))
    assert moved is conversation
    [notice] = [reply for reply in replies if isinstance(reply, Notice)]
    assert notice.key == "ui.not_understood"
    assert notice.values["options"].startswith("1) Eye or eyelid, 2) Face, 3) Arm or hand")


@pytest.mark.parametrize(
    "step_id",
    ["emergency_now", "location", "duration", "medicines", "weakness", "gait", "breathing", "other_signs", "worry"],
)
def test_an_emergency_phrase_wins_at_any_step(engine: Engine, twitching: Flow, step_id: str):
    conversation = reach(engine, twitching, step_id)
    moved, replies = engine.advance(conversation, Typed("help, my face is drooping"))
    result = result_of(replies)
    assert (moved.step, result.outcome.level, result.typed_emergency) == ("emergency", Level.EMERGENCY, True)
    assert moved.answers[INTERRUPT_KEY] == "stroke"
    assert result.reasons == ()  # the typed words are not repeated back or stored
    assert "drooping" not in json.dumps(moved.to_dict())
    back, _ = engine.advance(moved, Command.BACK)
    assert back.step == step_id and INTERRUPT_KEY not in back.answers


def test_a_finished_check_ignores_answers_but_not_emergencies(engine: Engine):
    finished, _ = talk(engine, *ALL_NO)
    assert finished.step == "self_care"
    moved, replies = engine.advance(finished, Typed("yes"))
    assert moved is finished and notices(replies) == ["ui.finished"]
    moved, replies = engine.advance(finished, Pick("worry", "yes"))
    assert moved is finished and notices(replies) == ["ui.stale_press"]
    moved, replies = engine.advance(finished, Typed("I can't breathe"))
    assert result_of(replies).outcome.level is Level.EMERGENCY
    assert moved.history[-1] == "worry"


def test_a_conversation_from_an_older_flow_restarts_cleanly(engine: Engine):
    old = Conversation("twitching", "a_step_that_was_renamed", {"x": "y"}, ("emergency_now",), version=7)
    moved, replies = engine.advance(old, Typed("yes"))
    assert (moved.step, moved.version) == ("emergency_now", 8)
    assert notices(replies) == ["ui.restarted"]


def test_caffeine_yes_shows_the_stimulants_excerpt(engine: Engine):
    _, replies = talk(engine, "no", "me", "no", "skip", "arm", "less than 2 weeks", "yes", *["no"] * 11)
    result = result_of(replies)
    assert result.outcome.level is Level.SELF_CARE
    assert "stimulants" in result.excerpts


def test_weakness_yes_shows_the_weakness_excerpt_and_why(engine: Engine):
    # "no" after the weakness: it is not spreading on both sides (the follow-up question)
    _, replies = talk(engine, "no", "me", "no", "skip", "arm", "less than 2 weeks", *["no"] * 4, "yes", *["no"] * 6)
    result = result_of(replies)
    assert result.outcome.level is Level.URGENT
    assert result.excerpts[0] == "als_weakness"
    assert result.reasons == (Reason("Lasting weakness", "Yes"),)


def test_why_lists_every_red_flag_that_decided(engine: Engine):
    context = ["no"] * 4  # caffeine, stress, exercise and fluids, medicines
    flags = ["yes", "no", "yes", "no", "no", "yes", "no"]  # weakness (not spreading), wasting, …, gait, breathing
    _, replies = talk(engine, "no", "me", "no", "skip", "arm", "less than 2 weeks", *context, *flags)
    assert result_of(replies).reasons == (
        Reason("Lasting weakness", "Yes"),
        Reason("Muscle wasting", "Yes"),
        Reason("Walking or coordination", "Yes"),
    )


def test_why_names_the_routine_reason(engine: Engine):
    _, replies = talk(engine, "no", "me", "no", "skip", "arm", "2 weeks or more", *["no"] * 12)
    result = result_of(replies)
    assert result.outcome.level is Level.ROUTINE
    assert result.reasons == (Reason("How long", "2 weeks or more"),)


def test_not_sure_about_a_medicine_adds_the_medicine_note(engine: Engine, twitching: Flow):
    _, replies = talk(
        engine, "no", "me", "no", "skip", "arm", "less than 2 weeks", "no", "no", "no", "not sure", *["no"] * 8
    )
    result = result_of(replies)
    assert result.outcome.level is Level.ROUTINE
    assert "medications" in result.excerpts
    notes = twitching.outcomes["routine"].notes
    medicine = next(text for when, text in notes if {"medicines"} <= set(when.keys()))
    worry_help = next(text for when, text in notes if not set(when.keys()))  # shown with every routine result
    assert result.notes == (medicine, worry_help)


def test_excerpts_never_exceed_the_flow_limit(engine: Engine, twitching: Flow):
    _, replies = talk(
        engine, "no", "me", "no", "skip", "several", "not sure", *["yes"] * 4, *["no"] * 6, "yes", "stiff or tight"
    )
    result = result_of(replies)
    assert len(result.excerpts) == twitching.max_excerpts
    assert len(set(result.excerpts)) == len(result.excerpts)


def test_a_pasted_essay_is_cut_to_a_telegram_message(engine: Engine):
    conversation, _ = talk(engine, "no", "me", "no", "skip")
    moved, replies = engine.advance(conversation, Typed("x" * 1_000_000))
    assert moved is conversation and notices(replies) == ["ui.not_understood"]
    moved, _ = engine.advance(conversation, Typed("arm " + "x" * 1_000_000))
    assert moved.answers["location"] == "arm"  # a place named in it is taken as the answer


# --- typed language: echoes, confirming questions, accounts --------------------------------------


def echoes(replies: tuple) -> list[str]:
    return [reply.label for reply in replies if isinstance(reply, Echo)]


def test_a_typed_answer_is_echoed_as_understood(engine: Engine):
    conversation, replies = talk(engine, "no", "me", "no", "skip", "my left calf")
    assert conversation.answers["location"] == "leg"
    assert echoes(replies) == ["Leg or foot"]


def test_a_duration_in_words_is_read_by_meaning_not_as_an_option_number(engine: Engine):
    for typed, meant in [("1 month", "over_2_weeks"), ("1 year", "over_2_weeks"), ("2 days", "under_2_weeks")]:
        conversation, _ = talk(engine, "no", "me", "no", "skip", "leg", typed)
        assert conversation.answers["duration"] == meant, typed


def test_an_ambiguous_answer_is_asked_about_and_changes_nothing(engine: Engine):
    conversation, _ = talk(engine, "no", "me", "no", "skip", "leg")
    moved, replies = engine.advance(conversation, Typed("a week or two"))
    assert moved is conversation
    [notice] = [reply for reply in replies if isinstance(reply, Notice)]
    assert notice.key == "ui.ambiguous"
    assert notice.values["options"] == "“Less than 2 weeks” or “2 weeks or more”"


def test_unclear_emergency_language_asks_once_then_no_asks_the_question_again(engine: Engine):
    conversation, replies = talk(engine, "no", "me", "no", "skip", "calf, my dad had a stroke")
    assert conversation.step == "emergency_confirm"
    assert "location" not in conversation.answers
    moved, replies = engine.advance(conversation, Typed("no"))
    # An emergency description never fills in an answer: the question it was typed at is asked again.
    assert moved.step == "location" and "location" not in moved.answers
    assert notices(replies) == ["ui.confirm_no"] and echoes(replies) == ["No"]


def test_unclear_emergency_language_confirmed_is_an_emergency(engine: Engine):
    conversation, _ = talk(engine, "no", "me", "no", "skip", "leg", "my arm went numb")
    moved, replies = engine.advance(conversation, Pick("emergency_confirm", "yes"))
    assert result_of(replies).outcome.level is Level.EMERGENCY
    assert moved.history[-1] == "duration"  # /back returns to the question that was open


def test_back_at_a_confirming_question_returns_to_the_question(engine: Engine):
    conversation, _ = talk(engine, "no", "me", "no", "skip", "my arm went numb")
    moved, _ = engine.advance(conversation, Command.BACK)
    assert moved.step == "location" and not moved.meta


def test_an_account_is_reviewed_then_its_questions_are_skipped(engine: Engine):
    conversation, replies = talk(engine, "no", "me", "no", "Twitching in my left calf for 3 days, loads of coffee.")
    assert conversation.step == "account_review"
    [question] = [reply for reply in replies if isinstance(reply, Question)]
    assert [(r.topic, r.answer) for r in question.summary] == [
        ("Where it twitches", "Leg or foot"),
        ("How long", "Less than 2 weeks"),
        ("Caffeine", "Yes"),
    ]
    moved, replies = engine.advance(conversation, Pick("account_review", "yes"))
    assert moved.step == "stress_sleep"
    assert moved.answers["location"] == "leg" and moved.answers["caffeine"] == "yes"
    assert moved.history == ("emergency_now", "who", "unwell", "account", "location", "duration", "caffeine")
    back, _ = engine.advance(moved, Command.BACK)
    assert back.step == "caffeine" and "caffeine" not in back.answers  # an answer taken from the account can be changed


def test_change_at_the_review_asks_every_question(engine: Engine):
    conversation, _ = talk(engine, "no", "me", "no", "Twitching in my left calf for 3 days", "change")
    assert conversation.step == "location" and "location" not in conversation.answers


def test_an_account_never_says_no_to_a_red_flag(engine: Engine):
    conversation, _ = talk(engine, "no", "me", "no", "no weakness, my grip is weak, calf twitching, no coffee")
    account = conversation.meta["account"]
    assert "weakness" not in account and account["caffeine"] == "no"


def test_an_account_with_nothing_to_take_moves_on_kindly(engine: Engine):
    conversation, replies = talk(engine, "no", "me", "no", "I am just very worried about all this")
    assert conversation.step == "location"
    assert notices(replies) == ["ui.account_nothing"]


def test_an_emergency_inside_an_account_goes_straight_to_the_emergency_advice(engine: Engine):
    conversation, replies = talk(engine, "no", "me", "no", "twitching in my leg for a week and now I can't breathe")
    assert result_of(replies).outcome.level is Level.EMERGENCY


@pytest.mark.parametrize("typed", ["", "   ", "😬😬", "🙂"])
def test_text_with_no_words_gets_a_kind_reply_and_loses_nothing(engine: Engine, typed: str):
    conversation, _ = talk(engine, "no", "me", "no", "skip", "leg")
    moved, replies = engine.advance(conversation, Typed(typed))
    assert moved is conversation and notices(replies) == ["ui.empty_text"]


def test_not_sure_at_the_confirming_question_is_answered_like_yes(engine: Engine):
    conversation, _ = talk(engine, "no", "me", "no", "skip", "my arm went numb")
    _, replies = engine.advance(conversation, Typed("not sure"))
    assert result_of(replies).outcome.level is Level.EMERGENCY


def test_back_keeps_account_answers_not_reached_yet(engine: Engine):
    conversation, _ = talk(engine, "no", "me", "no", "calf twitching for 3 days and my grip is weak", "yes")
    assert conversation.step == "caffeine" and conversation.meta["prefill"] == {"weakness": "yes"}
    moved, _ = engine.advance(conversation, Command.BACK)
    assert moved.step == "duration" and moved.meta["prefill"] == {"weakness": "yes"}


def test_a_question_about_several_things_takes_no_from_one_of_them_as_nothing(engine: Engine):
    """Exercise and fluids are asked together: "no gym" says nothing about a tummy bug."""
    conversation, _ = talk(engine, "no", "me", "no", "skip", "leg", "3 days", "no", "no")
    assert conversation.step == "exercise_fluids"
    moved, replies = engine.advance(conversation, Typed("haven't been to the gym in months"))
    assert moved is conversation and notices(replies) == ["ui.not_understood"]
    moved, _ = engine.advance(conversation, Typed("had a tummy bug"))
    assert moved.answers["exercise_fluids"] == "yes"
    told, _ = talk(engine, "no", "me", "no", "calf twitching for 3 days, no gym lately")
    assert "exercise_fluids" not in told.meta["account"]


def test_back_typed_at_the_account_invitation_goes_back(engine: Engine):
    conversation, replies = talk(engine, "no", "me", "no", "back")
    ids = asked(engine.flows["twitching"])
    assert conversation.step == ids[ids.index("account") - 1] and notices(replies) == ["ui.went_back"]


def test_why_this_advice_names_the_spreading_weakness_that_ended_the_check(engine: Engine):
    _, replies = talk(engine, "no", "me", "no", "skip", "leg", "3 days", *["no"] * 4, "yes", "yes", "no")
    result = result_of(replies)
    assert result.outcome.id == "urgent_today"
    assert [reason.topic for reason in result.reasons] == [
        "Lasting weakness",
        "Weakness spreading on both sides",
        "Weakness making breathing or swallowing hard",
    ]
