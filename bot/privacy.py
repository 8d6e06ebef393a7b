"""Anonymous ids: stores and logs see salted hashes, never Telegram ids."""

from __future__ import annotations

import hashlib
import hmac


def salt_from(token: str, explicit: str = "") -> bytes:
    """The explicit salt if set, else one derived from the token (stable across replicas)."""
    seed = explicit or f"twitchcheck:{hashlib.sha256(token.encode()).hexdigest()}"
    return hashlib.sha256(seed.encode()).digest()


class Anonymizer:
    """Salted hashes of Telegram ids, short enough for keys and logs."""

    def __init__(self, salt: bytes) -> None:
        self._salt = salt

    def _hash(self, kind: str, *ids: int) -> str:
        message = f"{kind}:" + ":".join(str(i) for i in ids)
        return hmac.new(self._salt, message.encode(), hashlib.sha256).hexdigest()[:20]

    def user(self, user_id: int) -> str:
        return self._hash("user", user_id)

    def chat(self, chat_id: int) -> str:
        return self._hash("chat", chat_id)

    def conversation(self, chat_id: int, user_id: int) -> str:
        """One person's check in one chat (a private chat, or a group with in-group checks)."""
        return self._hash("conv", chat_id, user_id)

    def sign(self, payload: str) -> str:
        """A short MAC for callback data, so forged button presses are recognised."""
        return hmac.new(self._salt, f"cb:{payload}".encode(), hashlib.sha256).hexdigest()[:8]
