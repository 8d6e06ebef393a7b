"""A local Telegram Bot API stand-in for end-to-end tests through python-telegram-bot."""

from .faults import Fault
from .html_check import HtmlEntityError, ParsedText, parse_html, utf16_len
from .methods import ApiError
from .processor import TrackingUpdateProcessor
from .server import DEFAULT_TOKEN, BotApiStandIn
from .waiting import Call
from .webhook import SECRET_HEADER, Delivery
from .world import CallbackQueryRecord, Chat, DroppedUpdate, StoredMessage, User, World

__all__ = [
    "DEFAULT_TOKEN",
    "SECRET_HEADER",
    "ApiError",
    "BotApiStandIn",
    "Call",
    "CallbackQueryRecord",
    "Chat",
    "Delivery",
    "DroppedUpdate",
    "Fault",
    "HtmlEntityError",
    "ParsedText",
    "StoredMessage",
    "TrackingUpdateProcessor",
    "User",
    "World",
    "parse_html",
    "utf16_len",
]
