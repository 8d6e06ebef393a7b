"""The store protocol every backend implements, so the adapter never knows which one it talks to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

from bot.engine.conversation import Conversation

DEFAULT_TTL_SECONDS = 7 * 24 * 3600
"""Conversations untouched for this long are purged (configurable per store)."""

DEDUP_TTL_SECONDS = 24 * 3600
"""Telegram redelivers an update for at most a day, so remembering ids longer is waste."""

SENDING_SECONDS = 30.0
"""A reminder marked as being sent stays so at most this long (longer than one try at the Bot API,
with its timeouts), so a cancel never waits for ever on a replica that died mid-send."""
SENDING_POLL_SECONDS = 0.005
"""How often a cancel looks whether the send it waits for has ended."""

UpdateClaim = Literal["claimed", "busy", "seen"]
"""What claiming an update found: handle it now, someone else is handling it, or it was handled."""


def check_bumped(conversation: Conversation, expected_version: int | None) -> None:
    """Refuse an update that keeps the version, since two such writers would both win."""
    if expected_version is not None and conversation.version <= expected_version:
        raise ValueError(
            f"conversation version {conversation.version} must be greater than expected_version "
            f"{expected_version}; save conversation.bumped(...)"
        )


@dataclass(frozen=True, slots=True)
class Reminder:
    """One person's follow-up: whom (anonymous id) and where (the private chat) to ask, and when.

    `claim` is set only on a reminder handed out by `claim_due_reminders`: a token, new at every
    claim, that renewing and settling must present (a fence), so a replica whose lease ran out can
    never send, renew or settle a reminder someone else now holds, or one cancelled meanwhile.
    """

    user: str
    chat_id: int
    due_at: float
    flow: str
    claim: str = ""


class ConversationStore(Protocol):
    """Persist conversations with compare-and-set on their version.

    Keys (`key`, `user`, `chat`) are opaque strings: the adapter passes salted hashes,
    so a store never holds raw Telegram ids.
    """

    async def load(self, key: str) -> Conversation | None:
        """Return the live conversation under `key`, or None (missing or expired)."""
        ...

    async def save(self, key: str, conversation: Conversation, *, expected_version: int | None, user: str) -> bool:
        """Store `conversation` only if the stored version equals `expected_version`.

        `expected_version=None` means "only if nothing live is stored". Returns False when
        another writer got there first; the caller reloads and decides again.
        """
        ...

    async def delete(self, key: str) -> None:
        """Drop one conversation (used by /cancel)."""
        ...

    async def forget_user(self, user: str) -> int:
        """Delete every conversation, the reminder and the record stored about `user` (group settings belong
        to the group).

        Returns how many conversations went.
        """
        ...

    async def purge_expired(self) -> int:
        """Delete conversations past their time to live; return how many went."""
        ...

    async def mark_update_seen(self, update_id: int) -> bool:
        """Record `update_id`; return False if it was already recorded (a redelivery)."""
        ...

    async def claim_update(self, update_id: int, lease_seconds: int) -> UpdateClaim:
        """'seen' if handled within the dedup window; 'busy' if claimed and the claim has not expired; else claim it.

        A claim lasts `lease_seconds`, so an update whose replica crashed is handled again on redelivery.
        """
        ...

    async def settle_update(self, update_id: int, handled: bool) -> None:
        """Drop the claim; if `handled`, also record the update as seen for the dedup window."""
        ...

    async def load_person(self, user: str) -> dict[str, Any]:
        """The person's own record (their country, when they finished recent checks), or {} when none is live."""
        ...

    async def save_person(self, user: str, data: dict[str, Any]) -> None:
        """Replace the person's record; it lives as long as a conversation saved now (the store's TTL)."""
        ...

    async def load_chat_settings(self, chat: str) -> dict[str, Any]:
        """Return a group's settings (empty when none were saved)."""
        ...

    async def save_chat_settings(self, chat: str, settings: dict[str, Any]) -> None:
        """Replace a group's settings."""
        ...

    async def schedule_reminder(self, reminder: Reminder) -> None:
        """Store `reminder` as the user's only one (replacing any earlier one, claimed or not)."""
        ...

    async def load_reminder(self, user: str) -> Reminder | None:
        """The user's reminder, claimed or not, or None."""
        ...

    async def cancel_reminder(self, user: str) -> bool:
        """Delete the user's reminder (cancel, /forget, a blocked bot); True if there was one.

        If it is being sent right now, first wait for that send to end (at most SENDING_SECONDS), so
        the person is never told it is deleted and then receives it.
        """
        ...

    async def claim_due_reminders(self, limit: int, lease_seconds: float) -> list[Reminder]:
        """Claim up to `limit` reminders due now, earliest first, atomically across replicas.

        "Now" and the lease are read on the store's own clock (Redis `TIME`; the one machine's clock
        for SQLite), never a replica's, so a replica whose clock is ahead cannot take over a claim.
        Each claim carries a fresh token. A claim hides the reminder from every claimer for
        `lease_seconds`; then, unless renewed or settled, it is due again, so a replica that dies
        between claiming and sending loses nothing.
        """
        ...

    async def renew_reminder(self, reminder: Reminder, lease_seconds: float, *, sending: bool = False) -> bool:
        """The fence before each send: True, and the lease extended to `lease_seconds` from now (store
        clock), only while `reminder.claim` is the current claim of a reminder still wanted.

        False (and nothing changed) once it was cancelled, forgotten, set again or claimed by another
        replica: the sender must not send it. With `sending`, it is also marked as being sent, for
        SENDING_SECONDS or until settled or renewed again: meanwhile cancelling waits for the send.
        """
        ...

    async def settle_reminder(self, reminder: Reminder, retry_in: float | None = None) -> bool:
        """Sent (`retry_in` None): delete it. Not sent: due again `retry_in` seconds from now (store clock).

        Only the holder of the current claim may settle; False (and nothing changed) otherwise, so a
        claim that outlived a cancel or /forget can never bring the reminder back.
        """
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
