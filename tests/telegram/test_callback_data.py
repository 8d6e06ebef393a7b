"""The callback-data codec: compact, signed, and round-tripping every press."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.privacy import Anonymizer
from bot.telegram.callback_data import MAX_CALLBACK_BYTES, CallbackCodec, Kind, Press, tag

codec = CallbackCodec(Anonymizer(b"test-salt").sign)
presses = st.builds(
    Press,
    kind=st.sampled_from(Kind.ALL),
    owner=st.integers(min_value=1, max_value=2**52),
    version=st.integers(min_value=0, max_value=10**9),
    step=st.just("") | st.text(max_size=40).map(tag),
    choice=st.just("") | st.text(max_size=40).map(tag),
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


@given(presses, st.integers(min_value=0, max_value=5), st.text(max_size=20))
def test_decode_never_raises_when_any_part_is_arbitrary_text(press: Press, position: int, text: str) -> None:
    parts = codec.encode(press).split(".")
    parts[position] = text
    data = ".".join(parts)
    decoded = codec.decode(data)
    assert decoded is None or codec.encode(decoded) == data
