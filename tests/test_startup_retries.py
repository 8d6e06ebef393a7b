"""Start-up rides out a network blip: retries with doubling delays, then exit 75 for the service manager.

The clock and sleep are fakes, so no test waits; failures come from the Bot API stand-in's fault
injection. The CLI side (exit statuses, one-line messages) is in test_run_refusals.py.
"""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path

import pytest

from bot.bootstrap import Loaded, load_all
from bot.cli import EXIT_CONFIG, EXIT_FLOW_ERRORS, EXIT_TRY_AGAIN_LATER
from bot.config import ConfigError, TryAgainLater
from bot.telegram.runner import StartupPolicy, Unavailable, retry_startup, serve
from tests.support.botapi import BotApiStandIn
from tests.support.fake_time import FakeTime
from tests.support.flows import CONTENT_DIR, FLOWS_DIR
from tests.support.harness import settings_for

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


@pytest.fixture
def policy(fake: FakeTime) -> StartupPolicy:
    return StartupPolicy(budget=30, first_delay=1, max_delay=8, request_backoff=0, sleep=fake.sleep, clock=fake.clock)


@pytest.fixture(scope="module")
def loaded() -> Loaded:
    return load_all([FLOWS_DIR], CONTENT_DIR)


def failing(times: int, error: Exception, result: str = "ready") -> tuple[list[int], object]:
    """An attempt that raises `error` its first `times` calls, then returns `result`."""
    calls: list[int] = []

    async def attempt() -> str:
        calls.append(1)
        if len(calls) <= times:
            raise error
        return result

    return calls, attempt


async def test_a_blip_is_retried_with_doubling_delays(
    policy: StartupPolicy, fake: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    calls, attempt = failing(3, Unavailable("cannot reach the Bot API at api.telegram.org: Timed out"))
    with caplog.at_level(logging.WARNING, logger="twitchcheck"):
        assert await retry_startup(attempt, policy) == "ready"  # type: ignore[arg-type]
    assert len(calls) == 4 and fake.slept == [1, 2, 4]
    retries = [r for r in caplog.records if getattr(r, "event", "") == "startup_retry"]
    assert [r.fields["attempt"] for r in retries] == [1, 2, 3]  # type: ignore[attr-defined]
    assert "Timed out" in retries[0].fields["error"]  # type: ignore[attr-defined]


async def test_retries_stop_when_the_budget_is_spent(policy: StartupPolicy, fake: FakeTime) -> None:
    _, attempt = failing(1000, Unavailable("TWITCHCHECK_STORAGE: cannot reach Redis: Connection refused"))
    with pytest.raises(TryAgainLater, match=r"cannot reach Redis.*gave up after 6 attempt\(s\) in 23 s.*exit 75"):
        await retry_startup(attempt, policy)  # type: ignore[arg-type]
    assert fake.slept == [1, 2, 4, 8, 8]  # capped at max_delay; the next 8 would pass 30 s


async def test_a_wrong_setting_is_not_retried(policy: StartupPolicy, fake: FakeTime) -> None:
    calls, attempt = failing(1, ConfigError("TELEGRAM_BOT_TOKEN was rejected"))
    with pytest.raises(ConfigError):
        await retry_startup(attempt, policy)  # type: ignore[arg-type]
    assert len(calls) == 1 and fake.slept == []


async def test_a_stop_signal_ends_the_wait_between_attempts(policy: StartupPolicy) -> None:
    stop = asyncio.Event()
    calls, attempt = failing(1000, Unavailable("down"))
    never = StartupPolicy(budget=1e9, first_delay=1e6, sleep=asyncio.sleep, clock=policy.clock)
    waiting = asyncio.create_task(retry_startup(attempt, never, stop))  # type: ignore[arg-type]
    await asyncio.sleep(0.01)
    stop.set()
    assert await asyncio.wait_for(waiting, 5) is None
    assert len(calls) == 1


async def test_the_bot_starts_once_telegram_answers_again(
    tmp_path: Path, loaded: Loaded, policy: StartupPolicy, fake: FakeTime
) -> None:
    async with BotApiStandIn() as api:
        api.fail_next("getMe", 502, count=6)  # one whole attempt (4 calls) and two calls of the next
        stop = asyncio.Event()
        settings = settings_for(api, tmp_path)
        serving = asyncio.create_task(serve(settings, loaded, webhook=False, policy=policy, stop=stop))
        await api.wait_for(lambda: api.polling or None, what="a getUpdates long poll")
        stop.set()
        assert await asyncio.wait_for(serving, 10) == 0
    assert fake.slept == [1]
    assert len(api.calls_to("getMe")) == 7


async def test_a_webhook_replica_starts_once_set_webhook_succeeds(
    tmp_path: Path, loaded: Loaded, policy: StartupPolicy, fake: FakeTime
) -> None:
    async with BotApiStandIn() as api:
        api.fail_next("setWebhook", 503, count=5)
        stop = asyncio.Event()
        settings = settings_for(
            api,
            tmp_path,
            webhook_url="https://bot.example/hook",
            webhook_secret="s3cret",
            webhook_listen="127.0.0.1",
            webhook_port=0,
        )
        serving = asyncio.create_task(serve(settings, loaded, webhook=True, policy=policy, stop=stop))
        await api.wait_for(lambda: [c for c in api.calls_to("setWebhook") if c.status == 200] or None)
        stop.set()
        assert await asyncio.wait_for(serving, 10) == 0
    assert fake.slept == [1]


def test_the_documented_unit_restarts_exit_75_and_not_a_wrong_setup() -> None:
    deploy = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    assert re.search(r"^Restart=on-failure$", deploy, re.MULTILINE)
    prevented = re.search(r"^RestartPreventExitStatus=(.+)$", deploy, re.MULTILINE)
    assert prevented is not None
    statuses = {int(status) for status in prevented[1].split()}
    assert {EXIT_FLOW_ERRORS, EXIT_CONFIG} <= statuses
    assert EXIT_TRY_AGAIN_LATER not in statuses
    assert f"exit status {EXIT_TRY_AGAIN_LATER}" in deploy.lower() or f"status {EXIT_TRY_AGAIN_LATER}" in deploy
