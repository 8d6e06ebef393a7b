"""YAML reading that remembers line numbers, so every error can point at the maintainer's line.

Whatever the file holds, reading it ends in data or in located problems, never in a traceback:
bytes that are not UTF-8, characters YAML refuses, nesting deeper than `MAX_DEPTH` and aliases
that would expand past `ALIAS_ALLOWANCE` all become one `file:line` error. The alias budget keeps
loading linear in the file size: an alias costs O(1) to read, but everything after reading (the
schema, conditions, the safety proof) walks each copy, so ten aliases of ten aliases of ... would
cost 10x per level.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from bot.engine.errors import DuplicateIdError, FlowErrors, FlowProblem, YamlSyntaxError
from bot.engine.yaml_advice import advise

_BOOL_TAG = "tag:yaml.org,2002:bool"

MAX_DEPTH = 50
"""Deepest nesting of lists and mappings accepted; real flows use under 15, and deeper input would
exhaust Python's recursion limit in the reader or in the checks that walk conditions."""

ALIAS_ALLOWANCE = 1000
"""Nodes that aliases may add beyond the file's own nodes (the file's own count is allowed again),
so the expanded document is at most about twice the written one."""


class LineDict(dict[str, Any]):
    """A mapping that knows the line of itself and of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]


class LineList(list[Any]):
    """A list that knows the line of itself and of each item (1-based)."""

    line: int = 0
    item_lines: list[int]


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that keeps line numbers and reads `yes`/`no` as text, not booleans.

    Flows record answers such as `yes` and `no`; YAML 1.1 would silently turn them into
    True/False, which is the most common surprise for people editing YAML by hand.
    """

    def __init__(self, stream: str, source: str) -> None:
        super().__init__(stream)
        self.source = source
        self.problems: list[FlowProblem] = []
        self.depth = 0
        self.written = 0  # nodes written out in the file
        self.expanded = 0  # nodes once every alias is replaced by a copy of its anchor
        self.sizes: dict[int, int] = {}  # id(node) -> its expanded size, for aliases to it

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        """Compose as PyYAML does, refusing deep nesting and aliases that would multiply the document."""
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            node = super().compose_node(parent, index)
            size = self.sizes.get(id(node), 1)  # an anchor still open (a recursive alias) counts 1
            self.expanded += size
            if self.expanded > 2 * self.written + ALIAS_ALLOWANCE:
                raise _Refused(
                    event.start_mark,
                    f"alias '*{event.anchor}' makes the file too big once expanded ({size} nodes per copy, "
                    f"{self.expanded} in all for {self.written} written)",
                    "repeat the part in full, or use fewer aliases of aliases",
                )
            return node
        nests = isinstance(event, yaml.CollectionStartEvent)
        if nests and self.depth >= MAX_DEPTH:
            raise _Refused(
                event.start_mark,
                f"lists and mappings nested more than {MAX_DEPTH} deep",
                "flatten the structure; a condition rarely needs more than a few levels of any/all/not",
            )
        self.depth += nests
        before = self.expanded
        try:
            node = super().compose_node(parent, index)
        finally:
            self.depth -= nests
        self.written += 1
        self.expanded += 1
        self.sizes[id(node)] = self.expanded - before
        return node


class _Refused(Exception):
    """Input we read no further, at a YAML mark."""

    def __init__(self, mark: Any, what: str, fix: str) -> None:
        super().__init__(what)
        self.mark, self.what, self.fix = mark, what, fix


_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_LineLoader.add_implicit_resolver(_BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        key = key if isinstance(key, str) else str(key)
        line = key_node.start_mark.line + 1
        if key in result:
            loader.problems.append(
                DuplicateIdError(
                    loader.source,
                    line,
                    f"key '{key}' appears twice in this mapping (first on line {result.key_lines[key]})",
                    "remove or rename one of them",
                )
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def read_source(path: Path) -> str:
    """The text of a flow or content file; raise FlowErrors (one located problem) if it can't be read as UTF-8."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        what = f"cannot read the file ({error.strerror or error})"
        raise FlowErrors([YamlSyntaxError(str(path), 1, what, "check the path and its permissions")]) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        what = f"the file is not UTF-8 text (byte 0x{raw[error.start]:02x})"
        fix = "save it as UTF-8 (Latin-1 and Windows-1252 are not accepted)"
        raise FlowErrors([YamlSyntaxError(str(path), line, what, fix, column)]) from None


def read_yaml(text: str, source: str) -> tuple[Any, list[FlowProblem]]:
    """Parse YAML text into LineDict/LineList trees; return the data and any problems found."""
    try:
        loader = _LineLoader(text, source)
    except yaml.reader.ReaderError as exc:  # checked up front, for the whole text
        return None, [_bad_character(text, source, exc.position)]
    try:
        data = loader.get_single_data()
    except _Refused as exc:
        line, column = (exc.mark.line + 1, exc.mark.column + 1) if exc.mark else (1, None)
        return None, [YamlSyntaxError(source, line, exc.what, exc.fix, column)]
    except yaml.MarkedYAMLError as exc:
        advice = advise(exc, text)
        if advice is not None:
            return None, [YamlSyntaxError(source, advice.line, advice.what, advice.fix, advice.column)]
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        column = mark.column + 1 if mark else None
        what = f"YAML syntax error: {exc.problem or exc.context}"
        fix = "check the indentation and quoting on this line or the one before (quote text containing ': ' or '#')"
        return None, [YamlSyntaxError(source, line, what, fix, column)]
    except yaml.YAMLError as exc:
        return None, [YamlSyntaxError(source, 1, f"YAML error: {exc}", "fix the file so it is valid YAML")]
    finally:
        loader.dispose()
    return data, loader.problems


def _bad_character(text: str, source: str, position: int) -> FlowProblem:
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    what = f"the file contains the control character U+{ord(text[position]):04X}, which YAML does not allow"
    return YamlSyntaxError(source, line, what, "delete it (it often comes from pasting out of another program)", column)


def line_at(root: Any, path: tuple[Any, ...]) -> int:
    """The line of the deepest node along `path` that still exists (a pydantic `loc`, say)."""
    line = getattr(root, "line", 1) or 1
    node = root
    for part in path:
        if isinstance(node, LineDict) and isinstance(part, str) and part in node.key_lines:
            line = node.key_lines[part]
            node = node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
            line = node.item_lines[part]
            node = node[part]
        else:
            break
    return line
