"""Test helpers that act as people: they write, press buttons and add the bot to groups.

Each action stores what the person did in the world and queues the update Telegram would
send, then returns its update_id (press returns the callback query id). Updates Telegram
would not deliver (privacy mode in groups, allowed_updates) are kept in ``api.dropped``.
"""

from __future__ import annotations

import re
import time
from typing import Any

from .html_check import utf16_len
from .methods import chat_member, render_text
from .world import JSON, MEMBER_STATUSES, CallbackQueryRecord, Chat, InlineQueryRecord, StoredMessage, User, World

ChatLike = Chat | User | int
UserLike = User | int

#: A /command as Telegram clients mark it, with an optional @botname.
COMMAND = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")


class PeopleMixin:
    """User-side actions; the stand-in supplies ``world``, ``_queue`` and ``_changed``."""

    world: World

    def _queue(self, body: JSON) -> int:  # pragma: no cover - provided by the server
        raise NotImplementedError

    def _changed(self) -> None:  # pragma: no cover - provided by the server
        raise NotImplementedError

    # -- who and where -----------------------------------------------------------------
    def user(
        self,
        id: int,
        first_name: str,
        username: str | None = None,
        *,
        last_name: str | None = None,
        language_code: str | None = "en",
    ) -> User:
        """Create (or replace) a person."""
        return self.world.add_user(User(id, first_name, username, last_name, language_code))

    def private(self, user: UserLike) -> Chat:
        """The private chat between the bot and ``user``."""
        return self.world.private_chat(self._user(user))

    def group(
        self, title: str, *, supergroup: bool = False, username: str | None = None, bot_status: str | None = "member"
    ) -> Chat:
        """A group the bot is already in (``bot_status=None``: not yet, see add_bot_to_group)."""
        chat = self.world.add_chat("supergroup" if supergroup else "group", title, username=username)
        if bot_status is not None:
            self.world.bot_status[chat.id] = bot_status
        return chat

    def channel(self, title: str, *, username: str | None = None, bot_status: str | None = "administrator") -> Chat:
        """A channel; bots can only be administrators there."""
        chat = self.world.add_chat("channel", title, username=username)
        if bot_status is not None:
            self.world.bot_status[chat.id] = bot_status
        return chat

    def set_member(self, chat: ChatLike, user: UserLike, status: str) -> None:
        """Set what getChatMember reports, e.g. "administrator" or "creator"; default is "member"."""
        if status not in MEMBER_STATUSES:
            raise ValueError(f"unknown member status {status!r}; use one of {MEMBER_STATUSES}")
        user_id = self._user(user).id
        target = self._chat(chat)
        if user_id == self.world.bot.id:
            self.world.bot_status[target.id] = status
        else:
            self.world.members[(target.id, user_id)] = status

    def make_admin(self, chat: ChatLike, user: UserLike) -> None:
        """Shortcut for set_member(chat, user, "administrator")."""
        self.set_member(chat, user, "administrator")

    # -- messages ----------------------------------------------------------------------
    def send_text(
        self, chat: ChatLike, user: UserLike, text: str, *, reply_to: StoredMessage | int | None = None
    ) -> int:
        """A person writes ``text``; /commands in it get bot_command entities, as clients add."""
        entities = [
            {"type": "bot_command", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m.group())}
            for m in COMMAND.finditer(text)
        ]
        fields: JSON = {"text": text, "entities": entities}
        return self._user_message(chat, user, fields, reply_to=reply_to)

    def send_command(self, chat: ChatLike, user: UserLike, command: str, *, at_bot: bool = False) -> int:
        """A person sends "/start payload"; ``at_bot`` makes it "/start@<bot> payload" as in groups."""
        if not command.startswith("/"):
            raise ValueError(f"a command starts with '/': {command!r}")
        if at_bot:
            name, _, rest = command.partition(" ")
            command = f"{name}@{self.world.bot.username}" + (f" {rest}" if rest else "")
        return self.send_text(chat, user, command)

    def send_sticker(self, chat: ChatLike, user: UserLike, emoji: str = "👍") -> int:
        """A person sends a sticker."""
        file_id, unique = self.world.file_id("sticker")
        sticker = {
            "file_id": file_id,
            "file_unique_id": unique,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self._user_message(chat, user, {"extra": {"sticker": sticker}})

    def send_photo(self, chat: ChatLike, user: UserLike, caption: str | None = None) -> int:
        """A person sends a photo (two sizes, like Telegram), optionally with a caption."""
        sizes = []
        for width, height in ((90, 67), (1280, 960)):
            file_id, unique = self.world.file_id("photo")
            sizes.append(
                {
                    "file_id": file_id,
                    "file_unique_id": unique,
                    "width": width,
                    "height": height,
                    "file_size": width * height // 10,
                }
            )
        extra: JSON = {"photo": sizes}
        if caption is not None:
            extra["caption"] = caption
        return self._user_message(chat, user, {"extra": extra})

    def send_voice(self, chat: ChatLike, user: UserLike, duration: int = 3) -> int:
        """A person sends a voice note."""
        file_id, unique = self.world.file_id("voice")
        voice = {
            "file_id": file_id,
            "file_unique_id": unique,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": duration * 4000,
        }
        return self._user_message(chat, user, {"extra": {"voice": voice}})

    def channel_post(self, chat: ChatLike, text: str) -> int:
        """A post in a channel (no sender, like Telegram's channel_post)."""
        target = self._chat(chat)
        message = self.world.new_message(target, None, text=text)
        return self._deliver_or_drop({"channel_post": message.to_dict()}, self._not_in_chat(target))

    def queue_raw_update(self, update: JSON) -> int:
        """Queue any update dict as-is (update_id added if missing) for edge cases."""
        return self._queue(dict(update))

    # -- buttons -----------------------------------------------------------------------
    def press(
        self,
        chat: ChatLike,
        user: UserLike,
        message: StoredMessage | int,
        callback_data: str,
        *,
        on_screen: bool = True,
    ) -> str:
        """A person presses the button carrying ``callback_data`` on the message as it is now.

        ``on_screen=False`` sends the press even if the message no longer shows that button: what a
        client with an old view, a double tap racing an edit, or a forged request produces.
        """
        target = self._chat(chat)
        current = self.world.find_message(target.id, message if isinstance(message, int) else message.message_id)
        if current is None:
            raise AssertionError(f"message {message!r} is gone from chat {target.id}; nobody can press its buttons")
        if on_screen and callback_data not in current.callback_data:
            raise AssertionError(
                f"message {current.message_id} has no button with callback_data {callback_data!r}; "
                f"its buttons now: {current.buttons}"
            )
        person = self._user(user)
        query_id = self.world.next_query_id()
        body = {
            "callback_query": {
                "id": query_id,
                "from": person.to_dict(),
                "message": current.to_dict(),
                "chat_instance": str(abs(target.id) * 7919 % 10**19),
                "data": callback_data,
            }
        }
        update_id = self.world.next_update_id()
        self.world.callback_queries[query_id] = CallbackQueryRecord(query_id, update_id, person, current, callback_data)
        self._queue({"update_id": update_id, **body})
        return query_id

    def press_button(self, chat: ChatLike, user: UserLike, message: StoredMessage | int, text: str) -> str:
        """Press the callback button labelled ``text``."""
        target = self._chat(chat)
        message_id = message if isinstance(message, int) else message.message_id
        current = self.world.find_message(target.id, message_id)
        for button in current.buttons if current else []:
            if button["text"] == text and "callback_data" in button:
                return self.press(target, user, message_id, button["callback_data"])
        raise AssertionError(
            f"no callback button labelled {text!r} on message {message_id}: "
            f"{current.button_texts if current else 'message is gone'}"
        )

    # -- inline mode -------------------------------------------------------------------
    def inline_query(self, user: UserLike, query: str, *, chat_type: str = "sender") -> str:
        """A person types "@bot `query`" in a chat's message composer; returns the inline query id."""
        person = self._user(user)
        query_id = self.world.next_query_id()
        update_id = self.world.next_update_id()
        body = {"id": query_id, "from": person.to_dict(), "query": query, "offset": "", "chat_type": chat_type}
        self.world.inline_queries[query_id] = InlineQueryRecord(query_id, update_id, person, query)
        self._queue({"update_id": update_id, "inline_query": body})
        return query_id

    def choose_inline_result(self, chat: ChatLike, user: UserLike, query_id: str, result_id: str) -> StoredMessage:
        """The person picks one of the bot's results: Telegram posts it in ``chat`` "via @bot"."""
        query = self.world.inline_queries[query_id]
        result = next((r for r in query.results if r["id"] == result_id), None)
        if result is None:
            raise AssertionError(f"no result {result_id!r} among {[r['id'] for r in query.results]}")
        content = result["input_message_content"]
        parsed = render_text({"text": content["message_text"], "parse_mode": content.get("parse_mode")})
        target = self._chat(chat)
        message = self.world.new_message(
            target,
            None if target.type == "channel" else self._user(user),
            text=parsed.text,
            source_text=content["message_text"],
            parse_mode=content.get("parse_mode"),
            entities=parsed.entities,
            reply_markup=result.get("reply_markup"),
            extra={"via_bot": self.world.bot.to_dict()},
        )
        self._changed()
        return message

    # -- membership --------------------------------------------------------------------
    def add_bot_to_group(self, chat: ChatLike, by_user: UserLike, *, as_admin: bool = False) -> int:
        """Someone adds the bot: my_chat_member, then (not in channels) the new_chat_members message."""
        target, person = self._chat(chat), self._user(by_user)
        new_status = "administrator" if as_admin or target.type == "channel" else "member"
        last = self._membership_change(target, person, new_status)
        if target.type != "channel":
            message = self.world.new_message(target, person, extra={"new_chat_members": [self.world.bot.to_dict()]})
            last = self._queue({"message": message.to_dict()})
        return last

    def remove_bot_from_group(self, chat: ChatLike, by_user: UserLike) -> int:
        """Someone removes the bot; it gets my_chat_member and nothing after that."""
        target = self._chat(chat)
        return self._membership_change(target, self._user(by_user), "left" if target.type == "group" else "kicked")

    def block_bot(self, user: UserLike) -> int:
        """The person blocks the bot: my_chat_member "kicked"; sending to them now gives 403."""
        person = self._user(user)
        update_id = self._membership_change(self.world.private_chat(person), person, "kicked")
        self.world.blocked_by.add(person.id)
        return update_id

    def unblock_bot(self, user: UserLike) -> int:
        """The person unblocks the bot: my_chat_member back to "member"."""
        person = self._user(user)
        self.world.blocked_by.discard(person.id)
        return self._membership_change(self.world.private_chat(person), person, "member")

    def _membership_change(self, chat: Chat, by: User, new_status: str) -> int:
        old = chat_member(self.world, chat, self.world.bot.id)
        self.world.bot_status[chat.id] = new_status
        new = chat_member(self.world, chat, self.world.bot.id)
        return self._queue(
            {
                "my_chat_member": {
                    "chat": chat.to_dict(),
                    "from": by.to_dict(),
                    "date": int(time.time()),
                    "old_chat_member": old,
                    "new_chat_member": new,
                }
            }
        )

    # -- plumbing ----------------------------------------------------------------------
    def _user(self, user: UserLike) -> User:
        if isinstance(user, User):
            return self.world.users.setdefault(user.id, user)
        if user not in self.world.users:
            raise AssertionError(f"unknown user {user}; create it with api.user(...) first")
        return self.world.users[user]

    def _chat(self, chat: ChatLike) -> Chat:
        if isinstance(chat, User):
            return self.world.private_chat(self._user(chat))
        if isinstance(chat, Chat):
            return self.world.chats.setdefault(chat.id, chat)
        found = self.world.chats.get(chat)
        if found is None and chat in self.world.users:
            found = self.world.private_chat(self.world.users[chat])
        if found is None:
            raise AssertionError(f"unknown chat {chat}; create it with api.group(...) or api.private(...)")
        return found

    def _user_message(
        self, chat: ChatLike, user: UserLike, fields: dict[str, Any], *, reply_to: StoredMessage | int | None = None
    ) -> int:
        target, person = self._chat(chat), self._user(user)
        if target.type == "private":
            self.world.started.add(person.id)
        extra = dict(fields.pop("extra", {}))
        replied = None
        if reply_to is not None:
            replied = self.world.find_message(target.id, reply_to if isinstance(reply_to, int) else reply_to.message_id)
            if replied is None:
                raise AssertionError(f"cannot reply to missing message {reply_to!r}")
            extra["reply_to_message"] = replied.to_dict()
        message = self.world.new_message(target, person, extra=extra, **fields)
        reason = self._not_in_chat(target) or self._privacy_reason(target, message, replied)
        return self._deliver_or_drop({"message": message.to_dict()}, reason)

    def _not_in_chat(self, chat: Chat) -> str | None:
        if chat.type != "private" and self.world.member_status(chat, self.world.bot.id) in ("left", "kicked"):
            return f"the bot is not in {chat.type} {chat.id}"
        return None

    def _privacy_reason(self, chat: Chat, message: StoredMessage, replied: StoredMessage | None) -> str | None:
        """Why privacy mode hides a group message from the bot, or None if the bot sees it."""
        if not chat.is_group or not self.world.privacy_mode:
            return None
        if self.world.member_status(chat, self.world.bot.id) in ("administrator", "creator"):
            return None
        text = message.text or ""
        mention = f"@{self.world.bot.username}".lower()
        if text.startswith("/") or mention in text.lower() or (replied is not None and replied.from_bot):
            return None
        return "privacy mode: in groups the bot only sees commands, mentions and replies to it"

    def _deliver_or_drop(self, body: JSON, reason: str | None) -> int:
        if reason is None:
            return self._queue(body)
        update = {"update_id": self.world.next_update_id(), **body}
        self.world.last_update_id = update["update_id"]
        self.world.drop(update, reason)
        self._changed()
        return int(update["update_id"])
