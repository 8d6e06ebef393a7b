"""YAML syntax errors worded for people, at the first wrong line and its column."""

from __future__ import annotations

import pytest

from bot.engine.errors import YamlSyntaxError
from bot.engine.yaml_source import read_yaml

FURTHER = "this line is indented further than a key of its own level (the line above)"
LESS = "this line is indented less than the keys above it, but further than the key they belong to"


@pytest.mark.parametrize(
    ("text", "line", "column", "what"),
    [
        # A key one space further than the key above it.
        ("steps:\n  - id: a\n    text: x\n     next: b\n", 4, 6, FURTHER),
        # Further than `choices:`, whose value was written on its own line.
        ("steps:\n  - id: a\n    choices: [{label: A}]\n      next: b\n", 4, 7, FURTHER),
        # PyYAML says "expected <block end>, but found '?'" here, about the line before.
        ("steps:\n  - id: a\n    text: x\n  next: b\n", 4, 3, LESS),
        ("steps:\n  - id: a\n    text: x\n   next: b\n", 4, 4, LESS),
        # A comment between does not move the blame.
        ("a:\n  b: 1\n# c\n   c: 2\n", 4, 4, FURTHER),
    ],
)
def test_an_indentation_mistake_names_the_first_wrong_line_and_its_column(text, line, column, what):
    _, [problem] = read_yaml(text, "flow.yaml")
    assert isinstance(problem, YamlSyntaxError)
    assert (problem.line, problem.column, problem.what) == (line, column, what)
    assert "<block" not in str(problem) and "'?'" not in str(problem)


def test_the_other_common_mistakes_say_what_they_are():
    said = {
        "text: Note: drink water\n": ("flow.yaml:1:11", "this text contains `: `", "put the whole text in quotes"),
        "steps:\n\t- id: a\n": ("flow.yaml:2:1", "this line is indented with a tab", "indent with spaces"),
        'a: 1\ntext: "hello\nnext: b\n': ("flow.yaml:2", "a quotation mark opened on line 2 is never closed", "close"),
        "choices: [{label: A, value: a}\nnext: b\n": ("flow.yaml:2:1", "the `[` opened on line 1 is not closed", "]"),
    }
    for text, (where, what, fix) in said.items():
        _, [problem] = read_yaml(text, "flow.yaml")
        assert str(problem).startswith(f"{where}: {what}"), str(problem)
        assert fix in problem.fix
