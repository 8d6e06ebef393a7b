"""How many questions each path through a flow asks: shortest, median, longest (issue 18's measure).

    .venv/bin/python scripts/path_lengths.py [flows/twitching.yaml] [--by KEY]

Every combination of button answers is one path (the account step is answered with Skip and counts
as a question). Paths are counted, not listed: a state is the step plus the answers a later branch
can still read, so the count stays small however many paths there are. `--by who` splits the figures
by the first answer recorded under that key (for example me / adult / child).
"""

from __future__ import annotations

import sys
from collections import Counter
from functools import cache
from pathlib import Path

from bot.bootstrap import load_all
from bot.engine.model import ROUTE, Flow


def lengths(flow: Flow, fixed: dict[str, str] | None = None) -> Counter[int]:
    """The number of paths that ask n questions, for every n (`fixed` pins some answers)."""
    read = frozenset().union(
        *(b.when.keys() for s in flow.steps.values() for c in s.choices for b in c.branches)
    )

    @cache
    def from_step(step_id: str, known: frozenset[tuple[str, str]]) -> Counter[int]:
        if step_id == ROUTE or step_id in flow.outcomes:
            return Counter({0: 1})
        step = flow.steps[step_id]
        total: Counter[int] = Counter()
        for choice in step.choices:
            if fixed and step.key in fixed and choice.value != fixed[step.key]:
                continue
            answers = dict(known) | {step.key: choice.value}
            target = next(b.target for b in choice.branches if b.when.holds(answers))
            kept = frozenset((k, v) for k, v in answers.items() if k in read)
            for n, count in from_step(target, kept).items():
                total[n + 1] += count
        return total

    return from_step(flow.start, frozenset())


def describe(counts: Counter[int]) -> str:
    total = sum(counts.values())
    running, median = 0, 0
    for n in sorted(counts):
        running += counts[n]
        if running * 2 >= total:
            median = n
            break
    return f"paths {total}: shortest {min(counts)}, median {median}, longest {max(counts)}"


def main(argv: list[str]) -> None:
    by = argv[argv.index("--by") + 1] if "--by" in argv else None
    files = [a for a in argv if a.endswith(".yaml")] or ["flows/twitching.yaml"]
    loaded = load_all([Path(f) for f in files], Path("content/en"), prove=False)
    for flow in loaded.flows.values():
        print(f"{flow.id}: all {describe(lengths(flow))}")
        if by:
            step = next(s for s in flow.steps.values() if s.key == by)
            for choice in step.choices:
                print(f"  {by}={choice.value}: {describe(lengths(flow, {by: choice.value}))}")


if __name__ == "__main__":
    main(sys.argv[1:])
