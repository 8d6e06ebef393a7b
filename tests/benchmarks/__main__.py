"""Every benchmark in one run: `python -m tests.benchmarks` (about five minutes on two cores).

Prints the engine's µs per advance, SQLite and Redis save + load µs, RSS as stored
conversations grow to 100,000, end-to-end CPU per update next to python-telegram-bot's
floor, another person's wait while one chat floods the bot, and reply latency while 1,000
reminders go out (with the reminders' exactly-once figures and bytes per reminder). Each part
also runs alone: `python -m tests.benchmarks.bench_engine`, `.bench_store`, `.bench_e2e` (that
one takes --people, --rounds and --repeat), `.bench_flood [N]`, `.bench_reminders [--window S]`.
Telegram's send limit on (throughput and reply latency at 30 calls a second) is left out, as it
runs for about eight minutes: `python -m tests.benchmarks.bench_limits [--fast]`.
"""

from __future__ import annotations

import asyncio
import sys

from tests.benchmarks import bench_e2e, bench_engine, bench_flood, bench_reminders, bench_store


def main() -> int:
    print("== engine ==")
    bench_engine.main()
    print("\n== store ==")
    status = asyncio.run(bench_store.main())
    print("\n== flood ==")
    asyncio.run(bench_flood.main())
    print("\n== reminders ==")
    status = asyncio.run(bench_reminders.main([])) or status
    print("\n== end to end ==")
    return status or asyncio.run(bench_e2e.main(sys.argv[1:]))


if __name__ == "__main__":
    sys.exit(main())
