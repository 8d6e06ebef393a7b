"""The webhook port holds against slow, many and odd clients: timeouts, a cap, 400 for nonsense, no log flood.

Every client here is on 127.0.0.1. Limits are set low so the tests wait on events (a closed
connection, a counter), each bounded by WAIT, never on measured durations.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from telegram import Update
from telegram.ext import ContextTypes, TypeHandler
from tornado.ioloop import IOLoop

from bot.bootstrap import Loaded
from bot.storage import open_store
from bot.telegram.webhook import MAX_NESTING, WebhookLimits, WebhookServer
from tests.support.botapi import BotApiStandIn
from tests.support.harness import WEBHOOK_PATH, WEBHOOK_SECRET, Person, start_webhook_server

WAIT = 5.0
"""Seconds any one step may take before the test fails (an upper bound, never a measurement)."""
QUICK = WebhookLimits(idle_timeout=0.2, body_timeout=0.2, max_connections=3, accept_pause=0.05)


class Replica:
    """One webhook server over SQLite with the given limits, and what its handlers saw."""

    def __init__(self, server: WebhookServer) -> None:
        self.server = server
        self.seen: list[int] = []
        server.runtime.application.add_handler(TypeHandler(Update, self.saw), group=-1)

    async def saw(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        self.seen.append(update.update_id)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}{WEBHOOK_PATH}"

    def refused(self, reason: str) -> float:
        value = self.server.runtime.metrics.registry.get_sample_value(
            "twitchcheck_webhook_refused_total", {"reason": reason}
        )
        return value or 0.0

    async def connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection("127.0.0.1", self.server.port)


@pytest.fixture
async def make_replica(api: BotApiStandIn, loaded: Loaded, tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    started: list[WebhookServer] = []
    store = await open_store("sqlite", tmp_path)

    async def make(limits: WebhookLimits = QUICK) -> Replica:
        server = await start_webhook_server(api, loaded, tmp_path, store, limits)
        started.append(server)
        return Replica(server)

    yield make
    for server in started:
        await server.stop()
    await store.close()


async def until(predicate: Callable[[], object]) -> None:
    """Wait, in short steps and at most WAIT seconds, until `predicate()` is true."""
    async with asyncio.timeout(WAIT):
        while not predicate():
            await asyncio.sleep(0.01)


async def closed_by_server(reader: asyncio.StreamReader) -> bool:
    """True once the server hangs up (EOF) without having answered anything."""
    return await asyncio.wait_for(reader.read(), WAIT) == b""


async def test_a_connection_that_sends_nothing_or_half_its_headers_is_closed(make_replica) -> None:
    replica = await make_replica()
    silent = await replica.connect()
    halting = await replica.connect()
    halting[1].write(b"POST " + WEBHOOK_PATH.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    assert await closed_by_server(silent[0])
    assert await closed_by_server(halting[0])
    for _, writer in (silent, halting):
        writer.close()


async def test_a_body_that_never_arrives_is_closed_and_not_handled(make_replica, caplog) -> None:
    replica = await make_replica()
    reader, writer = await replica.connect()
    head = (
        f"POST {WEBHOOK_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n{'X-Telegram-Bot-Api-Secret-Token'}: {WEBHOOK_SECRET}\r\n"
    )
    writer.write(head.encode() + b"Content-Length: 100\r\n\r\n" + b'{"update_id": 1')
    with caplog.at_level(logging.INFO):
        assert await closed_by_server(reader)
    writer.close()
    assert replica.seen == []
    assert [r for r in caplog.records if r.name.startswith("tornado")] == []  # not a line per slow client


async def test_connections_beyond_the_cap_are_closed_at_once_and_logged_once(
    make_replica, api: BotApiStandIn, alice: Person, caplog
) -> None:
    replica = await make_replica(WebhookLimits(max_connections=3))
    held = [await replica.connect() for _ in range(3)]
    await until(lambda: replica.server.server and replica.server.server.open_connections == 3)
    with caplog.at_level(logging.INFO):
        extra = [await replica.connect() for _ in range(10)]
        for reader, _ in extra:
            assert await closed_by_server(reader)
    assert replica.refused("connection_cap") == 10
    overloaded = [r for r in caplog.records if getattr(r, "event", r.getMessage()) == "webhook_overloaded"]
    assert len(overloaded) == 1, [r.getMessage() for r in caplog.records]
    # Once the idle connections go, an update gets through again.
    for _, writer in held + extra:
        writer.close()
    await until(lambda: replica.server.server and replica.server.server.open_connections == 0)
    update = api.pending_update(api.send_command(alice.chat, alice.user, "/start"))
    assert await api.deliver_webhook(replica.url, update, WEBHOOK_SECRET) == (200, "ok")


def test_the_connection_cap_stays_under_half_the_file_descriptor_limit() -> None:
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    cap = WebhookLimits(max_connections=10**9).connection_cap()
    assert 1 <= cap <= max(1, soft // 2)


class OutOfDescriptors:
    """A listening socket whose accept() fails with EMFILE, as when the process has no descriptor left."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.failing = True
        self.failures = 0

    def fileno(self) -> int:
        return self.sock.fileno()

    def accept(self) -> tuple[socket.socket, Any]:
        if self.failing:
            self.failures += 1
            raise OSError(errno.EMFILE, "Too many open files")
        return self.sock.accept()

    def close(self) -> None:
        self.sock.close()


async def test_running_out_of_descriptors_pauses_accepting_with_one_line_then_recovers(
    make_replica, api: BotApiStandIn, alice: Person, caplog
) -> None:
    replica = await make_replica()
    server = replica.server
    real = server._sockets[0]  # noqa: SLF001 - swap in a listener that fails like an exhausted process
    IOLoop.current().remove_handler(real)
    exhausted = OutOfDescriptors(real)
    server._sockets = [exhausted]  # type: ignore[list-item]  # noqa: SLF001
    server._accept_from(exhausted)  # type: ignore[arg-type]  # noqa: SLF001
    update = api.pending_update(api.send_command(alice.chat, alice.user, "/start"))
    with caplog.at_level(logging.INFO):
        delivery = asyncio.create_task(api.deliver_webhook(replica.url, update, WEBHOOK_SECRET))
        await until(lambda: exhausted.failures >= 4)  # paused and resumed a few times, not a busy loop
        exhausted.failing = False
        assert await asyncio.wait_for(delivery, WAIT) == (200, "ok")
    overloaded = [r for r in caplog.records if "webhook_overloaded" in r.getMessage()]
    assert len(overloaded) == 1
    assert replica.refused("emfile") == exhausted.failures
    assert not [r for r in caplog.records if r.exc_info]


ABSURD = {
    "nested arrays past the parser's limit": '{"update_id": 1, "x": ' + "[" * 5000 + "]" * 5000 + "}",
    "nested objects past the parser's limit": '{"update_id": 2, "message": ' + '{"a":' * 3000 + "1" + "}" * 3000 + "}",
    "nesting the parser takes but no update has": '{"update_id": 3, "x": '
    + "[" * MAX_NESTING
    + "]" * MAX_NESTING
    + "}",
    "an update_id beyond 64 bits": '{"update_id": ' + "9" * 30 + "}",
    "a negative update_id beyond 64 bits": '{"update_id": -' + "9" * 25 + "}",
    "a negative update_id": '{"update_id": -5}',
    "an integer of 5000 digits": '{"update_id": ' + "9" * 5000 + "}",
    "NaN": '{"update_id": 4, "x": NaN}',
    "Infinity": '{"update_id": 5, "x": -Infinity}',
    "a float that overflows": '{"update_id": 6, "x": 1e999}',
    "a date beyond 64 bits": '{"update_id": 7, "message": {"message_id": 1, "date": 99999999999999999999, '
    '"chat": {"id": 5, "type": "private"}, "text": "hi"}}',
    "a date no clock can show": '{"update_id": 8, "message": {"message_id": 1, "date": 9000000000000000000, '
    '"chat": {"id": 5, "type": "private"}, "text": "hi"}}',
    "a chat id beyond 64 bits": '{"update_id": 9, "message": {"message_id": 1, "date": 0, '
    '"chat": {"id": 99999999999999999999999, "type": "private"}, "text": "/start"}}',
    "update_id true": '{"update_id": true}',
}


@pytest.mark.parametrize("body", list(ABSURD.values()), ids=list(ABSURD))
async def test_a_correctly_signed_absurd_body_gets_400_and_reaches_no_handler(make_replica, body: str, caplog) -> None:
    replica = await make_replica()
    with caplog.at_level(logging.INFO):
        status, text = await replica.server.intake.receive(WEBHOOK_SECRET, body.encode())
    assert (status, text) == (400, "bad update")
    assert replica.seen == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_an_absurd_body_over_http_gets_400_not_500(make_replica, api: BotApiStandIn) -> None:
    replica = await make_replica()
    import aiohttp

    headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    async with aiohttp.ClientSession() as session:
        for body in ABSURD.values():
            async with session.post(replica.url, data=body, headers=headers) as response:
                assert response.status == 400, body[:60]


async def test_a_real_update_with_deep_but_plausible_nesting_is_handled(
    make_replica, api: BotApiStandIn, alice: Person
) -> None:
    replica = await make_replica()
    update = api.pending_update(api.send_command(alice.chat, alice.user, "/start"))
    update["message"]["reply_to_message"] = dict(update["message"], reply_to_message=dict(update["message"]))
    assert await api.deliver_webhook(replica.url, update, WEBHOOK_SECRET) == (200, "ok")
    assert replica.seen == [update["update_id"]]


class StoreDown:
    """Leases from a store that cannot be reached."""

    async def claim_update(self, update_id: int, lease_seconds: int) -> str:
        raise ConnectionError("Redis is restarting")

    async def settle_update(self, update_id: int, handled: bool) -> None:
        raise AssertionError("nothing was claimed")


async def test_an_unreachable_store_gets_503_so_telegram_retries_and_one_line(
    make_replica, api: BotApiStandIn, alice: Person, caplog
) -> None:
    replica = await make_replica()
    replica.server.intake.leases = StoreDown()
    update = api.pending_update(api.send_command(alice.chat, alice.user, "/start"))
    with caplog.at_level(logging.INFO):
        assert await api.deliver_webhook(replica.url, update, WEBHOOK_SECRET) == (503, "store unavailable")
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and not errors[0].exc_info
    assert replica.seen == []
