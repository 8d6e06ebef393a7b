"""TwitchCheck with Telegram's send limit on (30 a second): throughput, reply latency and fairness.

`python -m tests.benchmarks.bench_limits [--fast] [--people 200] [--steady 100] [--pause 5]`

The real bot, with its rate limiter, polls the Bot API stand-in, whose simulated people run in
a child process (tests/benchmarks/e2e_driver.py). Three loads:
- saturated: `--people` people answer a whole check each as fast as replies come. Telegram's limit
  is then the bottleneck, so the total time should be close to (rate-limited calls / 30);
- steady: `--steady` people each answer every `--pause` seconds (100 every 5 s offer 20 answers a
  second, under the limit): reply latency should stay under a second;
- flood: the steady load plus one chat sending 300 messages at once. Each chat's updates are
  handled one at a time, so the flooding chat has at most one call in the limiter's queue and
  the others should not notice it.
`--fast` runs smaller loads (for a quick look; the figures in the README use the defaults).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections import Counter
from functools import partial

from telegram.constants import FloodLimit

from tests.benchmarks.bench_e2e import BOT_CPU, Run, measure, percentile, pin, start_twitchcheck

RATE = FloodLimit.MESSAGES_PER_SECOND
FLOOD = 300


class RetryCounter(logging.Handler):
    """Counts the bot's `api_retry` log events by cause, instead of printing each one."""

    def __init__(self) -> None:
        super().__init__()
        self.causes: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        fields = getattr(record, "fields", {})
        self.causes[str(fields.get("error") or fields.get("status") or record.getMessage())] += 1


def line(label: str, run: Run, retries: RetryCounter, *, paced: bool = False) -> str:
    ideal = run.limited_calls / RATE
    ratio = "-" if paced else f"{run.wall_seconds / ideal:.2f}"
    causes = ", ".join(f"{n} {cause}" for cause, n in retries.causes.most_common()) or "0"
    retries.causes.clear()
    return (
        f"{label:<36} {run.updates:>7} {run.limited_calls:>7} {run.wall_seconds:>8.1f} {ideal:>8.1f} "
        f"{ratio:>6} {percentile(run.latencies, 0.5) * 1000:>8.0f} "
        f"{percentile(run.latencies, 0.95) * 1000:>8.0f}  {causes}"
    )


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=200, help="people answering without pause")
    parser.add_argument("--steady", type=int, default=100, help="people answering every --pause seconds")
    parser.add_argument("--pause", type=float, default=5.0, help="seconds between one person's answers")
    parser.add_argument("--fast", action="store_true", help="a quick look: 60 and 30 people")
    args = parser.parse_args(argv)
    if args.fast:
        args.people, args.steady = 60, 30
    pin(0, BOT_CPU)
    retries = RetryCounter()
    logging.getLogger("twitchcheck").addHandler(retries)
    logging.getLogger("twitchcheck").propagate = False
    limited = partial(start_twitchcheck, rate_limited=True)
    name = "TwitchCheck (SQLite)"
    print(f"Telegram's limit: {RATE} calls a second; one whole check (17 updates) per person\n")
    print(
        f"{'load':<36} {'updates':>7} {'limited':>7} {'total s':>8} {'calls/30':>8} {'ratio':>6} "
        f"{'p50 ms':>8} {'p95 ms':>8}  retried calls"
    )
    saturated = await measure(name, args.people, 1, start=limited)
    print(line(f"{args.people} people, no pause", saturated, retries))
    pause = ["--pause", str(args.pause)]
    steady = await measure(name, args.steady, 1, *pause, start=limited)
    print(line(f"{args.steady} people, one answer per {args.pause:g} s", steady, retries, paced=True))
    flooded = await measure(name, args.steady, 1, *pause, "--flood", str(FLOOD), start=limited)
    print(line(f"  … and one chat sending {FLOOD} at once", flooded, retries, paced=True))
    print(
        f"\nSaturated: {saturated.wall_seconds / (saturated.limited_calls / RATE):.2f}x the time Telegram's limit "
        f"allows (goal within 1.10x). Steady p95 reply: {percentile(steady.latencies, 0.95) * 1000:.0f} ms "
        f"(goal 1000 ms); with a flooding chat: {percentile(flooded.latencies, 0.95) * 1000:.0f} ms."
    )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
