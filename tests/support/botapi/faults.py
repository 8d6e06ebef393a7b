"""Scripted failures, so tests can check how the bot copes when Telegram misbehaves."""

from __future__ import annotations

import json
from dataclasses import dataclass

from .world import JSON

#: Telegram's reverse proxy answers a 502 with an HTML page, not JSON.
BAD_GATEWAY_PAGE = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n"
)

DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: injected by the stand-in",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass(frozen=True, slots=True)
class Fault:
    """One injected failure: the HTTP status and the exact body Telegram would send."""

    status: int
    retry_after: float = 1
    description: str | None = None

    def body(self) -> tuple[str, str]:
        """(content type, body text) of the failing response."""
        if self.status == 502:
            return "text/html", BAD_GATEWAY_PAGE
        payload: JSON = {"ok": False, "error_code": self.status}
        if self.status == 429:
            seconds = int(self.retry_after) if float(self.retry_after).is_integer() else self.retry_after
            payload["description"] = self.description or f"Too Many Requests: retry after {seconds}"
            payload["parameters"] = {"retry_after": seconds}
        else:
            payload["description"] = self.description or DEFAULT_DESCRIPTIONS.get(self.status, "Internal Server Error")
        return "application/json", json.dumps(payload)


class FaultPlan:
    """Failures queued per method ("*" for any method), used up first in, first out."""

    def __init__(self) -> None:
        self._queued: dict[str, list[Fault]] = {}

    def add(self, method: str, fault: Fault, count: int) -> None:
        """Make the next ``count`` calls to ``method`` fail with ``fault``."""
        self._queued.setdefault(method.lower(), []).extend([fault] * count)

    def take(self, method: str) -> Fault | None:
        """The fault for this call, if one is queued for the method or for any method."""
        for key in (method.lower(), "*"):
            queued = self._queued.get(key)
            if queued:
                return queued.pop(0)
        return None

    def remaining(self) -> dict[str, int]:
        """How many injected failures have not fired yet, per method."""
        return {method: len(faults) for method, faults in self._queued.items() if faults}
