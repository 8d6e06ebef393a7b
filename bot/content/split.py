"""Splitting a long message under Telegram's limit: `split_message(sections) -> [chunk, …]`.

Sizes are counted as Telegram counts them (UTF-16 code units), and with HTML every chunk is well-formed
on its own: a cut never falls inside a tag or an entity, and tags open at a cut are closed and reopened.
"""

from __future__ import annotations

import re

MAX_MESSAGE_CHARS = 4096
"""Telegram's limit for one message's text."""


def split_message(sections: list[str], limit: int = MAX_MESSAGE_CHARS, *, html: bool = True) -> list[str]:
    """Pack sections into messages of at most `limit` UTF-16 units (Telegram's count), breaking between lines.

    Each line is well-formed on its own (tags never span lines), so a break between lines never
    leaves an unclosed tag. A single overlong line is cut at a space; with `html`, a cut never falls
    inside a tag or an entity, and the tags open at the cut are closed before it and opened again after.
    """
    lines: list[str] = []
    for index, section in enumerate(sections):
        if index:
            lines.append("")
        for line in section.split("\n"):
            lines += _cut_line(line, limit, html) if _size(line) > limit else [line]
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        extra = _size(line) + (1 if current else 0)
        if current and size + extra > limit:
            chunks.append("\n".join(current).strip("\n"))
            current, size = [], 0
            if not line:
                continue
            extra = _size(line)
        current.append(line)
        size += extra
    if current:
        chunks.append("\n".join(current).strip("\n"))
    return [chunk for chunk in chunks if (_TAG.sub("", chunk) if html else chunk).strip()]


_TAG = re.compile(r"<[^<>]*>")
_TOKEN = re.compile(r"<[^<>]*>|&#?\w+;|[^<&]+|[<&]")
"""A line of our HTML as tags, entities and runs of text; only text runs may be cut."""


def _size(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units, so an emoji counts 2."""
    return len(text.encode("utf-16-le")) // 2


class _Piece:
    """One piece of an overlong line being built: its text so far and the tags open in it."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.opened: list[tuple[str, str]] = []  # (opening, closing) tags; ("", "") for a dropped tag
        self.closing = 0  # size of the closing tags still owed
        self.empty = True  # nothing but reopened tags yet

    def add(self, text: str, size: int) -> None:
        self.parts.append(text)
        self.size += size
        self.empty = False

    def open(self, tag: str, close: str) -> None:
        self.parts.append(tag)
        self.size += _size(tag)
        self.opened.append((tag, close))
        self.closing += _size(close)

    def close(self, token: str) -> None:
        tag, close = self.opened.pop() if self.opened else ("", token)
        self.closing -= _size(close) if tag else 0
        if tag and self.parts and self.parts[-1] == tag:  # opened with nothing inside: drop it
            self.parts.pop()
            self.size -= _size(tag)
        else:
            self.parts.append(close)
            self.size += _size(close)

    def used(self) -> int:
        return self.size + self.closing

    def finish(self) -> str:
        """The piece with its open tags closed."""
        return "".join(self.parts) + "".join(close for _, close in reversed(self.opened))

    def next(self) -> _Piece:
        """A new piece that opens again the tags open here."""
        piece = _Piece()
        for tag, close in self.opened:
            if tag:
                piece.open(tag, close)
            else:
                piece.opened.append((tag, close))
        return piece


def _cut_line(line: str, limit: int, html: bool) -> list[str]:
    """Cut one overlong line into pieces of at most `limit` units, each well-formed on its own.

    Tags whose opening and closing would take more than a quarter of a piece are dropped (their
    text stays), so a new piece always has room for text and the loop always moves on.
    """
    pieces: list[str] = []
    piece = _Piece()
    for token in _TOKEN.findall(line) if html else [line]:
        if html and _TAG.fullmatch(token):
            if token.startswith("</"):
                piece.close(token)
                continue
            name = token[1:-1].split()
            close = f"</{name[0] if name else ''}>"
            reopened = sum(_size(tag) + _size(end) for tag, end in piece.opened)
            if reopened + _size(token) + _size(close) > limit // 4:
                piece.opened.append(("", ""))
                continue
            if piece.used() + _size(token) + _size(close) > limit and not piece.empty:
                pieces.append(piece.finish())
                piece = piece.next()
            piece.open(token, close)
            continue
        atomic = html and token.startswith("&") and len(token) > 1
        while token:
            size = _size(token)
            room = limit - piece.used()
            if size <= room:
                piece.add(token, size)
                break
            cut = 0 if atomic else _fitting(token, room)
            space = token.rfind(" ", 0, cut)
            if space > 0 and token[:space].strip():
                cut = space
            if cut == 0 and not piece.empty:
                pieces.append(piece.finish())
                piece = piece.next()
                continue
            cut = max(cut, 1)  # only with a limit too small for one entity or character
            piece.add(token[:cut], _size(token[:cut]))
            token = token[cut:].lstrip(" ")
            pieces.append(piece.finish())
            piece = piece.next()
    if not piece.empty or not pieces:
        pieces.append(piece.finish())
    return pieces


def _fitting(text: str, room: int) -> int:
    """How many characters of `text` fit in `room` UTF-16 units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > room:
            return index
    return len(text)
