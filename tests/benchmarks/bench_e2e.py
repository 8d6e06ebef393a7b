"""End-to-end CPU per update: TwitchCheck next to a minimal python-telegram-bot bot (the floor).

`python -m tests.benchmarks.bench_e2e [--people 50] [--rounds 2] [--repeat 3] [--only NAME …]`

Each run puts one bot in this process and the Bot API stand-in with the simulated people in
a child process (tests/benchmarks/e2e_driver.py), so `time.process_time()` here counts the
bot's CPU only: python-telegram-bot, httpx, our handlers, the engine, SQLite and its
checkpoint thread.
The floor TwitchCheck is held to (issue 22: at most 1.3x its CPU per update) is PTB with its
defaults, as a user would write it: ApplicationBuilder with nothing set, so one update at a time,
HTTPXRequest's own pool and no rate limiter; it answers the press and sends one short message with
three buttons (and only the message for typed text). TwitchCheck runs with its rate limiter off and
on; with it on, each run is held to Telegram's 30 calls a second, so it takes about a minute.
The other floors are minimal PTB bots with the same concurrency, polling and connection pool as
TwitchCheck (one more uses PTB's default pool of 256, to show what that costs). One sends a
single message per update; one answers the press and sends one message (the reference of
issue 11); one makes the same Bot API calls, with payloads of the same shape, that TwitchCheck
makes for a button press (answerCallbackQuery, then editMessageText of the check's card), so
its ratio is the cost of our own code per unit of Telegram work. Typed answers cost TwitchCheck
one call, so they are compared with a floor that answers typed text with one question of the
same shape. "lim/upd" counts the calls AIORateLimiter holds to Telegram's 30 a second (those
naming a chat); `python -m tests.benchmarks.bench_limits` runs with the limiter on.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.bootstrap import load_all
from bot.config import DEFAULT_CONTENT, DEFAULT_FLOWS, Settings
from bot.storage import open_store
from bot.telegram.app import CONNECTION_POOL_SIZE, BotRuntime
from tests.benchmarks.bench_store import current_rss_mib
from tests.support.botapi.processor import TrackingUpdateProcessor

CONCURRENCY = 256
POLL_TIMEOUT = 10
FLOOR_KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=label) for label in "ABC"]])
# The shape of TwitchCheck's questions: HTML, one button per row, callback data at least as long as ours.
QUESTION = "How long has the twitching been going on? <i>Tap an answer, or type it.</i>"
QUESTION_KEYBOARD = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton(label, callback_data=label + "." + "x" * 20)]
        for label in ("A", "Less than 2 weeks", "2 weeks or more", "Not sure")
    ]
)

CARD_LINES = "\n".join(f"✓ Question {n}: Less than 2 weeks" for n in range(1, 9))
"""The answer lines a card carries in mid-check."""

Stop = Callable[[], Awaitable[None]]
BOT_CPU, DRIVER_CPU = 0, 1


def pin(pid: int, cpu: int) -> None:
    """Keep the bot and the driver on separate cores, so neither's CPU time includes waiting on the other."""
    if hasattr(os, "sched_setaffinity") and cpu < (os.cpu_count() or 1):
        os.sched_setaffinity(pid, {cpu})


class Driver:
    """The child process: JSON lines out, finished update ids in."""

    def __init__(self, mode: str, people: int, rounds: int, *options: str) -> None:
        command = [sys.executable, "-m", "tests.benchmarks.e2e_driver", "--mode", mode]
        command += ["--people", str(people), "--rounds", str(rounds), *options]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        pin(self.process.pid, DRIVER_CPU)

    def line(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        raw = self.process.stdout.readline()
        if not raw:
            raise RuntimeError(f"the driver exited with code {self.process.wait()}")
        return dict(json.loads(raw))

    def handled(self, update_id: int) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(b"%d\n" % update_id)
        self.process.stdin.flush()

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)


async def start_twitchcheck(
    base_url: str, token: str, handled: Callable[[int], None], data_dir: Path, *, rate_limited: bool = False
) -> Stop:
    settings = Settings(token=token, api_base_url=base_url, data_dir=data_dir, id_salt="bench")
    loaded = load_all([DEFAULT_FLOWS], DEFAULT_CONTENT)
    store = await open_store(settings.storage, settings.data_dir)
    runtime = BotRuntime(
        settings, loaded, store, poll_timeout=POLL_TIMEOUT, rate_limited=rate_limited, on_update_handled=handled
    )
    await runtime.start(polling=True)

    async def stop() -> None:
        await runtime.stop()
        await store.close()

    return stop


async def floor_one_call(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_chat is not None
    await context.bot.send_message(update.effective_chat.id, "Question?", reply_markup=FLOOR_KEYBOARD)


async def floor_answer_and_send(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The minimal bot: answer the press, send one message."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    await floor_question(update, context)


async def floor_same_calls(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """TwitchCheck's calls and payload shapes, without its logic: answer, then edit the card in place."""
    if update.callback_query is None:
        await floor_question(update, context)
        return
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(
        f"{CARD_LINES}\n✓ Update {update.update_id}: A\n\n{QUESTION}",  # a new text each time, as a card has
        parse_mode="HTML",
        reply_markup=QUESTION_KEYBOARD,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )


async def floor_question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """One question shaped like TwitchCheck's: what it sends for a typed answer."""
    assert update.effective_chat is not None
    await context.bot.send_message(
        update.effective_chat.id,
        QUESTION,
        parse_mode="HTML",
        reply_markup=QUESTION_KEYBOARD,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )


def floor_starter(
    handler: Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]], pool_size: int = CONNECTION_POOL_SIZE
) -> Callable[..., Any]:
    async def start(base_url: str, token: str, handled: Callable[[int], None], data_dir: Path) -> Stop:
        app: Application = (  # type: ignore[type-arg]
            ApplicationBuilder()
            .token(token)
            .base_url(base_url)
            .concurrent_updates(TrackingUpdateProcessor(handled, CONCURRENCY))
            .connection_pool_size(pool_size)
            .build()
        )
        app.add_handlers(
            [CommandHandler("start", handler), CallbackQueryHandler(handler), MessageHandler(filters.TEXT, handler)]
        )
        await app.initialize()
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=POLL_TIMEOUT, allowed_updates=Update.ALL_TYPES)

        async def stop() -> None:
            assert app.updater is not None
            await app.updater.stop()
            await app.stop()
            await app.shutdown()

        return stop

    return start


async def start_ptb_defaults(
    base_url: str, token: str, handled: Callable[[int], None], data_dir: Path, *, rate_limited: bool = False
) -> Stop:
    """The floor a user would pick: PTB's ApplicationBuilder with its defaults (one update at a time,
    HTTPXRequest's own pool, no rate limiter). It answers the press and sends one short message with
    three buttons. It reports a finished update from the handler itself, so no processor is replaced."""

    async def answer_and_send(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            if update.callback_query is not None:
                await update.callback_query.answer()
            assert update.effective_chat is not None
            await context.bot.send_message(update.effective_chat.id, "Question?", reply_markup=FLOOR_KEYBOARD)
        finally:
            handled(update.update_id)

    builder = ApplicationBuilder().token(token).base_url(base_url)
    app = (builder.rate_limiter(AIORateLimiter()) if rate_limited else builder).build()
    app.add_handlers(
        [
            CommandHandler("start", answer_and_send),
            CallbackQueryHandler(answer_and_send),
            MessageHandler(filters.TEXT, answer_and_send),
        ]
    )
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=POLL_TIMEOUT, allowed_updates=Update.ALL_TYPES)

    async def stop() -> None:
        assert app.updater is not None
        await app.updater.stop()
        await app.stop()
        await app.shutdown()

    return stop


BOTS: dict[str, tuple[str, Callable[..., Any]]] = {
    "floor: PTB defaults, buttons": ("floor", start_ptb_defaults),
    "floor: PTB defaults, typed": ("typed", start_ptb_defaults),
    "floor: PTB defaults + limiter, buttons": ("floor", partial(start_ptb_defaults, rate_limited=True)),
    "floor: PTB defaults + limiter, typed": ("typed", partial(start_ptb_defaults, rate_limited=True)),
    "floor: pool of 256, 1 call": ("floor", floor_starter(floor_one_call, pool_size=256)),
    "floor: 1 call/update": ("floor", floor_starter(floor_one_call)),
    "floor: answer + 1 message": ("floor", floor_starter(floor_answer_and_send)),
    "floor: TwitchCheck's calls": ("floor", floor_starter(floor_same_calls)),
    "TwitchCheck (SQLite)": ("twitchcheck", start_twitchcheck),
    "floor: typed, 1 question": ("typed", floor_starter(floor_question)),
    "TwitchCheck, typed answers": ("typed", start_twitchcheck),
    "TwitchCheck, limiter on": ("twitchcheck", partial(start_twitchcheck, rate_limited=True)),
    "TwitchCheck, typed, limiter on": ("typed", partial(start_twitchcheck, rate_limited=True)),
}


@dataclass
class Run:
    updates: int
    api_calls: int
    limited_calls: int
    polls: int
    cpu_seconds: float
    wall_seconds: float
    latencies: list[float]
    rss_mib: float

    @property
    def cpu_ms_per_update(self) -> float:
        return self.cpu_seconds * 1000 / self.updates

    @property
    def cpu_us_per_call(self) -> float:
        return self.cpu_seconds * 1e6 / self.api_calls


async def measure(name: str, people: int, rounds: int, *options: str, start: Callable[..., Any] | None = None) -> Run:
    mode, start_bot = BOTS[name]
    start_bot = start or start_bot
    driver = Driver(mode, people, rounds, *options)
    loop = asyncio.get_running_loop()
    try:
        where = driver.line()
        with tempfile.TemporaryDirectory(prefix="tc-bench-") as data_dir:
            stop = await start_bot(where["base_url"], where["token"], driver.handled, Path(data_dir))
            try:
                await loop.run_in_executor(None, driver.line)  # "go": every person is ready
                cpu = time.process_time()
                driver.handled(0)  # tell the driver the clock is running
                result = await loop.run_in_executor(None, driver.line)
                cpu = time.process_time() - cpu
                rss = current_rss_mib()
            finally:
                await stop()
    finally:
        driver.close()  # only now may the stand-in go away
    return Run(
        result["updates"],
        result["api_calls"],
        result["limited_calls"],
        result["polls"],
        cpu,
        result["wall"],
        result["latencies"],
        rss,
    )


COMPARED = (
    # (what, TwitchCheck's run, the floor it is held to)
    ("buttons, limiter off", "TwitchCheck (SQLite)", "floor: PTB defaults, buttons"),
    ("buttons, limiter on", "TwitchCheck, limiter on", "floor: PTB defaults, buttons"),
    ("typed, limiter off", "TwitchCheck, typed answers", "floor: PTB defaults, typed"),
    ("typed, limiter on", "TwitchCheck, typed, limiter on", "floor: PTB defaults, typed"),
    # The same load paced to 30 calls a second costs any bot more per update (a poll per update,
    # nothing batched), so the limiter-on runs are also shown next to PTB's defaults plus AIORateLimiter.
    ("buttons, limiter on", "TwitchCheck, limiter on", "floor: PTB defaults + limiter, buttons"),
    ("typed, limiter on", "TwitchCheck, typed, limiter on", "floor: PTB defaults + limiter, typed"),
    ("buttons, limiter off", "TwitchCheck (SQLite)", "floor: answer + 1 message"),
    ("buttons, limiter off", "TwitchCheck (SQLite)", "floor: TwitchCheck's calls"),
    ("typed, limiter off", "TwitchCheck, typed answers", "floor: typed, 1 question"),
)
GOAL = 1.3
"""Issue 22: CPU per update at most 1.3x the PTB-defaults floor, buttons and typed, limiter on and off."""


def summary(medians: dict[str, Run], runs: dict[str, list[Run]]) -> list[str]:
    """TwitchCheck's CPU per update against each floor that ran, from the median runs."""
    lines = []
    for what, ours, floor in COMPARED:
        if ours not in medians or floor not in medians:
            continue
        mine, theirs = medians[ours], medians[floor]
        ratio = mine.cpu_ms_per_update / theirs.cpu_ms_per_update
        goal = f"goal {GOAL}x: {'met' if ratio <= GOAL else 'MISSED'}" if "PTB defaults" in floor else "no goal"
        spread = [round(r.cpu_ms_per_update, 2) for r in runs[ours]]
        lines.append(
            f"{what:<21} {mine.cpu_ms_per_update:.2f} ms = {ratio:.2f}x {floor!r} ({goal}); "
            f"{mine.limited_calls / mine.updates:.2f} rate-limited calls per update; runs {spread} ms"
        )
    return lines


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=50, help="people talking at the same time")
    parser.add_argument("--rounds", type=int, default=2, help="whole checks per person (16 updates each)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per bot; the median run is reported")
    parser.add_argument("--only", action="append", default=[], help="run only the bots whose name contains this")
    args = parser.parse_args(argv)
    pin(0, BOT_CPU)
    print(
        f"{args.people} people x {args.rounds} checks x 16 updates, polling, {args.repeat} runs per bot "
        "(median by CPU)\n"
    )
    chosen = [name for name in BOTS if not args.only or any(part in name for part in args.only)]
    runs: dict[str, list[Run]] = {name: [] for name in chosen}
    for round_number in range(args.repeat):
        # Interleaved, and in reverse every other round, so neither a noisy moment nor the
        # position in the run favours one bot.
        for name in chosen if round_number % 2 == 0 else chosen[::-1]:
            runs[name].append(await measure(name, args.people, args.rounds))
    print(
        f"{'bot':<28} {'updates':>7} {'calls/upd':>9} {'lim/upd':>7} {'polls/upd':>9} {'CPU ms/upd':>10} "
        f"{'CPU µs/call':>11} "
        f"{'upd/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'RSS MiB':>8}"
    )
    medians: dict[str, Run] = {}
    for name, tries in runs.items():
        run = sorted(tries, key=lambda r: r.cpu_seconds)[len(tries) // 2]
        medians[name] = run
        print(
            f"{name:<28} {run.updates:>7} {run.api_calls / run.updates:>9.2f} {run.limited_calls / run.updates:>7.2f} "
            f"{run.polls / run.updates:>9.2f} "
            f"{run.cpu_ms_per_update:>10.3f} "
            f"{run.cpu_us_per_call:>11.1f} {run.updates / run.wall_seconds:>7.0f} "
            f"{percentile(run.latencies, 0.5) * 1000:>7.1f} {percentile(run.latencies, 0.95) * 1000:>7.1f} "
            f"{run.rss_mib:>8.1f}"
        )
    print()
    for line in summary(medians, runs):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
