"""Bot API requests: kept-open connections reused, a closed one noticed, a busy pool waited for in order, JSON sent."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile

from bot.telegram.request import CheapProbeTransport, RetryingRequest, _readable


@contextlib.asynccontextmanager
async def answering(answer: Callable[[web.Request], Awaitable[web.Response]]) -> AsyncIterator[str]:
    """A local HTTP server on a free port giving every request to `answer`; yields its base URL."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def slow_server() -> AsyncIterator[str]:
    """A local HTTP server answering each request after 50 ms."""

    async def answer(request: web.Request) -> web.Response:
        await asyncio.sleep(0.05)
        return web.json_response({"ok": True, "result": True})

    async with answering(answer) as base:
        yield f"{base}/botTOKEN/getMe"


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


@pytest.fixture
async def echo_server() -> AsyncIterator[tuple[str, list[tuple[str, bytes]]]]:
    """A local HTTP server recording each request's content type and body."""
    seen: list[tuple[str, bytes]] = []

    async def answer(request: web.Request) -> web.Response:
        if request.path.endswith("/getMe"):
            me = {"id": 1, "is_bot": True, "first_name": "B", "username": "b"}
            return web.json_response({"ok": True, "result": me})
        seen.append((request.content_type, await request.read()))
        return web.json_response({"ok": True, "result": True})

    async with answering(answer) as base:
        yield f"{base}/botTOKEN", seen


async def test_a_call_goes_as_one_json_body_with_its_keyboard_nested_and_an_upload_as_multipart(
    echo_server: tuple[str, list[tuple[str, bytes]]],
) -> None:
    base_url, seen = echo_server
    bot = Bot("123:abc", base_url=base_url, request=RetryingRequest(connection_pool_size=1))
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Less than 2 weeks ✓", callback_data="a.b")]])
    async with bot:
        await bot.edit_message_text("<b>✓</b> & 1", chat_id=7, message_id=3, parse_mode="HTML", reply_markup=keyboard)
        await bot.send_document(7, InputFile(b"text", filename="a.txt"))
    (kind, body), (upload_kind, _) = seen
    assert kind == "application/json"
    assert json.loads(body) == {
        "chat_id": 7,
        "message_id": 3,
        "text": "<b>✓</b> & 1",
        "parse_mode": "HTML",
        "reply_markup": {"inline_keyboard": [[{"text": "Less than 2 weeks ✓", "callback_data": "a.b"}]]},
    }
    assert upload_kind == "multipart/form-data"
