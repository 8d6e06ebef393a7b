"""The import graph of `bot/`, read with `ast`: no circle, and the engine never points up."""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parents[1] / "bot"
ABOVE_ENGINE = ("bot.content", "bot.storage", "bot.telegram", "bot.studio", "bot.authoring", "bot.session", "bot.shell")
ABOVE_ENGINE += ("bot.cli", "bot.flow_versions", "bot.reminders")


def module_of(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports() -> dict[str, set[str]]:
    """Each module of `bot` and the `bot` modules it imports (anywhere in it, function bodies too)."""
    modules = {module_of(path): path for path in BOT.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot"):
                found |= {
                    f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                    for a in node.names
                }
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.startswith("bot")}
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle in the graph, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_import_graph_has_no_circle() -> None:
    graph = imports()
    assert "bot.session" in graph and "bot.engine.engine" in graph
    assert cycle(graph) is None, " → ".join(cycle(graph) or [])


def test_the_engine_imports_nothing_above_it() -> None:
    upward = [
        f"{name} → {target}"
        for name, targets in imports().items()
        if name.startswith("bot.engine")
        for target in targets
        if target.startswith(ABOVE_ENGINE)
    ]
    assert upward == []


def test_a_graph_with_a_circle_is_caught() -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None
