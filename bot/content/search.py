"""Find the article's excerpts for a word someone types (inline mode: `@bot cramps`).

Pure and small: there are a few dozen excerpts, so every query scores each of them. A word
counts when it names an excerpt's topic, starts a word of its text ("cramp" finds "cramps"),
or is a near-miss of its topic ("cafeine"); excerpts matching more words come first. Queries are
NFKC-normalised first, so a keyboard in full-width mode ("ｃｒａｍｐｓ") or a ligature ("ﬁ") reads as letters.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from rapidfuzz import fuzz

from bot.content.library import Excerpt

TOPIC_SCORE, TEXT_SCORE, NEAR_SCORE = 3, 2, 1
NEAR_TOPIC = 80
"""rapidfuzz ratio at which a word counts as a misspelt topic ("cafeine" 93, "stres" 91; "sleep"/"steep" 80)."""
MIN_WORD = 3
"""Shorter words ("is", "my", "of") would find nearly every excerpt."""
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def words(text: str) -> list[str]:
    """The lower-case words of `text` (NFKC-normalised), without punctuation or digits."""
    return [word.lower() for word in _WORD.findall(unicodedata.normalize("NFKC", text))]


def find_excerpts(excerpts: Iterable[Excerpt], query: str) -> list[Excerpt]:
    """The excerpts that match `query`, best first; every excerpt, in article order, for an empty query."""
    ordered = list(excerpts)
    wanted = [word for word in words(query) if len(word) >= MIN_WORD]
    if not query.strip():
        return ordered
    scored = [(_score(excerpt, wanted), index, excerpt) for index, excerpt in enumerate(ordered)]
    return [excerpt for score, _, excerpt in sorted(scored, key=lambda s: (-s[0], s[1])) if score > 0]


def _score(excerpt: Excerpt, wanted: Sequence[str]) -> int:
    topic = excerpt.topic.lower()
    text_words = set(words(excerpt.text))
    total = 0
    for word in wanted:
        if word in (topic, excerpt.id.lower()) or topic.startswith(word):
            total += TOPIC_SCORE
        elif any(w.startswith(word) or (len(w) >= 5 and word.startswith(w)) for w in text_words):
            total += TEXT_SCORE
        elif fuzz.ratio(word, topic) >= NEAR_TOPIC:
            total += NEAR_SCORE
    return total
