"""Different chats are handled at the same time; one chat's updates strictly one after another."""

from __future__ import annotations

import asyncio

from telegram import Update

from bot.metrics import Metrics
from bot.telegram.ordering import PER_CHAT_CAP, PerChatOrderedProcessor


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
    await settle()
    return tasks


async def settle() -> None:
    """Let every task run up to its next wait (a bounded number of loop turns, no timing involved)."""
    for _ in range(20):
        await asyncio.sleep(0)


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


async def test_a_flooding_chat_holds_one_slot_so_another_chat_starts_at_once() -> None:
    processor, handler = PerChatOrderedProcessor(Metrics(), max_concurrent_updates=4), Handler()
    flood = [message_update(i, chat_id=7) for i in range(1, 11)]
    tasks = await run_all(processor, handler, [*flood, message_update(100, chat_id=8)])
    assert handler.log == ["start 1", "start 100"]
    handler.let_finish(100)
    await tasks[-1]
    for update in flood:
        handler.let_finish(update.update_id)
    await asyncio.gather(*tasks)
    assert [entry for entry in handler.log if entry.startswith("start")] == [
        "start 1",
        "start 100",
        *(f"start {i}" for i in range(2, 11)),
    ]


async def test_no_more_than_max_concurrent_updates_run_at_once() -> None:
    processor, handler = PerChatOrderedProcessor(Metrics(), max_concurrent_updates=2), Handler()
    tasks = await run_all(processor, handler, [message_update(i, chat_id=i) for i in (1, 2, 3)])
    assert handler.log == ["start 1", "start 2"]
    handler.let_finish(2)
    await tasks[1]
    await settle()
    assert handler.log == ["start 1", "start 2", "end 2", "start 3"]
    handler.let_finish(1)
    handler.let_finish(3)
    await asyncio.gather(*tasks)


class Told:
    """Records the updates a flooding chat was told to wait on."""

    def __init__(self) -> None:
        self.updates: list[int] = []

    async def tell(self, update: Update) -> None:
        self.updates.append(update.update_id)


async def test_beyond_the_per_chat_cap_the_excess_is_dropped_and_the_chat_told_once() -> None:
    metrics, told, handled = Metrics(), Told(), []
    processor = PerChatOrderedProcessor(metrics, per_chat_cap=3, on_flood=told.tell, on_handled=handled.append)
    handler = Handler()
    tasks = await run_all(processor, handler, [message_update(i, chat_id=7) for i in range(1, 11)])
    assert all(task.done() for task in tasks[3:])  # dropped at once, never waiting for the chat's turn
    assert told.updates == [4]
    for update_id in (1, 2, 3):
        handler.let_finish(update_id)
    await asyncio.gather(*tasks)
    assert handler.log == ["start 1", "end 1", "start 2", "end 2", "start 3", "end 3"]
    assert sorted(handled) == list(range(1, 11))  # dropped updates are finished with too
    assert metrics.registry.get_sample_value("twitchcheck_dropped_updates_total") == 7
    # The chat has gone quiet: a new flood is told again.
    tasks = await run_all(processor, handler, [message_update(i, chat_id=7) for i in range(11, 16)])
    assert told.updates == [4, 14]
    for update_id in (11, 12, 13):
        handler.let_finish(update_id)
    await asyncio.gather(*tasks)


async def test_other_chats_are_never_dropped_or_told_when_one_chat_floods() -> None:
    told = Told()
    processor, handler = PerChatOrderedProcessor(Metrics(), per_chat_cap=2, on_flood=told.tell), Handler()
    updates = [message_update(i, chat_id=7) for i in range(1, 6)] + [message_update(i, chat_id=i) for i in (20, 21)]
    tasks = await run_all(processor, handler, updates)
    assert handler.log == ["start 1", "start 20", "start 21"]
    assert told.updates == [3]
    for update in updates:
        handler.let_finish(update.update_id)
    await asyncio.gather(*tasks)
    assert [entry for entry in handler.log if entry.startswith("end")] == ["end 1", "end 20", "end 21", "end 2"]


async def test_a_failing_wait_reply_never_stops_the_chat() -> None:
    async def broken(update: Update) -> None:
        raise RuntimeError("Telegram is down")

    processor, handler = PerChatOrderedProcessor(Metrics(), per_chat_cap=1, on_flood=broken), Handler()
    tasks = await run_all(processor, handler, [message_update(i, chat_id=7) for i in (1, 2)])
    handler.let_finish(1)
    await asyncio.gather(*tasks)
    assert handler.log == ["start 1", "end 1"]


def inline_update(update_id: int, user_id: int) -> Update:
    user = {"id": user_id, "is_bot": False, "first_name": "P"}
    query = {"id": str(update_id), "from": user, "query": "cramps", "offset": ""}
    data = {"update_id": update_id, "inline_query": query}
    update = Update.de_json(data, None)
    assert update is not None
    return update


async def test_one_persons_inline_queries_are_capped_so_another_persons_start_goes_ahead() -> None:
    """Issue 19: 3,000 inline queries from one person delayed another person's /start from 0.06 s to 15.5 s."""
    metrics, told = Metrics(), Told()
    processor, handler = PerChatOrderedProcessor(metrics, on_flood=told.tell), Handler()
    flood = [inline_update(n, 7) for n in range(1, 3001)]
    tasks = await run_all(processor, handler, flood)
    tasks += await run_all(processor, handler, [message_update(9999, 8)])
    assert "start 9999" in handler.log  # at once, while every query of the flood is still running
    assert [entry for entry in handler.log if entry.startswith("start")] == ["start 1", "start 9999"]
    for n in range(1, 3001):
        handler.let_finish(n)
    handler.let_finish(9999)
    await asyncio.gather(*tasks)
    started = [entry for entry in handler.log if entry.startswith("start")]
    assert len(started) == PER_CHAT_CAP + 1  # the first 32 queries ran, one after another; the rest were dropped
    assert metrics.registry.get_sample_value("twitchcheck_dropped_updates_total") == 3000 - PER_CHAT_CAP
    assert len(told.updates) == 1  # offered once, as to a chat; the bot's own "please wait" skips inline queries


async def test_inline_queries_of_different_people_run_at_the_same_time() -> None:
    processor, handler = PerChatOrderedProcessor(Metrics()), Handler()
    tasks = await run_all(processor, handler, [inline_update(1, 7), inline_update(2, 8)])
    assert handler.log == ["start 1", "start 2"]
    handler.let_finish(1)
    handler.let_finish(2)
    await asyncio.gather(*tasks)
