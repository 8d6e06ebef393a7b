"""The webhook and flood limits docs/deploy.md states are the ones the code uses."""

from __future__ import annotations

from pathlib import Path

from bot.telegram.ordering import PER_CHAT_CAP
from bot.telegram.webhook import MAX_NESTING, WebhookLimits

DEPLOY = (Path(__file__).resolve().parents[2] / "docs" / "deploy.md").read_text(encoding="utf-8")
WEBHOOK_SECTION = DEPLOY.split("### Webhook mode", 1)[1].split("\n## ", 1)[0]


def test_the_webhook_section_states_the_limits_in_force() -> None:
    limits = WebhookLimits()
    for stated in (
        f"at most {PER_CHAT_CAP} updates waiting",
        f"deeper than {MAX_NESTING} levels",
        f"get {limits.idle_timeout:g} seconds",
        f"a body {limits.body_timeout:g} seconds",
        f"at most {limits.max_connections} connections",
        f"for up to {limits.stop_grace:g} seconds",
    ):
        assert stated in " ".join(WEBHOOK_SECTION.split()), stated


def test_the_metrics_table_states_the_per_chat_cap() -> None:
    assert f"their chat already had {PER_CHAT_CAP} waiting" in DEPLOY
