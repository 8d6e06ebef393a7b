"""The loop every replica runs: claim due reminders, send a few at a time, settle each one.

Exactly once across replicas. The store hands each due reminder to one claimer only (one SQL
statement, or one Lua script in Redis) and hides it for LEASE_SECONDS, read on the store's own
clock (Redis `TIME`; the machine's clock for SQLite), so a replica whose clock is ahead never sees
another's lease as over. Each claim carries a fresh token, and the token fences every step after it:
- just before each try at sending, the sender presents it to renew the lease (`renew_reminder`).
  That fails once the reminder was cancelled (/cancelreminder, /forget, a blocked bot), set again, or
  claimed by another replica after the lease ran out; then nothing is sent;
- settling (deleted once sent, or due again later if sending failed for a reason that may pass)
  needs it too, so a stale claim can never delete, or bring back, a reminder it no longer holds.
When Telegram answers 429 "retry after", the sender itself waits (the rate limiter does not retry
reminders), having first renewed the lease to cover the wait, and checks again before the next
try; if Telegram asks for more than MAX_WAIT_SECONDS, or after MAX_TRIES, it gives the claim back,
due again after the wait. So no lease runs out under a send that is retrying. If a replica dies
after claiming and before sending, its claims simply run out and another replica sends them. A
replica starts no batch's send after half its lease has gone (Telegram being slow, say): it hands
the rest back instead. (If it dies after Telegram accepted a reminder and before settling it, the
reminder is sent again after the lease: the only way one can go twice. Stopping the bot never does
that: sends already under way finish and settle first, and claimed ones not yet started, or waiting
out a "retry after", are handed back.)

Fair to live conversations. Every reminder goes through the same Bot API client, and so the same
rate limiter, as every reply. A burst (a thousand reminders due at 09:00) must not queue ahead of
the replies people are waiting for, so this loop spends only a small share of Telegram's
30 messages a second: it claims BATCH at a time, starts at most PER_SECOND sends a second and
keeps at most IN_FLIGHT of them waiting at once. The rest of the budget stays free for replies,
which the limiter then serves without waiting behind reminders.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from bot.logs import log_event
from bot.storage.base import ConversationStore, Reminder

logger = logging.getLogger("twitchcheck")


@dataclass(frozen=True, slots=True)
class Wait:
    """Telegram asked to wait `seconds` before trying again (429 "retry after")."""

    seconds: float


Delivery = Literal["sent", "gone", "retry"] | Wait
"""What trying to send one reminder did: sent; never can be (the person blocked the bot); try again
much later; or try again after a short wait Telegram asked for."""

BATCH = 20
"""Reminders claimed at once: small, so a replica that dies strands few until their lease runs out."""
IN_FLIGHT = 4
"""Reminder sends waiting on Telegram at once, per replica."""
PER_SECOND = 5.0
"""Reminder sends started per second, per replica: a sixth of Telegram's 30 a second."""
POLL_SECONDS = 30.0
"""How often a replica looks for due reminders when the last look found fewer than BATCH."""
LEASE_SECONDS = 300.0
"""A claim hides a reminder this long: far longer than sending a batch takes, short enough that a
dead replica's reminders go out within minutes."""
RETRY_SECONDS = 600.0
"""After a failure that may pass (Telegram unreachable, a 5xx), try again this much later…"""
GIVE_UP_SECONDS = 3 * 24 * 3600.0
"""…until the reminder is this overdue; then it is dropped, with its data."""
MAX_TRIES = 5
"""Tries at one send after 429s (as the rate limiter's retries for replies), then the claim is given back."""
MAX_WAIT_SECONDS = 60.0
"""A 429 asking to wait longer than this gives the claim back, due after the wait, rather than hold a slot."""


class ReminderDispatcher:
    """Claims and sends due reminders with `deliver`, paced, on one replica."""

    def __init__(
        self,
        store: ConversationStore,
        deliver: Callable[[Reminder], Awaitable[Delivery]],
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        batch: int = BATCH,
        in_flight: int = IN_FLIGHT,
        per_second: float = PER_SECOND,
        poll_seconds: float = POLL_SECONDS,
        lease_seconds: float = LEASE_SECONDS,
    ) -> None:
        if batch < 1 or in_flight < 1 or per_second <= 0:
            raise ValueError("batch, in_flight and per_second must be positive")
        self.store = store
        self._deliver = deliver
        self._clock = clock
        self._sleep = sleep
        self.batch = batch
        self.per_second = per_second
        self.poll_seconds = poll_seconds
        self.lease_seconds = lease_seconds
        self._slots = asyncio.Semaphore(in_flight)
        self._sending: set[asyncio.Task[None]] = set()
        self._waiting: list[Reminder] = []
        self._loop: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    def start(self) -> None:
        """Run `run_forever` in the background."""
        self._stopping = asyncio.Event()
        self._loop = asyncio.get_running_loop().create_task(self.run_forever())

    async def stop(self) -> None:
        """Stop claiming, let sends under way finish and settle, and hand back claimed ones not yet started.

        The loop is asked to stop, not cancelled: a store command cut off halfway can leave its
        connection waiting for ever (seen with redis-py), and a claim cut off might be lost.
        """
        self._stopping.set()
        if self._loop is not None:
            await self._loop
            self._loop = None
        await self.drain()
        await self._hand_back()

    async def run_forever(self) -> None:
        """Send due reminders until cancelled; a failing store is logged and tried again at the next poll."""
        while not self._stopping.is_set():
            try:
                claimed = await self.run_once()
            except Exception as error:  # noqa: BLE001 - reminders must never stop the bot
                log_event(logger, "error", logging.ERROR, error=type(error).__name__, where="reminders")
                claimed = 0
            if claimed < self.batch:
                await self._pause(self.poll_seconds)

    async def _pause(self, seconds: float) -> bool:
        """Sleep `seconds`, or less if `stop()` is called meanwhile; False if it was."""
        sleeping = asyncio.ensure_future(self._sleep(seconds))
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({sleeping, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeping.cancel()
            stopping.cancel()
        return not self._stopping.is_set()

    async def run_once(self) -> int:
        """Claim one batch and start sending it, paced; return how many were claimed.

        Returns once every send has started; `drain()` waits for them to finish.
        """
        claimed_at = self._clock()
        claimed = await self.store.claim_due_reminders(self.batch, self.lease_seconds)
        self._waiting = list(claimed)
        for index, reminder in enumerate(claimed):
            if index:
                await self._sleep(1 / self.per_second)
            await self._slots.acquire()
            if self._stopping.is_set():
                self._slots.release()
                break  # stop() hands the rest back
            if self._clock() >= claimed_at + self.lease_seconds / 2:  # a duration, on one clock
                # Telegram is slow today: before the lease can run out under a send, hand the rest back.
                self._slots.release()
                await self._hand_back()
                break
            self._waiting.remove(reminder)
            task = asyncio.get_running_loop().create_task(self._send(reminder))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)
        return len(claimed)

    async def _hand_back(self) -> None:
        """Make the claimed reminders not yet started due again now, for any replica (if still ours)."""
        waiting, self._waiting = self._waiting, []
        for reminder in waiting:
            with contextlib.suppress(Exception):  # if the store is gone, the lease frees it instead
                await self.store.settle_reminder(reminder, retry_in=0)

    async def drain(self) -> None:
        """Wait for the sends under way to finish and settle."""
        while self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)

    async def _send(self, reminder: Reminder) -> None:
        """Send one reminder and settle it; runs as its own task, so cancelling the loop never cuts it off."""
        try:
            for tries in range(1, MAX_TRIES + 1):
                # The fence: still ours and still wanted, a whole lease ahead for this try, and marked as
                # being sent, so a /forget or /cancelreminder now waits for this try to end.
                if not await self.store.renew_reminder(reminder, self.lease_seconds, sending=True):
                    log_event(logger, "reminder_withdrawn", user=reminder.user)
                    return
                try:
                    delivery = await self._deliver(reminder)
                except Exception as error:  # noqa: BLE001 - one failed send must not stop the others
                    log_event(logger, "error", logging.ERROR, error=type(error).__name__, where="reminder_send")
                    delivery = "retry"
                if not isinstance(delivery, Wait):
                    await self._settle(reminder, delivery)
                    return
                if delivery.seconds > MAX_WAIT_SECONDS or tries == MAX_TRIES or self._stopping.is_set():
                    await self.store.settle_reminder(reminder, retry_in=delivery.seconds)
                    return
                # The lease must outlast the wait, so no other claimer can take it meanwhile.
                if not await self.store.renew_reminder(reminder, self.lease_seconds + delivery.seconds):
                    log_event(logger, "reminder_withdrawn", user=reminder.user)
                    return
                if not await self._pause(delivery.seconds):
                    await self.store.settle_reminder(reminder, retry_in=0)  # stopping: hand it back
                    return
        except Exception as error:  # noqa: BLE001 - the claim's lease frees the reminder
            log_event(logger, "error", logging.ERROR, error=type(error).__name__, where="reminder_settle")
        finally:
            self._slots.release()

    async def _settle(self, reminder: Reminder, delivery: Delivery) -> None:
        if delivery == "sent":
            if await self.store.settle_reminder(reminder):
                log_event(logger, "reminder_sent", user=reminder.user)
            return
        if delivery == "gone" or self._clock() - reminder.due_at >= GIVE_UP_SECONDS:
            if await self.store.settle_reminder(reminder):
                reason = "blocked" if delivery == "gone" else "undeliverable"
                log_event(logger, "reminder_dropped", user=reminder.user, reason=reason)
            return
        await self.store.settle_reminder(reminder, retry_in=RETRY_SECONDS)
