"""The callback-data codec: compact, signed, and round-tripping every press."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.privacy import Anonymizer
from bot.telegram.callback_data import CHAT_TAG_CHARS, MAX_CALLBACK_BYTES, CallbackCodec, Kind, Press, tag

codec = CallbackCodec(Anonymizer(b"test-salt").sign)
presses = st.builds(
    Press,
    kind=st.sampled_from(Kind.ALL),
    owner=st.integers(min_value=1, max_value=2**52),
    version=st.integers(min_value=0, max_value=10**9),
    step=st.just("") | st.text(max_size=40).map(tag),
    choice=st.just("") | st.text(max_size=40).map(tag),
    chat=st.just("") | st.integers(min_value=-(2**52), max_value=2**52).map(codec.chat_tag),
    epoch=st.just("") | st.text("0123456789abcdef", min_size=1, max_size=4),
)


@given(presses)
def test_every_press_round_trips_within_64_bytes(press: Press) -> None:
    data = codec.encode(press)
    assert len(data.encode()) <= MAX_CALLBACK_BYTES
    assert codec.decode(data) == press


@given(presses, st.integers(min_value=0, max_value=200))
def test_changing_any_character_is_detected_as_forged(press: Press, position: int) -> None:
    data = codec.encode(press)
    index = position % len(data)
    replacement = "x" if data[index] != "x" else "y"
    forged = data[:index] + replacement + data[index + 1 :]
    decoded = codec.decode(forged)
    assert decoded is None or decoded == press  # never a different, valid press


@given(st.text(max_size=200))
def test_garbage_never_raises_and_never_decodes(data: str) -> None:
    assert codec.decode(data) is None


def test_a_position_is_not_a_tag() -> None:
    with pytest.raises(ValueError, match="tags"):
        codec.encode(Press(Kind.ANSWER, 42, 3, "emergency_now", "0"))


def test_another_deployments_signature_is_refused() -> None:
    other = CallbackCodec(Anonymizer(b"other-salt").sign)
    data = other.encode(Press(Kind.ANSWER, 42, 3, tag("twitching", "emergency_now"), tag("yes")))
    assert codec.decode(data) is None


def test_a_signature_with_non_ascii_characters_is_refused_not_raised() -> None:
    # hmac.compare_digest raises TypeError on non-ASCII str: a forged press must decode to None instead.
    data = codec.encode(Press(Kind.ANSWER, 42, 3, tag("twitching", "emergency_now"), tag("yes")))
    for forged in [data[:-1] + "é", data[:-8] + "ü" * 8, "a.1.1.0.0.ünïcödé", "a.1.1.0.0.🙂"]:
        assert codec.decode(forged) is None


@given(presses, st.integers(min_value=0, max_value=7), st.text(max_size=20))
def test_decode_never_raises_when_any_part_is_arbitrary_text(press: Press, position: int, text: str) -> None:
    parts = codec.encode(press).split(".")
    parts[position % len(parts)] = text
    data = ".".join(parts)
    decoded = codec.decode(data)
    assert decoded is None or codec.encode(decoded) == data


def test_the_chat_tag_tells_a_persons_chats_apart_and_is_keyed() -> None:
    private, group = codec.chat_tag(1001), codec.chat_tag(-1001234567890)
    assert private != group and len(private) == CHAT_TAG_CHARS
    assert CallbackCodec(Anonymizer(b"other-salt").sign).chat_tag(1001) != private


def test_data_without_chat_and_epoch_still_decodes_with_both_empty() -> None:
    """Buttons sent before data carried them, and the reminders' own, keep working."""
    press = Press(Kind.ANSWER, 42, 3, tag("twitching", "emergency_now"), tag("yes"))
    data = codec.encode(press)
    assert data.count(".") == 5
    assert codec.decode(data) == press
    bound = Press(Kind.ANSWER, 42, 3, press.step, press.choice, codec.chat_tag(42), "beef")
    assert codec.decode(codec.encode(bound)) == bound
    assert codec.encode(bound).count(".") == 7


def test_a_chat_or_epoch_that_is_not_a_tag_is_refused() -> None:
    with pytest.raises(ValueError, match="chat"):
        codec.encode(Press(Kind.ANSWER, 42, 3, chat="-1001234"))
    with pytest.raises(ValueError, match="epoch"):
        codec.encode(Press(Kind.ANSWER, 42, 3, epoch="12345"))
