"""`split_message`: every chunk fits Telegram's limit and is HTML that Telegram accepts, whatever the lines."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.content.render import HTML, PLAIN
from bot.content.split import MAX_MESSAGE_CHARS, split_message
from tests.support.botapi.html_check import parse_html, utf16_len

words = st.text(
    alphabet=st.sampled_from(list("abcdefghij  <>&\"'") + ["é", "😀", "—"]),
    min_size=0,
    max_size=60,
)
urls = st.builds(lambda tail: "https://example.org/" + tail, st.text(alphabet='ab&"<> ?=/', max_size=30))
piece = st.one_of(
    words.map(HTML.escape),
    words.map(HTML.bold),
    words.map(HTML.italic),
    st.builds(HTML.link, words, urls),
)
lines = st.lists(piece, min_size=1, max_size=40).map(" ".join)
sections = st.lists(st.lists(lines, min_size=1, max_size=4).map("\n".join), min_size=1, max_size=6)


def visible(html: str) -> str:
    """What a person reads, without whitespace (cuts may drop or move spaces, never anything else)."""
    return "".join(parse_html(html).text.split())


@settings(max_examples=300, deadline=None)
@given(sections, st.integers(min_value=40, max_value=400))
def test_every_chunk_fits_and_is_well_formed(parts: list[str], limit: int) -> None:
    chunks = split_message(parts, limit)
    for chunk in chunks:
        assert utf16_len(chunk) <= limit, chunk
        assert visible(chunk), chunk  # Telegram refuses an empty message
    assert "".join(visible(chunk) for chunk in chunks) == visible("\n\n".join(parts))


def test_an_overlong_italic_passage_is_cut_into_well_formed_messages() -> None:
    passage = HTML.italic("“" + "Twitching is common & usually harmless. " * 300 + "”")
    chunks = split_message(["🟢 <b>Likely harmless</b>", passage])
    assert len(chunks) == 5
    for chunk in chunks:
        assert utf16_len(chunk) <= MAX_MESSAGE_CHARS
        parse_html(chunk)  # raises HtmlEntityError, as Telegram would refuse the message
    assert chunks[1].startswith("<i>“Twitching is common &amp; usually")
    assert all(chunk.startswith("<i>") and chunk.endswith("</i>") for chunk in chunks[1:])


def test_emoji_count_as_telegram_counts_them() -> None:
    chunks = split_message(["😀 " * 3000])
    assert all(utf16_len(chunk) <= MAX_MESSAGE_CHARS for chunk in chunks)
    assert "".join(chunks).count("😀") == 3000


def test_plain_text_is_cut_at_spaces_and_never_gains_tags() -> None:
    text = PLAIN.bold("<i>not a tag " * 800)
    chunks = split_message([text], html=False)
    assert all(len(chunk) <= MAX_MESSAGE_CHARS for chunk in chunks)
    assert " ".join(chunks).split() == text.split()
