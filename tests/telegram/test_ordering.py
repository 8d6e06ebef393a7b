"""Different chats are handled at the same time; one chat's updates strictly one after another."""

from __future__ import annotations

import asyncio

from telegram import Update

from bot.metrics import Metrics
from bot.telegram.ordering import PerChatOrderedProcessor


def message_update(update_id: int, chat_id: int) -> Update:
    chat = {"id": chat_id, "type": "private", "first_name": "P"}
    data = {"update_id": update_id, "message": {"message_id": update_id, "date": 0, "chat": chat, "text": "hi"}}
    update = Update.de_json(data, None)
    assert update is not None
    return update


class Handler:
    """Records when each update starts and finishes; each waits for its own go-ahead."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.release: dict[int, asyncio.Event] = {}

    async def handle(self, update: Update) -> None:
        self.log.append(f"start {update.update_id}")
        await self.release.setdefault(update.update_id, asyncio.Event()).wait()
        self.log.append(f"end {update.update_id}")

    def let_finish(self, update_id: int) -> None:
        self.release.setdefault(update_id, asyncio.Event()).set()


async def run_all(processor: PerChatOrderedProcessor, handler: Handler, updates: list[Update]) -> list[asyncio.Task]:
    tasks = [asyncio.create_task(processor.process_update(u, handler.handle(u))) for u in updates]
    for _ in range(5):
        await asyncio.sleep(0)  # let every task run up to its first wait (no timing involved)
    return tasks


async def test_one_chats_updates_run_one_after_another_in_arrival_order() -> None:
    processor, handler = PerChatOrderedProcessor(Metrics()), Handler()
    tasks = await run_all(processor, handler, [message_update(i, chat_id=7) for i in (1, 2, 3)])
    assert handler.log == ["start 1"]
    for update_id in (3, 2, 1):  # released out of order, still handled in order
        handler.let_finish(update_id)
    await asyncio.gather(*tasks)
    assert handler.log == ["start 1", "end 1", "start 2", "end 2", "start 3", "end 3"]


async def test_other_chats_go_ahead_while_one_chat_waits() -> None:
    processor, handler = PerChatOrderedProcessor(Metrics()), Handler()
    slow, other_chat, same_chat = message_update(1, chat_id=7), message_update(2, chat_id=8), message_update(3, 7)
    tasks = await run_all(processor, handler, [slow, other_chat, same_chat])
    assert handler.log == ["start 1", "start 2"]
    handler.let_finish(2)
    await tasks[1]
    assert handler.log == ["start 1", "start 2", "end 2"]
    handler.let_finish(1)
    handler.let_finish(3)
    await asyncio.gather(*tasks)
    assert handler.log[3:] == ["end 1", "start 3", "end 3"]


async def test_locks_are_dropped_once_a_chat_is_idle_and_every_update_is_counted() -> None:
    metrics = Metrics()
    processor, handler = PerChatOrderedProcessor(metrics), Handler()
    updates = [message_update(i, chat_id=100 + i % 3) for i in range(9)]
    tasks = await run_all(processor, handler, updates)
    assert processor.chats_in_flight == 3
    for update in updates:
        handler.let_finish(update.update_id)
    await asyncio.gather(*tasks)
    assert processor.chats_in_flight == 0
    assert metrics.registry.get_sample_value("twitchcheck_updates_total", {"kind": "message"}) == 9
