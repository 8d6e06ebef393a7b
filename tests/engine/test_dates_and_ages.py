"""Durations named by the calendar and ages as numbers (bot/engine/quantities.py), on a fixed day."""

from __future__ import annotations

from datetime import date

import pytest

from bot.engine import quantities
from bot.engine.matching import ChoiceMatcher
from bot.engine.quantities import ages, durations
from bot.engine.text import words
from tests.engine.conftest import TINY
from tests.engine.test_language_validation import WITH_DURATION


@pytest.fixture
def december(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(quantities, "today", lambda: date(2026, 12, 6))


def days(text: str) -> list[float]:
    return [amount.days for amount in durations(words(text))]


@pytest.mark.usefixtures("december")
@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("since Halloween", 30, 40),
        ("since around bonfire night", 28, 35),
        ("since March", 200, 300),
        ("since the summer holidays", 100, 150),
        ("since school went back in September", 60, 100),
        ("started last Monday", 7, 14),
        ("since Christmas", 340, 350),  # last year's: this year's is still to come
        ("it started sometime after Diwali", 30, 40),
        ("it started during Diwali", 30, 40),
        ("since Remembrance Sunday I think", 25, 28),
        ("since Deepavali", 30, 40),
        ("since Navratri", 45, 60),
        ("since lambing, maybe before", 250, 270),  # a farm's season, at its usual time
        ("since around the 28th of November", 8, 8),  # a day of the month
        ("since November 28th", 8, 8),
        ("since 1 Dec", 5, 5),
        ("only since Saturday's match", 1, 7),  # a weekday's possessive
        ("since I got back from Byron in late October", 40, 45),  # a part of a month, further along
        ("it started around the 28th of November", 8, 8),  # "started" reaches a named day a few words on
        ("began on November 28th", 8, 8),
        ("started in May", 190, 220),
        ("since the 1st of this month", 5, 5),
        ("since the 20th of last month", 16, 16),
    ],
)
def test_calendar_names_are_read_against_today(text: str, low: float, high: float):
    [found] = days(text)
    assert low <= found <= high


def test_started_reaches_only_a_day_said_right_after_it(december: None):
    assert days("started having a coffee in May") == []  # a day further on, after other words, is not when
    assert days("started 3 days ago") == [3.0]


def test_after_names_its_point_at_once():
    assert days("twitches after the gym, it started 3 days ago") == [3.0]  # not "after … days"


def test_the_same_words_mean_another_duration_on_another_day(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(quantities, "today", lambda: date(2026, 11, 8))
    assert days("since Halloween") == [8.0]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("I'm 63", [63.0]),
        ("fifty two", [52.0]),
        ("turning 50 next month", [49.5]),
        ("under 50", [49.5]),
        ("I'll be 50 in January", [49.5]),  # still to come
        ("I must be 50", [50.0]),
        ("over 60", [60.5, 120.0]),
        ("late forties", [47.0, 49.99]),
        ("twitching for 3 days, 2 cups a day", []),
        ("forty-nine, fifty in March", [49.0, 49.5]),  # still to come
        ("turned 50 in June", [50.0]),  # reached
        ("the big 5-0 was last year", [50.0]),
        ("the big 5-0 is next year", [49.5]),
        ("mum is 72 but I'm asking for myself, 34", [34.0]),  # someone else's age, for a check of the writer's
        ("asking for my mum, she's 77", [77.0]),  # a carer answers for the person the check is about
        ("gran is 84, she says she feels 40", [84.0]),  # how old someone feels is not their age
        ("fifty-eight, retired from the bench in 2019", [58.0]),  # a year is a birth year only if no age is said
        ("I'm 50 on Boxing Day", [49.5]),  # the birthday is still to come
        ("fifty come Christmas", [49.5]),
        ("I turned 50 on Boxing Day", [50.0]),  # reached
        ("not telling! over forty anyway", [40.5, 120.0]),  # passed 40, and maybe long past 50
    ],
)
def test_ages_are_read_by_their_meaning(text: str, found: list[float]):
    assert ages(words(text)) == found


def test_a_birth_year_gives_an_age(december: None):
    assert ages(words("born in 1958")) == [67.0, 68.0]  # this year's birthday may be still to come
    assert ages(words("born in March 1958")) == [68.0]  # it has passed
    assert ages(words("born in 1976")) == [49.0, 50.0]  # either side of 50: asked
    assert ages(words("my papers say 1958 but my mother says I am older")) == [67.0, 68.0]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("a week or more", [7.0, float("inf")]),
        ("two weeks or longer", [14.0, float("inf")]),
        ("a week or so", [7.0]),
        ("a week or two", [7.0, 14.0]),
    ],
)
def test_an_amount_or_more_has_no_upper_end(text: str, found: list[float]):
    """ "a week or more" may be more than two weeks: a range, which a boundary between them makes ambiguous."""
    assert days(text) == found


def test_an_amount_near_where_two_choices_meet_said_on_either_side_is_not_sure(parse):
    step = parse(
        WITH_DURATION.replace(
            "value: long, range: {from: 2 weeks}}",
            'value: long, range: {from: 2 weeks}}\n      - {label: "Not sure", value: not_sure}',
        )
    ).steps["how_long"]
    matcher = ChoiceMatcher(step)
    assert matcher.match("a couple of weeks, maybe a bit less maybe more") == "not_sure"
    assert matcher.match("a couple of weeks") == "long"
    assert matcher.match("3 months, more or less") == "long"  # far from where the choices meet
    assert matcher.match("ten days maybe more") == "not_sure"  # perhaps across
    assert matcher.match("3 weeks maybe more") == "long"  # further from it, not across
    # Further below it, "maybe more" with doubt may still be across; without the doubt it is not.
    assert matcher.match("a week or so, maybe more, honestly I've lost track") == "not_sure"
    assert matcher.match("a week, maybe more") != "not_sure"
    assert matcher.match("three days, maybe more, I've lost track") != "not_sure"  # too far below


AGE = """\
  - id: age
    text: "How old?"
    next: weakness
    quantity: age
    choices:
      - {label: "50 or older", value: "yes", range: {from: 50 years}}
      - {label: "Under 50", value: "no", range: {from: 0 years, below: 50 years}}
      - {label: "Not sure", value: not_sure}
"""


def test_a_rough_age_just_at_the_line_is_not_sure(parse):
    """ "around 50" where 50 is the line could be either side; a decade or a plain age is not rough."""
    flow = TINY.replace("start: weakness", "start: age").replace("steps:\n", "steps:\n" + AGE)
    matcher = ChoiceMatcher(parse(flow).steps["age"])
    assert matcher.match("somewhere around 50, we never had a birth certificate") == "not_sure"
    assert matcher.match("50") == "yes"
    assert matcher.match("about 60") == "yes"
    assert matcher.match("somewhere in my fifties") == "yes"
    assert matcher.match("over forty anyway") is None  # either side of 50: asked
    assert matcher.match("over 60") == "yes"
