"""HTTP requests to the Bot API that retry what is worth retrying: 5xx answers and lost connections.

`RetryAfter` (429) is handled by python-telegram-bot's AIORateLimiter; this layer covers the
rest, below PTB's own error mapping, so every API call gets it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
from telegram.request import HTTPXRequest

from bot.logs import log_event

logger = logging.getLogger("twitchcheck.request")


class RetryingRequest(HTTPXRequest):
    """HTTPXRequest with bounded exponential back-off on 5xx and connection errors."""

    def __init__(self, *args: Any, attempts: int = 4, backoff: float = 0.5, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.attempts = attempts
        self.backoff = backoff

    async def do_request(  # type: ignore[override]  # same parameters, passed through as keywords
        self, url: str, method: str, request_data: Any = None, **timeouts: Any
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        for attempt in range(1, self.attempts + 1):
            last = attempt == self.attempts
            try:
                code, payload = await super().do_request(url, method, request_data, **timeouts)
            except Exception as error:
                # Only failures where the request surely never reached Telegram are safe to resend.
                if last or not _never_sent(error):
                    raise
                log_event(
                    logger, "api_retry", logging.WARNING, endpoint=endpoint, attempt=attempt, error=type(error).__name__
                )
            else:
                if code < 500 or last:
                    return code, payload
                log_event(logger, "api_retry", logging.WARNING, endpoint=endpoint, attempt=attempt, status=code)
            await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
        raise AssertionError("unreachable")


def _never_sent(error: BaseException) -> bool:
    while error is not None:
        if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
            return True
        error = error.__cause__ or error.__context__  # type: ignore[assignment]
    return False
