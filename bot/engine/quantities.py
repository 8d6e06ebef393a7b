"""Durations in people's words, read by their meaning: "3 days", "a couple of weeks", "since last summer".

A duration is a number of days. The number a person types is never read as an option
number here: "1 month" is 30 days, not the first choice. Expressions that name two amounts
("a week or two", "10-14 days") give both, and "more than a week" gives its start and no end,
so a question whose choices split them asks.

`anchored` tells whether the words around the amount make it a duration of the symptom
("for 3 days", "since Monday", "started 2 weeks ago"): a person's account also mentions
"3 cups a day", which is no duration at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

DAY, WEEK, MONTH, YEAR = 1.0, 7.0, 30.0, 365.0
NUDGE = 0.01
"""How far "more than" and "less than" move an amount past the boundary they name."""

UNITS = {
    **dict.fromkeys(("second", "seconds", "sec", "secs", "minute", "minutes", "min", "mins"), 0.0),
    **dict.fromkeys(("hour", "hours", "hr", "hrs", "h"), 1 / 24),
    **dict.fromkeys(("day", "days", "d", "night", "nights"), DAY),
    **dict.fromkeys(("week", "weeks", "wk", "wks", "w"), WEEK),
    **dict.fromkeys(("fortnight", "fortnights"), 2 * WEEK),
    **dict.fromkeys(("month", "months", "mo", "mos", "mth", "mths", "mnth", "mnths"), MONTH),
    **dict.fromkeys(("year", "years", "yr", "yrs", "y"), YEAR),
}
NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "couple": 2,
    "few": 3,
    "several": 4,
    "half": 0.5,
}
VAGUE = {"days": 3 * DAY, "weeks": 3 * WEEK, "months": 2 * MONTH, "years": YEAR, "ages": 2 * MONTH}
"""Plural units without a number, after "for" or "a few": "for weeks" is more than two."""

POINTS: dict[tuple[str, ...], float] = {
    ("today",): 0,
    ("tonight",): 0,
    ("this", "morning"): 0,
    ("this", "afternoon"): 0,
    ("this", "evening"): 0,
    ("yesterday",): DAY,
    ("last", "night"): DAY,
    ("this", "week"): 3 * DAY,
    ("the", "weekend"): 3 * DAY,
    ("last", "weekend"): 8 * DAY,
    ("last", "week"): WEEK,
    ("last", "month"): MONTH,
    ("last", "year"): YEAR,
    ("last", "summer"): 4 * MONTH,
    ("last", "spring"): 4 * MONTH,
    ("last", "autumn"): 4 * MONTH,
    ("last", "fall"): 4 * MONTH,
    ("last", "winter"): 4 * MONTH,
    **{(day,): 4 * DAY for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")},
    **{("last", day): 9 * DAY for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday")},
    ("last", "sunday"): 9 * DAY,
}
"""Points in time after "since" (or "started …"): how long ago they were, roughly."""

MORE = {("more", "than"), ("over",), ("at", "least"), ("longer", "than")}
OR_MORE = {("or", "more"), ("or", "longer"), ("and", "more"), ("and", "longer"), ("or", "over")}
"""After an amount, these leave it without an upper end: "a week or more"."""
LESS = {("less", "than"), ("under",), ("almost",), ("nearly",), ("not", "quite"), ("fewer", "than"), ("within",)}
ANCHORS = {"for", "since", "past", "last", "about", "around", "roughly", "almost", "nearly", "over", "than", "least"}
STARTED = {"started", "start", "starting", "began", "begun", "begin", "noticed", "going", "had", "having", "been"}
AFTER_ANCHORS = {"ago", "now", "straight", "already", "running", "so"}
LONG = {("a", "long", "time"), ("ages",), ("forever",), ("for", "ever"), ("as", "long", "as", "i", "can", "remember")}


@dataclass(frozen=True, slots=True)
class Amount:
    """A duration in days, whether the words around it make it the symptom's duration, and where it starts."""

    days: float
    anchored: bool
    start: int = 0


POINT_STARTS = frozenset(point[0] for point in POINTS)
SINCE = frozenset({"since", "after", "during"})
"""Words before a point in time the twitching started from: "since March", "after Diwali", "during Diwali"."""
DATED_START = frozenset({"started", "start", "began", "begun"})
"""Words a named day may follow a few words on: "started around the 28th of November", "began on Nov 28th"."""
DATE_LEADS = frozenset({"on", "in", "around", "about", "roughly", "at", "the", "start", "of", "end", "middle"})
"""Words between "started" and the day it names."""
STARTERS = frozenset({*SINCE, *DATED_START, "for", *NUMBERS, *POINT_STARTS, *(phrase[0] for phrase in LONG)})
"""Words a duration can start with (besides digits): every other word is skipped at once."""


def durations(said: tuple[str, ...]) -> list[Amount]:
    """Every duration in a run of normalised words, in order."""
    found: list[Amount] = []
    index = 0
    while index < len(said):
        if said[index] not in STARTERS and not said[index].isdigit():
            index += 1
            continue
        step, amounts = _read_at(said, index)
        if amounts:
            anchored = _anchored(said, index, index + step)
            found += [Amount(days, anchored, index) for days in amounts]
            index += step
        else:
            index += 1
    return found


def _day_named_at(said: tuple[str, ...], at: int) -> tuple[int, float] | None:
    """(words used, days ago) of the longest name on the calendar starting at `at`, or None."""
    for size in range(CALENDAR_LONGEST, 0, -1):
        named = said[at : at + size]
        since = days_since(named) if len(named) == size else None
        if since is not None:
            return size, since
    return None


def _read_at(said: tuple[str, ...], i: int) -> tuple[int, list[float]]:
    """(words used, amounts) for a duration starting at `i`, or (0, [])."""
    for phrase in LONG:
        if said[i : i + len(phrase)] == phrase:
            return len(phrase), [2 * MONTH]
    if said[i] in DATED_START:  # "started around the 28th of November", "began in May", "started Monday"
        for gap in range(1, 4):
            if i + gap >= len(said) or (gap > 1 and said[i + gap - 1] not in DATE_LEADS):
                break
            day = _day_named_at(said, i + gap)
            if day is not None:
                return gap + day[0], [day[1]]
        return 0, []
    if said[i] in SINCE or (said[i] in POINT_STARTS and i > 0 and said[i - 1] in STARTED | {"on"}):
        skip = 1 if said[i] in SINCE else 0
        reach = 8 if said[i] == "since" else 1  # "since I got back from Byron in late October"; "after …" at once
        for gap in range(skip, skip + reach):
            for point, days in POINTS.items():
                if said[i + gap : i + gap + len(point)] == point:
                    return gap + len(point), [days]
            day = _day_named_at(said, i + gap)  # "since Halloween", "since March", "since the spring"
            if day is not None:
                return gap + day[0], [day[1]]
            if skip == 0:
                break
        return 0, []
    if said[i] == "for" and i + 1 < len(said) and said[i + 1] in VAGUE:
        return 2, [VAGUE[said[i + 1]]]
    first, used = _number(said, i)
    if first is None:
        return 0, []
    amounts = [first]
    j = i + used
    if j + 1 < len(said) and said[j] in ("or", "to") or (j < len(said) and said[j].isdigit()):
        k = j + 1 if said[j] in ("or", "to") else j
        second, used2 = _number(said, k)
        if second is not None:
            amounts.append(second)
            j = k + used2
    if j < len(said) and said[j] in ("more", "whole", "full", "long"):
        j += 1
    if j >= len(said):
        return 0, []
    unit = UNITS.get(said[j])
    if unit is None and said[j] in VAGUE and said[i] in ("few", "couple", "several", "a"):
        return j + 1 - i, [VAGUE[said[j]]]
    if unit is None:
        return 0, []
    end = j + 1
    if len(amounts) == 1 and end + 1 < len(said) and said[end] in ("or", "to"):
        second, used2 = _number(said, end + 1)  # "a week or two": the unit counts both
        if second is not None and said[end + 1] not in ("a", "an"):
            amounts.append(second)
            end += 1 + used2
    spans = [amount * unit for amount in amounts]
    qualified = [_qualified(said, i, d) for d in spans]
    open_ended = tuple(said[end : end + 2]) in OR_MORE or said[end : end + 1] == ("plus",)
    if open_ended or any(q > d for q, d in zip(qualified, spans, strict=True)):
        qualified.append(float("inf"))  # "over a week", "a week or more": no upper end, 8 days or 5 weeks
    return end - i, qualified


def _number(said: tuple[str, ...], i: int) -> tuple[float | None, int]:
    """A number at `i` in digits or words, with "a couple of" and "a few"; (None, 0) if none."""
    if i >= len(said):
        return None, 0
    word = said[i]
    if word in ("a", "an") and i + 1 < len(said) and said[i + 1] in ("couple", "few", "half"):
        inner, used = _number(said, i + 1)
        return inner, used + 1
    value: float
    if word.isdigit() and len(word) <= 4:
        value = int(word)
    elif word in NUMBERS:
        value = NUMBERS[word]
    else:
        return None, 0
    used = 1
    if i + used < len(said) and said[i + used] == "of" and word in ("couple", "few"):
        used += 1
    if word == "half" and i + used < len(said) and said[i + used] in ("a", "an"):
        used += 1
    if i + used + 2 < len(said) and said[i + used : i + used + 3] == ("and", "a", "half"):
        value += 0.5
        used += 3
    return value, used


def _qualified(said: tuple[str, ...], i: int, days: float) -> float:
    """Apply "more than …" / "less than …" written just before the amount."""
    before = said[max(0, i - 2) : i]
    if any(before[-len(cue) :] == cue for cue in MORE):
        return days + NUDGE
    if any(before[-len(cue) :] == cue for cue in LESS):
        return max(0.0, days - NUDGE)
    return days


def _anchored(said: tuple[str, ...], start: int, end: int) -> bool:
    if said[start] in SINCE or said[start : start + 1] == ("for",):
        return True
    before = said[max(0, start - 3) : start]
    after = said[end : end + 1]
    return bool(ANCHORS & set(before[-2:]) or STARTED & set(before) or AFTER_ANCHORS & set(after))


# --- ages ---------------------------------------------------------------------------------------

TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
UNITS_OF_TEN = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}
TEENS = {
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
DECADES = {
    "twenties": 20,
    "thirties": 30,
    "forties": 40,
    "fifties": 50,
    "sixties": 60,
    "seventies": 70,
    "eighties": 80,
    "nineties": 90,
    "20s": 20,
    "30s": 30,
    "40s": 40,
    "50s": 50,
    "60s": 60,
    "70s": 70,
    "80s": 80,
    "90s": 90,
}
DECADE_PART = {"early": (0, 3), "mid": (3, 7), "late": (7, 10)}
ALMOST = frozenset({"turning", "turn", "almost", "nearly", "soon", "under", "below", "younger", "less"})
"""Before an age, it is not reached yet: "turning 50 next month" is 49, "under 50" is below 50."""
FUTURE = frozenset({"ill", "will", "gonna", "shall", "going", "hell", "shell"})
"""With "be" just before an age, it is still to come: "I'll be 50 in January" is 49."""
SEEMING = frozenset({("feels",), ("feel",), ("looks",), ("look",), ("acts",), ("act",)})
"""Just before a number, it is how old someone seems, not their age: "she feels 40"."""
PAST_AGE = frozenset({"over", "above", "older", "more"})
"""Before an age, it is passed: "over 60"."""
OLDEST = 120.0
"""The far end of an age said only as passed: "over forty" may mean 41 or 75, so it reaches to here."""
NOT_AGES = frozenset({*UNITS, "cups", "cup", "times", "kg", "kilos", "stone", "lbs", "pounds", "am", "pm"}) - {
    "year",
    "years",
    "yr",
    "yrs",
    "y",
}
"""After a number, these make it something other than an age ("3 cups", "2 weeks")."""


def ages(said: tuple[str, ...]) -> list[float]:
    """Every age in years a run of words states: "I'm 63", "fifty two", "late forties", "turning 50"."""
    found: list[float] = []
    years: list[float] = []  # ages from a bare year, used only when nothing else says the age
    index = 0
    while index < len(said):
        low_high = _decade(said, index)
        if low_high is not None:
            found += [low_high[0], low_high[1] - 0.01]
            index += 1
            continue
        value, used = _age_number(said, index)
        word = said[index]
        if value is None and len(word) == 4 and word.isdigit() and 1900 <= int(word) <= today().year - 5:
            age = float(today().year - int(word))  # "born in 1958"; "my papers say 1969", if no age is said
            month = MONTHS.get(said[index - 1]) if index else None
            # This year's birthday may be still to come: "born 1976" is 49 or 50; "born in March 1976" is 50.
            then = (age,) if month is not None and month <= today().month else (age - 1,) if month else (age - 1, age)
            (found if "born" in said[max(0, index - 4) : index] else years).extend(then)
            index += 1
            continue
        if value is None:
            index += 1
            continue
        after = said[index + used] if index + used < len(said) else ""
        if after not in NOT_AGES and 1 <= value <= 120 and said[index - 1 : index] not in SEEMING:
            before = set(said[max(0, index - 2) : index])
            future = said[index - 1 : index] == ("be",) and not FUTURE.isdisjoint(said[max(0, index - 3) : index])
            if someone_else(said, index):
                index += max(used, 1)
                continue  # "mum is 72 but I'm asking for myself, 34"
            ahead = _still_to_come(said[index + used : index + used + 2]) and REACHED.isdisjoint(before)
            if ALMOST & before or future or ahead:
                value -= 0.5
            elif PAST_AGE & before:
                value += 0.5
            found.append(value)
            if PAST_AGE & before:
                found.append(OLDEST)  # "over forty, anyway": any age above it, on either side of 50
        index += max(used, 1)
    return found or years


_RELATIVES = (
    "mum",
    "mom",
    "mam",
    "mother",
    "dad",
    "father",
    "wife",
    "husband",
    "partner",
    "son",
    "daughter",
    "brother",
    "sister",
    "gran",
    "nan",
    "grandma",
    "grandad",
    "granny",
    "grandpa",
)
OTHERS = frozenset({*_RELATIVES, *(f"{who}s" for who in _RELATIVES), "he", "hes", "she", "shes", "they"})
"""A person other than the writer: an age said just after one is theirs ("mum is 72")."""


REACHED = frozenset({"turned", "hit", "reached", "was"})
"""Before an age, it is already reached: "turned 50 in June" is 50, where "fifty in March" is 49."""


def someone_else(said: tuple[str, ...], index: int) -> bool:
    """The age at `index` is someone else's, in a reply that says the check is for the writer: "mum is 72
    but I'm asking for myself, 34" (a carer's "asking for my mum, she's 77" is the age asked about)."""
    before = said[max(0, index - 2) : index]
    return "myself" in said and not OTHERS.isdisjoint(before) and "im" not in before and "i" not in before


def _still_to_come(after: tuple[str, ...]) -> bool:
    """Words after an age that put it ahead: "50 next month", "fifty in March", "50 on Boxing Day"."""
    if "next" in after:
        return True
    return len(after) > 1 and after[0] in ON_A_DAY and (after[1] in MONTHS or after[1] in CALENDAR_NAMES)


def _age_number(said: tuple[str, ...], i: int) -> tuple[float | None, int]:
    word = said[i]
    if len(word) == 1 and word.isdigit() and said[i - 1 : i] == ("big",) and said[i + 1 : i + 2] in (("0",), ("oh",)):
        return float(int(word) * 10), 2  # "the big 5-0"
    if word.isdigit() and len(word) <= 3:
        return float(int(word)), 1
    if word in TEENS:
        return float(TEENS[word]), 1
    if word in TENS:
        if i + 1 < len(said) and said[i + 1] in UNITS_OF_TEN:
            return float(TENS[word] + UNITS_OF_TEN[said[i + 1]]), 2
        return float(TENS[word]), 1
    return None, 0


def _decade(said: tuple[str, ...], i: int) -> tuple[float, float] | None:
    """ "late forties" → (47, 50); "in my 60s" → (60, 70)."""
    word = said[i]
    if word not in DECADES:
        return None
    base = DECADES[word]
    part = DECADE_PART.get(said[i - 1]) if i > 0 else None
    low, high = part if part else (0, 10)
    return float(base + low), float(base + high)


# --- dates: months, seasons, holidays, weekdays ---------------------------------------------------

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
FIXED_DAYS: dict[tuple[str, ...], tuple[int, int]] = {
    ("halloween",): (10, 31),
    ("half", "term"): (10, 27),
    ("the", "clocks", "went", "back"): (10, 27),
    ("clocks", "went", "back"): (10, 27),
    ("bonfire", "night"): (11, 5),
    ("guy", "fawkes"): (11, 5),
    ("christmas",): (12, 25),
    ("xmas",): (12, 25),
    ("boxing", "day"): (12, 26),
    ("new", "year"): (1, 1),
    ("new", "years"): (1, 1),
    ("valentines",): (2, 14),
    ("st", "patricks"): (3, 17),
    ("spring",): (4, 15),
    ("the", "spring"): (4, 15),
    ("summer",): (7, 15),
    ("the", "summer"): (7, 15),
    ("autumn",): (10, 15),
    ("the", "autumn"): (10, 15),
    ("fall",): (10, 15),
    ("the", "fall"): (10, 15),
    ("winter",): (1, 15),
    ("summer", "holidays"): (8, 1),
    ("summer", "hols"): (8, 1),
    ("summer", "holiday"): (8, 1),
    ("the", "summer", "holidays"): (8, 1),
    ("the", "summer", "hols"): (8, 1),
    ("summer", "vacation"): (8, 1),
    ("july", "4th"): (7, 4),
    ("independence", "day"): (7, 4),
    ("labor", "day"): (9, 5),
    ("easter",): (4, 5),
    ("diwali",): (11, 1),
    ("deepavali",): (11, 1),
    ("remembrance", "sunday"): (11, 10),
    ("remembrance", "day"): (11, 11),
    ("armistice", "day"): (11, 11),
    ("advent", "sunday"): (11, 30),
    ("lambing",): (3, 20),
    ("navratri",): (10, 15),
    ("dussehra",): (10, 20),
    ("calving",): (2, 15),
    ("harvest",): (8, 20),
    ("st", "andrews", "day"): (11, 30),
    ("ramadan",): (3, 1),
    ("eid",): (3, 25),
    ("thanksgiving",): (11, 25),
}
"""Holidays and seasons as a day of the year (movable feasts at a typical date; "spring" at its middle)."""
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

today: Callable[[], date] = date.today
"""The calendar day dates are read against; tests and the corpus may fix it."""


PART_OF_MONTH = {"early": 5, "mid": 15, "late": 25, "end": 28}
"""A part of a month as a day of it: "since late October"."""
_ORDINAL = re.compile(r"^([1-9]|[12][0-9]|3[01])(st|nd|rd|th)?$")


def _day_of_month(words_: tuple[str, ...]) -> tuple[int, int] | None:
    """(month, day) of "the 28th of November", "28 Nov", "November 28th"; None for anything else."""
    if words_[:1] == ("the",):
        words_ = words_[1:]
    if len(words_) == 4 and words_[1:] in (("of", "this", "month"), ("of", "last", "month")):
        this_month = today().month
        number = this_month if words_[2] == "this" else (this_month - 2) % 12 + 1  # "the 1st of this month"
        ordinal = _ORDINAL.match(words_[0])
        return (number, int(ordinal.group(1))) if ordinal else None
    if len(words_) == 3 and words_[1] == "of":
        words_ = (words_[0], words_[2])
    if len(words_) != 2:
        return None
    day, month = words_ if words_[1] in MONTHS else words_[::-1]
    found = _ORDINAL.match(day)
    if month not in MONTHS or found is None:
        return None
    return MONTHS[month], int(found.group(1))


def days_since(words_: tuple[str, ...]) -> float | None:
    """How many days ago a named time was, read against `today()`: "March", "Halloween", "last Monday",
    "the 28th of November"."""
    now = today()
    if len(words_) == 2 and words_[0] in PART_OF_MONTH and words_[1] in MONTHS:  # "late October"
        month = MONTHS[words_[1]]
        when = date(now.year if month <= now.month else now.year - 1, month, PART_OF_MONTH[words_[0]])
        return float(max(0, (now - when).days))
    dated = _day_of_month(words_)
    if dated is not None:
        month, day = dated
        try:
            when = date(now.year, month, day)
            if when > now:
                when = date(now.year - 1, month, day)
        except ValueError:  # "the 31st of November"
            return None
        return float((now - when).days)
    if len(words_) == 1 and words_[0] in MONTHS:
        month = MONTHS[words_[0]]
        year = now.year if month <= now.month else now.year - 1
        start = date(year, month, 1 if month == now.month else 15)
        return float((now - start).days)
    if words_ in FIXED_DAYS:
        month, day = FIXED_DAYS[words_]
        when = date(now.year, month, day)
        if when > now:
            when = date(now.year - 1, month, day)
        return float((now - when).days)
    weekday = words_[0].removesuffix("s") if len(words_) == 1 else ""  # "since Saturday's match"
    if weekday in WEEKDAYS:
        back = (now.weekday() - WEEKDAYS.index(weekday)) % 7
        return float(back or 7)
    return None


CALENDAR_LONGEST = max(len(key) for key in FIXED_DAYS)
CALENDAR_NAMES = frozenset(key[0] for key in FIXED_DAYS) - {"the"} | frozenset(WEEKDAYS)
"""The first word of a holiday, season or weekday: after an age, "on Boxing Day" puts the birthday ahead."""
ON_A_DAY = frozenset({"in", "on", "at", "this", "come"})
"""Before a month or a holiday after an age: "fifty in March", "50 on Boxing Day", "50 come Christmas"."""
