"""Typed text as words: normalising, splitting into sentences, and finding listed phrases fast.

Every reader of free text (answers, accounts, emergency language) works on the same words,
so a phrase written in a flow file matches however a person spells the apostrophes or cases.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, NamedTuple, TypeVar

from bot.engine.spelling import ordinary_words

_APOSTROPHES = re.compile("[’'`´‘]")
"""Dropped, not spaced: "can't" → "cant" (a regular expression: str.translate is slower here)."""
_WE_ARE = re.compile("\\bwe[’'`´‘]re\\b")
""""we're" would lose its apostrophe and read as "were", a past tense ("we're at the rink")."""
_NON_WORD = re.compile(r"[^\w?]+")
_LONG_LETTERS = re.compile(r"([^\W\d])\1{2,}(?=\W|$)")
_TRIPLE = re.compile(r"(\w)\1\1")
_STRETCHED_WORD = re.compile(r"\w*([^\W\d])\1{2,}(?=\W|$)")


def _said_once(text: str) -> str:
    """A letter typed three or more times at a word's end: once when that makes an English word ("pleaseeee"
    → "please", "helppp" → "help"), else twice, so spelling correction still sees a near miss ("lopsiddd"
    → "lopsidd"). Inside a word it is left for spelling correction ("coooked" is "crooked", not "cooked")."""
    if not _TRIPLE.search(text) or not _LONG_LETTERS.search(text):  # the first, simpler test is quicker
        return text

    def shorten(found: re.Match[str]) -> str:
        once = _LONG_LETTERS.sub(r"\1", found.group())
        return once if once in ordinary_words() else _LONG_LETTERS.sub(r"\1\1", found.group())

    return _STRETCHED_WORD.sub(shorten, text)


_SENTENCE_END = re.compile(r"([.!?;\n…]+)")
"""Sentence ends. A colon or a dash between spaces joins what follows to what came before ("Clue: …",
"collapsed - not breathing"): a pause, like a comma (`_WORD`), not a new sentence."""
_WORD = re.compile(r"\w+|,|:|\s[-–—]+\s")
"""Words, and the pauses between them: a comma, a colon or a dash between spaces."""

T = TypeVar("T")


def _lowered(text: str) -> str:
    """Typed text as every reader compares it: NFKC, lower case, "we're" spelled out, apostrophes dropped
    ("can't" → "cant"), letters typed three times at a word's end said once."""
    text = _WE_ARE.sub("we are", unicodedata.normalize("NFKC", text).casefold())
    return _said_once(_APOSTROPHES.sub("", text))


def normalize(text: str) -> str:
    """Lower-case, drop apostrophes ("can't" → "cant"), keep words separated by one space."""
    return _NON_WORD.sub(" ", _lowered(text)).strip()


def words(text: str) -> tuple[str, ...]:
    """The words of a phrase as the readers compare them."""
    return tuple(normalize(text).replace("?", " ").split())


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence's words; `pauses` holds the indexes of words that follow a comma."""

    words: tuple[str, ...]
    pauses: frozenset[int]
    question: bool = False

    @property
    def text(self) -> str:
        return " ".join(self.words)


def sentences(text: str) -> list[Sentence]:
    """Split typed text at sentence ends (. ! ? ; new line); commas, colons and spaced dashes are pauses."""
    text = _lowered(text)
    found: list[Sentence] = []
    stopped: set[int] = set()  # sentences ended by a plain full stop
    parts = _SENTENCE_END.split(text)
    for index in range(0, len(parts), 2):
        part = parts[index]
        ending = parts[index + 1] if index + 1 < len(parts) else ""
        tokens = _WORD.findall(part.replace("_", " "))
        said: list[str] = []
        pauses: set[int] = set()
        for token in tokens:
            if token in ",:" or token[0].isspace():  # a comma, a colon or a spaced dash
                pauses.add(len(said))
            else:
                said.append(token)
        if said:
            if ending.strip(".…") == "" and ending:
                stopped.add(len(found))
            found.append(Sentence(tuple(said), frozenset(pauses), "?" in ending))
    return _words_run_together(found, stopped) if len(stopped) >= RUN else found


RUN = 3
"""Three or more "sentences" of one or two words in a row, each ended by a full stop, are one sentence
typed a word at a time."""


def _words_run_together(found: list[Sentence], stopped: set[int]) -> list[Sentence]:
    """Joins runs of very short sentences ended by full stops: a stop after every word or two ("my. dad.
    face. dropped. left side. just now") is how some people type in bursts (a stammer, panic, a dramatic
    pause), and a sign said across those stops is still one thing said. A question mark may end a run,
    never start one ("stressed? me? always")."""
    joined: list[Sentence] = []
    run: list[Sentence] = []

    def close() -> None:
        if len(run) >= RUN:
            said = tuple(word for short in run for word in short.words)
            joined.append(Sentence(said, frozenset(), any(short.question for short in run)))
        else:
            joined.extend(run)
        run.clear()

    for index, sentence in enumerate(found):
        if len(sentence.words) <= 2 and (index in stopped or run):
            run.append(sentence)
            if index not in stopped:
                close()
            continue
        close()
        joined.append(sentence)
    close()
    return joined


class Found(NamedTuple, Generic[T]):
    """A listed phrase found at words[start:end] (a named tuple: made for every hit, it must be cheap)."""

    start: int
    end: int
    value: T


class PhraseIndex(Generic[T]):
    """Finds many listed phrases in a run of words in one pass, indexed by their first two words.

    A common first word ("in", "not", "can't") starts dozens of phrases; looking up the second word
    too keeps the comparisons per word to the few phrases that could match there."""

    def __init__(self, phrases: Iterable[tuple[str, T]]) -> None:
        self._single: dict[str, list[T]] = {}
        by_pair: dict[str, dict[str, dict[tuple[str, ...], list[T]]]] = {}
        for phrase, value in phrases:
            said = words(phrase)
            if len(said) == 1:
                self._single.setdefault(said[0], []).append(value)
            elif said:
                by_pair.setdefault(said[0], {}).setdefault(said[1], {}).setdefault(said, []).append(value)
        # Per first two words, the phrases by length, longest first ("not sure at all" before "not sure"): a
        # common pair ("choking on", "not sure") starts hundreds of listed phrases, and a lookup per length
        # costs the same however many there are.
        self._longer: dict[str, dict[str, list[tuple[int, dict[tuple[str, ...], list[T]]]]]] = {
            first: {
                second: [
                    (size, {said: values for said, values in listed.items() if len(said) == size})
                    for size in sorted({len(said) for said in listed}, reverse=True)
                ]
                for second, listed in by_second.items()
            }
            for first, by_second in by_pair.items()
        }

    def __bool__(self) -> bool:
        return bool(self._single or self._longer)

    def first_words(self) -> frozenset[str]:
        """The words a listed phrase starts with: a sentence with none of them has none of the phrases."""
        return frozenset(self._single) | frozenset(self._longer)

    def vocabulary(self) -> set[str]:
        """Every word of every listed phrase."""
        longer = {
            word
            for by_second in self._longer.values()
            for lengths in by_second.values()
            for _, listed in lengths
            for said in listed
            for word in said
        }
        return set(self._single) | longer

    def find(self, said: tuple[str, ...] | list[str]) -> Iterator[Found[T]]:
        """Every listed phrase in `said`, longest first at each position (overlaps allowed)."""
        single, longer = self._single, self._longer
        said = said if isinstance(said, tuple) else tuple(said)
        size = len(said)
        for start, word in enumerate(said):
            by_second = longer.get(word)
            if by_second is not None and start + 1 < size:
                lengths = by_second.get(said[start + 1])
                if lengths is not None:
                    for length, listed in lengths:
                        end = start + length
                        if end <= size:
                            found = listed.get(said[start:end])
                            if found is not None:
                                for value in found:
                                    yield Found(start, end, value)
            values = single.get(word)
            if values is not None:
                for value in values:
                    yield Found(start, start + 1, value)
