"""What the engine reads from content/: a read-only view, so the engine never imports `bot.content`.

`bot.content.library.Content` has these fields; the loader checks that the flow's text keys, excerpts
and sources exist in it, and takes the emergency-language file and the second reader from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from bot.engine.second_reader import SecondReader


class ContentView(Protocol):
    """The parts of loaded content a flow is built and checked against."""

    @property
    def texts(self) -> Mapping[str, str]: ...

    @property
    def excerpts(self) -> Mapping[str, Any]: ...

    @property
    def sources(self) -> Mapping[str, Any]: ...

    @property
    def excerpt_lines(self) -> Mapping[str, tuple[str, int]]: ...

    @property
    def language(self) -> Any: ...

    @property
    def language_source(self) -> str: ...

    @property
    def second_reader(self) -> SecondReader | None: ...
