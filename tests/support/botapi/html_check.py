"""Telegram's HTML parse mode, checked the way the Bot API checks it.

Error texts follow TDLib's ``parse_html`` (the code behind the Bot API), so a bot that
would get ``can't parse entities: ...`` from Telegram gets the same text here. Two rules
are stricter than Telegram on purpose, because both hide a missing ``html.escape``:

* Telegram shows an unknown entity (``&nbsp;``) or a bare ``&`` literally; we refuse it.
* Telegram ignores attributes it does not know (``<b class="x">``); we refuse them.

Pass ``strict=False`` to get Telegram's lenient behaviour for those two.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

#: Tag -> entity type, as listed under "HTML style" in the Bot API docs.
TAG_ENTITIES: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
}

#: The attributes Telegram gives a meaning to; anything else is refused in strict mode.
KNOWN_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href"}),
    "code": frozenset({"class"}),
    "span": frozenset({"class"}),
    "blockquote": frozenset({"expandable"}),
}

#: The only named entities Telegram decodes.
NAMED_ENTITIES: dict[str, str] = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class HtmlEntityError(ValueError):
    """The text is not valid Telegram HTML; ``reason`` is the text after "can't parse entities: "."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ParsedText:
    """What Telegram stores: the visible text and its entities (offsets in UTF-16 units)."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def parse_html(source: str, *, strict: bool = True) -> ParsedText:
    """Parse Telegram HTML into visible text and entities, or raise HtmlEntityError."""
    parser = _TelegramHtmlParser(source, strict=strict)
    parser.feed(source)
    parser.close()
    return parser.result()


@dataclass(slots=True)
class _OpenTag:
    tag: str
    start: int  # UTF-16 offset in the visible text
    attrs: dict[str, str | None]
    language: str | None = None


class _TelegramHtmlParser(HTMLParser):
    """html.parser tokenises; the handlers apply Telegram's rules and build the visible text."""

    def __init__(self, source: str, *, strict: bool) -> None:
        super().__init__(convert_charrefs=False)
        self._source = source
        self._strict = strict
        self._line_starts = [0] + [i + 1 for i, ch in enumerate(source) if ch == "\n"]
        self._chunks: list[str] = []
        self._length = 0
        self._stack: list[_OpenTag] = []
        self._entities: list[dict[str, Any]] = []

    # -- positions ---------------------------------------------------------------------
    def _index(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def _byte_offset(self, index: int | None = None) -> int:
        return len(self._source[: self._index() if index is None else index].encode("utf-8"))

    def _tag_name_at(self, index: int) -> str:
        end = index + 1
        while end < len(self._source) and not self._source[end].isspace() and self._source[end] != ">":
            end += 1
        return self._source[index + 1 : end].lower()  # TDLib reads a tag name up to a space or ">"

    def _append(self, text: str) -> None:
        self._chunks.append(text)
        self._length += utf16_len(text)

    # -- tags --------------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        at = self._byte_offset()
        if tag not in TAG_ENTITIES:
            raise HtmlEntityError(f'Unsupported start tag "{tag}" at byte offset {at}')
        attributes = dict(attrs)
        if tag == "span" and attributes.get("class") != "tg-spoiler":
            raise HtmlEntityError(f'Tag "span" must have class "tg-spoiler" at byte offset {at}')
        if self._strict:
            for name in attributes:
                if name not in KNOWN_ATTRIBUTES.get(tag, frozenset()):
                    raise HtmlEntityError(f'Unsupported attribute "{name}" in the tag "{tag}" at byte offset {at}')
        self._stack.append(_OpenTag(tag, self._length, attributes))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # Telegram has no void elements: "<br/>" is an unsupported tag, "<b/>" never closes.
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        at = self._byte_offset()
        if not self._stack:
            raise HtmlEntityError(f"Unexpected end tag at byte offset {at}")
        opened = self._stack[-1]
        if opened.tag != tag:
            raise HtmlEntityError(
                f'Unmatched end tag at byte offset {at}, expected "</{opened.tag}>", found "</{tag}>"'
            )
        self._stack.pop()
        self._close_entity(opened)

    def _close_entity(self, opened: _OpenTag) -> None:
        length = self._length - opened.start
        if length == 0:
            return
        entity: dict[str, Any] = {"type": TAG_ENTITIES[opened.tag], "offset": opened.start, "length": length}
        if opened.tag == "a":
            href = opened.attrs.get("href")
            if not href:
                return
            entity["url"] = href
        elif opened.tag == "blockquote" and "expandable" in opened.attrs:
            entity["type"] = "expandable_blockquote"
        elif opened.tag == "code":
            language = (opened.attrs.get("class") or "").removeprefix("language-")
            parent = self._stack[-1] if self._stack else None
            if language and parent is not None and parent.tag == "pre" and parent.start == opened.start:
                parent.language = language
                return
        elif opened.tag == "pre" and opened.language:
            entity["language"] = opened.language
        self._entities.append(entity)

    # -- text --------------------------------------------------------------------------
    def handle_data(self, data: str) -> None:
        start = self._index()
        lt = data.find("<")
        if lt >= 0:
            # html.parser passes "<3" or a tag cut off by the end of the text through as data.
            index = start + lt
            at = self._byte_offset(index)
            name = self._tag_name_at(index)
            if name.startswith("/"):
                raise HtmlEntityError(f"Unexpected end tag at byte offset {at}")
            if index + 1 + len(name) >= len(self._source):
                raise HtmlEntityError(f"Unclosed start tag at byte offset {at}")
            raise HtmlEntityError(f'Unsupported start tag "{name}" at byte offset {at}')
        amp = data.find("&")
        if amp >= 0 and self._strict:
            raise HtmlEntityError(f'Unescaped "&" at byte offset {self._byte_offset(start + amp)}; use &amp;')
        self._append(data)

    def handle_entityref(self, name: str) -> None:
        if name in NAMED_ENTITIES:
            self._append(NAMED_ENTITIES[name])
        elif self._strict:
            raise HtmlEntityError(f'Unsupported HTML entity "&{name};" at byte offset {self._byte_offset()}')
        else:
            self._append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        try:
            code = int(name[1:], 16) if name[:1] in ("x", "X") else int(name)
        except ValueError:
            code = 0
        if 0 < code < 0x110000 and not 0xD800 <= code <= 0xDFFF:
            self._append(chr(code))
        elif self._strict:
            raise HtmlEntityError(f'Invalid character reference "&#{name};" at byte offset {self._byte_offset()}')
        else:
            self._append(f"&#{name};")

    def _unsupported_markup(self) -> None:
        index = self._index()
        raise HtmlEntityError(
            f'Unsupported start tag "{self._tag_name_at(index)}" at byte offset {self._byte_offset(index)}'
        )

    def handle_comment(self, data: str) -> None:
        self._unsupported_markup()

    def handle_decl(self, decl: str) -> None:
        self._unsupported_markup()

    def handle_pi(self, data: str) -> None:
        self._unsupported_markup()

    def unknown_decl(self, data: str) -> None:
        self._unsupported_markup()

    def result(self) -> ParsedText:
        """The parsed text, once the whole source has been fed and closed."""
        if self._stack:
            raise HtmlEntityError(f'Can\'t find end tag corresponding to start tag "{self._stack[-1].tag}"')
        entities = sorted(self._entities, key=lambda e: (e["offset"], -e["length"]))
        return ParsedText("".join(self._chunks), entities)
