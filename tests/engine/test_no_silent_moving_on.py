"""Typed text the engine must never move past silently, on a small fixture flow (not the shipped one).

The fixture declares one emergency concept ("stroke") with a phrase; the shipped content's language file
adds its frames and safety words for that concept.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.engine.conversation import Conversation
from bot.engine.engine import Engine
from bot.engine.model import EMERGENCY_CONFIRM, Flow
from bot.engine.replies import Echo, Notice, Typed
from tests.engine.conftest import TINY
from tests.engine.test_language_validation import ACCOUNT

PLACES = """\
  - id: place
    text: "Where is it?"
    next: weakness
    choices:
      - {label: "Arm", value: arm, mentions: ["arm", "hand"]}
      - {label: "Leg", value: leg, mentions: ["leg", "calf"]}
"""
FLOW = (
    TINY.replace("start: weakness", "start: place")
    .replace("steps:\n", "steps:\n" + PLACES)
    .replace("routing:\n", 'interrupts:\n  - {id: stroke, outcome: emergency, phrases: ["face drooping"]}\nrouting:\n')
)


@pytest.fixture
def engine(parse: Callable[[str], Flow]) -> Engine:
    return Engine({"tiny": parse(FLOW)})


def typed(engine: Engine, text: str) -> tuple[Conversation, tuple[object, ...]]:
    return engine.advance(Conversation(flow_id="tiny", step="place", version=1), Typed(text))


def test_text_not_understood_that_names_a_safety_word_gets_the_confirming_question(engine: Engine):
    moved, replies = typed(engine, "she is on the floor")
    assert moved.step == EMERGENCY_CONFIRM
    assert not any(isinstance(r, Notice) and r.key == "ui.not_understood" for r in replies)


def test_text_not_understood_without_one_is_asked_again(engine: Engine):
    moved, replies = typed(engine, "purple monkey dishwasher")
    assert moved.step == "place"
    assert any(isinstance(r, Notice) and r.key == "ui.not_understood" for r in replies)


def test_a_settled_sentence_with_a_safety_word_is_not_asked_about(engine: Engine):
    moved, _ = typed(engine, "in the film she fell on the floor")  # an `elsewhere` cue settles it
    assert moved.step == "place"


def test_an_emergency_description_never_fills_in_the_answer_it_mentions(engine: Engine):
    moved, _ = typed(engine, "my hand went numb")  # an `ask` frame, and "hand" names a place
    assert moved.step == EMERGENCY_CONFIRM and "place" not in moved.answers
    back, replies = engine.advance(moved, Typed("no"))
    assert back.step == "place" and "place" not in back.answers
    assert not [r for r in replies if isinstance(r, Echo) and r.label == "Arm"]


def test_another_language_says_so_and_asks_once(engine: Engine):
    moved, replies = typed(engine, "no puedo respirar")
    assert moved.step == EMERGENCY_CONFIRM
    assert [r.key for r in replies if isinstance(r, Notice)] == ["ui.english_only"]


def test_another_language_is_never_read_as_an_answer_even_when_a_word_looks_like_one(engine: Engine):
    moved, replies = typed(engine, "baba mi subu bayi, ko dahun, ara re n gbon, e jowo arm")
    assert moved.step == EMERGENCY_CONFIRM and "place" not in moved.answers
    assert [r.key for r in replies if isinstance(r, Notice)] == ["ui.english_only"]


FLAG = """\
  - id: place
    kind: red_flag
    text: "Any new trouble with your grip?"
    next: weakness
    choices:
      - {label: "Yes", value: "yes", mentions: ["weak grip", "drop things", "dropping things"]}
      - {label: "No", value: "no"}
      - {label: "Not sure", value: not_sure}
"""


@pytest.fixture
def flags(parse: Callable[[str], Flow]) -> Engine:
    flow = TINY.replace("start: weakness", "start: place").replace("steps:\n", "steps:\n" + FLAG)
    return Engine({"tiny": parse(flow)})


@pytest.mark.parametrize(
    ("text", "meant"),
    [
        ("I drop things sometimes but I always have, nothing new", "no"),  # a red flag asks what is new
        ("I've a weak grip but I can still do everything", "not_sure"),
        ("I've a weak grip but I can still open jars", "yes"),  # names one thing that works: the yes stands
        ("maybe I drop things but I always have", "not_sure"),  # the hedge decides
        ("I keep dropping things, it's getting worse", "yes"),
        ("I drop things yes but I've got a newborn", "not_sure"),  # an ordinary reason after "but"
        ("I drop things, always have, nothing new", "no"),  # a later part that says it is old, without "but"
        ("my wife says I drop things but I haven't noticed", "not_sure"),  # the writer has not seen it
        ("my wife says I drop things, I haven't noticed", "not_sure"),
        ("I drop things, no idea why", "yes"),  # not knowing why is no doubt about whether
        ("I had a weak grip after the op, not since", "no"),  # it stopped: a red flag asks what stays
        ("I used to drop things but not any more", "no"),
        ("I drop things even though I sleep a good 8 hours", "yes"),  # "a good" night is no "it's fine"
        ("I drop things even though my grip feels fine", "yes"),  # "even though" concedes, turns nothing
        ("I drop things but it's icy everywhere", "not_sure"),  # ice: an ordinary reason for a stumble or a drop
    ],
)
def test_a_yes_turned_round_by_but_reads_as_the_person_meant(flags: Engine, text: str, meant: str):
    moved, _ = flags.advance(Conversation(flow_id="tiny", step="place", version=1), Typed(text))
    assert moved.answers.get("place") == meant


def test_a_hedge_after_a_no_in_a_later_sentence_is_not_sure(flags: Engine):
    start = Conversation(flow_id="tiny", step="place", version=1)
    moved, _ = flags.advance(start, Typed("I don't think so? hard to tell"))
    assert moved.answers.get("place") == "not_sure"


@pytest.mark.parametrize(
    ("text", "meant"),
    [
        ("I can still carry the shopping, so no", "no"),  # an answer drawn after the last comma
        ("it's got worse this month, so yes", "yes"),
        ("Not that I know of, I was adopted", "not_sure"),  # the rest says the person can't know
        ("yes dropping cups all week", "yes"),  # a yes, then what it is about
        ("yes no not really", None),  # a yes taken back is not taken
        ("a bit yes, mostly at night", "yes"),  # softened, not taken back
        ("yes, a weak grip for maybe five minutes", "yes"),  # a guess at how long doubts nothing
        ("yes maybe", "not_sure"),
        ("not that I know of, I'd have to check", "not_sure"),
        ("no oh", "no"),  # an aside, as "no ma'am"
        ("abeg no", "no"),
        ("cannae tell", "not_sure"),
        ("I carry the shopping fine. No.", "no"),  # a last sentence that is only the answer
        ("I keep dropping cups. Yes.", "yes"),
    ],
)
def test_an_answer_drawn_at_the_end_or_a_reason_not_to_know_is_read(flags: Engine, text: str, meant: str | None):
    moved, _ = flags.advance(Conversation(flow_id="tiny", step="place", version=1), Typed(text))
    assert moved.answers.get("place") == meant


def test_a_question_back_that_opens_with_where_is_asked_about(flags: Engine):
    moved, _ = flags.advance(
        Conversation(flow_id="tiny", step="place", version=1), Typed("Where should I look for a weak grip?")
    )
    assert "place" not in moved.answers


def test_a_question_back_after_a_hmm_is_asked_about(flags: Engine):
    moved, _ = flags.advance(
        Conversation(flow_id="tiny", step="place", version=1), Typed("hmm what counts as a weak grip")
    )
    assert "place" not in moved.answers


def test_a_question_back_that_ends_with_you_mean_is_asked_about(flags: Engine):
    moved, _ = flags.advance(
        Conversation(flow_id="tiny", step="place", version=1), Typed("what kind of weak grip do you mean")
    )
    assert "place" not in moved.answers


def test_a_question_back_asking_what_the_question_means_is_asked_about(flags: Engine):
    moved, _ = flags.advance(Conversation(flow_id="tiny", step="place", version=1), Typed("a weak grip? like a jar?"))
    assert "place" not in moved.answers


def reader_of(parse: Callable[[str], Flow], flag: str, cues: str = "") -> Callable[[str], str | None]:
    """What a reply typed at the `place` question of a tiny flow with this question (and these `cues:`) records."""
    flow = TINY.replace("start: weakness", "start: place").replace("steps:\n", "steps:\n" + flag) + cues
    engine = Engine({"tiny": parse(flow)})
    start = Conversation(flow_id="tiny", step="place", version=1)
    return lambda text: engine.advance(start, Typed(text))[0].answers.get("place")


WITH_A_REASON = FLAG.replace(
    '      - {label: "No", value: "no"}',
    '      - {label: "Only with a reason", value: reason, explains: true, mentions: ["newborn"]}\n'
    '      - {label: "No", value: "no"}',
)
"""The grip question with a choice for a yes that has an ordinary reason ("newborn"), marked `explains`."""


def test_a_yes_with_the_reason_an_explaining_choice_names_is_that_choice(parse: Callable[[str], Flow]):
    answer = reader_of(parse, WITH_A_REASON)
    assert answer("newborn so I drop things") == "reason"
    # The same reason after "but", which alone would make the yes "not sure", is that choice too.
    assert answer("I drop things but I have a newborn") == "reason"
    assert answer("I drop things but I'm unfit") == "not_sure"


def test_a_yes_then_the_reason_an_explaining_choice_names_is_that_choice(parse: Callable[[str], Flow]):
    answer = reader_of(parse, WITH_A_REASON)
    assert answer("yes, ever since we had a newborn") == "reason"
    assert answer("yes, all week") == "yes"
    denying = reader_of(parse, WITH_A_REASON, cues="cues:\n  negation: [not]\n")
    assert denying("yes, and it's not from the newborn") == "yes"  # the reason denied explains nothing


def test_a_yes_and_a_not_sure_mention_are_not_sure(parse: Callable[[str], Flow]):
    flag = FLAG.replace("value: not_sure}", 'value: not_sure, mentions: ["comes and goes"]}')
    answer = reader_of(parse, flag)
    assert answer("weak grip, comes and goes") == "not_sure"
    assert answer("weak grip all the time") == "yes"


def test_a_softened_no_followed_by_a_yes_mention_is_read_by_the_mention(parse: Callable[[str], Flow]):
    flag = FLAG.replace('      - {label: "No", value: "no"}', '      - {label: "No", value: "no", synonyms: ["a bit"]}')
    answer = reader_of(parse, flag)
    assert answer("a bit, dropping things all week") == "yes"
    assert answer("a bit, nothing more") == "no"


@pytest.mark.parametrize(
    "text",
    [
        "weak grip how exactly?",
        "dropping things where? at home or at work?",
        "which one counts, a jar or a cup?",
        "weak grip? what you mean weak grip",
        "weak grip as in a jar or as in a cup?",
    ],
)
def test_a_question_word_inside_a_short_question_back_is_asked_about(flags: Engine, text: str):
    moved, _ = flags.advance(Conversation(flow_id="tiny", step="place", version=1), Typed(text))
    assert "place" not in moved.answers


def test_a_sign_said_to_be_nil_or_stable_is_a_no(flags: Engine):
    start = Conversation(flow_id="tiny", step="place", version=1)
    assert flags.advance(start, Typed("weak grip nil"))[0].answers.get("place") == "no"
    assert flags.advance(start, Typed("weak grip: none"))[0].answers.get("place") == "no"
    assert flags.advance(start, Typed("weak grip none, but dropping things all week"))[0].answers.get("place") == "yes"


SWALLOW = FLAG.replace("Any new trouble with your grip?", "Any trouble swallowing or breathing?").replace(
    '["weak grip", "drop things", "dropping things"]', '["swallowing", "swallow", "breathing", "breathe"]'
)


@pytest.mark.parametrize(
    ("text", "meant"),
    [
        ("swallowing is normal and so is my breathing", "no"),  # "so is" takes the "fine" before it
        ("nah, I swallow well", "no"),
        ("I swallow normally and breathe fine", "no"),
        ("I swallow badly and my breathing as well", "yes"),  # "as well" adds a sign, it says no "well"
        ("swallowing, well, it's hard", "yes"),  # after a comma "well" is a pause word
        ("breathing is fine, so is eating, but I can't swallow pills", "yes"),
    ],
)
def test_a_sign_said_to_be_fine_right_after_or_by_so_is_is_a_no(parse: Callable[[str], Flow], text: str, meant: str):
    assert reader_of(parse, SWALLOW)(text) == meant


def test_an_account_naming_a_safety_word_but_not_the_twitching_is_asked_about(parse: Callable[[str], Flow]):
    """ "grandad was a bit wobbly on his feet, dunno when" reads as a yes to weakness, yet says nothing of a
    twitch: it may be an emergency told by a carer, so it gets the confirming question first."""
    flow = (
        TINY.replace("start: weakness", "start: story")
        .replace("steps:\n", "steps:\n" + ACCOUNT)
        .replace('{label: "Yes", value: "yes"}', '{label: "Yes", value: "yes", mentions: ["wobbly"]}')
    )
    engine = Engine({"tiny": parse(flow)})
    start = Conversation(flow_id="tiny", step="story", version=1)
    moved, _ = engine.advance(start, Typed("grandad was a bit wobbly on his feet, dunno when"))
    assert moved.step == EMERGENCY_CONFIRM
    moved, _ = engine.advance(start, Typed("my calf twitches and I feel a bit wobbly"))
    assert moved.step != EMERGENCY_CONFIRM  # an account of the twitching: reviewed, not asked about


def test_a_question_back_typed_in_text_speak_is_asked_about(flags: Engine):
    moved, _ = flags.advance(Conversation(flow_id="tiny", step="place", version=1), Typed("wat do u mean weak grip"))
    assert "place" not in moved.answers


@pytest.mark.parametrize(
    "text",
    [
        "I drop things, don't know what it's called",
        "I drop things, not sure what kind of weakness it is",
        "dropping things since the new tablets, I don't know what they are for",
        "YES THE GP GAVE ME SOMETHING NEW FOR IT, DONT KNOW THE NAME",  # after a plain yes too
    ],
)
def test_a_doubt_only_about_a_name_kind_or_purpose_leaves_the_yes(flags: Engine, text: str):
    start = Conversation(flow_id="tiny", step="place", version=1)
    assert flags.advance(start, Typed(text))[0].answers.get("place") == "yes"
    assert flags.advance(start, Typed("I drop things, not sure"))[0].answers.get("place") == "not_sure"


def test_also_or_too_after_a_sign_takes_the_fine_before_it(parse: Callable[[str], Flow]):
    answer = reader_of(parse, SWALLOW)
    assert answer("swallowing is okay, breathing also") == "no"
    assert answer("swallowing fine, breathing too") == "no"
    assert answer("trouble to swallow, breathing also") == "yes"  # no "fine" before it to take


def test_a_no_read_from_what_is_fine_with_a_doubt_is_not_sure(parse: Callable[[str], Flow]):
    answer = reader_of(parse, SWALLOW)
    assert answer("i don't think so? breathing feels normal-ish, hard to say") == "not_sure"
    assert answer("breathing feels normal") == "no"


def test_a_reply_opening_with_how_much_asks_back(flags: Engine):
    moved, _ = flags.advance(
        Conversation(flow_id="tiny", step="place", version=1), Typed("how much dropping things is a lot")
    )
    assert "place" not in moved.answers


def test_a_bare_sign_and_the_next_thing_named_both_said_fine_is_a_no(parse: Callable[[str], Flow]):
    answer = reader_of(parse, SWALLOW)
    assert answer("breathing and eating all fine thank god") == "no"
    assert answer("trouble breathing and eating fine") == "yes"  # the sign said with its trouble
    assert answer("breathing and eating not fine") == "yes"


def test_nothing_right_before_a_sign_is_a_no(flags: Engine):
    start = Conversation(flow_id="tiny", step="place", version=1)
    assert flags.advance(start, Typed("nah nothing dropping things"))[0].answers.get("place") == "no"
    assert flags.advance(start, Typed("dropping things, nothing else"))[0].answers.get("place") == "yes"
