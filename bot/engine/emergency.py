"""Reading emergency language in typed text: fire, ask once, or leave alone.

The rules follow NegEx (Chapman et al. 2001) and ConText (Harkema et al. 2009), scaled down
to what a chat message needs and declared in the flow (`interrupts:` and `cues:`):

1. The text is split into sentences, and each sentence into clauses at `boundary` cues
   ("but", "however", "and now"). A cue reaches only within its clause, as in ConText
   (context.py holds these rules, shared with the answer readers).
2. Besides the listed phrases, the language's frames (frames.py) find descriptions of a sign
   ("her lips look purple", "he can't lift his right hand"); they are judged the same way. A sign
   whose first or last word is inside one of the language's `idioms` ("blue in the face") is dropped.
   Cue words between a frame's classes count ("if my face ever drooped").
3. Misspelt words are corrected towards the emergency vocabulary ("chokeing" → "choking",
   "siezure" → "seizure"), but only words that are not ordinary English (spelling.py):
   "checking", "sitting" and "a bit" stay what they are.
4. Each concept's `phrases` and `patterns` are found. A match is then judged, first rule wins:
   - an `unless` phrase means something else ("through my nose") → ignore: for a sign between the
     same commas, and for a vague sign (`unclear`, an `ask` frame) anywhere in its clause;
   - a `negation` cue up to five words before it ("no", "not", "never") → ignore, unless the
     cue is a `not_negation` ("can't stop", "no doubt") or is followed by a comma ("No, I
     can't breathe"), or a new clause starts between them ("…, I can't breathe", "no pain and
     I can't breathe"); a comma or "and" alone between them ("no pain, can't breathe") → ask;
   - a `distant_past` cue in the clause ("years ago", "as a child", a past year, "when I was 3") → ignore;
   - a vague sign (an `unclear` phrase or an `ask` frame) with an ordinary cause of that sign named
     in the clause (the language's `explained:` per concept: "breathless after sprints", "numb from
     the dentist") → ignore, even now;
   - said of a thing, not a person ("my laptop collapsed", "our dog had a fit": the language's
     `person` and `thing` classes, see `_Roles`) → ignore;
   - a sign's name just after a `topic` cue ("the signs of a stroke") → ignore, or ask with a `now` cue;
   - a `before_today` cue with a `passed` one ("last month, fine since") and no `now` → ignore;
   - an `elsewhere` cue in the clause (a film, the news, "one day", a joke), or an `irrealis` one
     just before the sign ("I thought I'd collapse") → ignore, or ask when a `now` cue between the
     same commas says it may be happening now;
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
from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import NamedTuple

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
class _Vague:
    concept: str
    part: int
    cause: Cause


@dataclass(frozen=True, slots=True)
class Reading:
    """The verdict and the concept (interrupt id) that decided it."""

    verdict: Verdict
    concept: str | None = None
    considered: bool = False
    """Some emergency language was found, and judged: a calm verdict then means it was ruled out."""
    cause: Cause | None = field(default=None, compare=False)
    """The phrase, pattern or frame behind the verdict (the first one judged, when it was ruled out)."""
    vague: tuple[_Vague, ...] = field(default=(), compare=False)
    """Signs asked about only for being vague or past, by part of the body: two parts in one message add up."""


CALM = Reading(Verdict.NONE)


class _Phrase(NamedTuple):
    """A listed phrase, pattern or frame found in a sentence (a named tuple: made for every frame hit)."""

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
        framed = {name.lstrip("+") for frame in language.frames for name in frame.classes}
        framed |= {name for together in language.together.values() for part in together.parts for name in part}
        self.index: PhraseIndex[_Phrase | str] = PhraseIndex(
            [*listed, *((p, name) for name, phrases in language.classes.items() if name in framed for p in phrases)]
        )
        # Who a sign is said of: common words ("my", "and", "i"), so found only in sentences with a sign.
        # With their -s forms: a plural, or the "'s" that normalising leaves ("the boiler's been choking").
        self.roles: PhraseIndex[str] = PhraseIndex(
            (form, name)
            for name, phrases in language.classes.items()
            if name in ROLE_CLASSES
            for p in phrases
            for form in ((p, f"{p}s") if name in ("person", "thing") and len(p) >= 3 else (p,))
        )
        self.present_words = _class_words(language, "present")
        self.past_verbs = _class_words(language, "past_verb")
        self.because_words = _class_words(language, "because")
        self.guess_words = _class_words(language, "guess")
        self.twitch_words = _class_words(language, "twitch")
        # The first words of the sign classes that say "not" themselves ("not breathing", "can't smile"), not
        # those that name a difficulty ("trouble breathing" is negated by the "no" before it).
        self.negative_openers = frozenset(
            first
            for name in ("unable", "not_word", "not_respond")
            for p in language.classes.get(name, ())
            for first in words(p)[:1]
            if first.endswith("nt") or first.endswith("nae") or first in NEGATIVE_WORDS
        )
        self.when_unknown: PhraseIndex[bool] = PhraseIndex((p, True) for p in language.classes.get("when_unknown", ()))
        self.thing_words = frozenset(
            form
            for p in language.classes.get("thing", ())
            for word in words(p)
            for form in ((word, f"{word}s") if len(word) >= 3 else (word,))
        )
        self.patterns = [
            (
                re.compile(rf"\b(?:{p})\b"),
                _first_words(p),
                _Phrase(c.id, False, kind="pattern", declared=p, line=c.line),
            )
            for c in concepts
            for p in c.patterns
        ]
        self.patterns += [
            (re.compile(rf"\b(?:{p})\b"), _first_words(p), _Phrase(c.id, True, kind="pattern", declared=p, line=c.line))
            for c in concepts
            for p in c.unclear_patterns
        ]
        self.unless = {c.id: PhraseIndex((p, True) for p in c.unless) for c in concepts if c.unless}
        self.idioms: PhraseIndex[bool] = PhraseIndex((p, True) for p in language.idioms)
        self.explained = {name: PhraseIndex((p, True) for p in found) for name, found in language.explained.items()}
        self.together = language.together
        self.asked_of_the_writer = _class_words(language, *language.asked_of_the_writer)
        self.idiom_starts = self.idioms.first_words()
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
        vague: list[_Vague] = []
        for index, sentence in enumerate(found):
            reading = self._sentence(sentence)
            if (
                reading.verdict is Verdict.CONFIRM
                and index + 1 < len(found)
                and self._afterword_rules_out(found[index + 1])
            ):
                # "Would it be bad if my arm went numb suddenly? hypothetically", "My legs gave way on the dance
                # floor! but that was in August and I'm fine": the afterword says what it was
                reading = replace(reading, verdict=Verdict.NONE, vague=())
            if reading.verdict > best.verdict or (reading.considered and not best.considered):
                best = reading
                if best.verdict is Verdict.EMERGENCY:
                    return best
            vague += reading.vague
        return self._together(vague) or best

    def _afterword_rules_out(self, sentence: Sentence) -> bool:
        """With no `now` cue: a sentence of a few words that are all an `elsewhere` cue ("hypothetically", "just
        asking", "jk") or that say it did not happen ("it hasn't, just wondering"); one that opens with an
        `elsewhere` cue of two words or more ("only asking because of a programme on the telly"); or one that puts
        what came before in the past and says it is over ("but that was in August and I'm fine")."""
        said = sentence.words
        if not said:
            return False
        cues = self.cues.scan(sentence, said).cues
        kinds = {cue.value for cue in cues}
        if Cue.NOW in kinds:
            return False
        opening = 1 if said[0] in _AFTERWORD_OPENERS else 0
        elsewhere = {i for cue in cues if cue.value == Cue.ELSEWHERE for i in range(cue.start, cue.end)}
        if len(said) <= AFTERWORD_WORDS and (elsewhere == set(range(len(said))) or Cue.NEGATION in kinds and elsewhere):
            return True  # "hypothetically", "it hasn't, just wondering"
        if len(said) <= LONG_AFTERWORD_WORDS and any(
            cue.value == Cue.ELSEWHERE and cue.start == opening and cue.end - cue.start > 1 for cue in cues
        ):
            return True  # "i am only asking because of a programme on the telly"
        return said[opening:][:2] in _THAT_WAS and {Cue.BEFORE_TODAY, Cue.PASSED} <= kinds

    def _together(self, vague: list[_Vague]) -> Reading | None:
        """An emergency when vague signs of two parts of the body are said in one message ("his speech
        went garbled, his right arm is hanging limp"): each alone is asked about, together they are FAST."""
        for first in vague:
            other = next((v for v in vague if v.concept == first.concept and v.part != first.part), None)
            if other is not None:
                together = self.together[first.concept]
                cause = Cause(
                    "frame",
                    f"together: {first.cause.declared} + {other.cause.declared}",
                    f"{first.cause.said} … {other.cause.said}",
                    together.line,
                )
                return Reading(Verdict.EMERGENCY, first.concept, True, cause)
        return None

    # -- one sentence ------------------------------------------------------------------------------------

    def _sentence(self, sentence: Sentence) -> Reading:
        known = self.known  # most words are known: skip the call for them
        said = tuple([word if word in known else self._correct(word) for word in sentence.words])
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
                if not _denied_after_a_pause(f.value.fillers, said, sentence.pauses)
            ]
        if not matches:
            return CALM
        first = matches[0]
        matches = self._not_idioms(_outermost(matches), said, sentence.pauses)
        if not matches:  # "blue in the face", "a fit of the giggles": read, and ruled out
            return Reading(Verdict.NONE, considered=True, cause=_cause(first, said))
        context = self.cues.scan(sentence, said)
        context.cues += years(said)  # "back in 2009": the distant past for emergency language only
        roles: list[_Roles] = []  # found once, and only when a sign gets as far as asking who it is about
        best = Reading(Verdict.NONE, considered=True, cause=_cause(matches[0], said))
        unless_at: dict[str, set[int]] = {}  # per concept, where its `unless` phrases start
        vague: list[_Vague] = []
        spans = [(match.start, match.end) for match in matches]
        one_sided = frozenset(hit.start for hit in classes if hit.value in NEVER_EXPLAINED)
        explained: list[Found[_Phrase]] = []
        for match in matches:
            verdict, only_vague = self._judge(match, said, context, unless_at, roles, spans, one_sided, explained)
            if verdict > best.verdict:
                best = Reading(verdict, match.value.concept, True, _cause(match, said))
            together = self.together.get(match.value.concept) if only_vague else None
            part = together.part(classes, match.start, match.end) if together else None
            if part is not None:
                vague.append(_Vague(match.value.concept, part, _cause(match, said)))
        if best.verdict is Verdict.NONE and _apart(explained):
            # Two vague signs one cause is said to explain ("both my legs are numb and I can't stand up, since
            # leg day"): more than the cause usually does, so asked about, once.
            best = Reading(Verdict.CONFIRM, explained[0].value.concept, True, _cause(explained[0], said))
        return replace(best, vague=tuple(vague)) if vague else best

    @staticmethod
    def _unless_reaches(at: int, match: Found[_Phrase], context: SentenceContext) -> bool:
        """An `unless` phrase means something else for a sign between the same commas ("seizing on an
        idea"), and for a vague one anywhere in its clause ("gym today, legs absolutely dead"); a
        definite sign after a comma is a sign ("…seizing on the field, his eyes rolled back")."""
        if context.segment(at) == context.segment(match.start):
            return True
        return match.value.unclear and context.clause(at) == context.clause(match.start)

    @staticmethod
    def _now_before_it_passed(start: int, end: int, context: SentenceContext) -> bool:
        """A `now` cue beside the sign, and not only after a later `passed` one: in "a passenger fainted on my route
        last month she was fine after today I'm asking about my thumb" the "today" is the writer's, not the faint's."""
        passed = min((cue.start for cue in context.cues if cue.value == Cue.PASSED and cue.start >= end), default=None)
        return context.has_near(Cue.NOW, start, end, before=passed)

    def _guessed(self, at: int, context: SentenceContext) -> bool:
        """Whether what stands at `at` is only guessed at ("not sure if it is blocked nose or something else"): a
        vague sign's other meaning, only guessed, settles nothing."""
        return not self.guess_words.isdisjoint(context.said[context.part_start(at) : at])

    def _explained(self, concept: str, said: tuple[str, ...], context: SentenceContext, start: int) -> bool:
        """An ordinary cause of this concept's vague signs is named in the sign's clause, or given as a
        reason after it ("…but that's cos I slept on it")."""
        causes = self.explained.get(concept)
        if causes is None:
            return False
        because = self.because_words
        return any(
            (
                context.clause(hit.start) == context.clause(start)
                or (hit.start > start and not because.isdisjoint(said[max(0, hit.start - GIVEN_REACH) : hit.start]))
            )
            and not self._guessed(hit.start, context)  # a cause only guessed at explains nothing: "might be pins…?"
            for hit in causes.find(said)
        )

    def mentions_safety_word(self, contexts: Iterable[SentenceContext]) -> bool:
        """Whether the sentences name a body or safety word (frames.py) outside any idiom ("dead on my
        feet") and not said of a thing ("the sheep got its head stuck"). A call for help (a safety word
        that is also a `now` cue: "help", "ambulance") is never about a thing."""
        for context in contexts:
            said = context.said
            taken = self._idiom_words(said)
            hits = [hit.start for hit in self.frames.safety.find(said) if hit.start not in taken]
            if not hits:
                continue
            roles = _Roles.of(self.roles.find(said)) if not self.thing_words.isdisjoint(said) else NO_ROLES
            calls = {cue.start for cue in context.cues if cue.value == Cue.NOW}
            if any(start in calls or not roles.about_a_thing(start, said, context) for start in hits):
                return True
        return False

    def _not_idioms(
        self, matches: list[Found[_Phrase]], said: tuple[str, ...], pauses: frozenset[int] = frozenset()
    ) -> list[Found[_Phrase]]:
        """The matches no fixed expression takes in: an idiom over a sign's first or last word makes
        it that idiom ("went blue in the face", "can't stand my manager"). An idiom is words said together:
        one that runs over a comma is not it ("she cannot stand, her one leg does not work")."""
        if self.idiom_starts.isdisjoint(said):
            return matches
        taken = self._idiom_words(said, pauses)
        return [m for m in matches if m.start not in taken and m.end - 1 not in taken]

    def _idiom_words(self, said: tuple[str, ...], pauses: frozenset[int] = frozenset()) -> set[int]:
        """Where listed idioms stand in `said`, leaving out any that runs over one of `pauses` (a comma)."""
        return {
            index
            for idiom in self.idioms.find(said)
            if not any(idiom.start < pause < idiom.end for pause in pauses)
            for index in range(idiom.start, idiom.end)
        }

    def _pattern_matches(self, said: tuple[str, ...]) -> list[Found[_Phrase]]:
        present = set(said)
        patterns = [
            (pattern, phrase) for pattern, firsts, phrase in self.patterns if firsts is None or firsts & present
        ]
        if not patterns:
            return []
        joined = " ".join(said)
        starts = [0]
        for word in said:
            starts.append(starts[-1] + len(word) + 1)
        found = []
        for pattern, phrase in patterns:
            for hit in pattern.finditer(joined):
                if hit.start() and joined[hit.start() - 1] != " ":
                    continue
                start = _word_at(starts, hit.start())
                end = max(start + 1, _word_at(starts, hit.end() - 1) + 1)
                found.append(Found(start, end, phrase))
        return found

    def _judge(
        self,
        match: Found[_Phrase],
        said: tuple[str, ...],
        context: SentenceContext,
        unless_at: dict[str, set[int]],
        roles: list[_Roles],
        spans: Sequence[tuple[int, int]] = (),
        one_sided: frozenset[int] = frozenset(),
        explained: list[Found[_Phrase]] | None = None,
    ) -> tuple[Verdict, bool]:
        """The sign's verdict, and whether it is asked about only for being vague or said in the past
        tense, not for a hedge, a question or a film: such signs of two parts of the body add up (`together`)."""
        start, end = match.start, match.end
        concept = match.value.concept
        if concept not in unless_at:
            unless = self.unless.get(concept)
            unless_at[concept] = {hit.start for hit in unless.find(said)} if unless else set()
        if any(
            self._unless_reaches(at, match, context) and not (match.value.unclear and self._guessed(at, context))
            for at in unless_at[concept]
        ):
            return Verdict.NONE, False
        fillers = match.value.fillers
        around = context.around(start, end)  # the clause's cues, found once for every question below
        # The "not" of another sign ("not moving, eyes closed, can't wake him") is that sign's; a wider match
        # over this one is the same sign ("has epilepsy, no seizure today"), and its "no" is this one's too.
        if len(spans) > 1:
            around = [
                cue
                for cue in around
                if cue.value != Cue.NEGATION
                or not any(a <= cue.start < b and (b <= start or end <= a) for a, b in spans)
            ]
        if said[start] in self.negative_openers or any(
            cue.value == Cue.NEGATION and cue.start == start for cue in context.cues
        ):
            # A sign that opens with its own "not" or "can't" is not negated again by an earlier one, which says
            # something else: "eyes open but he's not there, not answering me", "face not movin, can't smile".
            around = [cue for cue in around if cue.value != Cue.NEGATION or cue.start >= start]
        kinds_before = {cue.value for cue in around if cue.start < start}
        kinds = kinds_before | {cue.value for cue in around}
        between = {cue.value for cue in context.cues if cue.start in fillers} if fillers else set()
        if between:  # the words between a frame's classes count too ("face ever drooped")
            if Cue.NEGATION in between:
                return Verdict.NONE, False  # "my face isn't drooping": the negation sits between the frame's words
            if Cue.DISTANT_PAST in between and Cue.NOW not in between:
                return Verdict.NONE, False  # "my arms always give way in crow pose": a habit, not an event
            kinds |= between
            kinds_before |= between

        def has(kind: int, before_only: bool = False) -> bool:
            """A cue of `kind` in the clause, or only before the sign with `before_only`."""
            return kind in (kinds_before if before_only else kinds)

        negation = context.negation(start, end, around)
        if negation is Negation.CLEAR or (
            has(Cue.DISTANT_PAST) and self._long_past(start, said, self._sure(around, context))
        ):
            return Verdict.NONE, False
        if not roles:
            roles.append(_Roles.of(self.roles.find(said)) if not self.thing_words.isdisjoint(said) else NO_ROLES)
        if (
            match.value.unclear
            and not any(start <= at < end for at in one_sided)  # one side of the body: no workout's doing
            and self._explained(concept, said, context, start)
        ):
            if explained is not None:
                explained.append(match)
            return Verdict.NONE, False  # "breathless after sprints", "numb from the dentist": a vague sign, explained
        if roles[0].about_a_thing(start, said, context) and _OWNERS.isdisjoint(said[start:end]):
            # "the app went unresponsive", "our dog had a fit": not a person ("a fish bone is stuck in his throat"
            # names the person in the sign itself)
            return Verdict.NONE, False
        if _named_as_a_topic(start, context):
            # "what are the signs of a stroke?"; "now" asks, unless a film or a class tells it ("watched a video
            # about first aid for seizures in class today")
            return (Verdict.CONFIRM if has(Cue.NOW) and not has(Cue.ELSEWHERE) else Verdict.NONE), False
        passed_later = any(cue.value == Cue.PASSED and cue.start >= end for cue in context.cues)
        # A vague sign put before today, told as the background of the twitching the writer asks about, is
        # over too: "left me breathless for a minute last weekend, loved it, but my calf's been twitching since".
        background = match.value.unclear and not self.twitch_words.isdisjoint(said)
        over = has(Cue.PASSED) or passed_later or background
        if has(Cue.BEFORE_TODAY) and over and not self._now_before_it_passed(start, end, context):
            # "my legs gave way last month, been fine since", "slurred last Saturday but I'd had six pints,
            # fine since": over, and not today (it may be said to be over in a later part of the sentence)
            return Verdict.NONE, False
        if _wished(start, context) or Cue.IRREALIS in between:
            return (Verdict.CONFIRM if context.has_near(Cue.NOW, start, end) else Verdict.NONE), False
        if has(Cue.ELSEWHERE) or (has(Cue.TONE) and not self._of_someone_else(start, said, context)):
            # A film, a joke, a course: the question only if "now" is said in the same breath (between commas),
            # or if a definite sign is stated in the present, as it is of someone here ("collapsed at the
            # theatre and isn't responding", "she's choking on a sweet at the cinema").
            here = not match.value.unclear and self._of_someone_here(start, said, context)
            now = context.has_near(Cue.NOW, start, end) or Cue.NOW in between
            return (Verdict.CONFIRM if here or now else Verdict.NONE), False
        if negation is Negation.UNSURE:
            return Verdict.CONFIRM, False
        if (has(Cue.MAYBE, before_only=True) and self._hedged(start, end, context, around)) or _asked(start, context):
            return Verdict.CONFIRM, False
        if not match.value.unclear and self._explained(concept, said, context, start):
            return Verdict.CONFIRM, False  # a definite sign is asked about, not explained away ("droopy from the jab")
        # "he's still fitting": now between the frame's words. A sign put before today is now only when "now"
        # is said beside it: "had a TIA last spring and I'm on clopidogrel now" is history.
        said_now = context.now(start, end) and (
            not has(Cue.BEFORE_TODAY) or context.has_near(Cue.NOW, start, end, fine=True)
        )
        if said_now or Cue.NOW in between:
            return Verdict.EMERGENCY, False
        if not match.value.unclear and self._said_in_present(start, said, end):
            recent = any(self._makes_past(cue, end, said) for cue in around)
        else:
            recent = has(Cue.RECENT_PAST) or has(Cue.PASSED)
        if recent or match.value.unclear:
            return Verdict.CONFIRM, True
        if not self.asked_of_the_writer.isdisjoint(said[start:end]) and self._of_the_writer(start, said, context):
            return Verdict.CONFIRM, False  # "my crush left me on read and I'm choking": "now" or "help" still alarm
        return Verdict.EMERGENCY, False

    @staticmethod
    def _hedged(start: int, end: int, context: SentenceContext, around: list[Found[int]]) -> bool:
        """A `maybe` cue before the sign hedges it, unless it is in an earlier part and the sign's own part
        says it is now: "911 told me to call back if he stops breathing, he's fitting now"."""
        if not context.has_near(Cue.NOW, start, end):
            return True
        here = context.segment(start)
        return any(
            cue.value == Cue.MAYBE and cue.start < start and context.segment(cue.start) == here for cue in around
        )

    def _sure(self, around: list[Found[int]], context: SentenceContext) -> list[Found[int]]:
        """The clause's cues without a `distant_past` one only guessed at: "his face looks a bit crooked, maybe
        it is always like that? I can't tell" is no history; nor is any, where the sentence says it may have
        been today (`when_unknown`)."""
        said, guess = context.said, self.guess_words
        if any(True for _ in self.when_unknown.find(said)):
            return [cue for cue in around if cue.value != Cue.DISTANT_PAST]  # "a while back, was it today? dunno"

        def guessed(cue: Found[int]) -> bool:
            low, clause = context.part_start(cue.start), context.clause(cue.start)
            return any(said[i] in guess and context.clause(i) == clause for i in range(low, cue.start))

        return [cue for cue in around if cue.value != Cue.DISTANT_PAST or not guessed(cue)]

    def _long_past(self, start: int, said: tuple[str, ...], around: list[Found[int]]) -> bool:
        """Whether a `distant_past` cue of the clause puts the sign long ago. One followed by a `now` cue
        before the sign does not ("none for 30 years, and right now she's convulsing"), nor one inside a
        "who" clause before a sign stated in the present: "my dad who had a stroke last year is slurring
        again" tells his history first ("he have seizure five years ago" is still the past)."""
        nows = [cue.start for cue in around if cue.value == Cue.NOW and cue.start < start]
        distant = [
            cue
            for cue in around
            if cue.value == Cue.DISTANT_PAST
            and (cue.end > start or not any(cue.end <= now for now in nows))
            and not _doing_then(cue, said)
        ]
        if not distant:
            return False
        if not self._said_in_present(start, said):
            return True
        return any(cue.end > start or RELATIVE.isdisjoint(said[: cue.start]) for cue in distant)

    def _nearest_person(self, start: int, said: tuple[str, ...], context: SentenceContext) -> str | None:
        """The nearest person named before the sign (or as its first word: "he's collapsed"), back to the last
        comma; None when there is none."""
        low = context.part_start(start)
        people = [hit.start for hit in self.roles.find(said) if hit.value == "person" and low <= hit.start <= start]
        return said[max(people)] if people else None

    def _of_someone_else(self, start: int, said: tuple[str, ...], context: SentenceContext) -> bool:
        """The nearest person named before the sign is not the writer."""
        person = self._nearest_person(start, said, context)
        return person is not None and person not in FIRST_PERSON

    def _of_the_writer(self, start: int, said: tuple[str, ...], context: SentenceContext) -> bool:
        """The nearest person named before the sign is the writer ("I'm choking")."""
        return self._nearest_person(start, said, context) in FIRST_PERSON

    def _of_someone_here(self, start: int, said: tuple[str, ...], context: SentenceContext) -> bool:
        """A definite sign stated in the present of someone else, as it is of someone with the writer:
        "dad collapsed at the theatre and isn't responding", "she's choking on a sweet at the cinema".
        Not of "I" ("I'm choking on paperwork haha"), and not in a film's story ("a film where a man has
        a seizure", "the heroine can't breathe": no person named)."""
        if not self._said_in_present(start, said):
            return False
        low = context.part_start(start)
        return TELLING.isdisjoint(said[low:start]) and self._of_someone_else(start, said, context)

    def _makes_past(self, cue: Found[int], end: int, said: tuple[str, ...]) -> bool:
        """Whether a past cue puts a sign stated in the present in the past. A past verb before it is what
        led to it ("got stung and has collapsed"), and one after "I've" is the present ("I've got his
        head"); "sometimes", "yesterday" and other past verbs after it still count."""
        if cue.value not in (Cue.RECENT_PAST, Cue.PASSED):
            return False
        if said[cue.start] not in self.past_verbs:
            return True
        if cue.end < len(said) and said[cue.end].endswith("ing"):
            return False  # "…, he was eating grapes": what was going on, not when the sign was
        return cue.start >= end and said[cue.start - 1] not in self.present_words

    def _said_in_present(self, start: int, said: tuple[str, ...], end: int = 0) -> bool:
        """The sign's own verb is in the present ("isn't responding", "has collapsed", "is just lying
        there"), at its first word or just before it, past one adverb, or (given the sign's `end`) between
        its words ("his face is turning grey")."""
        present = self.present_words
        if said[start] in present or (start and said[start - 1] in present):
            return True
        if not present.isdisjoint(said[start:end]):
            return True
        return start >= 2 and said[start - 1] in PRESENT_ADVERBS and said[start - 2] in present

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


PRESENT_ADVERBS = frozenset({"just", "now", "suddenly", "still", "all", "completely", "totally", "really"})
"""Words allowed between a present verb and the sign it states: "has just collapsed"."""

RELATIVE = frozenset({"who", "whose", "which"})
"""Words that open a clause telling more about someone: "my dad, who had a stroke years ago, …"."""
FIRST_PERSON = frozenset({"i", "im", "ive", "id", "me", "we", "were", "us"})
"""The writer, whose present-tense sign beside a film or a joke is more often a figure of speech."""
TELLING = frozenset({"where", "who", "whose", "about", "if"})
"""Words that tell a story's or a case's content: "a film where a man has a seizure", "if someone is choking"."""

AFTERWORD_WORDS = 4
"""At most this many words in a sentence that only says the one before was not real ("hypothetically")."""
LONG_AFTERWORD_WORDS = 12
"""At most this many in one that opens with a reason to ask ("i am only asking because of a programme on the telly")."""
_AFTERWORD_OPENERS = frozenset({"but", "and", "though", "although", "tho"})
_THAT_WAS = frozenset({("that", "was"), ("it", "was"), ("this", "was"), ("thats", "was")})
"""How an afterword points back at what the sentence before it said ("but that was in August")."""


def _denied_after_a_pause(fillers: frozenset[int], said: tuple[str, ...], pauses: frozenset[int]) -> bool:
    """A frame whose skipped words run over a comma into a "not": "my face feels a bit funny, not numb exactly" is
    a funny face and a numbness denied, not one sign denied; the frames on either side stand alone."""
    return any(at in pauses and said[at] in NEGATIVE_WORDS for at in fillers)


def _apart(explained: list[Found[_Phrase]]) -> bool:
    """Whether explained vague signs stand in two places that do not overlap."""
    return any(a.end <= b.start or b.end <= a.start for a in explained for b in explained)


NEVER_EXPLAINED = frozenset({"one_side"})
"""Word classes whose words make a vague sign one no ordinary cause explains: a sign on one side of the body
("numbness down one side of my face after the climb")."""

GIVEN_REACH = 4
"""Words between a `because` word and the ordinary cause it gives: "cos I slept on it"."""

TOPIC_REACH = 2
"""Words allowed between a `topic` cue and a sign's name: "the signs of a stroke"."""

LIST_REACH = 3
LISTING = frozenset({"and", "or", "vs", "versus", "nor"})
ARTICLES = frozenset({"a", "an", "the"})
"""A sign named later in a list after a `topic` cue is a topic too: "the difference between a twitch and
a seizure" (at most `LIST_REACH` words besides articles between, one of them a listing word)."""

WISH_REACH = 1
"""Words allowed between a wish or condition and the sign it imagines: "I'd really collapse"."""

ROLE_CLASSES = frozenset({"person", "thing", "determiner", "opener"})
"""The language's word classes that say who or what a sign is said of (`_Roles`)."""

SUBJECT_REACH = 12
"""Words looked back from a sign for who or what it is said of."""


def _named_as_a_topic(start: int, context: SentenceContext) -> bool:
    """A sign's name just after a `topic` cue, or further along a list, is a subject to learn about."""
    clause = context.clause(start)
    said = context.said
    return any(
        cue.value == Cue.TOPIC
        and cue.end <= start
        and (start <= cue.end + TOPIC_REACH or _listed(said[cue.end : start]))
        and context.clause(cue.start) == clause
        for cue in context.cues
    )


def _listed(between: tuple[str, ...]) -> bool:
    """The words between a `topic` cue and a sign go on a list: "a twitch and (a seizure)"."""
    kept = [word for word in between if word not in ARTICLES]
    return len(kept) <= LIST_REACH and not LISTING.isdisjoint(kept)


def _asked(start: int, context: SentenceContext) -> bool:
    """The sign is in the part of a question its question mark ends ("is that a stroke?"), not in an
    earlier part that states it ("face went numb 20 mins ago, I'm only 20??")."""
    return context.sentence.question and context.segment(start) == context.segment(len(context.said) - 1)


def _wished(start: int, context: SentenceContext) -> bool:
    """A sign said just after a wish or condition, or opening with its last word, is imagined: "I thought
    I'd collapse", "he would faint", "what if I had a seizure"."""
    clause = context.clause(start)
    return any(
        cue.value == Cue.IRREALIS and cue.start < start <= cue.end + WISH_REACH and context.clause(cue.start) == clause
        for cue in context.cues
    )


@dataclass(frozen=True, slots=True)
class _Roles:
    """Where a sentence names people and things, from the language's `person`, `thing`, `determiner`
    and `opener` word classes, to tell who a sign is said of."""

    person: frozenset[int]
    thing: dict[int, int]
    """Each thing's first word, and the word after it."""
    determiner: frozenset[int]
    opener: frozenset[int]

    @classmethod
    def of(cls, classes: Iterable[Found[str]]) -> _Roles:
        at: dict[str, set[int]] = {"person": set(), "determiner": set(), "opener": set()}
        thing: dict[int, int] = {}
        for hit in classes:
            if hit.value == "thing":
                thing[hit.start] = max(thing.get(hit.start, 0), hit.end)
            elif hit.value == "determiner":
                at["determiner"].update(range(hit.start, hit.end))  # every word of "one of our"
            elif hit.value in at:
                at[hit.value].add(hit.start)
        return cls(frozenset(at["person"]), thing, frozenset(at["determiner"]), frozenset(at["opener"]))

    def about_a_thing(self, start: int, said: tuple[str, ...], context: SentenceContext) -> bool:
        """Whether the nearest person or thing before the sign, in its part of the sentence, is a thing
        that is the subject there ("my laptop collapsed", "our dog had a fit"). A person nearer, or a thing
        that is an object ("fell off his bike and isn't moving") or part of a name for a person ("the dog
        walker"), leaves the sign to the other rules."""
        if not self.thing:
            return False
        if start and said[start - 1] == "it":
            # "my cousin's phone fell in the pool and now it won't wake up": "it" is the last thing named before
            # it, when no person is named between them
            before = [index for index in self.thing if index < start - 1]
            if before and not any(max(before) < person < start - 1 for person in self.person):
                return True
        # Back to the last comma, not to "then" or "and": "my laptop froze then collapsed" is one subject.
        low = context.part_start(start)
        for index in range(start - 1, max(low, start - SUBJECT_REACH) - 1, -1):
            if index in self.person:
                return False
            end = self.thing.get(index)
            if end is not None and self._subject(index, end, low, said, start):
                return True
        return False

    def _subject(self, index: int, end: int, low: int, said: tuple[str, ...], sign: int) -> bool:
        if end < len(said) and (end in self.person or said[end].endswith(("er", "or"))):
            return False  # "the dog walker", "the bus driver": a person
        if end < len(said) and said[end] in _MADE_OF:
            return False  # "a chicken bone", "a fish bone": a piece of the thing, stuck in someone
        if said[end : end + 1] in _RELATIVE and end + 1 == sign:
            return True  # "handling a cow that collapses": the thing is the subject of its own clause
        before = index - 1
        for back in range(index - 1, max(low, index - 3) - 1, -1):
            if back in self.person:
                return False  # "my mate on site … his arm won't lift": the person is the subject, not the site
            if said[back] in _PLACE_PREPOSITIONS and back == index - 1:
                return False  # "a guest in room 214 was found unresponsive": the thing is where, not who
            if back in self.determiner:  # "ma auld collie", "the whole build"
                before = back - 1
                while before >= low and before in self.determiner:
                    before -= 1
                break
        # "Prod server collapsed": one word naming the kind of thing may open the part, with the sign right after
        # the thing ("mid set my whole right side went numb" is no set's doing)
        kind = before == low == index - 1 and end == sign and said[low] not in _NOT_A_KIND
        return before < low or before in self.opener or kind


def _doing_then(cue: Found[int], said: tuple[str, ...]) -> bool:
    """A "when he was …" that says what someone was doing, not how old: "it started when he was having his tea
    tonight" is no distant past, where "when he was little" is."""
    return said[cue.start] == "when" and cue.end < len(said) and said[cue.end].endswith("ing")


NEGATIVE_WORDS = frozenset({"not", "no", "cannot", "unable", "never", "nuh", "nah", "cyaan", "caan", "cyan", "cyah"})
"""Words that say "not" in a sign's own first word, besides the "…n't" and "…nae" forms."""

_PLACE_PREPOSITIONS = frozenset(
    {"in", "on", "at", "by", "from", "into", "onto", "off", "under", "near", "behind", "inside", "outside", "beside"}
)
"""Right before a thing, these make it a place or an object, not the one the sign is about."""

_OWNERS = frozenset({"his", "her", "my", "their", "me", "ma", "mi", "hers"})
"""A person's possessive inside a sign's own words: the sign is said of that person ("stuck in his throat")."""
_MADE_OF = frozenset({"bone", "bones", "pip", "pips", "stone", "skin", "shell", "chunk", "lump"})
"""After a thing, a piece of it: "a fish bone" is no fish."""

_RELATIVE = frozenset({("that",), ("which",)})
"""Between a thing and a sign, these make the thing the sign's subject ("a cow that collapses")."""

_NOT_A_KIND = frozenset(
    {"i", "im", "ive", "he", "she", "they", "we", "you", "it", "its", "no", "not", "help", "please"}
)
"""Words that open a part but never name a kind of thing ("I laptop…" is not "prod server")."""

NO_ROLES = _Roles(frozenset(), {}, frozenset(), frozenset())
"""A sentence that names no thing: every sign in it is left to the other rules."""


def _class_words(language: Language, *names: str) -> frozenset[str]:
    """Every word of some word classes' phrases (`present`, `past_verb`, `because`, `guess`, `twitch`)."""
    return frozenset(word for name in names for phrase in language.classes.get(name, ()) for word in words(phrase))


_PLAIN_CHOICES = re.compile(r"\(([a-z' |]+)\)")


def _first_words(pattern: str) -> frozenset[str] | None:
    """The words a pattern that opens with a group of plain choices can start with ("(face|mouth) …"): a
    sentence with none of them cannot match it, and is not searched. None when that cannot be told."""
    opening = _PLAIN_CHOICES.match(pattern)
    if opening is None:
        return None
    choices = opening.group(1).split("|")
    if any(not choice.strip() for choice in choices):
        return None  # an empty choice: the pattern may start later
    return frozenset(words(choice)[0] for choice in choices)


def _outermost(matches: list[Found[_Phrase]]) -> list[Found[_Phrase]]:
    """The matches no longer match of the same concept holds: "stroke" inside "having a stroke" is
    that phrase, judged once as a whole ("he must've been having a stroke with that call")."""
    if len(matches) < 2:
        return matches
    return [
        m
        for m in matches
        if not any(
            o.value.concept == m.value.concept
            and o.value.unclear <= m.value.unclear  # a vague "choking on" leaves the definite "choking" its say
            and o.start <= m.start
            and m.end <= o.end
            and o.end - o.start > m.end - m.start
            for o in matches
        )
    ]


def _cause(match: Found[_Phrase], said: tuple[str, ...]) -> Cause:
    found = match.value
    return Cause(found.kind, found.declared, " ".join(said[match.start : match.end]), found.line)


def _word_at(starts: list[int], offset: int) -> int:
    for index in range(len(starts) - 1):
        if starts[index] <= offset < starts[index + 1]:
            return index
    return max(0, len(starts) - 2)
