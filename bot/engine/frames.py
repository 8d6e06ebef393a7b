"""Emergency signs as frames of word classes, so a description is caught, not only a sign's name.

A language file (`content/<language>/language.yaml`) groups words by meaning ("unable": can't,
cannot, won't…; "breathe": breathe, breath, air…) and declares, per emergency concept, frames:
sequences of classes that describe the sign ("unable breathe", "lips … blue", "eyes roll").

1. Each class entry is a word or phrase; an entry written `~verb` also stands for its inflected
   forms (breathe → breathes, breathed, breathing; fall → falls, fell, fallen), made by the
   regular rules below plus the file's `irregular:` table, so the file lists each word once.
2. A frame matches when its classes appear in order in one sentence, each starting at most
   `gap` words after the previous one ends ("he can't really lift his arm" is `unable … lift …
   limb`); a class written `+name` must follow at once ("not breathing", never "not … breathing").
   The match then goes through the same judge as a listed phrase (emergency.py): negation, the
   past, hedges and now; a negation between the frame's words negates it too.
3. `fire` frames are emergencies unless a cue says otherwise; `ask` frames are asked about
   once, unless a `now` cue makes them an emergency, or (`together`) a vague sign of another
   part of the body is said in the same message: face and speech, speech and arm (FAST).
4. `safety_words` are words that, in text not understood as an answer, earn the confirming
   question instead of "Sorry, I didn't catch that" (engine.py).

Cost: one pass over the words to find every class (indexed by first word), then for each
frame a walk over the few places its first class occurs: microseconds per sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from bot.engine.second_reader import SecondReader
from bot.engine.text import Found, PhraseIndex, words

DEFAULT_GAP = 3
"""Words allowed between two classes of a frame: "her lips look a bit purple" keeps lips near purple."""

_VOWELS = frozenset("aeiou")


def inflect(verb: str, irregular: Mapping[str, Sequence[str]] = MappingProxyType({})) -> tuple[str, ...]:
    """A word and its regular -s, -ed and -ing forms, plus any irregular ones (its first word only)."""
    head, _, rest = verb.partition(" ")
    tail = f" {rest}" if rest else ""
    forms = {head}
    if head.endswith("e"):
        forms |= {head + "s", head + "d", head[:-1] + "ing"}
    elif head.endswith("y") and len(head) > 2 and head[-2] not in _VOWELS:
        forms |= {head[:-1] + "ies", head[:-1] + "ied", head + "ing"}
    elif head.endswith(("s", "sh", "ch", "x", "z")):
        forms |= {head + "es", head + "ed", head + "ing"}
    else:
        forms |= {head + "s", head + "ed", head + "ing"}
        if _doubles(head):
            forms |= {head + head[-1] + "ed", head + head[-1] + "ing"}
    forms |= set(irregular.get(head, ()))
    return tuple(sorted(form + tail for form in forms))


def _doubles(word: str) -> bool:
    """Short consonant-vowel-consonant words double their last letter: drop → dropped, grip → gripping."""
    return (
        len(word) <= 4
        and len(word) >= 3
        and word[-1] not in _VOWELS | {"w", "x", "y"}
        and word[-2] in _VOWELS
        and word[-3] not in _VOWELS
    )


@dataclass(frozen=True, slots=True)
class Frame:
    """A sequence of word classes that describes an emergency sign."""

    concept: str
    classes: tuple[str, ...]
    unclear: bool
    line: int = 0


@dataclass(frozen=True, slots=True)
class Together:
    """Parts of the body (each a set of word classes) whose vague signs add up: a face that looks odd
    and speech gone muddled, each asked about alone, are a stroke when said together (FAST)."""

    parts: tuple[frozenset[str], ...]
    line: int = 0

    def part(self, classes: Iterable[Found[str]], start: int, end: int) -> int | None:
        """The first part (in the file's order) that has a word within `start:end`, or None."""
        inside = {hit.value for hit in classes if start <= hit.start < end}
        return next((index for index, part in enumerate(self.parts) if not part.isdisjoint(inside)), None)


@dataclass(frozen=True, slots=True)
class Language:
    """One language's emergency lexicon, read from `content/<language>/language.yaml`."""

    classes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Each class's phrases, inflected forms included."""
    frames: tuple[Frame, ...] = ()
    safety_words: tuple[str, ...] = ()
    idioms: tuple[str, ...] = ()
    """Fixed expressions that only look like a sign ("blue in the face", "a fit of the giggles")."""
    explained: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Per concept, ordinary causes of its vague signs ("after sprints" for breathlessness)."""
    together: Mapping[str, Together] = field(default_factory=dict)
    """Per concept, the parts of the body whose vague signs, two of them in one message, are an emergency."""
    gap: int = DEFAULT_GAP
    source: str = ""
    second_reader: SecondReader | None = None
    """The statistical second reader (second_reader.py), if the language ships one."""
    asked_of_the_writer: frozenset[str] = frozenset()
    """Word classes whose words in a definite sign the writer says of themselves get the confirming question:
    someone typing "I'm choking" is not fully choking, and often means it figuratively."""


EMPTY_LANGUAGE = Language()


@dataclass(frozen=True, slots=True)
class FrameHit:
    concept: str
    unclear: bool
    fillers: frozenset[int] = frozenset()
    """Positions of the words between the frame's classes: a negation there negates the frame
    ("my face isn't drooping")."""
    declared: str = ""
    """The frame's classes as written (`unable breathe`), for the studio's trace."""
    line: int = 0
    """The frame's line in the language file."""


class FrameReader:
    """Finds a language's frames in a sentence's words."""

    def __init__(self, language: Language) -> None:
        self.language = language
        self.index: PhraseIndex[str] = PhraseIndex(
            (phrase, name) for name, phrases in language.classes.items() for phrase in phrases
        )
        self.frames = language.frames
        self.safety = PhraseIndex((phrase, True) for phrase in language.safety_words)
        # Frames by their first class, each as (((class, gap), …), every class it needs, hit), worked out once:
        # find() runs per sentence and only chains frames whose classes are all in it.
        self._by_first: dict[str, list[tuple[tuple[tuple[str, int], ...], frozenset[str], FrameHit]]] = {}
        for frame in language.frames:
            rest = tuple((name.lstrip("+"), 0 if name.startswith("+") else language.gap) for name in frame.classes[1:])
            self._by_first.setdefault(frame.classes[0].lstrip("+"), []).append(
                (
                    rest,
                    frozenset(name.lstrip("+") for name in frame.classes),
                    FrameHit(frame.concept, frame.unclear, declared=" ".join(frame.classes), line=frame.line),
                )
            )

    def __bool__(self) -> bool:
        return bool(self.frames)

    def vocabulary(self) -> set[str]:
        """Every word of every class: the targets of spelling correction."""
        return self.index.vocabulary() | self.safety.vocabulary()

    def find(self, said: Sequence[str]) -> Iterator[Found[FrameHit]]:
        """Every frame found in `said`, as the span from its first class to its last."""
        if not self.frames:
            return
        yield from self.frames_in(self.index.find(tuple(said)))

    def frames_in(
        self, classes: Iterable[Found[str]], pauses: frozenset[int] = frozenset()
    ) -> Iterator[Found[FrameHit]]:
        """The frames made of word classes already found in a sentence (emergency.py finds them with its
        own phrases, in one pass over the words). `pauses`: the words that follow a comma, which a
        `+class` never does ("it has stopped, breathing normal" is not "stopped breathing")."""
        at: dict[str, list[tuple[int, int]]] = {}
        for hit in classes:
            at.setdefault(hit.value, []).append((hit.start, hit.end))
        present = frozenset(at)
        for first_class, first in list(at.items()):
            for rest, needed, frame_hit in self._by_first.get(first_class, ()):
                if needed <= present:
                    yield from self._first_match(first, rest, frame_hit, at, pauses)

    @staticmethod
    def _first_match(
        first: list[tuple[int, int]],
        rest: tuple[tuple[str, int], ...],
        frame_hit: FrameHit,
        at: Mapping[str, list[tuple[int, int]]],
        pauses: frozenset[int],
    ) -> Iterator[Found[FrameHit]]:
        """The frame at the first place its first class starts a whole chain, if any."""
        for start, end in first:
            chained = _chain(rest, end, at, pauses)
            if chained is not None:
                last, fillers = chained
                if fillers:
                    hit = frame_hit
                    frame_hit = FrameHit(hit.concept, hit.unclear, frozenset(fillers), hit.declared, hit.line)
                yield Found(start, last, frame_hit)
                return

    def mentions_safety_word(self, said: Sequence[str]) -> bool:
        """Whether the words name a body or safety word (breath, floor, face, can't move…)."""
        return any(True for _ in self.safety.find(tuple(said)))


def _chain(
    rest: tuple[tuple[str, int], ...], after: int, at: Mapping[str, list[tuple[int, int]]], pauses: frozenset[int]
) -> tuple[int, list[int]] | None:
    """Where the rest of a frame ends after word `after`, and the filler words it skipped."""
    if not rest:
        return after, []
    (name, gap), tail = rest[0], rest[1:]
    for start, end in at.get(name, ()):
        if after <= start <= after + gap and not (gap == 0 and start in pauses):
            found = _chain(tail, end, at, pauses)
            if found is not None:
                return found[0], [*range(after, start), *found[1]]
    return None


def expand(entries: Iterable[str], irregular: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    """A class's phrases with `(a|b)` choices spelt out and `~` entries inflected, normalised as the
    readers compare them: "(can't|cannot) stand (him|her)" is four phrases."""
    found: dict[str, None] = {}
    for written in entries:
        for entry in alternatives(written):
            if entry.startswith("~"):
                for form in inflect(" ".join(words(entry[1:])), irregular):
                    found[form] = None
            else:
                found[" ".join(words(entry))] = None
    return tuple(phrase for phrase in found if phrase)


_CHOICE = re.compile(r"\(([^()]*)\)")


def alternatives(entry: str) -> list[str]:
    """Every phrase an entry with `(a|b)` groups stands for; an empty choice drops the group ("(very |)")."""
    return [" ".join(phrase.split()) for phrase in _spelt_out(entry)]


def _spelt_out(entry: str) -> list[str]:
    group = _CHOICE.search(entry)
    if group is None:
        return [entry]
    head, tail = entry[: group.start()], entry[group.end() :]
    return [f"{head}{choice}{rest}" for choice in group.group(1).split("|") for rest in _spelt_out(tail)]
