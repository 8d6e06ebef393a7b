"""The callback-data codec: compact, signed, and round-tripping every press."""

from hypothesis import given
from hypothesis import strategies as st

from bot.privacy import Anonymizer
from bot.telegram.callback_data import MAX_CALLBACK_BYTES, CallbackCodec, Kind, Press

codec = CallbackCodec(Anonymizer(b"test-salt").sign)
presses = st.builds(
    Press,
    kind=st.sampled_from(Kind.ALL),
    owner=st.integers(min_value=1, max_value=2**52),
    version=st.integers(min_value=0, max_value=10**9),
    step=st.integers(min_value=0, max_value=999),
    choice=st.integers(min_value=0, max_value=99),
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


@given(st.text(max_size=80))
def test_garbage_never_raises_and_never_decodes(data: str) -> None:
    assert codec.decode(data) is None


def test_another_deployments_signature_is_refused() -> None:
    other = CallbackCodec(Anonymizer(b"other-salt").sign)
    data = other.encode(Press(Kind.ANSWER, 42, 3, 1, 0))
    assert codec.decode(data) is None
