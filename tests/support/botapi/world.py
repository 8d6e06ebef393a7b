"""The stand-in's world: people, chats, messages and the update queue.

Plain synchronous state with no HTTP and no asyncio, so the Bot API methods and the
test helpers can share it and tests can read it directly.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]

#: Update types Telegram leaves out when a bot never asked for them (allowed_updates).
OPT_IN_UPDATE_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

#: Statuses getChatMember can report; "member" is what an unconfigured person gets.
MEMBER_STATUSES = ("creator", "administrator", "member", "restricted", "left", "kicked")


@dataclass(frozen=True, slots=True)
class User:
    """A Telegram account: a person, or the bot itself."""

    id: int
    first_name: str
    username: str | None = None
    last_name: str | None = None
    language_code: str | None = "en"
    is_bot: bool = False

    def to_dict(self) -> JSON:
        """The Bot API User object."""
        data: JSON = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data


@dataclass(frozen=True, slots=True)
class Chat:
    """A private chat, group, supergroup or channel."""

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None

    @property
    def is_group(self) -> bool:
        """Groups and supergroups, where privacy mode and admin checks apply."""
        return self.type in ("group", "supergroup")

    def to_dict(self) -> JSON:
        """The Bot API Chat object as it appears inside a Message."""
        data: JSON = {"id": self.id, "type": self.type}
        for key in ("title", "username", "first_name", "last_name"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data


@dataclass(slots=True)
class StoredMessage:
    """One message as Telegram keeps it, updated in place by edits and deletion.

    ``text`` is what people see (HTML already rendered), ``source_text`` what the bot sent.
    """

    chat: Chat
    message_id: int
    sender: User | None
    date: int
    from_bot: bool = False
    text: str | None = None
    source_text: str | None = None
    parse_mode: str | None = None
    entities: list[JSON] = field(default_factory=list)
    reply_markup: JSON | None = None
    extra: JSON = field(default_factory=dict)
    edit_date: int | None = None
    deleted: bool = False
    history: list[tuple[str | None, JSON | None]] = field(default_factory=list)

    @property
    def inline_keyboard(self) -> list[list[JSON]]:
        """The rows of inline buttons, empty when the message has none."""
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            rows: list[list[JSON]] = self.reply_markup["inline_keyboard"]
            return rows
        return []

    @property
    def buttons(self) -> list[JSON]:
        """All inline buttons, row by row."""
        return [button for row in self.inline_keyboard for button in row]

    @property
    def button_texts(self) -> list[str]:
        """The labels of the inline buttons, in order."""
        return [button["text"] for button in self.buttons]

    @property
    def callback_data(self) -> list[str]:
        """The callback_data of the inline buttons that have one, in order."""
        return [button["callback_data"] for button in self.buttons if "callback_data" in button]

    def to_dict(self) -> JSON:
        """The Bot API Message object for the current state of the message."""
        data: JSON = {"message_id": self.message_id, "date": self.date, "chat": self.chat.to_dict()}
        if self.sender is not None:
            data["from"] = self.sender.to_dict()
        elif self.chat.type == "channel":
            data["sender_chat"] = self.chat.to_dict()
        if self.text is not None:
            data["text"] = self.text
        if self.entities:
            data["entities"] = list(self.entities)
        if self.inline_keyboard:
            data["reply_markup"] = self.reply_markup
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        data.update(self.extra)
        return data


@dataclass(slots=True)
class CallbackQueryRecord:
    """A button press, and the bot's answer once it comes."""

    id: str
    update_id: int
    user: User
    message: StoredMessage
    data: str
    answered: bool = False
    answer: JSON | None = None


@dataclass(slots=True)
class InlineQueryRecord:
    """Someone typing "@bot words" in a chat's composer, and the results the bot answered with."""

    id: str
    update_id: int
    user: User
    query: str
    answered: bool = False
    results: list[JSON] = field(default_factory=list)
    answer: JSON = field(default_factory=dict)


@dataclass(slots=True)
class WebhookConfig:
    """What setWebhook stored; an empty url means polling."""

    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass(frozen=True, slots=True)
class DroppedUpdate:
    """An update Telegram would never have sent the bot, and why."""

    update: JSON
    reason: str


def update_type(update: JSON) -> str:
    """The kind of an update: its one key besides update_id."""
    kinds = [key for key in update if key != "update_id"]
    return kinds[0] if kinds else ""


class World:
    """Everything the fake Telegram knows, with the ids Telegram would hand out."""

    def __init__(self, bot: User, *, privacy_mode: bool = True, strict_html: bool = True) -> None:
        self.bot = bot
        self.privacy_mode = privacy_mode
        self.strict_html = strict_html
        self.users: dict[int, User] = {bot.id: bot}
        self.chats: dict[int, Chat] = {}
        self.members: dict[tuple[int, int], str] = {}
        self.bot_status: dict[int, str] = {}
        self.started: set[int] = set()
        self.blocked_by: set[int] = set()
        self.messages: dict[int, list[StoredMessage]] = {}
        self.pending: list[JSON] = []
        self.confirmed: set[int] = set()
        self.handled: set[int] = set()
        self.dropped: list[DroppedUpdate] = []
        self.last_update_id = 0
        self.allowed_updates: list[str] = []
        self.webhook = WebhookConfig()
        self.callback_queries: dict[str, CallbackQueryRecord] = {}
        self.inline_queries: dict[str, InlineQueryRecord] = {}
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self._update_ids = itertools.count(100_001)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._group_ids = itertools.count(4_000_000_001)
        self._supergroup_ids = itertools.count(1_000_000_000_001)
        self._query_ids = itertools.count(7_000_000_000_000_001)
        self._file_ids = itertools.count(1)

    # -- people and chats --------------------------------------------------------------
    def add_user(self, user: User) -> User:
        """Register a person; they can write to the bot but have no chat with it yet."""
        self.users[user.id] = user
        return user

    def private_chat(self, user: User) -> Chat:
        """The private chat between the bot and ``user`` (same id as the user, like Telegram)."""
        chat = self.chats.get(user.id)
        if chat is None:
            chat = Chat(
                user.id, "private", username=user.username, first_name=user.first_name, last_name=user.last_name
            )
            self.chats[chat.id] = chat
        return chat

    def add_chat(self, kind: str, title: str, *, username: str | None = None, chat_id: int | None = None) -> Chat:
        """Create a group, supergroup or channel with a Telegram-shaped id."""
        if chat_id is None:
            chat_id = -next(self._group_ids) if kind == "group" else -next(self._supergroup_ids)
        chat = Chat(chat_id, kind, title=title, username=username)
        self.chats[chat.id] = chat
        return chat

    def find_chat(self, chat_id: int | str) -> Chat | None:
        """Look a chat up by id or by "@username", as the Bot API's chat_id allows."""
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            name = chat_id[1:].lower()
            return next((c for c in self.chats.values() if c.username and c.username.lower() == name), None)
        try:
            return self.chats.get(int(chat_id))
        except ValueError:
            return None

    def member_status(self, chat: Chat, user_id: int) -> str:
        """The status getChatMember reports; known people default to "member"."""
        if user_id == self.bot.id:
            return self.bot_status.get(chat.id, "member" if chat.type == "private" else "left")
        if chat.type == "private":
            return "member" if user_id == chat.id else "left"
        return self.members.get((chat.id, user_id), "member")

    # -- messages ----------------------------------------------------------------------
    def new_message(self, chat: Chat, sender: User | None, *, from_bot: bool = False, **fields: Any) -> StoredMessage:
        """Store a message with the chat's next message_id."""
        ids = self._message_ids.setdefault(chat.id, itertools.count(1))
        message = StoredMessage(chat, next(ids), sender, int(time.time()), from_bot=from_bot, **fields)
        self.messages.setdefault(chat.id, []).append(message)
        return message

    def find_message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        """A message that exists and has not been deleted."""
        for message in self.messages.get(chat_id, []):
            if message.message_id == message_id and not message.deleted:
                return message
        return None

    def file_id(self, kind: str) -> tuple[str, str]:
        """A fresh (file_id, file_unique_id) pair for media people send."""
        number = next(self._file_ids)
        return f"{kind.upper()}-FILE-{number:06d}", f"uniq{number:06d}"

    def next_query_id(self) -> str:
        """A callback query id, a long number in a string like Telegram's."""
        return str(next(self._query_ids))

    # -- the update queue --------------------------------------------------------------
    def allows(self, kind: str) -> bool:
        """Whether the bot's allowed_updates let this kind of update through."""
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in OPT_IN_UPDATE_TYPES

    def queue(self, body: JSON) -> int:
        """Give ``body`` the next update_id and queue it, unless Telegram would filter it."""
        update_id = body.get("update_id") or next(self._update_ids)
        update = {"update_id": update_id, **{k: v for k, v in body.items() if k != "update_id"}}
        self.last_update_id = update_id
        kind = update_type(update)
        if not self.allows(kind):
            self.drop(update, f"{kind!r} is not in allowed_updates {self.allowed_updates or 'default'}")
        else:
            self.pending.append(update)
        return update_id

    def drop(self, update: JSON, reason: str) -> None:
        """Record an update that never reaches the bot; it counts as confirmed and handled."""
        self.dropped.append(DroppedUpdate(update, reason))
        self.confirmed.add(update["update_id"])
        self.handled.add(update["update_id"])

    def next_update_id(self) -> int:
        """Reserve an update_id for an update built outside :meth:`queue`."""
        return next(self._update_ids)

    def confirm_below(self, offset: int) -> None:
        """getUpdates' offset: forget every update below it (negative: keep only the last -offset)."""
        if offset < 0:
            keep = self.pending[offset:]
            self.confirm(u["update_id"] for u in self.pending[: len(self.pending) - len(keep)])
        else:
            self.confirm(u["update_id"] for u in self.pending if u["update_id"] < offset)

    def confirm(self, update_ids: Any) -> None:
        """Mark updates as delivered for good and take them off the queue."""
        ids = set(update_ids)
        self.confirmed |= ids
        self.pending = [u for u in self.pending if u["update_id"] not in ids]

    def drop_pending(self) -> None:
        """drop_pending_updates=True: the queued updates vanish unseen."""
        for update in list(self.pending):
            self.drop(update, "dropped by drop_pending_updates")
        self.pending = []
