"""How many questions each button path through a flow asks: shortest, median, longest (issue 18's measure).

    .venv/bin/python -m tests.benchmarks.path_lengths [flows/twitching.yaml] [--by who]

The counting is `tests.support.paths.lengths` (the account invitation, answered with Skip, counts as a
question); `--by KEY` splits the figures by the answer recorded under KEY (me / adult / child).
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from bot.bootstrap import load_all
from bot.config import DEFAULT_CONTENT
from tests.support.paths import figures, lengths


def describe(counts: Counter[int]) -> str:
    shortest, median, longest = figures(counts)
    return f"paths {sum(counts.values())}: shortest {shortest}, median {median}, longest {longest}"


def main(argv: list[str]) -> None:
    by = argv[argv.index("--by") + 1] if "--by" in argv else None
    files = [Path(a) for a in argv if a.endswith(".yaml")] or [Path("flows/twitching.yaml")]
    loaded = load_all(files, DEFAULT_CONTENT, prove=False)
    for flow in loaded.flows.values():
        print(f"{flow.id}: all {describe(lengths(flow))}")
        if by:
            step = next(s for s in flow.steps.values() if s.key == by)
            for choice in step.choices:
                print(f"  {by}={choice.value}: {describe(lengths(flow, {by: choice.value}))}")


if __name__ == "__main__":
    main(sys.argv[1:])
