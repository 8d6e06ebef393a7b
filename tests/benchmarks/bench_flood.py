"""One chat floods the bot; how long does another person wait? `python -m tests.benchmarks.bench_flood [N] [inline]`.

The real Application polls our local Bot API stand-in. One person sends `/start` and then N
(default 400) typed answers at once; a second person then sends `/start`. Printed: the second
person's `/start` latency on an idle bot and during the flood, how long the flood takes to
drain, and how many messages the flooder got (updates past the per-chat cap are dropped
after one "please wait"). Before per-chat queues outside the global concurrency limit, the
second `/start` waited about 8 s behind a 400-update flood; the target is under 0.2 s.

With `inline`, the flood is N inline queries ("@bot cramps") from one person instead (issue 19:
before inline queries had a per-person line and cap, 3,000 of them delayed another person's
`/start` from 0.06 s to 15.5 s).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from bot.bootstrap import load_all
from bot.config import DEFAULT_CONTENT, DEFAULT_FLOWS
from tests.support.botapi import BotApiStandIn
from tests.support.harness import RunningBot, settings_for

WAIT_SECONDS = 300
FETCHED_SECONDS = 0.5
"""Time for the poller to fetch the flood before the second person writes (a benchmark, not a test)."""


async def main(flood: int = 400, inline: bool = False) -> None:
    loaded = load_all([DEFAULT_FLOWS], DEFAULT_CONTENT)
    async with BotApiStandIn() as api:
        with tempfile.TemporaryDirectory() as tmp:
            bot = await RunningBot(api, loaded, settings_for(api, Path(tmp))).start()
            try:
                flooder, other = api.user(2001, "F", language_code="en"), api.user(2002, "O", language_code="en")
                flooder_chat, other_chat = api.private(flooder), api.private(other)
                started = time.perf_counter()
                await api.wait_until_idle_for(api.send_command(other_chat, other, "/start"), timeout=WAIT_SECONDS)
                idle = time.perf_counter() - started
                await api.wait_until_idle(timeout=WAIT_SECONDS)
                if inline:
                    for _ in range(flood):
                        api.inline_query(flooder, "cramps")
                else:
                    api.send_command(flooder_chat, flooder, "/start")
                    for _ in range(flood):
                        api.send_text(flooder_chat, flooder, "no")
                await asyncio.sleep(FETCHED_SECONDS)
                started = time.perf_counter()
                await api.wait_until_idle_for(api.send_command(other_chat, other, "/start"), timeout=WAIT_SECONDS)
                during = time.perf_counter() - started
                started = time.perf_counter()
                await api.wait_until_idle(timeout=WAIT_SECONDS)
                drained = time.perf_counter() - started
                answered = sum(1 for query in api.world.inline_queries.values() if query.answered)
                what = "inline queries from one person" if inline else "updates in one chat"
                print(
                    f"flood of {flood} {what}: another person's /start took {during:.3f} s "
                    f"(idle bot: {idle:.3f} s); the flood drained {drained:.1f} s later; "
                    f"the flooder got {len(api.bot_messages(flooder_chat))} messages and {answered} inline answers"
                )
            finally:
                await bot.stop()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 400, "inline" in sys.argv[2:]))
