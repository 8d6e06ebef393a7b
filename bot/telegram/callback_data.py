"""Compact, signed callback data: `kind.owner.version.step.choice.mac`, at most 64 bytes.

The version lets a press on an old question be recognised as stale; the owner lets groups
refuse other members' presses; the MAC makes forged data fail to decode.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass

MAX_CALLBACK_BYTES = 64
SEPARATOR = "."


class Kind:
    """Callback prefixes (one character each, to stay far below 64 bytes)."""

    ANSWER = "a"
    WHY = "w"
    RESTART = "r"
    FORGET = "f"
    FORGET_YES = "y"
    FORGET_NO = "n"
    ALL = (ANSWER, WHY, RESTART, FORGET, FORGET_YES, FORGET_NO)


@dataclass(frozen=True, slots=True)
class Press:
    """A decoded button press."""

    kind: str
    owner: int
    version: int = 0
    step: int = 0
    choice: int = 0


def _b36(number: int) -> str:
    if number < 0:
        return "-" + _b36(-number)
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


class CallbackCodec:
    """Encodes and verifies presses with a signing function (a salted HMAC in production)."""

    def __init__(self, sign: Callable[[str], str]) -> None:
        self._sign = sign

    def encode(self, press: Press) -> str:
        body = SEPARATOR.join(
            [press.kind, _b36(press.owner), _b36(press.version), _b36(press.step), _b36(press.choice)]
        )
        data = f"{body}{SEPARATOR}{self._sign(body)}"
        if len(data.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data would be {len(data.encode())} bytes")
        return data

    def decode(self, data: str | None) -> Press | None:
        """The press, or None when the data is unreadable or its signature does not match."""
        if not data or len(data) > MAX_CALLBACK_BYTES:
            return None
        body, _, mac = data.rpartition(SEPARATOR)
        parts = body.split(SEPARATOR)
        if len(parts) != 5 or parts[0] not in Kind.ALL or not hmac.compare_digest(mac, self._sign(body)):
            return None
        try:
            owner, version, step, choice = (int(part, 36) for part in parts[1:])
        except ValueError:
            return None
        return Press(parts[0], owner, version, step, choice)
