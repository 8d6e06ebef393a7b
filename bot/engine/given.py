"""What the engine reads from content/: plain data handed to the loader, so the engine never imports `bot.content`.

`ContentView` is a frozen dataclass of mappings; `bot.content.library.Content` extends it with what the
adapters show around a check (countries, emergency numbers). The loader checks that a flow's text keys,
excerpts and sources exist in it, and takes the emergency-language file and the second reader from it;
anything else that holds these fields (a test, the studio's workspace) can build one directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.engine.second_reader import SecondReader


@dataclass(frozen=True, slots=True)
class ContentView:
    """The parts of loaded content a flow is built and checked against."""

    texts: Mapping[str, str]
    excerpts: Mapping[str, Any]
    sources: Mapping[str, Any]
    excerpt_lines: Mapping[str, tuple[str, int]] = field(default_factory=dict)
    """Where each excerpt is written (`file`, `line`), for problems about it."""
    language: Any = None
    """content/<language>/language.yaml as read (line numbers kept); the flow loader builds its frames."""
    language_source: str = ""
    second_reader: SecondReader | None = None
    """content/<language>/second_reader.json, when the language ships one (bot/engine/second_reader.py)."""
