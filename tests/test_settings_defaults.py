"""Defaults an operator relies on without setting anything, checked against the docs' table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import Settings

DEPLOY = Path(__file__).resolve().parents[1] / "docs" / "deploy.md"


def test_the_webhook_listens_on_loopback_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("TWITCHCHECK_WEBHOOK_LISTEN", raising=False)
    settings = Settings.from_env(dotenv=False)
    assert settings.webhook_listen == "127.0.0.1"
    row = re.search(r"^\| `TWITCHCHECK_WEBHOOK_LISTEN` \| `([^`]+)` \|", DEPLOY.read_text(encoding="utf-8"), re.M)
    assert row is not None and row.group(1) == settings.webhook_listen
