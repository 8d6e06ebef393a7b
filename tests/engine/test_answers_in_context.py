"""Typed answers read with what surrounds them: an age that gives a yes its clear cause (`from_age`), and a
safety question about today, on small fixture flows (not the shipped one)."""

from __future__ import annotations

from bot.engine.matching import ChoiceMatcher
from tests.engine.conftest import TINY

AGED = TINY.replace(
    '      - {label: "Yes", value: "yes"}\n',
    '      - {label: "Yes", value: "yes", mentions: ["most nights"]}\n',
).replace(
    '      - {label: "Not sure", value: not_sure}\n',
    '      - {label: "Not sure", value: not_sure}\n'
    '      - {label: "Yes, with a clear cause", value: explained, explains: true, from_age: 60}\n',
)
"""The tiny flow's red flag with a clear cause that holds from 60 ("being over 60"), like the shipped cramps."""

TODAY = TINY.replace("start: weakness", "start: emergency_now").replace(
    "steps:\n",
    """steps:
  - id: emergency_now
    kind: emergency
    text: "Has any of this happened today, even for a few minutes? A fit."
    choices:
      - {label: "Yes", value: "yes", next: emergency, mentions: ["had a fit"]}
      - {label: "No", value: "no", next: weakness}
      - {label: "Not sure", value: not_sure, next: emergency}
""",
)
"""A safety question about today before the tiny flow's red flag."""


def test_a_yes_said_with_an_age_from_which_the_cause_holds_is_the_clear_cause(parse):
    """ "I'm 67 and they come most nights", where the cause holds from 60: the explained choice."""
    matcher = ChoiceMatcher(parse(AGED).steps["weakness"])
    assert matcher.match("I'm 67 and they come most nights") == "explained"
    assert matcher.match("most nights, and I'm 45") == "yes"  # younger than the cause holds from
    assert matcher.match("most nights, my mum is 70") == "yes"  # someone else's age
    assert matcher.match("I'm 67 and none at all") != "explained"  # an age alone is no yes
    assert matcher.match("yes, most nights, and I'm 66") == "explained"  # a yes said first, then the age


def test_the_age_of_the_one_a_carer_writes_about_gives_the_clear_cause(parse):
    matcher = ChoiceMatcher(parse(AGED).steps["weakness"])
    assert matcher.match("He's 84 and gets them most nights") == "explained"  # the only person the sentence is about
    assert matcher.match("she is 70 and most nights too") == "explained"
    assert matcher.match("he's 70 and I get them most nights") == "yes"  # the writer has them, not him
    assert matcher.match("most nights, he is 80") == "yes"  # not opened by him: whose age is unclear


def test_a_sign_today_is_a_yes_at_a_safety_question_however_well_the_person_feels_now(parse):
    matcher = ChoiceMatcher(parse(TODAY).steps["emergency_now"])
    assert matcher.match("had a fit this morning but I'm alright now") == "yes"
