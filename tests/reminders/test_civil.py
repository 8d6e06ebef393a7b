"""Civil time: a reminder comes 14 days after the check, at its time of day, never between 21:00 and 09:00."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.config import ConfigError, Settings
from bot.reminders.civil import due_after

LONDON = ZoneInfo("Europe/London")


def at(*parts: int, zone: ZoneInfo | None = None) -> float:
    return datetime(*parts, tzinfo=zone or UTC).timestamp()  # type: ignore[misc]


@pytest.mark.parametrize(
    ("checked", "due"),
    [
        ((2026, 3, 2, 14, 30), (2026, 3, 16, 14, 30)),  # the afternoon: the same time, two weeks on
        ((2026, 3, 2, 9, 0), (2026, 3, 16, 9, 0)),  # 09:00 is day
        ((2026, 3, 2, 20, 59), (2026, 3, 16, 20, 59)),  # 20:59 is day
        ((2026, 3, 2, 21, 0), (2026, 3, 17, 9, 0)),  # 21:00 is night: the next morning, never earlier
        ((2026, 3, 2, 23, 40), (2026, 3, 17, 9, 0)),
        ((2026, 3, 2, 2, 15), (2026, 3, 16, 9, 0)),  # small hours: the same day's morning, still after 14 days
        ((2026, 12, 31, 22, 0), (2027, 1, 15, 9, 0)),  # across the year
    ],
)
def test_due_times(checked: tuple[int, ...], due: tuple[int, ...]) -> None:
    assert due_after(at(*checked), 14) == at(*due)


def test_never_earlier_than_the_days_asked_for() -> None:
    for hour in range(24):
        checked = at(2026, 3, 2, hour, 30)
        assert due_after(checked, 14) >= checked + 14 * 86400


def test_on_a_local_clock_summer_time_keeps_the_hour() -> None:
    """London goes to summer time on 29 March 2026: 14:05 stays 14:05 on the clock (13:05 UTC)."""
    due = due_after(at(2026, 3, 20, 14, 5, zone=LONDON), 14, LONDON)
    assert datetime.fromtimestamp(due, LONDON).replace(tzinfo=None) == datetime(2026, 4, 3, 14, 5)
    assert datetime.fromtimestamp(due, UTC).hour == 13


def test_a_late_utc_check_is_daytime_on_the_communitys_clock() -> None:
    """23:30 UTC is 19:30 in New York: on that clock it is day, so the hour is kept."""
    new_york = ZoneInfo("America/New_York")
    assert due_after(at(2026, 6, 1, 23, 30), 14, new_york) == at(2026, 6, 15, 23, 30)


def test_the_reminder_clock_setting_must_name_a_time_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWITCHCHECK_REMINDER_TIMEZONE", "Mars/Olympus_Mons")
    with pytest.raises(ConfigError, match="TWITCHCHECK_REMINDER_TIMEZONE must be a time zone name"):
        Settings.from_env(dotenv=False)
    monkeypatch.setenv("TWITCHCHECK_REMINDER_TIMEZONE", "Europe/London")
    assert Settings.from_env(dotenv=False).reminder_zone == LONDON
    monkeypatch.delenv("TWITCHCHECK_REMINDER_TIMEZONE")
    assert Settings.from_env(dotenv=False).reminder_timezone == "UTC"
