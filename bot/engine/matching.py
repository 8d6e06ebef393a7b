"""Understanding typed answers: numbers, labels, "yeah"/"nope"/"dunno", and small typos."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from bot.engine.model import NO, NOT_SURE, YES, Step

SYNONYMS: dict[str, tuple[str, ...]] = {
    YES: (
        "yes",
        "y",
        "yeah",
        "yep",
        "yup",
        "ya",
        "yah",
        "sure",
        "ok",
        "okay",
        "correct",
        "true",
        "i do",
        "i have",
        "definitely",
        "absolutely",
        "si",
        "oui",
        "ja",
        "da",
    ),
    NO: (
        "no",
        "n",
        "nope",
        "nah",
        "na",
        "not really",
        "never",
        "none",
        "false",
        "i dont",
        "i havent",
        "negative",
        "non",
        "nein",
    ),
    NOT_SURE: (
        "not sure",
        "unsure",
        "dunno",
        "idk",
        "i dont know",
        "dont know",
        "maybe",
        "perhaps",
        "no idea",
        "not certain",
        "possibly",
        "no clue",
        "kind of",
        "kinda",
        "sort of",
        "hard to say",
        "?",
    ),
}

CORRECTION_CACHE_SIZE = 4096
_APOSTROPHES = str.maketrans({"’": "", "'": "", "`": "", "´": ""})
_NON_WORD = re.compile(r"[^\w?]+")


def normalize(text: str) -> str:
    """Lower-case, drop accents' oddities and apostrophes, keep words separated by one space."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    return _NON_WORD.sub(" ", text).strip()


def allowed_typos(word: str) -> int:
    """Edits tolerated for a word of this length: none for very short words, where typos collide."""
    size = len(word)
    return 0 if size <= 2 else 1 if size <= 6 else 2


class ChoiceMatcher:
    """Maps typed text to one of a step's choice values, or None when it is unclear."""

    def __init__(self, step: Step) -> None:
        self.exact: dict[str, str] = {}
        for number, choice in enumerate(step.choices, start=1):
            for phrase in (str(number), choice.label, choice.value.replace("_", " "), *SYNONYMS.get(choice.value, ())):
                self.exact.setdefault(normalize(phrase), choice.value)
        self.phrases = [phrase for phrase in self.exact if not phrase.isdigit()]

    def match(self, text: str) -> str | None:
        """The choice value meant by `text`, tolerating case, punctuation and small typos."""
        said = normalize(text)
        if not said:
            return None
        if said in self.exact:
            return self.exact[said]
        trimmed = said.removeprefix("option ").removesuffix(" please")
        if trimmed in self.exact:
            return self.exact[trimmed]
        # Typos before the first-word fallback: "No sure" must read as "not sure", never as "no".
        close = self._closest(said)
        if close is not None:
            return close
        return self.exact.get(said.split(" ", 1)[0])

    def _closest(self, said: str) -> str | None:
        limit = allowed_typos(said)
        if not limit:
            return None
        found = process.extract(said, self.phrases, scorer=DamerauLevenshtein.distance, score_cutoff=limit, limit=4)
        if not found:
            return None
        best = found[0][1]
        values = {self.exact[phrase] for phrase, score, _ in found if score == best}
        return values.pop() if len(values) == 1 else None


class PhraseSpotter:
    """Finds emergency phrases anywhere in typed text, forgiving typos in longer words."""

    def __init__(self, phrases: Iterable[tuple[str, str]]) -> None:
        self.phrases = [(f" {normalize(text)} ", key) for text, key in phrases]
        self.vocabulary = sorted({word for text, _ in self.phrases for word in text.split()})
        self._known = set(self.vocabulary)
        self._corrections: dict[str, str] = {}

    def find(self, text: str) -> str | None:
        """The key of the first phrase found in `text`, or None."""
        words = [self._correct(word) for word in normalize(text).split()]
        padded = f" {' '.join(words)} "
        for phrase, key in self.phrases:
            if phrase in padded:
                return key
        return None

    def _correct(self, word: str) -> str:
        if word in self._known or allowed_typos(word) == 0:
            return word
        cached = self._corrections.get(word)
        if cached is None:
            found = process.extractOne(
                word, self.vocabulary, scorer=DamerauLevenshtein.distance, score_cutoff=allowed_typos(word)
            )
            cached = found[0] if found else word
            if len(self._corrections) >= CORRECTION_CACHE_SIZE:
                self._corrections.clear()  # bounded: ordinary words repeat, so it refills with useful ones
            self._corrections[word] = cached
        return cached
