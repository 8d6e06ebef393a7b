"""HTTP requests to the Bot API: retries of what is worth retrying, over a connection pool that is cheap to keep.

`RetryAfter` (429) is handled by python-telegram-bot's AIORateLimiter; `RetryingRequest` covers
the rest (5xx answers and lost connections), below PTB's own error mapping, so every API call
gets it.

Why the pool has its own network backend: before each request is given a connection, and again
when its response is closed, httpcore checks every idle keep-alive connection for a server-side
close (`has_expired` → `get_extra_info("is_readable")`). Through anyio, each such check builds the
socket's whole attribute table, `getpeername()` included, before one `poll()`: about 13 µs per idle
connection, so about 0.3 ms per check with the pool's 16 connections idle and twice that per request.
A bot handling many chats at once keeps those connections open, so under load this was a fifth of
its CPU (`python -m tests.benchmarks.bench_e2e`; a bot handling one update at a time, as PTB's
defaults do, keeps one connection and never sees it). `_CheapProbeStream` answers the same
question with one `poll()` on the socket it keeps from the start: the same check, about 1 µs.
The rest of that scan grows with the square of the idle connections (httpcore counts the idle
ones again for each idle one), hence a pool of 8 (bot/telegram/app.py) and requests queued in
front of httpcore rather than inside it.

Why requests go as JSON: PTB posts every call as a form, so httpx percent-encodes the body one byte
at a time in Python (`urllib.parse.quote_from_bytes`), after PTB has JSON-encoded each nested value
(the keyboard) into a string that the form escapes again. For the check's card, about 1 KB of mostly
escaped text, building that request took about 210 µs; one `json.dumps` of the same parameters and
the request around it take about 60 µs (a poll about 75 against 50): 0.15 ms of the 1 ms
an edit cost beyond a minimal bot's short message under the rate limiter (issue 22). The Bot API
takes the same parameters as a JSON body; uploads still go as multipart.
"""

from __future__ import annotations

import asyncio
import json
import logging
import select
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import HTTPXRequest, RequestData

from bot.logs import log_event

logger = logging.getLogger("twitchcheck.request")
JSON_HEADERS = {"User-Agent": HTTPXRequest.USER_AGENT, "Content-Type": "application/json"}


class RetryingRequest(HTTPXRequest):
    """HTTPXRequest with bounded exponential back-off on 5xx and connection errors, sending JSON bodies.

    At most `connection_pool_size` requests are in httpcore at once; the rest wait their turn in a
    semaphore, in order and without PTB's 1-second pool timeout, because httpcore's own queue is
    scanned, against every connection, each time a request starts or ends.
    """

    def __init__(
        self, *args: Any, attempts: int = 4, backoff: float = 0.5, connection_pool_size: int = 256, **kwargs: Any
    ) -> None:
        plain = not args and not {"proxy", "socket_options", "http_version", "httpx_kwargs"} & kwargs.keys()
        if plain:  # our own transport only where it means the same as PTB's
            kwargs["httpx_kwargs"] = {"transport": CheapProbeTransport(connection_pool_size)}
        kwargs["connection_pool_size"] = connection_pool_size
        super().__init__(*args, **kwargs)
        self.attempts = attempts
        self.backoff = backoff
        self._gate = asyncio.Semaphore(connection_pool_size)

    async def do_request(  # type: ignore[override]  # same parameters, passed through as keywords
        self, url: str, method: str, request_data: Any = None, **timeouts: Any
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        for attempt in range(1, self.attempts + 1):
            last = attempt == self.attempts
            try:
                async with self._gate:  # wait here, in order, rather than in httpcore's queue
                    code, payload = await self._send(url, method, request_data, **timeouts)
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

    async def _send(
        self, url: str, method: str, request_data: RequestData | None, **timeouts: Any
    ) -> tuple[int, bytes]:
        """One attempt: a call without files as a JSON body, anything else as PTB sends it."""
        if request_data is None or request_data.contains_files:
            return await super().do_request(url, method, request_data, **timeouts)
        body = json.dumps(request_data.parameters, ensure_ascii=False, separators=(",", ":")).encode()
        # Timeouts and errors as HTTPXRequest.do_request maps them, so PTB and _never_sent see the same.
        client = self._client
        if client.is_closed:
            raise RuntimeError("This HTTPXRequest is not initialized!")
        default = client.timeout

        def pick(name: str, fallback: float | None) -> float | None:
            value = timeouts.get(f"{name}_timeout", HTTPXRequest.DEFAULT_NONE)
            return fallback if isinstance(value, DefaultValue) else value

        timeout = httpx.Timeout(
            connect=pick("connect", default.connect),
            read=pick("read", default.read),
            write=pick("write", default.write),
            pool=pick("pool", default.pool),
        )
        try:
            response = await client.request(method, url, headers=JSON_HEADERS, timeout=timeout, content=body)
        except httpx.TimeoutException as error:
            if isinstance(error, httpx.PoolTimeout):
                raise TimedOut("Pool timeout: the request was not sent to Telegram.") from error
            raise TimedOut from error
        except httpx.HTTPError as error:
            raise NetworkError(f"httpx.{error.__class__.__name__}: {error}") from error
        return response.status_code, response.content


class CheapProbeTransport(httpx.AsyncHTTPTransport):
    """httpx's transport (HTTP/1.1, `max_connections` as PTB sets it) over `CheapProbeBackend`."""

    def __init__(self, max_connections: int) -> None:
        super().__init__(limits=httpx.Limits(max_connections=max_connections))
        limits = httpx.Limits(max_connections=max_connections)
        # httpx takes no network backend, so the pool it just built is replaced by the same pool over ours.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=CheapProbeBackend(),
        )


class CheapProbeBackend(httpcore.AsyncNetworkBackend):
    """httpcore's anyio backend, with streams whose idle-connection probe is one poll()."""

    def __init__(self) -> None:
        self._backend = httpcore.AnyIOBackend()
        self.streams = 0
        """Connections opened, for tests and benchmarks."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        self.streams += 1
        return _CheapProbeStream(stream)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
    ) -> httpcore.AsyncNetworkStream:
        return _CheapProbeStream(await self._backend.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class _CheapProbeStream(httpcore.AsyncNetworkStream):
    """A stream that keeps its socket, so "is_readable" costs one poll() instead of an attribute table."""

    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream
        self._socket: socket.socket | None = stream.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._stream.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._stream.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        return _CheapProbeStream(await self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            return _readable(self._socket)
        return self._stream.get_extra_info(info)


def _readable(sock: socket.socket | None) -> bool:
    """Whether recv() would return at once: on an idle keep-alive connection, that the server closed it."""
    fd = -1 if sock is None else sock.fileno()
    if fd < 0:
        return True  # gone: as httpcore does, count it as closed
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


def _never_sent(error: BaseException) -> bool:
    while error is not None:
        if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
            return True
        error = error.__cause__ or error.__context__  # type: ignore[assignment]
    return False
