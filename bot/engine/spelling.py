"""Which words are ordinary, correctly spelt English, so typo tolerance never "corrects" them.

"checking", "sitting" and "smoking" are one letter from "choking", "fitting" and "stroking";
a real word is never a typo. The word list comes from pyspellchecker's English frequency
dictionary; rare entries (below `MIN_FREQUENCY`) are mostly misspellings people really
type ("chocking"), so they stay correctable.
"""

from __future__ import annotations

from functools import cache

MIN_FREQUENCY = 1e-7
"""About the 40,000 most used English words; rarer entries are often common misspellings."""


@cache
def ordinary_words() -> frozenset[str]:
    """The common English words, loaded once per process (about 0.1 s, 5 MiB)."""
    from spellchecker import SpellChecker

    frequencies = SpellChecker(language="en").word_frequency
    total = frequencies.total_words
    return frozenset(word for word, count in frequencies.dictionary.items() if count / total >= MIN_FREQUENCY)


def word_typos(word: str) -> int:
    """Edits forgiven in one word of this length: none in short words, where one letter makes another word."""
    size = len(word)
    return 0 if size <= 4 else 1 if size <= 7 else 2
