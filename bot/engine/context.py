"""ConText for one sentence: is a phrase negated, about the distant past, hedged, or happening now?

After NegEx (Chapman et al. 2001) and ConText (Harkema et al. 2009), scaled to chat messages.
Cue words come from the flow (`cues:`). A sentence is cut into clauses at `boundary` cues
("but", "however", "and now"); a cue reaches only within its clause, except `now` cues,
which colour the whole sentence ("since this morning my smile is lopsided").
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date
from enum import Enum

from bot.engine.model import Cues
from bot.engine.text import Found, PhraseIndex, Sentence

NEGATION_REACH = 5
"""Words a negation cue reaches forward, as in NegEx's window."""

NEW_SUBJECT = frozenset({"i", "im", "ive", "id", "he", "hes", "she", "shes", "they", "theyre", "we", "my", "it"})
"""Words that start a new clause after a comma, ending a negation's reach ("never again, I can't breathe")."""


JOINERS = frozenset({"and", "an", "n", "so", "plus", "then"})
"""Words that may join a new clause; after one, a new subject ends a negation's reach."""


def years(said: tuple[str, ...]) -> list[Found[int]]:
    """A year before this one ("in 2009", "back in 1998") or an age ("when I was 3") places what is
    said in the distant past."""
    found = [
        Found(index, index + 1, Cue.DISTANT_PAST)
        for index, word in enumerate(said)
        if len(word) == 4
        and word.isdigit()
        and 1900 <= int(word) < date.today().year
        and not (index and said[index - 1] in _CALL_WORDS)  # "we have called 1990": Sri Lanka's ambulance
    ]
    for index in range(len(said) - 2):
        first, second, third = said[index : index + 3]
        if (first, second) == ("back", "in") and len(third) == 2 and third.isdigit():
            found.append(Found(index, index + 3, Cue.DISTANT_PAST))  # "back in '98"
            continue
        before_years = first == "before" and second.isdigit() and third in _YEAR_WORDS  # "before 5 years"
        years_ago = first.isdigit() and second in _YEAR_WORDS and third in ("ago", "back", "before")  # "3 yrs back"
        if before_years or years_ago:
            found.append(Found(index, index + 3, Cue.DISTANT_PAST))
    # An age then: "when I was 3", "at 18 months", "at the age of 15" (not "at 3 this afternoon", nor
    # "my son, aged 2, is fitting").
    for index, word in enumerate(said):
        if not word.isdigit() or index == 0:
            continue
        before, after = said[max(0, index - 2) : index], said[index + 1 : index + 2]
        as_age = tuple(before) in _AGE_OPENERS
        at_age = before[-1] == "at" and bool(after) and after[0] in _AGE_UNITS
        if as_age or at_age:
            found.append(Found(index - len(before), index + 1, Cue.DISTANT_PAST))
    return found


_AGE_OPENERS = frozenset(
    {(subject, verb) for subject in ("i", "he", "she", "they", "we") for verb in ("was", "were")} | {("age", "of")}
)
_AGE_UNITS = frozenset({"months", "month", "years", "year", "yrs", "yr", "weeks"})


_YEAR_WORDS = frozenset({"year", "years", "yr", "yrs"})
_CALL_WORDS = frozenset(
    {"call", "called", "calling", "ring", "rang", "rung", "ringing", "dial", "dialled", "dialed", "phoned", "on"}
)
"""Words before a number that make it a phone number, not a year ("rang 1990", "on the phone to 1122")."""

IRREALIS_REACH = 3
"""Words a wish or condition ("I'd", "would") reaches forward to take the "now" out of a `now` cue."""


def _same_clause(starts: list[int], first: int, second: int) -> bool:
    return not any(first < start <= second for start in starts)


class Negation(Enum):
    """How a negation cue reaches a phrase."""

    NONE = "none"
    CLEAR = "clear"
    UNSURE = "unsure"


class Cue:
    """The kinds of cue word, as written under `cues:` in a flow."""

    NEGATION, NOT_NEGATION, DISTANT_PAST, RECENT_PAST, NOW, MAYBE, BOUNDARY, ELSEWHERE, PASSED = range(9)
    TOPIC, BEFORE_TODAY, IRREALIS, SETTING, TONE = range(9, 14)
    SETTLING = frozenset({NEGATION, DISTANT_PAST, ELSEWHERE, PASSED})
    """Cues that say a sentence is not about an emergency here and now: no, long ago, a film, "fine now"."""


class CueReader:
    """Finds a flow's cue words in sentences; shared by the emergency and answer readers."""

    def __init__(self, cues: Cues) -> None:
        self.index: PhraseIndex[int] = PhraseIndex(
            [(p, Cue.NEGATION) for p in cues.negation]
            + [(p, Cue.NOT_NEGATION) for p in cues.not_negation]
            + [(p, Cue.DISTANT_PAST) for p in cues.distant_past]
            + [(p, Cue.RECENT_PAST) for p in cues.recent_past]
            + [(p, Cue.NOW) for p in cues.now]
            + [(p, Cue.MAYBE) for p in cues.maybe]
            + [(p, Cue.BOUNDARY) for p in cues.boundary]
            + [(p, Cue.ELSEWHERE) for p in cues.elsewhere]
            + [(p, Cue.PASSED) for p in cues.passed]
            + [(p, Cue.TOPIC) for p in cues.topic]
            + [(p, Cue.BEFORE_TODAY) for p in cues.before_today]
            + [(p, Cue.IRREALIS) for p in cues.irrealis]
            + [(p, Cue.SETTING) for p in cues.setting]
            + [(p, Cue.TONE) for p in cues.tone]
        )

    @classmethod
    def empty(cls) -> CueReader:
        """A reader that knows no cues (for flows that declare none)."""
        return cls(Cues())

    def vocabulary(self) -> set[str]:
        return self.index.vocabulary()

    def scan(self, sentence: Sentence, said: tuple[str, ...]) -> SentenceContext:
        """The cues of one sentence (`said` is its words after spelling correction)."""
        found = list(self.index.find(said))
        # A cue inside a longer one of another kind is part of it: the "now" of "fine now" is no now.
        cues = [
            cue
            for cue in found
            if not any(
                other.value != cue.value
                and other.start <= cue.start
                and cue.end <= other.end
                and other.end - other.start > cue.end - cue.start
                for other in found
            )
        ]
        # "he's 6 now", "I'm 42 now": an age, not the time of what is described.
        cues = [
            cue
            for cue in cues
            if not (cue.value == Cue.NOW and said[cue.start] == "now" and cue.start and said[cue.start - 1].isdigit())
        ]
        starts = sorted({0, *(cue.start for cue in cues if cue.value == Cue.BOUNDARY)})
        # "I'd ring an ambulance", "would call 999": a wish or a condition, not the time of what is described.
        wishes = [cue.end for cue in found if cue.value == Cue.IRREALIS]  # also inside "id ring" (elsewhere)
        cues = [
            cue
            for cue in cues
            if not (
                cue.value == Cue.NOW
                and any(
                    end <= cue.start <= end + IRREALIS_REACH and _same_clause(starts, end - 1, cue.start)
                    for end in wishes
                )
            )
        ]
        return SentenceContext(sentence, said, cues, starts)


@dataclass(slots=True)
class SentenceContext:
    """Answers ConText's questions about a phrase at words[start:end] of one sentence."""

    sentence: Sentence
    said: tuple[str, ...]
    cues: list[Found[int]]
    clause_starts: list[int]

    def clause(self, index: int) -> int:
        """Which clause word `index` is in (clause_starts is sorted and starts at 0)."""
        return max(0, bisect_right(self.clause_starts, index) - 1)

    def around(self, start: int, end: int) -> list[Found[int]]:
        """Cues in the phrase's clause, leaving out cue words that belong to the phrase ("not breathing")."""
        clause = self.clause(start)
        return [
            cue for cue in self.cues if self.clause(cue.start) == clause and not (start <= cue.start and cue.end <= end)
        ]

    def negation(self, start: int, end: int, around: list[Found[int]] | None = None) -> Negation:
        """Whether a negation cue reaches the phrase: cleanly, not at all, or only across a pause.

        "no trouble breathing" is negated; "No, I can't breathe" and "no pain and I can't breathe"
        are not (an answer, then a new clause); "no pain, can't breathe" is UNSURE: the comma may
        continue a list or start a new thought, so the emergency reader asks rather than ignores.
        """
        around = self.around(start, end) if around is None else around
        shields = [cue for cue in around if cue.value == Cue.NOT_NEGATION]
        pauses = self.sentence.pauses
        found = Negation.NONE
        for cue in around:
            if cue.value != Cue.NEGATION or cue.end > start or start - cue.end >= NEGATION_REACH:
                continue
            if any(shield.start <= cue.start < shield.end for shield in shields):
                continue  # "can't stop", "no doubt": look like a negation, are not one
            if cue.start == 0 and cue.end in pauses:
                continue  # "No, I can't breathe": an answer, then the sentence
            between = range(cue.end, start + 1)
            if any(self._new_clause(p, pauses) for p in between):
                continue  # "…never been this scared, I can't breathe": a new clause
            if any(p in pauses or self.said[p - 1] in JOINERS for p in between if p > cue.end):
                found = Negation.UNSURE
                continue
            return Negation.CLEAR
        return found

    def negated(self, start: int, end: int) -> bool:
        """A negation clearly reaches the phrase (see `negation`)."""
        return self.negation(start, end) is Negation.CLEAR

    def _new_clause(self, index: int, pauses: frozenset[int]) -> bool:
        if index >= len(self.said) or self.said[index] not in NEW_SUBJECT:
            return False
        return index in pauses or (index > 0 and self.said[index - 1] in JOINERS)

    def segment(self, index: int, *, fine: bool = False) -> tuple[int, int]:
        """The words around `index` up to the nearest comma or clause boundary on each side;
        with `fine`, also up to "and" + a new subject ("… and my hand looks thinner")."""
        cuts = {0, len(self.said), *self.sentence.pauses, *self.clause_starts}
        if fine:
            cuts |= {p - 1 for p in range(1, len(self.said)) if self._new_clause(p, frozenset())}
        start = max(cut for cut in cuts if cut <= index)
        end = min((cut for cut in cuts if cut > index), default=len(self.said))
        return start, end

    def part_start(self, index: int) -> int:
        """Where the comma-bounded part holding word `index` starts (only commas count, not "and" or "then")."""
        return max((pause for pause in self.sentence.pauses if pause <= index), default=0)

    def has_near(self, kind: int, start: int, end: int, *, fine: bool = False, before: int | None = None) -> bool:
        """A cue of `kind` in the comma-bounded part around the phrase (narrower than its clause); with
        `fine`, also bounded by "and" and a new subject (`segment`); with `before`, only a cue that starts
        before that word."""
        low, high = self.segment(start, fine=fine)
        if before is not None:
            high = min(high, before)
        return any(cue.value == kind and low <= cue.start < high for cue in self.around(start, end))

    def has(self, kind: int, start: int, end: int, before_only: bool = False) -> bool:
        """A cue of `kind` in the phrase's clause (only before it, with `before_only`)."""
        return any(cue.value == kind and (not before_only or cue.start < start) for cue in self.around(start, end))

    def now(self, start: int, end: int) -> bool:
        """A `now` cue anywhere in the sentence, outside the phrase."""
        return any(cue.value == Cue.NOW and not (start <= cue.start and cue.end <= end) for cue in self.cues)
