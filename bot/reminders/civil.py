"""Civil time for a reminder: `due_after(checked_at, days, zone) -> when to send it`.

Telegram tells a bot nothing about a person's time zone, and the bot asks nothing. So the
reminder goes at the time of day the person did the check, `days` later: they were awake then.
It is read on one clock, `zone` (UTC unless the operator sets TWITCHCHECK_REMINDER_TIMEZONE to
the community's zone), and never falls between 21:00 and 09:00 of that clock: a check done at
23:40 is followed up at 09:00 the morning after the 14th day, never earlier than `days` after.
Adding days is done on that clock's calendar, so a change to or from summer time keeps the hour.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, tzinfo

DAY_STARTS = time(9, 0)
NIGHT_STARTS = time(21, 0)
"""No reminder between NIGHT_STARTS and DAY_STARTS of the reminder clock."""


def due_after(checked_at: float, days: int, zone: tzinfo = UTC) -> float:
    """The POSIX time `days` after `checked_at` at the same time of day on `zone`'s clock, moved out of the night."""
    local = datetime.fromtimestamp(checked_at, zone)
    due = datetime.combine(local.date() + timedelta(days=days), local.time(), zone)
    if due.time() < DAY_STARTS:
        due = datetime.combine(due.date(), DAY_STARTS, zone)
    elif due.time() >= NIGHT_STARTS:
        due = datetime.combine(due.date() + timedelta(days=1), DAY_STARTS, zone)
    return due.timestamp()


def local_date(when: float, zone: tzinfo = UTC) -> datetime:
    """`when` on the reminder clock, for showing the date in a confirmation."""
    return datetime.fromtimestamp(when, zone)
