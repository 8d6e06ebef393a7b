"""A typed answer is applied exactly once, even when its update is cut off after the answer was saved.

Telegram redelivers an update its webhook did not answer with 200: the replica stopped past its grace,
or died and its claim's lease ran out. Typed text carries no version, so the conversation records
the update that last changed it, in the same compare-and-set write as the answer; a redelivery that
finds its id there changes nothing and shows the current question again. Real SQLite and real Redis.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.telegram.webhook import WebhookLimits, WebhookServer
from tests.e2e.cuts import Backend, Cuts, backend
from tests.support.botapi import BotApiStandIn
from tests.support.fixture_flows import load_steps, question
from tests.support.harness import WEBHOOK_PATH, WEBHOOK_SECRET, Person, answered, headline, start_webhook_server

__all__ = ["backend"]  # the fixture, once per store
WAIT = 5.0
"""Seconds any one step may take before the test fails (an upper bound, never a measurement)."""


def url(server: WebhookServer) -> str:
    return f"http://127.0.0.1:{server.port}{WEBHOOK_PATH}"


@pytest.mark.parametrize("cut", ["stop", "die"])
async def test_a_typed_answer_cut_off_after_it_was_saved_is_applied_once_when_redelivered(
    api: BotApiStandIn, tmp_path: Path, backend: Backend, alice: Person, cut: str
) -> None:
    loaded = load_steps(tmp_path / "flows")
    cuts = Cuts(await backend.open())
    first = await start_webhook_server(api, loaded, tmp_path, cuts, WebhookLimits(stop_grace=0))
    second = await start_webhook_server(api, loaded, tmp_path, await backend.open())
    try:
        start = api.pending_update(api.send_command(alice.chat, alice.user, "/start"))
        assert await api.deliver_webhook(url(second), start, WEBHOOK_SECRET) == (200, "ok")
        assert headline(alice.question()).startswith(question(1))

        typed = api.pending_update(api.send_text(alice.chat, alice.user, "no"))
        cuts.arm("answer_saved")
        delivery = asyncio.create_task(api.deliver_webhook(url(first), typed, WEBHOOK_SECRET))
        await asyncio.wait_for(cuts.reached.wait(), WAIT)
        if cut == "stop":
            await first.stop()  # past its grace (0 here): the update is cancelled and its claim released
        else:
            cuts.dead = True  # the replica dies: its claim stays until the lease runs out
            for task in list(first.intake.handling):
                task.cancel()
        status, _ = await asyncio.wait_for(delivery, WAIT)
        assert status != 200  # so Telegram delivers it again
        if cut == "die":
            assert await api.deliver_webhook(url(second), typed, WEBHOOK_SECRET) == (503, "in progress")
            await backend.expire_claim(typed["update_id"], first.limits.lease_seconds)

        assert await api.deliver_webhook(url(second), typed, WEBHOOK_SECRET) == (200, "ok")
        card = alice.question()
        assert headline(card).startswith(question(2)), card.text  # not question 3: "no" was not applied twice
        assert len(answered(card)) == 1, card.text
        assert await api.deliver_webhook(url(second), typed, WEBHOOK_SECRET) == (200, "duplicate")
    finally:
        if cut == "die":
            await first.stop()
        await second.stop()
