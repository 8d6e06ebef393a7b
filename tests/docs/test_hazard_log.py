"""docs/hazard-log.md names the tests that show each control works; every one of them must exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOG = ROOT / "docs" / "hazard-log.md"
EVIDENCE = re.compile(r"`(tests/[\w/]+\.py)(?:::(\w+))?`")


def evidence() -> list[tuple[str, str | None]]:
    return [(path, test) for path, test in EVIDENCE.findall(LOG.read_text(encoding="utf-8"))]


def defined_tests(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_")
    }


def test_every_hazard_has_evidence():
    hazards = re.split(r"^## ", LOG.read_text(encoding="utf-8"), flags=re.M)[1:]
    assert len(hazards) >= 8
    for hazard in hazards:
        assert EVIDENCE.search(hazard), f"hazard without a named test: {hazard.splitlines()[0]}"


@pytest.mark.parametrize(("path", "test"), evidence(), ids=lambda part: part or "")
def test_every_named_test_exists(path: str, test: str | None):
    file = ROOT / path
    assert file.is_file(), f"{path} is named in docs/hazard-log.md but does not exist"
    if test:
        assert test in defined_tests(file), f"{path}::{test} is named in docs/hazard-log.md but does not exist"
