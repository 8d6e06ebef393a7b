"""A whole conversation logged at DEBUG carries neither the token nor anything the person typed."""

from __future__ import annotations

import io
import json
import logging

from bot.logs import setup_logging
from tests.support.harness import URGENT, Person, RunningBot


async def test_debug_logs_have_no_token_and_no_message_text(bot: RunningBot, api, alice: Person) -> None:
    stream = io.StringIO()
    handler = setup_logging("DEBUG", "json", secrets=(api.token,), stream=stream)
    try:
        api.fail_next("sendMessage", status=500)
        await alice.command("/start")
        await alice.say("zebra-unicorn my left calf")
        await alice.tap_through(URGENT)
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger().setLevel(logging.WARNING)
    out = stream.getvalue()
    assert out.count("\n") > 20  # DEBUG really was on: PTB and httpx logged every request
    assert api.token not in out
    assert api.token.split(":")[1] not in out
    assert "zebra" not in out
    assert "safety question" not in out  # not even the bot's own question texts
    events = [json.loads(line) for line in out.splitlines()]
    named = {e["event"] for e in events}
    assert {"conversation_started", "outcome", "api_retry"} <= named
    outcome = next(e for e in events if e["event"] == "outcome")
    assert outcome["level"] == "urgent"
    assert len(outcome["user"]) == 20 and str(alice.user.id) not in outcome["user"]
