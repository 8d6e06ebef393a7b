"""Bot API requests: kept-open connections reused, a closed one noticed, and a busy pool waited for in order."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.telegram.request import CheapProbeTransport, RetryingRequest, _readable


@pytest.fixture
async def slow_server() -> AsyncIterator[str]:
    """A local HTTP server answering each request after 50 ms."""

    async def answer(request: web.Request) -> web.Response:
        await asyncio.sleep(0.05)
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}/botTOKEN/getMe"
    await runner.cleanup()


def test_an_idle_connection_reads_as_closed_once_the_server_hangs_up() -> None:
    ours, theirs = socket.socketpair()
    with ours:
        assert not _readable(ours)
        theirs.close()
        assert _readable(ours)
    assert _readable(ours)  # closed on our side too: counted as gone, as httpcore does


async def test_more_requests_than_connections_wait_their_turn_on_the_same_connections(slow_server: str) -> None:
    request = RetryingRequest(connection_pool_size=2, pool_timeout=0.2)
    transport = request._client_kwargs["transport"]  # type: ignore[attr-defined]
    assert isinstance(transport, CheapProbeTransport)
    await request.initialize()
    try:
        # 20 requests of 50 ms on 2 connections take 0.5 s, longer than the pool timeout: none may fail.
        answers = await asyncio.gather(*(request.do_request(slow_server, "POST") for _ in range(20)))
    finally:
        await request.shutdown()
    assert [code for code, _ in answers] == [200] * 20
    assert transport._pool._network_backend.streams == 2  # type: ignore[attr-defined]


async def test_a_connection_the_server_closed_is_replaced_not_reused(slow_server: str) -> None:
    request = RetryingRequest(connection_pool_size=1)
    await request.initialize()
    try:
        assert (await request.do_request(slow_server, "POST"))[0] == 200
        pool = request._client_kwargs["transport"]._pool  # type: ignore[attr-defined]
        (connection,) = pool.connections
        connection._connection._network_stream._socket.shutdown(socket.SHUT_RD)  # as if the server had hung up
        assert (await request.do_request(slow_server, "POST"))[0] == 200
    finally:
        await request.shutdown()
    assert pool._network_backend.streams == 2
