"""Inline mode: `@<bot> cramps` in any chat offers the article's excerpts as cards to post there.

This is how admins of health groups and channels share the article: they pick a card in the
message composer. Nothing personal is involved (the query is a topic word, and the cards are the
same for everyone), so Telegram may cache the answers for all users.
"""

from __future__ import annotations

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
)
from telegram.constants import ParseMode

from bot.content.library import Content
from bot.content.render import Renderer
from bot.content.search import find_excerpts

CACHE_SECONDS = 600
"""How long Telegram may reuse an answer: the cards only change when the content is reloaded."""
MAX_RESULTS = 50
"""Telegram's limit of results per answer."""
DESCRIPTION_CHARS = 120
"""The preview line under a card's title in the results list."""


def excerpt_cards(content: Content, renderer: Renderer, query: str, check_link: str) -> list[InlineQueryResultArticle]:
    """The cards for `query`: matching excerpts, or every topic when the query is empty or matches none."""
    excerpts = find_excerpts(content.excerpts.values(), query) or list(content.excerpts.values())
    button = InlineKeyboardMarkup([[InlineKeyboardButton(content.text("buttons.check_privately"), url=check_link)]])
    cards = []
    for excerpt in excerpts[:MAX_RESULTS]:
        passage = " ".join(excerpt.text.split())
        cards.append(
            InlineQueryResultArticle(
                id=excerpt.id,
                title=excerpt.title,
                description=_preview(passage),
                input_message_content=InputTextMessageContent(
                    renderer.excerpt_card(excerpt),
                    parse_mode=ParseMode.HTML,
                ),
                reply_markup=button,
            )
        )
    return cards


def check_button(content: Content, start_parameter: str) -> InlineQueryResultsButton:
    """The button above the results that opens a private check with the bot."""
    return InlineQueryResultsButton(content.text("buttons.check_privately"), start_parameter=start_parameter)


def _preview(passage: str) -> str:
    if len(passage) <= DESCRIPTION_CHARS:
        return passage
    return passage[: DESCRIPTION_CHARS - 1].rsplit(" ", 1)[0] + "…"
