"""`twitchcheck run` refuses a setup it cannot serve with one line naming the setting, before starting.

A wrong setting exits 2 at once; a service that stays unreachable exits 75 after start-up's retries.
Either way stderr ends in one `error:` line with no secret in it, and never holds a traceback.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.telegram import runner
from tests.support.botapi import BotApiStandIn
from tests.support.fake_time import FakeTime
from tests.support.redis_server import free_port

TOKEN = "123456:" + "A" * 35
REDIS_PASSWORD = "hunter2-very-secret"
LOG_LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ [\w.]+: ")


@pytest.fixture(autouse=True)
def fake_time(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    """Retries without waiting: a 10 s budget on a fake clock, and no back-off between Bot API calls."""
    fake = FakeTime()
    policy = runner.StartupPolicy(
        budget=10, first_delay=1, max_delay=4, request_backoff=0, sleep=fake.sleep, clock=fake.clock
    )
    monkeypatch.setattr(runner, "STARTUP", policy)
    return fake


@pytest.fixture
def api() -> Iterator[BotApiStandIn]:
    """The Bot API stand-in on its own thread, since `main` runs its own event loop."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    stand_in = BotApiStandIn()
    asyncio.run_coroutine_threadsafe(stand_in.start(), loop).result(10)
    try:
        yield stand_in
    finally:
        asyncio.run_coroutine_threadsafe(stand_in.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No token, URL or secret from the developer's shell or a .env file."""
    monkeypatch.chdir(tmp_path)
    for name in (
        "TELEGRAM_BOT_TOKEN",
        "TWITCHCHECK_WEBHOOK_URL",
        "TWITCHCHECK_WEBHOOK_SECRET",
        "TWITCHCHECK_STORAGE",
        "TWITCHCHECK_DATA_DIR",
        "TWITCHCHECK_TTL_DAYS",
        "TELEGRAM_API_BASE_URL",
        "LOG_LEVEL",
        "LOG_FORMAT",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TWITCHCHECK_DATA_DIR", str(tmp_path / "data"))


def refusal(argv: list[str], capsys: pytest.CaptureFixture[str], status: int = 2) -> str:
    """The one line `main(argv)` printed, after checking it exited with `status` and printed nothing else."""
    assert main(argv) == status
    out, err = capsys.readouterr()
    error = err.strip()
    assert out == ""
    assert "\n" not in error and error.startswith("error: "), error
    return error


def last_line(argv: list[str], capsys: pytest.CaptureFixture[str], status: int) -> tuple[str, str]:
    """After retries (one log line each): the final `error:` line and all of stderr, with no traceback in it."""
    assert main(argv) == status
    out, err = capsys.readouterr()
    assert out == ""
    assert "Traceback" not in err and "  File " not in err, err
    *retries, final = err.strip().splitlines()
    assert final.startswith("error: "), err
    assert all(LOG_LINE.match(line) for line in retries), err
    return final, err


def test_without_a_token(capsys: pytest.CaptureFixture[str]) -> None:
    assert "TELEGRAM_BOT_TOKEN is not set" in refusal(["run"], capsys)


def test_webhook_without_a_url(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TWITCHCHECK_WEBHOOK_SECRET", "s3cret")
    assert "TWITCHCHECK_WEBHOOK_URL is not set" in refusal(["run", "--webhook"], capsys)


@pytest.mark.parametrize("secret", ["", "has space", "x" * 257, "semi;colon"])
def test_webhook_without_a_usable_secret(
    secret: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TWITCHCHECK_WEBHOOK_URL", "https://bot.example/hook")
    monkeypatch.setenv("TWITCHCHECK_WEBHOOK_SECRET", secret)
    error = refusal(["run", "--webhook"], capsys)
    assert "TWITCHCHECK_WEBHOOK_SECRET must be 1-256 characters" in error
    assert TOKEN not in error


def test_unknown_storage(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TWITCHCHECK_STORAGE", "postgres://db")
    assert "TWITCHCHECK_STORAGE" in refusal(["run"], capsys)


def test_unreachable_redis_is_retried_then_exits_75(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], fake_time: FakeTime
) -> None:
    port = free_port()  # free a moment ago: nothing listens on it
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TWITCHCHECK_STORAGE", f"redis://:{REDIS_PASSWORD}@127.0.0.1:{port}/0")
    error, err = last_line(["run"], capsys, 75)
    assert "TWITCHCHECK_STORAGE: cannot reach Redis" in error and str(port) in error
    assert "gave up after 4 attempt(s)" in error
    assert err.count("startup_retry") == 3 and fake_time.slept == [1, 2, 4]
    assert REDIS_PASSWORD not in err and TOKEN not in err


def test_unreachable_telegram_is_retried_then_exits_75(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", f"http://127.0.0.1:{free_port()}/bot")
    error, err = last_line(["run"], capsys, 75)
    assert "cannot reach the Bot API at 127.0.0.1" in error and "exit 75" in error
    assert TOKEN not in err and TOKEN.split(":")[1] not in err


def test_telegram_answering_502_is_retried_then_exits_75(
    api: BotApiStandIn, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    api.fail_next("getMe", 502, count=1000)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", api.token)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", api.base_url)
    error, err = last_line(["run"], capsys, 75)
    assert "cannot reach the Bot API at 127.0.0.1: Bad Gateway (502)" in error
    assert "<html>" not in err and api.token not in err


def test_a_rejected_token_is_one_line_without_the_token(
    api: BotApiStandIn, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = "987654321:" + "Z" * 35
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", wrong)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", api.base_url)
    error = refusal(["run"], capsys)
    assert "TELEGRAM_BOT_TOKEN was rejected by the Bot API at 127.0.0.1 (Unauthorized)" in error
    assert "987654321" not in error and "ZZZZZZZZ" not in error
    assert len(api.calls_to("getMe")) == 1  # a wrong token is not retried


def test_json_logs_get_the_refusal_as_one_json_object(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("LOG_FORMAT", "json")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", f"http://127.0.0.1:{free_port()}/bot")
    assert main(["run"]) == 75
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [line["event"] for line in lines if line["event"].startswith("startup")] == ["startup_retry"] * 3 + [
        "startup_failed"
    ]
    assert lines[-1]["exit"] == 75 and "cannot reach the Bot API" in lines[-1]["msg"]


def test_an_unknown_log_level(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("LOG_LEVEL", "LOUD")
    error = refusal(["run"], capsys)
    assert "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, got 'LOUD'" in error


@pytest.mark.parametrize(
    ("days", "expected"), [("0", "at least 1, got 0"), ("-3", "at least 1"), ("x", "whole number")]
)
def test_a_ttl_that_keeps_nothing_names_the_ttl(
    days: str, expected: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TWITCHCHECK_TTL_DAYS", days)
    error = refusal(["run"], capsys)
    assert error.startswith("error: TWITCHCHECK_TTL_DAYS must be ") and expected in error
    assert "TWITCHCHECK_STORAGE" not in error


@pytest.mark.parametrize(
    "url",
    [
        f"redis://:{REDIS_PASSWORD}@127.0.0.1:abc/0",
        f"redis://admin:{REDIS_PASSWORD}@127.0.0.1:6379/x",
        f"postgres://bot:{REDIS_PASSWORD}@db/0",
        f"redis://127.0.0.1:6379/x?password={REDIS_PASSWORD}",
    ],
)
def test_an_invalid_storage_url_is_not_echoed_with_its_password(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TWITCHCHECK_STORAGE", url)
    error = refusal(["run"], capsys)
    assert error.startswith("error: TWITCHCHECK_STORAGE: unsupported storage")
    assert REDIS_PASSWORD not in error and "<redacted>" in error


def test_a_data_dir_that_cannot_hold_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "occupied").write_text("a file where the data folder should be")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TWITCHCHECK_DATA_DIR", str(tmp_path / "occupied" / "data"))
    assert "TWITCHCHECK_DATA_DIR: cannot open the SQLite store" in refusal(["run"], capsys)
