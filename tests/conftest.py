"""Suite-wide: the slowest test starts first, and no test leaves a log handler behind.

The flow-independence proof (tests/test_flow_independence.py) runs the suite again in child processes and
takes most of CI's time; started first, it runs beside the rest of the suite instead of after it
(`addopts` in pyproject.toml gives a process per core, and each file stays in one process).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

FIRST = "tests/test_flow_independence.py"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: not item.nodeid.startswith(FIRST))


@pytest.fixture(autouse=True)
def _root_logger_as_it_was() -> Iterator[None]:
    """A test that starts the bot in-process installs its log handler on the root logger (bot/logs.py), writing
    to the stream pytest gave that test; a later test in the same process must not log into it once closed."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
    root.setLevel(level)
