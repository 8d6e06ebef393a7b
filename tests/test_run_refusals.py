"""`twitchcheck run` refuses a setup it cannot serve with one line naming the setting, before starting."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from tests.support.redis_server import free_port

TOKEN = "123456:" + "A" * 35


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
    ):
        monkeypatch.delenv(name, raising=False)


def refusal(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 2
    error = capsys.readouterr().err.strip()
    assert "\n" not in error and error.startswith("error: ")
    return error


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


def test_unreachable_redis(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()  # free a moment ago: nothing listens on it
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TWITCHCHECK_STORAGE", f"redis://127.0.0.1:{port}/0")
    error = refusal(["run"], capsys)
    assert "TWITCHCHECK_STORAGE: cannot reach Redis" in error and str(port) in error


def test_a_data_dir_that_cannot_hold_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "occupied").write_text("a file where the data folder should be")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TWITCHCHECK_DATA_DIR", str(tmp_path / "occupied" / "data"))
    assert "TWITCHCHECK_DATA_DIR: cannot open the SQLite store" in refusal(["run"], capsys)
