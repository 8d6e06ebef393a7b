"""YAML syntax errors said for people: what is wrong with which line, at its first wrong character.

PyYAML reports what its parser expected (`expected <block end>, but found '?'`), often at a
token after the mistake. The mistakes people make by hand are few: a line indented further
or less than the keys of its own level, a tab, `: ` inside unquoted text, a quote or a
bracket left open. Each is recognised from the parser's problem and the indentation of the
line it stopped at against the line above, and worded as that mistake with its fix.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml


@dataclass(frozen=True, slots=True)
class Advice:
    line: int
    column: int | None
    what: str
    fix: str


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _key_column(line: str) -> int:
    """Where the key on a line starts: after `- ` for a list item."""
    stripped = line.lstrip(" ")
    column = _indent(line)
    while stripped.startswith("- "):
        column += 2
        stripped = stripped[2:].lstrip(" ")
        column += len(stripped) - len(stripped.lstrip(" "))
    return column


def advise(error: yaml.MarkedYAMLError, text: str) -> Advice | None:
    """The mistake behind a PyYAML error, or None if it is none of the common ones."""
    mark = error.problem_mark or error.context_mark
    if mark is None:
        return None
    lines = text.split("\n")
    at = min(mark.line, len(lines) - 1)
    while at < len(lines) - 1 and not _content(lines[at]):
        at += 1  # a mark at the end of a line or on a comment: the wrong line is the next with content
    problem = error.problem or ""
    context = error.context or ""
    context_line = error.context_mark.line + 1 if error.context_mark else at + 1
    if "'\\t'" in problem:
        return Advice(at + 1, 1, "this line is indented with a tab", "indent with spaces; YAML does not allow tabs")
    if "quoted scalar" in context:
        return Advice(
            context_line, None, f"a quotation mark opened on line {context_line} is never closed", "close the quote"
        )
    if "flow sequence" in context or "flow mapping" in context:
        bracket = "[" if "sequence" in context else "{"
        return Advice(
            at + 1,
            mark.column + 1,
            f"the `{bracket}` opened on line {context_line} is not closed before this",
            f"close it with `{']' if bracket == '[' else '}'}`, or put a comma between its items",
        )
    line = lines[at]
    above = next((lines[i] for i in range(at - 1, -1, -1) if _content(lines[i])), None)
    column = _indent(line) + 1
    if above is not None and _indent(line) > _key_column(above) and not above.rstrip().endswith(":"):
        return Advice(
            at + 1,
            column,
            "this line is indented further than a key of its own level (the line above)",
            "line its key up with the key above it; if it belongs inside that key, end the line above with `:`",
        )
    if "mapping values are not allowed" in problem:
        return Advice(
            at + 1,
            mark.column + 1,
            "this text contains `: `, which YAML reads as the start of a key",
            'put the whole text in quotes: `text: "Note: drink water"`',
        )
    if "expected <block end>" in problem:
        return Advice(
            at + 1,
            column,
            "this line is indented less than the keys above it, but further than the key they belong to",
            "line its key up with the keys of its own level (the same number of spaces)",
        )
    return None
