"""Follow-up reminders (issue 13), apart from Telegram: when one is due (civil.py) and the loop that
claims and sends due ones on every replica (dispatcher.py). The Telegram side is bot/telegram/reminders.py."""

from bot.reminders.civil import DAY_STARTS, NIGHT_STARTS, due_after
from bot.reminders.dispatcher import Delivery, ReminderDispatcher, Wait

__all__ = ["DAY_STARTS", "NIGHT_STARTS", "Delivery", "ReminderDispatcher", "Wait", "due_after"]
