"""Reading a case file: a flow's conversation cases or a language corpus, told apart by their shape."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from bot.authoring.cases import CaseFile, parse_cases
from bot.authoring.corpus import Corpus, is_corpus, read_corpus
from bot.engine.model import Flow
from bot.yamlfiles.errors import FlowErrors, ShapeError
from bot.yamlfiles.yaml_source import LineDict, read_source, read_yaml


def read_test_file(path: Path, flows: Mapping[str, Flow]) -> CaseFile | Corpus:
    """A case file's conversation cases or language corpus; FlowErrors (`file:line`) if it holds neither."""
    text = read_source(path)
    raw, problems = read_yaml(text, str(path))
    if problems:
        raise FlowErrors(problems)
    if is_corpus(raw):
        return read_corpus(raw, flows, str(path))
    if isinstance(raw, LineDict) and "steps" in raw:
        raise FlowErrors(
            [ShapeError(str(path), raw.key_lines["steps"], "this is a flow file, not a case file", _CASE_FILE_HINT)]
        )
    if isinstance(raw, LineDict) and "cases" not in raw:
        raise FlowErrors([ShapeError(str(path), raw.line, "the case file has no `cases:`", _CASE_FILE_HINT)])
    tests = parse_cases(text, flows, source=str(path))
    if not tests.cases:
        line = raw.key_lines["cases"] if isinstance(raw, LineDict) else 1
        raise FlowErrors([ShapeError(str(path), line, "`cases` is empty", "add at least one case: `- name: ...`")])
    return tests


_CASE_FILE_HINT = (
    "give `twitchcheck test` a case file (`flow:` and `cases:`, see flows/tests/); check flows with `twitchcheck check`"
)
