"""Reading emergency language in typed text: fire, ask once, or leave alone.

The rules follow NegEx (Chapman et al. 2001) and ConText (Harkema et al. 2009), scaled down
to what a chat message needs and declared in the flow (`interrupts:` and `cues:`):

1. The text is split into sentences, and each sentence into clauses at `boundary` cues
   ("but", "however", "and now"). A cue reaches only within its clause, as in ConText
   (context.py holds these rules, shared with the answer readers).
2. Besides the listed phrases, the language's frames (frames.py) find descriptions of a sign
   ("her lips look purple", "he can't lift his right hand"); they are judged the same way.
3. Misspelt words are corrected towards the emergency vocabulary ("chokeing" → "choking",
   "siezure" → "seizure"), but only words that are not ordinary English (spelling.py):
   "checking", "sitting" and "a bit" stay what they are.
4. Each concept's `phrases` and `patterns` are found. A match is then judged, first rule wins:
   - an `unless` phrase in the clause means something else ("through my nose") → ignore;
   - a `negation` cue up to five words before it ("no", "not", "never") → ignore, unless the
     cue is a `not_negation` ("can't stop", "no doubt") or is followed by a comma ("No, I
     can't breathe"), or a new clause starts between them ("…, I can't breathe", "no pain and
     I can't breathe"); a comma or "and" alone between them ("no pain, can't breathe") → ask;
   - a `distant_past` cue in the clause ("years ago", "as a child", a past year) → ignore;
   - an `elsewhere` cue in the clause (a film, the news, "one day", a joke) → ignore, or ask
     when a `now` cue in the same clause says it may be happening now;
   - a `maybe` cue before it in the clause ("what if", "worried about"), or a question → ask;
   - a `now` cue anywhere in the sentence ("right now", "suddenly", "since this morning") → fire;
   - a `recent_past` cue in the clause ("had", "yesterday") → ask;
   - an `unclear` phrase ("my arm went numb") → ask;
   - otherwise → fire.
   Whose emergency it is does not matter: "my husband is having a seizure" fires.
5. Any fire wins over any ask; "ask" becomes one confirming question in the engine.

Cost: one pass over the words per phrase list (indexed by first word), a few regular
expressions per clause, and a bounded cache of spelling corrections: tens of microseconds
for a 300-character message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from bot.engine.context import Cue, CueReader, Negation, SentenceContext, years
from bot.engine.frames import EMPTY_LANGUAGE, FrameReader, Language
from bot.engine.model import Cues, Interrupt
from bot.engine.spelling import ordinary_words, word_typos
from bot.engine.text import Found, PhraseIndex, Sentence, sentences, words

CORRECTION_CACHE_SIZE = 4096
"""Spelling corrections remembered per flow; ordinary words repeat, so it refills usefully."""


class Verdict(IntEnum):
    """What a text means for the emergency screen; higher wins when a text says several things."""

    NONE = 0
    CONFIRM = 1
    EMERGENCY = 2


@dataclass(frozen=True, slots=True)
class Cause:
    """What emergency language decided a reading, and where it is declared, for the studio's trace."""

    kind: str
    """`phrase`, `unclear phrase` or `pattern` (the flow's `interrupts:`), or `frame` (the language file)."""
    declared: str
    """As written: the phrase, the pattern, or the frame's classes (`unable breathe`)."""
    said: str
    """The words of the text it matched."""
    line: int = 0
    """The frame's line in the language file; for the rest, the concept's line in the flow."""


@dataclass(frozen=True, slots=True)
class Reading:
    """The verdict and the concept (interrupt id) that decided it."""

    verdict: Verdict
    concept: str | None = None
    considered: bool = False
    """Some emergency language was found, and judged: a calm verdict then means it was ruled out."""
    cause: Cause | None = field(default=None, compare=False)
    """The phrase, pattern or frame behind the verdict (the first one judged, when it was ruled out)."""


CALM = Reading(Verdict.NONE)


@dataclass(frozen=True, slots=True)
class _Phrase:
    concept: str
    unclear: bool
    fillers: frozenset[int] = frozenset()
    kind: str = "phrase"
    declared: str = ""
    line: int = 0


class EmergencyReader:
    """Judges typed text against a flow's emergency concepts and cues; pure and thread-safe to share."""

    def __init__(
        self,
        concepts: Sequence[Interrupt],
        cues: Cues,
        known_words: Iterable[str] = (),
        language: Language = EMPTY_LANGUAGE,
    ) -> None:
        self.frames = FrameReader(language)
        listed = [(p, _Phrase(c.id, False, declared=p, line=c.line)) for c in concepts for p in c.phrases]
        listed += [
            (p, _Phrase(c.id, True, kind="unclear phrase", declared=p, line=c.line))
            for c in concepts
            for p in c.unclear
        ]
        # The listed phrases and the frames' word classes, found in one pass over a sentence's words.
        self.index: PhraseIndex[_Phrase | str] = PhraseIndex(
            [*listed, *((p, name) for name, phrases in language.classes.items() for p in phrases)]
        )
        self.patterns = [
            (re.compile(rf"\b(?:{p})\b"), _Phrase(c.id, False, kind="pattern", declared=p, line=c.line))
            for c in concepts
            for p in c.patterns
        ]
        self.patterns += [
            (re.compile(rf"\b(?:{p})\b"), _Phrase(c.id, True, kind="pattern", declared=p, line=c.line))
            for c in concepts
            for p in c.unclear_patterns
        ]
        self.unless = {c.id: PhraseIndex((p, True) for p in c.unless) for c in concepts if c.unless}
        self.cues = CueReader(cues)
        pattern_words = {
            w for c in concepts for p in (*c.patterns, *c.unclear_patterns) for w in re.findall(r"[a-z]{5,}", p)
        }
        emergency_words = {word for phrase, _ in listed for word in words(phrase)} | pattern_words
        self.targets = sorted(word for word in emergency_words if len(word) >= 5)
        # Frame words are known (never "corrected" away) but not targets: their hundreds of forms would
        # make every unknown word's correction search several times longer (bench_engine).
        self.known = emergency_words | self.frames.vocabulary() | self.cues.vocabulary() | set(known_words)
        self._corrections: dict[str, str] = {}

    def read(self, text: str) -> Reading:
        """The strongest verdict any sentence of `text` gives."""
        return self.read_sentences(sentences(text))

    def read_sentences(self, found: Sequence[Sentence]) -> Reading:
        """`read` for text already split into sentences (the engine splits each message once)."""
        best = CALM
        for sentence in found:
            reading = self._sentence(sentence)
            if reading.verdict > best.verdict or (reading.considered and not best.considered):
                best = reading
                if best.verdict is Verdict.EMERGENCY:
                    break
        return best

    # -- one sentence ------------------------------------------------------------------------------------

    def _sentence(self, sentence: Sentence) -> Reading:
        said = tuple(self._correct(word) for word in sentence.words)
        matches: list[Found[_Phrase]] = []
        classes: list[Found[str]] = []
        for hit in self.index.find(said):
            if isinstance(hit.value, str):
                classes.append(hit)  # type: ignore[arg-type]
            else:
                matches.append(hit)  # type: ignore[arg-type]
        if self.patterns:
            matches += self._pattern_matches(said)
        # A listed phrase is words said together: one that runs over a comma ("it has stopped, breathing
        # normal") is two things said, and is not that phrase. Frames may ("my mother mouth, it is not
        # straight"), except where a class must follow at once (frames.py).
        matches = [m for m in matches if not any(m.start < pause < m.end for pause in sentence.pauses)]
        if classes:
            matches += [
                Found(
                    f.start,
                    f.end,
                    _Phrase(f.value.concept, f.value.unclear, f.value.fillers, "frame", f.value.declared, f.value.line),
                )
                for f in self.frames.frames_in(classes, sentence.pauses)
            ]
        if not matches:
            return CALM
        context = self.cues.scan(sentence, said)
        context.cues += years(said)  # "back in 2009": the distant past for emergency language only
        best = Reading(Verdict.NONE, considered=True, cause=_cause(matches[0], said))
        unless_at: dict[str, set[int]] = {}  # per concept, the clauses its `unless` phrases are in
        for match in matches:
            verdict = self._judge(match, said, context, unless_at)
            if verdict > best.verdict:
                best = Reading(verdict, match.value.concept, True, _cause(match, said))
        return best

    def _pattern_matches(self, said: tuple[str, ...]) -> list[Found[_Phrase]]:
        joined = " ".join(said)
        starts = [0]
        for word in said:
            starts.append(starts[-1] + len(word) + 1)
        found = []
        for pattern, phrase in self.patterns:
            for hit in pattern.finditer(joined):
                if hit.start() and joined[hit.start() - 1] != " ":
                    continue
                start = _word_at(starts, hit.start())
                end = max(start + 1, _word_at(starts, hit.end() - 1) + 1)
                found.append(Found(start, end, phrase))
        return found

    def _judge(
        self, match: Found[_Phrase], said: tuple[str, ...], context: SentenceContext, unless_at: dict[str, set[int]]
    ) -> Verdict:
        start, end = match.start, match.end
        concept = match.value.concept
        if concept not in unless_at:
            unless = self.unless.get(concept)
            unless_at[concept] = {context.clause(hit.start) for hit in unless.find(said)} if unless else set()
        if context.clause(start) in unless_at[concept]:
            return Verdict.NONE
        fillers = match.value.fillers
        if fillers and any(cue.value == Cue.NEGATION and cue.start in fillers for cue in context.cues):
            return Verdict.NONE  # "my face isn't drooping": the negation sits between the frame's words
        negation = context.negation(start, end)
        if negation is Negation.CLEAR or context.has(Cue.DISTANT_PAST, start, end):
            return Verdict.NONE
        if context.has(Cue.ELSEWHERE, start, end):
            return Verdict.CONFIRM if context.has(Cue.NOW, start, end) else Verdict.NONE
        if negation is Negation.UNSURE:
            return Verdict.CONFIRM
        if context.has(Cue.MAYBE, start, end, before_only=True) or context.sentence.question:
            return Verdict.CONFIRM
        if context.now(start, end):
            return Verdict.EMERGENCY
        recent = context.has(Cue.RECENT_PAST, start, end) or context.has(Cue.PASSED, start, end)
        if recent or match.value.unclear:
            return Verdict.CONFIRM
        return Verdict.EMERGENCY

    # -- spelling ----------------------------------------------------------------------------------------

    def _correct(self, word: str) -> str:
        """The emergency word `word` misspells, or `word` itself; real words are never changed."""
        if word in self.known or word_typos(word) == 0:
            return word
        cached = self._corrections.get(word)
        if cached is None:
            cached = word
            found = process.extractOne(
                word, self.targets, scorer=DamerauLevenshtein.distance, score_cutoff=word_typos(word)
            )
            if found is not None and word not in ordinary_words():
                cached = found[0]
            if len(self._corrections) >= CORRECTION_CACHE_SIZE:
                self._corrections.clear()
            self._corrections[word] = cached
        return cached


def _cause(match: Found[_Phrase], said: tuple[str, ...]) -> Cause:
    found = match.value
    return Cause(found.kind, found.declared, " ".join(said[match.start : match.end]), found.line)


def _word_at(starts: list[int], offset: int) -> int:
    for index in range(len(starts) - 1):
        if starts[index] <= offset < starts[index + 1]:
            return index
    return max(0, len(starts) - 2)
