"""Finding excerpts by a typed word, as inline mode does."""

from __future__ import annotations

import unicodedata

import pytest

from bot.content.library import load_content
from bot.content.search import find_excerpts
from tests.support.flows import CONTENT_DIR

EXCERPTS = list(load_content(CONTENT_DIR).excerpts.values())


def ids(query: str) -> list[str]:
    return [excerpt.id for excerpt in find_excerpts(EXCERPTS, query)]


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("caffeine", "stimulants"),
        ("Caffeine!", "stimulants"),
        ("cafeine", "stimulants"),
        ("stres", "stress"),
        ("anxiety", "stress"),
        ("cramp", "red_flags"),
        ("medicines", "medications"),
        ("ALS", "als_not_alone"),
    ],
)
def test_a_word_finds_its_passage_first(query: str, first: str) -> None:
    assert ids(query)[0] == first


def test_an_empty_query_is_every_excerpt_in_article_order() -> None:
    assert ids("") == ids("   ") == [excerpt.id for excerpt in EXCERPTS]


def test_short_words_and_unknown_words_find_nothing() -> None:
    assert ids("is my") == []
    assert ids("zebra") == []


def test_a_passage_matching_more_words_comes_first() -> None:
    assert ids("sleep stress")[:2] == ["stress", "sleep"]
    assert ids("muscle wasting")[0] == "als_atrophy"


@pytest.mark.parametrize("query", ["ｃｒａｍｐｓ", "ＣＡＦＦＥＩＮＥ", "ﬁrst cramps"])
def test_full_width_and_compatibility_letters_read_as_letters(query: str) -> None:
    """A phone keyboard in full-width mode types "ｃｒａｍｐｓ": it finds what "cramps" finds (issue 19)."""
    plain = unicodedata.normalize("NFKC", query)
    assert ids(query) and ids(query) == ids(plain)
