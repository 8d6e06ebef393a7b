"""Telegram's side of webhooks: POSTing updates to the bot's URL."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import aiohttp

from .waiting import Pulse
from .world import JSON, World

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass(frozen=True, slots=True)
class Delivery:
    """One POST of an update to a webhook, and what the bot answered."""

    update_id: int | None
    url: str
    status: int
    body: str


async def post_update(
    session: aiohttp.ClientSession, url: str, update: JSON, secret_token: str | None = None
) -> tuple[int, str]:
    """POST one update as Telegram does; a connection failure is reported as status 0."""
    headers = {"Content-Type": "application/json"}
    if secret_token is not None:
        headers[SECRET_HEADER] = secret_token
    try:
        async with session.post(url, data=json.dumps(update), headers=headers) as response:
            return response.status, await response.text()
    except aiohttp.ClientError as exc:
        return 0, f"{type(exc).__name__}: {exc}"


class WebhookPusher:
    """While a webhook is set, delivers queued updates to it one at a time, in order.

    A failed delivery stays queued (as on Telegram) and is retried when the next update is
    queued or the webhook is set again, instead of on a timer.
    """

    def __init__(self, world: World, pulse: Pulse, session: aiohttp.ClientSession) -> None:
        self._world = world
        self._pulse = pulse
        self._session = session
        self.deliveries: list[Delivery] = []
        self.paused = False
        self.closing = False

    def _has_work(self) -> bool:
        return self.closing or bool(self._world.webhook.url and self._world.pending and not self.paused)

    async def run(self) -> None:
        """Deliver until the stand-in closes."""
        while True:
            await self._pulse.until(self._has_work, timeout=None)
            if self.closing:
                return
            hook, update = self._world.webhook, self._world.pending[0]
            status, body = await post_update(self._session, hook.url, update, hook.secret_token)
            self.deliveries.append(Delivery(update["update_id"], hook.url, status, body))
            if 200 <= status < 300:
                self._world.confirm([update["update_id"]])
            else:
                hook.last_error_date = int(time.time())
                hook.last_error_message = f"Wrong response from the webhook: {status}" if status else body
                self.paused = True
            self._pulse.fire()
