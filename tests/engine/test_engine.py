"""The pure engine: one input in, a new conversation and replies out.

Mechanics that need a flow of a known shape (why this advice, notes, the excerpt limit) run on a fixture
flow (tests/support/fixture_flows.py). The rest run on the flow under test, reaching each question by the
answers' values (tests/support/paths.py), never by a fixed order of questions or by their wording.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.engine.conversation import Conversation
from bot.engine.engine import INTERRUPT_KEY, Engine
from bot.engine.loader import parse_flow
from bot.engine.model import NO, Flow, Level
from bot.engine.replies import Command, Echo, Input, Notice, Pick, Question, Reason, Result, Typed
from tests.support.fixture_flows import MINI
from tests.support.paths import asked, start, walk

CALM = {"location": "arm", "duration": "under_2_weeks"}
"""Answers for the calmest path, "no" elsewhere: every question asked, ending in 🟢 self-care."""


@pytest.fixture(scope="module")
def mini(content) -> Engine:  # type: ignore[no-untyped-def]
    """An engine for the fixture flow `mini` alone."""
    return Engine({"mini": parse_flow(MINI, content, source="mini.yaml")})


def talk(engine: Engine, *inputs: Input | str) -> tuple[Conversation, tuple]:
    """A fresh conversation fed `inputs` (text is typed); returns the last conversation and replies."""
    conversation, replies = engine.start("twitching")
    for given_input in inputs:
        conversation, replies = engine.advance(
            conversation, Typed(given_input) if isinstance(given_input, str) else given_input
        )
    return conversation, replies


def tell(engine: Engine, *inputs: Input | str, at: str) -> tuple[Conversation, tuple]:
    """A conversation answered "no" (or Skip, or the first choice) up to the question `at`, then fed `inputs`."""
    conversation, replies = start(engine, "twitching", until=at)
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


def test_an_emergency_button_ends_the_check_at_once(engine: Engine):
    conversation, replies = talk(engine, "yes")
    assert conversation.step == "emergency"
    assert result_of(replies).outcome.level is Level.EMERGENCY
    assert conversation.history == ("emergency_now",)


def test_back_returns_to_the_previous_question_and_forgets_its_answer(engine: Engine):
    conversation, _ = start(engine, "twitching", until="location")
    conversation, _ = engine.advance(conversation, Pick("location", "arm"))
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
    conversation, _ = start(engine, "twitching", {"location": "arm"}, until="duration")
    conversation, _ = engine.advance(conversation, Pick("duration", "over_2_weeks"))
    moved, replies = engine.advance(conversation, Command.RESTART)
    assert (moved.step, dict(moved.answers), moved.history) == ("emergency_now", {}, ())
    assert moved.version == conversation.version + 1
    assert notices(replies) == ["ui.restarted"]


def test_a_stale_button_changes_nothing(engine: Engine):
    conversation, _ = start(engine, "twitching", until="location")
    conversation, _ = engine.advance(conversation, Pick("location", "arm"))
    moved, replies = engine.advance(conversation, Pick("emergency_now", "yes"))
    assert moved is conversation
    assert notices(replies) == ["ui.stale_press"]
    assert [reply.step.id for reply in replies if isinstance(reply, Question)] == [conversation.step]


def test_a_forged_value_changes_nothing(engine: Engine):
    conversation, _ = start(engine, "twitching", until="location")
    moved, replies = engine.advance(conversation, Pick("location", "brain"))
    assert moved is conversation
    assert notices(replies) == ["ui.forged_press"]


def test_text_that_is_not_an_answer_asks_again_with_the_options(engine: Engine, twitching: Flow):
    conversation, _ = start(engine, "twitching", until="location")
    moved, replies = engine.advance(conversation, Typed("purple monkey dishwasher"))
    assert moved is conversation
    [notice] = [reply for reply in replies if isinstance(reply, Notice)]
    assert notice.key == "ui.not_understood"
    labels = [choice.label for choice in twitching.steps["location"].choices]
    assert notice.values["options"].startswith(f"1) {labels[0]}, 2) {labels[1]}, 3) {labels[2]}")


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
    finished, _ = start(engine, "twitching", CALM)
    assert engine.flows["twitching"].is_outcome(finished.step)
    last = finished.history[-1]
    moved, replies = engine.advance(finished, Typed("yes"))
    assert moved is finished and notices(replies) == ["ui.finished"]
    moved, replies = engine.advance(finished, Pick(last, "yes"))
    assert moved is finished and notices(replies) == ["ui.stale_press"]
    moved, replies = engine.advance(finished, Typed("I can't breathe"))
    assert result_of(replies).outcome.level is Level.EMERGENCY
    assert moved.history[-1] == last


def test_a_conversation_from_an_older_flow_restarts_cleanly(engine: Engine):
    old = Conversation("twitching", "a_step_that_was_renamed", {"x": "y"}, ("emergency_now",), version=7)
    moved, replies = engine.advance(old, Typed("yes"))
    assert (moved.step, moved.version) == ("emergency_now", 8)
    assert notices(replies) == ["ui.restarted"]


def test_a_context_answer_adds_the_flows_own_excerpt(mini: Engine):
    _, replies = start(mini, "mini", {"caffeine": "yes"})
    result = result_of(replies)
    assert result.outcome.level is Level.SELF_CARE and result.excerpts == ("stimulants",)


def test_a_red_flag_shows_its_outcomes_excerpt_first_and_is_the_why(mini: Engine):
    _, replies = start(mini, "mini", {"weakness": "yes"})
    result = result_of(replies)
    assert result.outcome.level is Level.URGENT
    assert result.excerpts[0] == "als_weakness"
    assert result.reasons == (Reason("Weakness", "Yes"),)


def test_why_lists_every_red_flag_that_decided(mini: Engine):
    _, replies = start(mini, "mini", {"weakness": "yes", "wasting": "no", "gait": "yes"})
    assert result_of(replies).reasons == (Reason("Weakness", "Yes"), Reason("Walking", "Yes"))


def test_why_names_the_routine_reason(mini: Engine):
    _, replies = start(mini, "mini", {"duration": "over_2_weeks"})
    result = result_of(replies)
    assert result.outcome.level is Level.ROUTINE
    assert result.reasons == (Reason("How long", "Over 2 weeks"),)


def test_an_outcome_shows_the_notes_whose_condition_holds(mini: Engine):
    notes = [text for _, text in mini.flows["mini"].outcomes["routine"].notes]
    _, replies = start(mini, "mini", {"duration": "over_2_weeks"})
    assert result_of(replies).notes == tuple(notes)
    _, replies = start(mini, "mini", {"weakness": "not_sure"})
    assert result_of(replies).notes == (notes[1],)  # the note with no condition comes with every routine result


def test_not_sure_about_a_medicine_adds_the_medicine_note(engine: Engine, twitching: Flow):
    """The shipped advice's note on medicines (a case file cannot state notes): "not sure" is enough for it."""
    _, replies = start(engine, "twitching", {"location": "arm", "medicines": "not_sure"})
    result = result_of(replies)
    assert result.outcome.level is Level.ROUTINE
    notes = twitching.outcomes["routine"].notes
    medicine = next(text for when, text in notes if {"medicines"} <= set(when.keys()))
    worry_help = next(text for when, text in notes if not set(when.keys()))  # shown with every routine result
    assert result.notes == (medicine, worry_help)


def test_excerpts_never_exceed_the_flow_limit(mini: Engine):
    _, replies = start(mini, "mini", {"caffeine": "yes", "weakness": "yes", "wasting": "yes"})
    result = result_of(replies)
    assert mini.flows["mini"].max_excerpts == 2  # four passages match: two from the outcome, red_flags, stimulants
    assert result.excerpts == ("als_weakness", "als_atrophy")


def test_a_pasted_essay_is_cut_to_a_telegram_message(engine: Engine):
    conversation, _ = start(engine, "twitching", until="location")
    moved, replies = engine.advance(conversation, Typed("x" * 1_000_000))
    assert moved is conversation and notices(replies) == ["ui.not_understood"]
    moved, _ = engine.advance(conversation, Typed("arm " + "x" * 1_000_000))
    assert moved.answers["location"] == "arm"  # a place named in it is taken as the answer


# --- typed language: echoes, confirming questions, accounts --------------------------------------


def echoes(replies: tuple) -> list[str]:
    return [reply.label for reply in replies if isinstance(reply, Echo)]


def test_a_typed_answer_is_echoed_as_understood(engine: Engine):
    conversation, _ = start(engine, "twitching", until="location")
    conversation, replies = engine.advance(conversation, Typed("my left calf"))
    assert conversation.answers["location"] == "leg"
    assert echoes(replies) == ["Leg or foot"]


def test_a_duration_in_words_is_read_by_meaning_not_as_an_option_number(mini: Engine):
    at_duration, _ = start(mini, "mini", until="how_long")
    for typed, meant in [("1 month", "over_2_weeks"), ("1 year", "over_2_weeks"), ("2 days", "under_2_weeks")]:
        conversation, _ = mini.advance(at_duration, Typed(typed))
        assert conversation.answers["duration"] == meant, typed


def test_an_ambiguous_answer_is_asked_about_and_changes_nothing(mini: Engine):
    conversation, _ = start(mini, "mini", until="how_long")
    moved, replies = mini.advance(conversation, Typed("a week or two"))
    assert moved is conversation
    [notice] = [reply for reply in replies if isinstance(reply, Notice)]
    assert notice.key == "ui.ambiguous"
    assert notice.values["options"] == "“Under 2 weeks” or “Over 2 weeks”"


def test_unclear_emergency_language_asks_once_then_no_asks_the_question_again(engine: Engine):
    conversation, _ = start(engine, "twitching", until="location")
    conversation, replies = engine.advance(conversation, Typed("calf, my dad had a stroke"))
    assert conversation.step == "emergency_confirm"
    assert "location" not in conversation.answers
    moved, replies = engine.advance(conversation, Typed("no"))
    # An emergency description never fills in an answer: the question it was typed at is asked again.
    assert moved.step == "location" and "location" not in moved.answers
    assert notices(replies) == ["ui.confirm_no"] and echoes(replies) == ["No"]


def test_unclear_emergency_language_confirmed_is_an_emergency(engine: Engine):
    at_duration, _ = start(engine, "twitching", {"location": "leg"}, until="duration")
    conversation, _ = engine.advance(at_duration, Typed("my arm went numb"))
    moved, replies = engine.advance(conversation, Pick("emergency_confirm", "yes"))
    assert result_of(replies).outcome.level is Level.EMERGENCY
    assert moved.history[-1] == "duration"  # /back returns to the question that was open


def test_back_at_a_confirming_question_returns_to_the_question(engine: Engine):
    conversation, _ = start(engine, "twitching", until="location")
    conversation, _ = engine.advance(conversation, Typed("my arm went numb"))
    moved, _ = engine.advance(conversation, Command.BACK)
    assert moved.step == "location" and not moved.meta


def test_an_account_is_reviewed_then_its_questions_are_skipped(engine: Engine, twitching: Flow):
    told = {"location": "leg", "duration": "under_2_weeks", "everyday_causes": "yes"}
    conversation, replies = tell(engine, "Twitching in my left calf for 3 days, loads of coffee.", at="account")
    assert conversation.step == "account_review"
    [question] = [reply for reply in replies if isinstance(reply, Question)]
    path = walk(twitching, told)
    assert [(r.topic, r.answer) for r in question.summary] == [
        (step.topic, choice.label) for step, choice in path if step.key in told
    ]
    moved, replies = engine.advance(conversation, Pick("account_review", "yes"))
    ids = [step.id for step, _ in path]
    first_untold = next(s.id for s, _ in path[ids.index("account") + 1 :] if s.key not in told)
    assert moved.step == first_untold
    known = {**moved.answers, **moved.meta.get("prefill", {})}  # given, or waiting for its question
    assert {key: known[key] for key in told} == told
    assert moved.history == tuple(ids[: ids.index(first_untold)])
    back, _ = engine.advance(moved, Command.BACK)
    taken = twitching.steps[moved.history[-1]].key  # an answer taken from the account can be changed
    assert back.step == moved.history[-1] and taken in told and taken not in back.answers


def test_change_at_the_review_asks_every_question(engine: Engine):
    conversation, _ = tell(engine, "Twitching in my left calf for 3 days", "change", at="account")
    assert conversation.step == "location" and "location" not in conversation.answers


def test_an_account_never_says_no_to_a_red_flag(engine: Engine):
    conversation, _ = tell(engine, "no weakness, my grip is weak, calf twitching, no medication", at="account")
    account = conversation.meta["account"]
    assert "weakness" not in account and account["medicines"] == "no"


def test_an_account_with_nothing_to_take_moves_on_kindly(engine: Engine):
    conversation, replies = tell(engine, "I am just very worried about all this", at="account")
    assert conversation.step == asked(engine.flows["twitching"])[len(conversation.history)]
    assert notices(replies) == ["ui.account_nothing"]


def test_an_emergency_inside_an_account_goes_straight_to_the_emergency_advice(engine: Engine):
    conversation, replies = tell(engine, "twitching in my leg for a week and now I can't breathe", at="account")
    assert result_of(replies).outcome.level is Level.EMERGENCY


@pytest.mark.parametrize("typed", ["", "   ", "😬😬", "🙂"])
def test_text_with_no_words_gets_a_kind_reply_and_loses_nothing(engine: Engine, typed: str):
    conversation, _ = tell(engine, "leg", at="location")
    moved, replies = engine.advance(conversation, Typed(typed))
    assert moved is conversation and notices(replies) == ["ui.empty_text"]


def test_not_sure_at_the_confirming_question_is_answered_like_yes(engine: Engine):
    conversation, _ = tell(engine, "my arm went numb", at="location")
    _, replies = engine.advance(conversation, Typed("not sure"))
    assert result_of(replies).outcome.level is Level.EMERGENCY


def test_back_keeps_account_answers_not_reached_yet(engine: Engine):
    conversation, _ = tell(engine, "calf twitching for 3 days and lots of coffee", "yes", at="account")
    assert conversation.meta["prefill"]["everyday_causes"] == "yes"  # waits for its question, after the red flags
    assert conversation.answers["location"] == "leg" and "everyday_causes" not in conversation.answers
    moved, _ = engine.advance(conversation, Command.BACK)
    assert moved.step == conversation.history[-1] and moved.meta["prefill"]["everyday_causes"] == "yes"


def test_a_question_about_several_things_takes_no_from_one_of_them_as_nothing(engine: Engine):
    """The everyday causes are asked together: "no gym" says nothing about a tummy bug."""
    conversation, _ = start(engine, "twitching", {"location": "leg"}, until="everyday_causes")
    moved, replies = engine.advance(conversation, Typed("haven't been to the gym in months"))
    assert moved is conversation and notices(replies) == ["ui.not_understood"]
    moved, _ = engine.advance(conversation, Typed("had a tummy bug"))
    assert moved.answers["everyday_causes"] == "yes"
    told, _ = tell(engine, "calf twitching for 3 days, no gym lately", at="account")
    assert "everyday_causes" not in told.meta["account"]


def test_back_typed_at_the_account_invitation_goes_back(engine: Engine):
    conversation, replies = tell(engine, "back", at="account")
    ids = asked(engine.flows["twitching"])
    assert conversation.step == ids[ids.index("account") - 1] and notices(replies) == ["ui.went_back"]


def test_why_this_advice_names_the_spreading_weakness_that_ended_the_check(engine: Engine):
    spreading = {"weakness": "yes", "weakness_spreading": "yes", "weakness_breathing": "no"}
    _, replies = start(engine, "twitching", {"location": "leg", **spreading})
    result = result_of(replies)
    assert result.outcome.id == "urgent_today"
    twitching = engine.flows["twitching"]
    assert [reason.topic for reason in result.reasons] == [twitching.steps[key].topic for key in spreading]
