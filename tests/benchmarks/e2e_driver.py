"""The people's side of the end-to-end benchmark, in its own process so its CPU is not the bot's.

It runs the Bot API stand-in and many simulated people, and talks to the benchmark over
pipes: stdout carries JSON lines (where the stand-in listens, "go", the results); stdin
carries the update ids the bot has finished, one per line, from the bot's update processor.

`python -m tests.benchmarks.e2e_driver --mode twitchcheck|floor|typed --people 50 --rounds 4 [--pause 5]`

`--pause` makes each person wait that long between answers (a steady offered load, for the rate
limit benchmark; people start at random moments within the first pause, as real arrivals are
spread out); without it they answer as soon as the reply arrives. `--flood N` adds one more
person who sends N messages at once as the others start (not counted in the figures).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time

from tests.support.botapi import BotApiStandIn, Chat, User
from tests.support.harness import ROUTINE

STEP_TIMEOUT_SECONDS = 60.0


def emit(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


async def read_handled(api: BotApiStandIn, measuring: asyncio.Event) -> None:
    """Feed the ids the bot reports on stdin into the stand-in's 'handled' record; 0 means "measuring"."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    mark = api.handled_callback()
    while line := await reader.readline():
        if int(line) == 0:
            measuring.set()
        else:
            mark(int(line))


async def person(
    api: BotApiStandIn, user: User, chat: Chat, mode: str, rounds: int, latencies: list[float], pause: float = 0
) -> None:
    """/start, then one answer per question (a button press, or typed in "typed" mode), `rounds` times.

    Each action waits until the bot has finished the previous one, as a person waits for the reply.
    """
    if pause:
        await asyncio.sleep(random.uniform(0, pause))  # people arrive spread out, not all in the same instant
    for _ in range(rounds):
        actions: list[str | None] = [None, *ROUTINE]
        for label in actions:
            if pause and latencies:
                await asyncio.sleep(pause)  # the person reads, then answers: a steady offered load
            started = time.perf_counter()
            if label is None:
                update_id = api.send_command(chat, user, "/start")
            elif mode == "typed":
                update_id = api.send_text(chat, user, label)
            else:
                question = next(m for m in reversed(api.bot_messages(chat)) if m.callback_data)
                update_id = api.press_button(chat, user, question, label if mode == "twitchcheck" else "A")
                update_id = api.callback_query(update_id).update_id
            await api.wait_until_idle_for(update_id, timeout=STEP_TIMEOUT_SECONDS)
            latencies.append(time.perf_counter() - started)


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=("twitchcheck", "floor", "typed"), required=True)
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--pause", type=float, default=0, help="seconds each person waits between answers")
    parser.add_argument("--flood", type=int, default=0, help="messages one extra person sends at once")
    args = parser.parse_args()
    async with BotApiStandIn(strict_html=False) as api:
        measuring = asyncio.Event()
        reader = asyncio.create_task(read_handled(api, measuring))
        emit(base_url=api.base_url, token=api.token)
        await api.wait_for(lambda: api.polling, timeout=30, what="the bot to start polling")
        people = [api.user(10_000 + i, f"P{i}", language_code="en") for i in range(args.people)]
        latencies: list[float] = []
        emit(go=True)
        await measuring.wait()
        since = api.mark()
        started = time.perf_counter()
        if args.flood:
            flooder = api.user(9_999, "Flood", language_code="en")
            flood_chat = api.private(flooder)
            api.send_command(flood_chat, flooder, "/start")
            for number in range(args.flood):
                api.send_text(flood_chat, flooder, f"message {number}")
        await asyncio.gather(
            *(person(api, user, api.private(user), args.mode, args.rounds, latencies, args.pause) for user in people)
        )
        wall = time.perf_counter() - started
        polls = len(api.calls_to("getUpdates", since=since))
        calls = len(api.calls) - since - polls
        # AIORateLimiter limits every call that names a chat; answerCallbackQuery and getUpdates don't.
        limited = len([call for call in api.calls[since:] if "chat_id" in call.params])
        emit(
            updates=len(latencies),
            wall=wall,
            api_calls=calls,
            limited_calls=limited,
            polls=polls,
            latencies=sorted(latencies),
        )
        await reader  # the stand-in stays up until the bot has stopped and closed our stdin
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
