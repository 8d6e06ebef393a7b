"""Engine benchmarks: `python -m tests.benchmarks.bench_engine` (not collected by pytest).

Targets: `Engine.advance` ≤ 50 µs median, loading and validating every shipped flow and the
content ≤ 150 ms, `check_flow` on a generated 1,000-step flow ≤ 2 s, reading a typed
300-character message (emergency language + answer matching) ≤ 200 µs median.
"""

from __future__ import annotations

import gc
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType

from bot.content.library import load_content
from bot.engine.check import check_flow
from bot.engine.conversation import Conversation
from bot.engine.engine import Engine
from bot.engine.loader import load_flows
from bot.engine.model import (
    ALWAYS,
    NO,
    NOT_SURE,
    ROUTE,
    YES,
    AnswerIn,
    AnyOf,
    Branch,
    Choice,
    Flow,
    Level,
    Outcome,
    Rule,
    Step,
    StepKind,
)
from bot.engine.replies import Pick, Typed

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "content" / "en"
FLOWS = ROOT / "flows"
HELD = 100_000


def generated_flow(size: int = 1000, seed: int = 7) -> Flow:
    """A big flow shaped like the shipped one, to time the proof on.

    Every fifth step is a red flag, every seventh question skips the next one depending on
    an earlier answer (never a red flag: every path below 🔴 must ask them all), every
    fiftieth step is a review loop that re-asks the three questions before it, and the
    routing reads every red flag plus twenty other answers. It is safe.
    """
    rng = random.Random(seed)
    ids = [f"s{i:04d}" for i in range(size)]
    outcomes = {level.key: Outcome(level.key, level, level.key, "do this", "watch that") for level in Level}
    steps: dict[str, Step] = {}
    flags: list[str] = []
    questions: list[str] = []

    def ahead(i: int, by: int = 1) -> str:
        return ids[i + by] if i + by < size else ROUTE

    for i, step_id in enumerate(ids):
        nxt = ahead(i)
        if i == 0:
            kind = StepKind.EMERGENCY
            choices = [
                Choice(YES, "Yes", (Branch("emergency"),)),
                Choice(NO, "No", (Branch(nxt),)),
                Choice(NOT_SURE, "Not sure", (Branch("emergency"),)),
            ]
        elif i % 50 == 49:
            kind = StepKind.QUESTION
            choices = [
                Choice("again", "Go over them again", (Branch(ids[i - 3]),)),
                Choice("done", "Carry on", (Branch(nxt),)),
            ]
        elif i % 5 == 0:
            kind = StepKind.RED_FLAG
            flags.append(step_id)
            choices = [Choice(value, value, (Branch(nxt),)) for value in (YES, NO, NOT_SURE)]
        else:
            kind = StepKind.QUESTION
            skip = i % 7 == 0 and questions and i + 2 < size and (i + 1) % 5 != 0  # never past a red flag
            branches = (
                (Branch(ahead(i, 2), AnswerIn(questions[-1], frozenset({"a"}))), Branch(nxt))
                if skip
                else (Branch(nxt),)
            )
            choices = [Choice(value, value, branches) for value in ("a", "b", "c")]
            questions.append(step_id)
        steps[step_id] = Step(step_id, f"Question {i}?", kind, step_id, step_id, tuple(choices), line=i + 1)
    flag_yes = AnyOf(tuple(AnswerIn(f, frozenset({YES})) for f in flags))
    flag_unsure = AnyOf(tuple(AnswerIn(f, frozenset({NOT_SURE})) for f in flags))
    rules = [Rule("urgent", flag_yes, 1), Rule("routine", flag_unsure, 2)]
    read = rng.sample(questions, min(20, len(questions)))
    rules += [Rule("routine", AnswerIn(q, frozenset({"c"})), 3 + n) for n, q in enumerate(read)]
    rules.append(Rule("self_care", ALWAYS, 99))
    return Flow(
        id="generated",
        title="Generated",
        start=ids[0],
        steps=MappingProxyType(steps),
        outcomes=MappingProxyType(outcomes),
        rules=tuple(rules),
        source="<generated>",
    )


def _percentiles(samples_ns: list[int]) -> tuple[float, float]:
    ordered = sorted(samples_ns)
    return statistics.median(ordered) / 1000, ordered[int(len(ordered) * 0.95)] / 1000


def _random_conversations(engine: Engine, count: int, rng: random.Random) -> list[Conversation]:
    """Conversations stopped at random questions, reached by random button presses."""
    flow = engine.flows["twitching"]
    found = []
    while len(found) < count:
        conversation, _ = engine.start("twitching")
        stop = rng.randrange(12)
        for _ in range(stop):
            step = flow.steps[conversation.step]
            following, _ = engine.advance(conversation, Pick(step.id, rng.choice(step.choices).value))
            if flow.is_outcome(following.step):
                break
            conversation = following
        found.append(conversation)
    return found


def _hold(pool: list[Conversation], count: int) -> dict[int, Conversation]:
    """`count` independent conversations, as a process serving that many people would hold them."""
    return {
        n: Conversation(c.flow_id, c.step, dict(c.answers), tuple(c.history), c.version)
        for n, c in enumerate(pool[n % len(pool)] for n in range(count))
    }


def _time_advance(
    engine: Engine,
    held: dict[int, Conversation],
    make: Callable[[Conversation], object],
    rounds: int,
    rng: random.Random,
    pool: list[Conversation],
) -> tuple[float, float]:
    """Advance random held conversations; one that finishes is replaced by another from mid-check."""
    flow = engine.flows["twitching"]
    keys = list(held)
    samples = []
    advance = engine.advance
    for _ in range(rounds):
        key = keys[rng.randrange(len(keys))]
        conversation = held[key]
        given = make(conversation)
        started = time.perf_counter_ns()
        moved, _ = advance(conversation, given)  # type: ignore[arg-type]
        samples.append(time.perf_counter_ns() - started)
        held[key] = moved if not flow.is_outcome(moved.step) else pool[rng.randrange(len(pool))]
    return _percentiles(samples)


def _time_last_answer(engine: Engine, rng: random.Random) -> tuple[float, float]:
    """The costliest input: the last answer, which runs the routing rules and builds the recommendation."""
    flow = engine.flows["twitching"]
    conversation, _ = engine.start("twitching")
    for step_id in list(flow.steps)[:-1]:
        step = flow.steps[step_id]
        value = "no" if step.choice("no") else step.choices[0].value
        conversation, _ = engine.advance(conversation, Pick(step_id, value))
    last = flow.steps[conversation.step]
    samples = []
    for _ in range(20_000):
        given = Pick(last.id, rng.choice(last.choices).value)
        started = time.perf_counter_ns()
        engine.advance(conversation, given)
        samples.append(time.perf_counter_ns() - started)
    return _percentiles(samples)


def bench_advance(rng: random.Random) -> None:
    content = load_content(CONTENT, CONTENT / "article.txt")
    engine = Engine(load_flows([FLOWS], content))
    flow = engine.flows["twitching"]

    def pick(conversation: Conversation) -> Pick:
        step = flow.steps[conversation.step]
        return Pick(step.id, rng.choice(step.choices).value)

    def typed(conversation: Conversation) -> Typed:
        return Typed(rng.choice(flow.steps[conversation.step].choices).label.lower())

    pool = _random_conversations(engine, 2000, rng)
    for label, count in (("1 conversation", 1), (f"{HELD:,} conversations", HELD)):
        gc.collect()
        tracemalloc.start()
        held = _hold(pool, count)
        size, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        for kind, make in (("button pick", pick), ("typed answer", typed)):
            _time_advance(engine, held, make, 2000, rng, pool)  # warm up caches
            median, p95 = _time_advance(engine, held, make, 50_000, rng, pool)
            print(f"advance, {kind:12}, {label:>23}: median {median:6.1f} µs   p95 {p95:6.1f} µs")
        if count > 1:
            print(
                f"memory for {count:,} held conversations (tracemalloc): {size / 2**20:.1f} MiB "
                f"({size / count:.0f} bytes each)"
            )
        del held
    median, p95 = _time_last_answer(engine, rng)
    print(f"advance, last answer (routing + recommendation), button: median {median:6.1f} µs   p95 {p95:6.1f} µs")


def _messages(rng: random.Random, count: int, size: int = 300) -> list[str]:
    """Messages of about `size` characters, stitched from the language corpus's sentences and accounts."""
    import yaml

    corpus = yaml.safe_load((FLOWS / "tests" / "language.yaml").read_text(encoding="utf-8"))
    pieces = [item["text"] for item in (*corpus["emergency"], *corpus["accounts"]) if isinstance(item["text"], str)]
    messages = []
    for _ in range(count):
        text = ""
        while len(text) < size:
            text += rng.choice(pieces).rstrip(".!") + ". "
        messages.append(text[:size])
    return messages


def bench_reading(rng: random.Random) -> None:
    """A typed 300-character message at a question: the emergency reading plus the answer matching."""
    content = load_content(CONTENT, CONTENT / "article.txt")
    engine = Engine(load_flows([FLOWS], content))
    at_question = _random_conversations(engine, 200, rng)
    at_question = [c for c in at_question if engine.flows["twitching"].steps[c.step].kind != StepKind.ACCOUNT]
    messages = _messages(rng, 5000)
    reader, parser = engine.emergency["twitching"], engine.parsers["twitching"]
    for message in messages[:500]:  # warm the spelling cache as a running bot's would be
        reader.read(message)
    samples: dict[str, list[int]] = {"emergency language": [], "answer matching": [], "advance (both + state)": []}
    for message in messages:
        conversation = rng.choice(at_question)
        matcher = engine.matchers["twitching", conversation.step]
        started = time.perf_counter_ns()
        reader.read(message)
        middle = time.perf_counter_ns()
        matcher.read(message, parser.parse(message))
        ended = time.perf_counter_ns()
        engine.advance(conversation, Typed(message))
        done = time.perf_counter_ns()
        samples["emergency language"].append(middle - started)
        samples["answer matching"].append(ended - middle)
        samples["advance (both + state)"].append(done - ended)
    for label, taken in samples.items():
        median, p95 = _percentiles(taken)
        print(f"typed 300-character message, {label:22}: median {median:6.1f} µs   p95 {p95:6.1f} µs")


def _median_ms(run: Callable[[], object], times: int) -> float:
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def bench_load() -> None:
    def load() -> None:
        content = load_content(CONTENT, CONTENT / "article.txt")
        load_flows([FLOWS], content)

    def load_and_check() -> None:
        content = load_content(CONTENT, CONTENT / "article.txt")
        for flow in load_flows([FLOWS], content).values():
            check_flow(flow)

    load()  # warm import and caches: the target excludes Python's import time
    print(f"load + validate all shipped flows and content: median {_median_ms(load, 9):.1f} ms (9 runs)")
    print(f"load + validate + check:                       median {_median_ms(load_and_check, 9):.1f} ms (9 runs)")


def bench_check() -> None:
    flow = generated_flow(1000)
    from bot.engine.check import _Prover

    prover = _Prover(flow)
    prover.explore()
    problems = check_flow(flow)
    median = _median_ms(lambda: check_flow(flow), 3)
    print(
        f"check_flow on a generated {len(flow.steps):,}-step flow: median {median:.0f} ms "
        f"(3 runs; {len(prover.states):,} abstract states; {len(problems)} problems)"
    )


def main() -> None:
    rng = random.Random(1)
    bench_load()
    bench_check()
    bench_advance(rng)
    bench_reading(rng)


if __name__ == "__main__":
    main()
