"""Is typed text English? The bot reads only English for now, and says so rather than moving on.

Measured on short chat messages, a general language detector guesses poorly below about ten
words, while what matters here is narrower: are these words English at all. So the test is the
share of longer words found in pyspellchecker's English word list (spelling.py), plus the
script: mostly non-Latin letters is not English. Typos lower the share a little; a whole
sentence in Spanish, Hindi in Latin letters or Russian has almost no English words.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.engine.spelling import ordinary_words

MIN_WORDS = 2
"""Fewer longer words than this say too little to judge ("si", "nein"): taken as English."""
MIN_ENGLISH_SHARE = 0.5
LONG_WORD = 4


def looks_english(said: Sequence[str], known: frozenset[str] | set[str] = frozenset()) -> bool:
    """False when the words are clearly another language; `known` adds the flow's own words."""
    letters = "".join(said)
    if letters:
        latin = sum(1 for ch in letters if ch.isascii())
        if latin / len(letters) < 0.5:
            return False
    longer = [word for word in said if len(word) >= LONG_WORD and word.isalpha()]
    if len(longer) < MIN_WORDS:
        return True
    english = ordinary_words()
    found = sum(1 for word in longer if word in english or word in known)
    return found / len(longer) >= MIN_ENGLISH_SHARE
