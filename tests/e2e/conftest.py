"""Fixtures: the stand-in, a running bot over a temporary data dir, and people who talk to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.bootstrap import Loaded
from tests.support.botapi import BotApiStandIn
from tests.support.flows import loaded as load_flows_under_test
from tests.support.harness import Person, RunningBot, settings_for
from tests.support.redis_server import redis_server


@pytest.fixture(scope="session")
def loaded() -> Loaded:
    return load_flows_under_test()


@pytest.fixture
async def api() -> AsyncIterator[BotApiStandIn]:
    async with BotApiStandIn() as stand_in:
        yield stand_in


@pytest.fixture
async def bot(api: BotApiStandIn, loaded: Loaded, tmp_path: Path) -> AsyncIterator[RunningBot]:
    running = await RunningBot(api, loaded, settings_for(api, tmp_path)).start()
    yield running
    await running.stop()


@pytest.fixture
def alice(api: BotApiStandIn) -> Person:
    user = api.user(1001, "Alice", language_code="en")
    return Person(api, user, api.private(user))


@pytest.fixture
def bob(api: BotApiStandIn) -> Person:
    user = api.user(1002, "Bob", language_code="en")
    return Person(api, user, api.private(user))


__all__ = ["redis_server"]  # re-exported so pytest registers the session fixture for the webhook tests
