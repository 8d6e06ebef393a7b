"""Compact, signed callback data: `kind.owner.version.step.choice.chat.epoch.mac`, at most 64 bytes.

The version lets a press on an old question be recognised as stale; the owner lets groups
refuse other members' presses; the MAC makes forged data fail to decode. `step` and `choice`
are short tags of the question's id and the choice's value (never positions), so a flow edited
under an old button can only make the button stale, never make it mean another answer.

Signed data can still be replayed by a modified client, as a press on another message. `chat`
(a keyed tag of the chat the button was sent to) binds it to its chat, and `epoch` (the check's,
bot/session.py) to the check it was shown for, which a check started after /forget does
not share. Data without them (sent before they existed, and the reminders' own) decodes with both
empty, as `kind.owner.version.step.choice.mac`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass

MAX_CALLBACK_BYTES = 64
SEPARATOR = "."
TAG_CHARS = 8
"""Hex characters of a tag: 32 bits keep the longest data near 47 bytes, and the handler refuses
a tag that matches two choices of one question rather than guess."""
CHAT_TAG_CHARS = 6
"""Hex characters of a chat tag: it only tells a person's chats apart, and keeps the data under 64 bytes."""
EPOCH_CHARS = 4
"""Hex characters of a check's epoch at most (bot/session.py draws 2 random bytes)."""
_NUMBER = re.compile(r"-?[0-9a-z]+")
_TAG = re.compile(rf"[0-9a-f]{{0,{TAG_CHARS}}}")
_CHAT = re.compile(rf"[0-9a-f]{{0,{CHAT_TAG_CHARS}}}")
_EPOCH = re.compile(rf"[0-9a-f]{{0,{EPOCH_CHARS}}}")


class Kind:
    """Callback prefixes (one character each, to stay far below 64 bytes)."""

    ANSWER = "a"
    WHY = "w"
    RESTART = "r"
    FORGET = "f"
    FORGET_YES = "y"
    FORGET_NO = "n"
    SUMMARY = "s"
    REMIND = "m"
    STILL_THERE = "t"
    GONE = "g"
    """The follow-up (bot/telegram/reminders.py): "Remind me in 2 weeks", and the reminder's two answers."""
    COUNTRY = "c"
    COUNTRY_SET = "k"
    """"Your country" (the picker), and a country in it: its `choice` is `tag("country", code)`."""
    ALL = (
        ANSWER,
        WHY,
        RESTART,
        FORGET,
        FORGET_YES,
        FORGET_NO,
        SUMMARY,
        REMIND,
        STILL_THERE,
        GONE,
        COUNTRY,
        COUNTRY_SET,
    )


@dataclass(frozen=True, slots=True)
class Press:
    """A decoded button press; `step` and `choice` are tags (see `tag`), empty for non-answers.

    `chat` is the tag of the chat it was sent to (`CallbackCodec.chat_tag`) and `epoch` the check's;
    both are empty in data that does not carry them.
    """

    kind: str
    owner: int
    version: int = 0
    step: str = ""
    choice: str = ""
    chat: str = ""
    epoch: str = ""


def tag(*names: str) -> str:
    """A short stable tag of names such as a flow and step id, or a choice value."""
    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:TAG_CHARS]


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

    def chat_tag(self, chat_id: int) -> str:
        """The tag a button sent to chat `chat_id` carries; keyed, so it names no chat to anyone else."""
        return self._sign(f"chat:{chat_id}")[:CHAT_TAG_CHARS]

    def encode(self, press: Press) -> str:
        """The signed callback data of a press (ValueError if its tags are malformed or it is too long)."""
        if not (_TAG.fullmatch(press.step) and _TAG.fullmatch(press.choice)):
            raise ValueError("step and choice must be tags (see tag())")
        if not (_CHAT.fullmatch(press.chat) and _EPOCH.fullmatch(press.epoch)):
            raise ValueError("chat must be a chat_tag() and epoch at most 4 hex characters")
        parts = [press.kind, _b36(press.owner), _b36(press.version), press.step, press.choice]
        if press.chat or press.epoch:
            parts += [press.chat, press.epoch]
        body = SEPARATOR.join(parts)
        data = f"{body}{SEPARATOR}{self._sign(body)}"
        if len(data.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data would be {len(data.encode())} bytes")
        return data

    def decode(self, data: str | None) -> Press | None:
        """The press, or None when the data is unreadable or its signature does not match; never raises."""
        # Everything we encode is ASCII; anything else is forged (and would make compare_digest raise).
        if not data or not data.isascii() or len(data) > MAX_CALLBACK_BYTES:
            return None
        body, _, mac = data.rpartition(SEPARATOR)
        parts = body.split(SEPARATOR)
        if len(parts) not in (5, 7) or parts[0] not in Kind.ALL or not hmac.compare_digest(mac, self._sign(body)):
            return None
        kind, owner, version, step, choice = parts[:5]
        chat, epoch = parts[5:] or ("", "")
        numbers, tags = (owner, version), (step, choice)
        if not (all(_NUMBER.fullmatch(n) for n in numbers) and all(_TAG.fullmatch(t) for t in tags)):
            return None
        if not (_CHAT.fullmatch(chat) and _EPOCH.fullmatch(epoch)) or (len(parts) == 7 and not (chat or epoch)):
            return None
        return Press(kind, int(owner, 36), int(version, 36), step, choice, chat, epoch)
