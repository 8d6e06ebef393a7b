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


FLOOR = "bot.yamlfiles"
"""Reading maintainers' YAML with line numbers, and the problem tree: below both `engine` and `content`."""


def arrows(source: str, targets: tuple[str, ...]) -> list[str]:
    """Every import from a module under `source` to one under `targets`."""
    return [
        f"{name} → {target}"
        for name, found in imports().items()
        if name == source or name.startswith(source + ".")
        for target in found
        if target.startswith(targets)
    ]


def test_the_floor_imports_nothing_of_bot_above_it() -> None:
    graph = imports()
    assert any(name.startswith(FLOOR) for name in graph)
    upward = [
        f"{n} → {t}" for n, found in graph.items() if n.startswith(FLOOR) for t in found if not t.startswith(FLOOR)
    ]
    assert upward == []


def test_content_and_engine_read_yaml_and_problems_from_the_floor() -> None:
    assert arrows("bot.engine", ("bot.content",)) == []
    floor_users = {name for name, found in imports().items() if any(t.startswith(FLOOR) for t in found)}
    assert any(n.startswith("bot.engine") for n in floor_users) and any(
        n.startswith("bot.content") for n in floor_users
    )


def test_content_imports_no_front_end_or_store() -> None:
    above = ("bot.storage", "bot.telegram", "bot.studio", "bot.session", "bot.shell", "bot.cli", "bot.authoring")
    assert arrows("bot.content", above) == []


def test_no_store_backend_imports_another() -> None:
    assert arrows("bot.storage.redis", ("bot.storage.sqlite",)) == []
    assert arrows("bot.storage.sqlite", ("bot.storage.redis",)) == []


def test_neutral_rendering_knows_no_card_summary_or_telegram() -> None:
    assert arrows("bot.content.render", ("bot.content.summary", "bot.telegram")) == []
    assert arrows("bot.content.split", ("bot",)) == []


BOT_API_MESSAGE_CALLS = frozenset(
    {
        "send_message",
        "edit_message_text",
        "edit_message_reply_markup",
        "edit_text",
        "edit_reply_markup",
        "delete_message",
        "answer_callback_query",
        "answer_inline_query",
        "reply_text",
        "reply_html",
        "copy_message",
        "forward_message",
    }
)
"""The Bot API's message methods (and python-telegram-bot's shortcuts for them)."""


def test_only_the_sender_calls_the_bot_api_for_messages() -> None:
    """Design §6 and issue 20: one narrow Sender decides send, edit or move, and makes every message call."""
    calls = [
        f"{path.relative_to(BOT.parent)}:{node.lineno}: .{node.func.attr}()"
        for path in BOT.rglob("*.py")
        if path.name != "sender.py" or path.parent.name != "telegram"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and (node.func.attr in BOT_API_MESSAGE_CALLS or (node.func.attr == "answer" and _is_query(node.func.value)))
    ]
    assert calls == []


def _is_query(receiver: ast.expr) -> bool:
    """`query.answer(…)` / `update.callback_query.answer(…)`: answering a press or an inline query."""
    name = (
        receiver.attr if isinstance(receiver, ast.Attribute) else receiver.id if isinstance(receiver, ast.Name) else ""
    )
    return "query" in name
