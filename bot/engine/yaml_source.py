"""YAML reading that remembers line numbers, so every error can point at the maintainer's line."""

from __future__ import annotations

import re
from typing import Any

import yaml

from bot.engine.errors import DuplicateIdError, FlowProblem, YamlSyntaxError

_BOOL_TAG = "tag:yaml.org,2002:bool"


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


def read_yaml(text: str, source: str) -> tuple[Any, list[FlowProblem]]:
    """Parse YAML text into LineDict/LineList trees; return the data and any problems found."""
    loader = _LineLoader(text, source)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
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
