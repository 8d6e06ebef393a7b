"""Bot API methods against the :class:`~.world.World`, refusing what Telegram refuses.

Each method takes the world and the decoded parameters and returns the ``result`` value,
or raises :class:`ApiError` with Telegram's status code and description. getUpdates is
not here: it has to wait, so the server implements it.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

from .html_check import HtmlEntityError, ParsedText, parse_html, utf16_len
from .world import JSON, Chat, StoredMessage, World

Params = dict[str, Any]
Method = Callable[[World, Params], Any]

MAX_TEXT_LENGTH = 4096
MAX_CALLBACK_DATA_BYTES = 64
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"


class ApiError(Exception):
    """A refusal, carried to the HTTP layer as ``{"ok": false, ...}``."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def to_dict(self) -> JSON:
        """The JSON body Telegram sends for this error."""
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(detail: str) -> ApiError:
    """A 400 with Telegram's "Bad Request: " prefix."""
    return ApiError(400, f"Bad Request: {detail}")


# -- parameter helpers -----------------------------------------------------------------
def _chat(world: World, params: Params) -> Chat:
    chat_id = params.get("chat_id")
    if chat_id in (None, ""):
        raise bad_request("chat_id is empty")
    chat = world.find_chat(chat_id)
    if chat is None and isinstance(chat_id, int) and chat_id in world.users:
        chat = world.private_chat(world.users[chat_id])  # the bot has seen this person somewhere
    if chat is None:
        raise bad_request("chat not found")
    return chat


def _writable_chat(world: World, params: Params) -> Chat:
    """The chat, if the bot may post there; otherwise Telegram's 403."""
    chat = _chat(world, params)
    if chat.type == "private":
        if chat.id in world.blocked_by:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat.id not in world.started:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return chat
    status = world.member_status(chat, world.bot.id)
    if status == "kicked":
        raise ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")
    if status == "left":
        raise ApiError(403, f"Forbidden: bot is not a member of the {chat.type} chat")
    return chat


def _int(params: Params, name: str) -> int:
    try:
        return int(params[name])
    except (KeyError, TypeError, ValueError):
        raise bad_request(f"{name} is empty") from None


def _json_field(params: Params, name: str, what: str) -> Any:
    value = params.get(name)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {what} JSON object") from None
    return value


def _bool(params: Params, name: str) -> bool:
    return params.get(name) in (True, "true", "True", 1, "1")


# -- text and keyboards ----------------------------------------------------------------
def render_text(params: Params, *, strict_html: bool = True) -> ParsedText:
    """The visible text and entities Telegram would store for ``text`` + ``parse_mode``."""
    text = params.get("text")
    if text is None or text == "":
        raise bad_request("message text is empty")
    text = str(text)
    mode = str(params.get("parse_mode") or "").lower()
    if mode == "html":
        try:
            parsed = parse_html(text, strict=strict_html)
        except HtmlEntityError as exc:
            raise bad_request(f"can't parse entities: {exc.reason}") from None
    elif mode in ("markdown", "markdownv2"):
        raise bad_request(f"parse_mode {params['parse_mode']} is not emulated by the stand-in; use HTML")
    elif mode:
        raise bad_request("unsupported parse_mode")
    else:
        parsed = ParsedText(text, list(_json_field(params, "entities", "message entities") or []))
    parsed = _strip(parsed)
    if not parsed.text:
        raise bad_request("message must be non-empty")
    if utf16_len(parsed.text) > MAX_TEXT_LENGTH:
        raise bad_request("message is too long")
    return parsed


def _strip(parsed: ParsedText) -> ParsedText:
    """Telegram trims whitespace around a message, moving and clipping entities to match."""
    stripped = parsed.text.strip()
    if stripped == parsed.text:
        return parsed
    shift = utf16_len(parsed.text[: len(parsed.text) - len(parsed.text.lstrip())])
    end = utf16_len(stripped)
    entities = []
    for entity in parsed.entities:
        start = max(entity["offset"] - shift, 0)
        stop = min(entity["offset"] + entity["length"] - shift, end)
        if stop > start:
            entities.append({**entity, "offset": start, "length": stop - start})
    return ParsedText(stripped, entities)


def check_reply_markup(params: Params) -> JSON | None:
    """The reply_markup as a dict after Telegram's checks on inline buttons, or None."""
    markup = _json_field(params, "reply_markup", "reply keyboard markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return markup
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
    for button in (button for row in rows for button in row):
        _check_inline_button(button)
    return markup


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise bad_request("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    if "text" not in button:
        raise bad_request("can't parse inline keyboard button: Can't find field \"text\"")
    if not isinstance(button["text"], str):
        raise bad_request('can\'t parse inline keyboard button: Field "text" must be of type String')
    if not button["text"].strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    actions = [key for key in BUTTON_ACTIONS if button.get(key) not in (None, "")]
    if not actions:
        raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
    data = button.get("callback_data")
    if data is not None and len(str(data).encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
        raise bad_request("BUTTON_DATA_INVALID")


def _inline_only(markup: JSON | None) -> JSON | None:
    return markup if markup and "inline_keyboard" in markup else None


# -- methods ---------------------------------------------------------------------------
def get_me(world: World, params: Params) -> JSON:
    """getMe: the bot's own User, with the bot-only flags."""
    return {
        **world.bot.to_dict(),
        "can_join_groups": True,
        "can_read_all_group_messages": not world.privacy_mode,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def send_message(world: World, params: Params) -> JSON:
    """sendMessage: store the message the way people will see it."""
    chat = _writable_chat(world, params)
    parsed = render_text(params, strict_html=world.strict_html)
    markup = check_reply_markup(params)
    message = world.new_message(
        chat,
        world.bot,
        from_bot=True,
        text=parsed.text,
        source_text=str(params["text"]),
        parse_mode=params.get("parse_mode"),
        entities=parsed.entities,
        reply_markup=markup,
    )
    return message.to_dict()


def _own_message(world: World, params: Params, verb: str) -> StoredMessage:
    if params.get("inline_message_id"):
        raise bad_request(f"message to {verb} not found")
    chat = _chat(world, params)
    message = world.find_message(chat.id, _int(params, "message_id"))
    if message is None:
        raise bad_request(f"message to {verb} not found")
    if not message.from_bot:
        raise bad_request(f"message can't be {verb}ed")
    return message


def _apply_edit(
    message: StoredMessage, text: ParsedText, source: str | None, params: Params, markup: JSON | None
) -> JSON:
    if text.text == message.text and text.entities == message.entities and markup == _inline_only(message.reply_markup):
        raise bad_request(NOT_MODIFIED)
    message.history.append((message.source_text, message.reply_markup))
    message.text, message.entities, message.source_text = text.text, text.entities, source
    message.parse_mode = params.get("parse_mode")
    message.reply_markup = markup
    message.edit_date = int(time.time())
    return message.to_dict()


def edit_message_text(world: World, params: Params) -> JSON:
    """editMessageText: leaving reply_markup out removes the keyboard, as on Telegram."""
    message = _own_message(world, params, "edit")
    parsed = render_text(params, strict_html=world.strict_html)
    markup = _inline_only(check_reply_markup(params))
    return _apply_edit(message, parsed, str(params["text"]), params, markup)


def edit_message_reply_markup(world: World, params: Params) -> JSON:
    """editMessageReplyMarkup: only the keyboard changes."""
    message = _own_message(world, params, "edit")
    markup = _inline_only(check_reply_markup(params))
    current = ParsedText(message.text or "", message.entities)
    keep = {"parse_mode": message.parse_mode}
    return _apply_edit(message, current, message.source_text, keep, markup)


def delete_message(world: World, params: Params) -> bool:
    """deleteMessage: the bot's own messages anywhere, others' in private chats or as an admin."""
    chat = _chat(world, params)
    message = world.find_message(chat.id, _int(params, "message_id"))
    if message is None:
        raise bad_request("message to delete not found")
    is_admin = world.member_status(chat, world.bot.id) in ("administrator", "creator")
    if not (message.from_bot or chat.type == "private" or is_admin):
        raise bad_request("message can't be deleted")
    message.deleted = True
    return True


def answer_callback_query(world: World, params: Params) -> bool:
    """answerCallbackQuery: each query can be answered once."""
    query = world.callback_queries.get(str(params.get("callback_query_id", "")))
    if query is None or query.answered:
        raise bad_request(QUERY_TOO_OLD)
    query.answered = True
    query.answer = {k: params[k] for k in ("text", "show_alert", "url", "cache_time") if k in params}
    return True


MAX_INLINE_RESULTS = 50
INLINE_RESULT_ID_BYTES = 64
START_PARAMETER = re.compile(r"[A-Za-z0-9_-]{1,64}")


def answer_inline_query(world: World, params: Params) -> bool:
    """answerInlineQuery: once per query, at most 50 results, each an article Telegram can post as is."""
    query = world.inline_queries.get(str(params.get("inline_query_id", "")))
    if query is None or query.answered:
        raise bad_request(QUERY_TOO_OLD)
    results = _json_field(params, "results", "inline query results")
    if not isinstance(results, list):
        raise bad_request("RESULTS_INVALID")
    if len(results) > MAX_INLINE_RESULTS:
        raise bad_request("RESULTS_TOO_MUCH")
    seen: set[str] = set()
    for result in results:
        _check_inline_result(result, seen)
    button = _json_field(params, "button", "inline query results button")
    if button is not None and not (
        isinstance(button, dict)
        and str(button.get("text", "")).strip()
        and (START_PARAMETER.fullmatch(str(button.get("start_parameter", ""))) or button.get("web_app"))
    ):
        raise bad_request("BUTTON_INVALID")
    query.answered = True
    query.results = results
    query.answer = {k: params[k] for k in ("cache_time", "is_personal", "next_offset") if k in params}
    if button is not None:
        query.answer["button"] = button
    return True


def _check_inline_result(result: Any, seen: set[str]) -> None:
    if not isinstance(result, dict) or result.get("type") != "article":
        raise bad_request("RESULT_TYPE_INVALID: the stand-in emulates article results only")
    result_id = str(result.get("id", ""))
    if not result_id or len(result_id.encode("utf-8")) > INLINE_RESULT_ID_BYTES or result_id in seen:
        raise bad_request("RESULT_ID_INVALID" if result_id not in seen else "RESULT_ID_DUPLICATE")
    seen.add(result_id)
    if not str(result.get("title", "")).strip():
        raise bad_request("RESULT_TITLE_EMPTY")
    content = result.get("input_message_content")
    if not isinstance(content, dict) or "message_text" not in content:
        raise bad_request("MESSAGE_EMPTY")
    render_text({"text": content["message_text"], "parse_mode": content.get("parse_mode")})
    if "reply_markup" in result:
        check_reply_markup({"reply_markup": result["reply_markup"]})


def _command_key(world: World, params: Params) -> tuple[str, str]:
    scope = _json_field(params, "scope", "bot command scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")


def set_my_commands(world: World, params: Params) -> bool:
    """setMyCommands: names 1-32 of [a-z0-9_], descriptions 1-256 characters."""
    commands = _json_field(params, "commands", "bot commands")
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    for command in commands:
        if not COMMAND_NAME.fullmatch(str(command.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    world.commands[_command_key(world, params)] = [
        {"command": c["command"], "description": c["description"]} for c in commands
    ]
    return True


def get_my_commands(world: World, params: Params) -> list[JSON]:
    """getMyCommands for a scope and language."""
    return world.commands.get(_command_key(world, params), [])


def delete_my_commands(world: World, params: Params) -> bool:
    """deleteMyCommands for a scope and language."""
    world.commands.pop(_command_key(world, params), None)
    return True


def send_chat_action(world: World, params: Params) -> bool:
    """sendChatAction: only the actions the Bot API lists."""
    _writable_chat(world, params)
    if params.get("action") not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True


def get_chat(world: World, params: Params) -> JSON:
    """getChat: a ChatFullInfo with the fields PTB requires."""
    chat = _chat(world, params)
    gifts = dict.fromkeys(
        ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription", "gifts_from_channels"), False
    )
    return {**chat.to_dict(), "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": gifts}


ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)


def chat_member(world: World, chat: Chat, user_id: int) -> JSON:
    """The ChatMember object for a status, with the fields each status requires."""
    user = world.users[user_id]
    status = world.member_status(chat, user_id)
    member: JSON = {"status": status, "user": user.to_dict()}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update({"can_be_edited": False, "is_anonymous": False})
        member.update(dict.fromkeys(ADMIN_RIGHTS, True))
    elif status == "kicked":
        member["until_date"] = 0
    elif status == "restricted":
        member.update({"is_member": True, "until_date": 0, "can_send_messages": False})
    return member


def get_chat_member(world: World, params: Params) -> JSON:
    """getChatMember: unknown people are "user not found", known ones default to member."""
    chat = _chat(world, params)
    user_id = _int(params, "user_id")
    if user_id not in world.users:
        raise bad_request("user not found")
    return chat_member(world, chat, user_id)


def get_chat_administrators(world: World, params: Params) -> list[JSON]:
    """getChatAdministrators: the creator and administrators, bot included."""
    chat = _chat(world, params)
    if chat.type == "private":
        raise bad_request("there are no administrators in the private chat")
    return [
        chat_member(world, chat, user_id)
        for user_id in world.users
        if world.member_status(chat, user_id) in ("creator", "administrator")
    ]


def set_webhook(world: World, params: Params) -> bool:
    """setWebhook; plain http is accepted so tests can use 127.0.0.1."""
    url = str(params.get("url") or "")
    secret = params.get("secret_token")
    if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
        raise bad_request("secret token contains unallowed characters")
    if url and not url.startswith(("http://", "https://")):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if _bool(params, "drop_pending_updates"):
        world.drop_pending()
    allowed = _json_field(params, "allowed_updates", "allowed updates")
    if allowed is not None:
        world.allowed_updates = list(allowed)
    world.webhook.url = url
    world.webhook.secret_token = str(secret) if secret is not None and url else None
    world.webhook.max_connections = int(params.get("max_connections") or 40)
    world.webhook.last_error_date = world.webhook.last_error_message = None
    return True


def delete_webhook(world: World, params: Params) -> bool:
    """deleteWebhook, optionally dropping the queued updates."""
    if _bool(params, "drop_pending_updates"):
        world.drop_pending()
    world.webhook.url = ""
    world.webhook.secret_token = None
    return True


def get_webhook_info(world: World, params: Params) -> JSON:
    """getWebhookInfo: url is "" while polling."""
    hook = world.webhook
    info: JSON = {"url": hook.url, "has_custom_certificate": False, "pending_update_count": len(world.pending)}
    if hook.url:
        info["max_connections"] = hook.max_connections
        info["ip_address"] = "127.0.0.1"
        if world.allowed_updates:
            info["allowed_updates"] = world.allowed_updates
    if hook.last_error_date is not None:
        info["last_error_date"] = hook.last_error_date
        info["last_error_message"] = hook.last_error_message
    return info


def close(world: World, params: Params) -> bool:
    """close / logOut: accepted; the stand-in keeps serving."""
    return True


METHODS: dict[str, Method] = {
    "getme": get_me,
    "sendmessage": send_message,
    "editmessagetext": edit_message_text,
    "editmessagereplymarkup": edit_message_reply_markup,
    "deletemessage": delete_message,
    "answercallbackquery": answer_callback_query,
    "answerinlinequery": answer_inline_query,
    "setmycommands": set_my_commands,
    "getmycommands": get_my_commands,
    "deletemycommands": delete_my_commands,
    "sendchataction": send_chat_action,
    "getchat": get_chat,
    "getchatmember": get_chat_member,
    "getchatadministrators": get_chat_administrators,
    "setwebhook": set_webhook,
    "deletewebhook": delete_webhook,
    "getwebhookinfo": get_webhook_info,
    "close": close,
    "logout": close,
}
