"""The static safety proof behind `twitchcheck check` (docs/medical.md).

Three questions are answered for a flow, without running it for real:

1. Is every step asked on some path?  (UnreachableStepError)
2. Does every path end in an outcome?  (EndlessLoopError)
3. Does every path respect the safety invariant?  (UnsafeRouteError)
   - a red-flag "yes" ends at 🔴 urgent or higher;
   - an emergency-sign "yes" ends at 🚨 emergency;
   - a "not sure" to a red-flag (or emergency) question never ends at 🟢 self_care;
   - typed emergency phrases (interrupts) jump to a 🚨 outcome.
   A flag answer counts once given, even if a loop asks the question again later.
4. Does every path below 🔴 ask every flag first?  (SkippedFlagsError, the coverage invariant)
   No path ends at 🟠 or 🟢 unless every emergency and red-flag step was asked on it, and every
   step marked `required: true` (such as "who is this check for?").
   Steps answered from a person's account count as asked: the engine takes the same
   transitions for them. A flag step that no path reaches without a flag "yes" (a follow-up
   to that yes) is not required: a path that reaches it already ends at 🔴 or higher.

Questions 1 and 2 are first answered on the step graph. Question 3, and the precise
versions of 1 and 2, explore *abstract states*: two conversations at the same step are the
same abstract state when every choice they can still make leads to the same places. An
abstract state holds:

- the step;
- the branch and routing lists still ahead, with every *final* answer substituted in and
  simplified: an answer is final once no step that records it can be reached again, so
  "any red flag is yes" collapses to true, or to the flags not asked yet;
- answers that a loop ahead may record again: kept as they are, but only while a later
  condition may read them before that happens (a backward liveness fixpoint);
- the most urgent level the flag answers so far demand;
- while that level is below 🔴 (after that, coverage cannot matter): the flag steps asked
  that can still come again in a loop, and the flag steps left behind for good unasked, as
  bitmasks. Along a path the steps that can still come only shrink, so an asked flag is
  remembered exactly as long as it could be asked again, and a linear flow adds no states.

The search is breadth-first, so each counter-example is a shortest path, and its cost grows
with the number of answer combinations that still matter, not with the number of paths. A
counter-example is then made minimal (`_plainest`): each answer but the last is set, in turn,
to its step's default ("no", or the first choice) when the path still asks the same steps and
still breaks the same rule, so only the answers that lead to the fault are left standing.

The same exploration tells which moves any path can make (`possible_moves`): `graph` draws
only those, so a diagram never shows an edge that `check` proves no one can take.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from bot.engine.errors import (
    AccountLeakWarning,
    EndlessLoopError,
    FlowProblem,
    SkippedFlagsError,
    UnreachableStepError,
    UnsafeRouteError,
    UnusedExcerptError,
)
from bot.engine.given import ContentView
from bot.engine.model import (
    ALWAYS,
    NOT_SURE,
    ROUTE,
    YES,
    AllOf,
    Always,
    AnswerIn,
    AnyOf,
    Condition,
    Flow,
    Level,
    Not,
    Step,
    StepKind,
)

MAX_STATES = 200_000
"""Give up (and say so) rather than hang on a flow whose conditions tangle beyond reason."""

NEVER: Condition = AnyOf(())
"""The condition that never holds: what a test becomes once its answer is known not to match."""

Answers = list[tuple[str, str]]
"""A path as (step id, value) pairs, in the order asked."""

Entries = tuple[tuple[str, Condition], ...]
"""A decision list: (target, condition) pairs, the first whose condition holds wins."""


# --- what each answer demands -------------------------------------------------------------


def required_level(step: Step, value: str) -> Level:
    """The lowest outcome level an answer allows (docs/medical.md)."""
    if not step.is_flag:
        return Level.SELF_CARE
    if value == YES:
        return Level.EMERGENCY if step.kind == StepKind.EMERGENCY else Level.URGENT
    choice = step.choice(value)
    if value == NOT_SURE or (choice is not None and choice.explains):
        return Level.ROUTINE  # not sure, or a yes with a clear cause: never self-care
    return Level.SELF_CARE


# --- the step graph -----------------------------------------------------------------------


def _step_targets(step: Step) -> Iterator[str]:
    for choice in step.choices:
        for branch in choice.branches:
            yield branch.target


def _successors(flow: Flow) -> dict[str, list[str]]:
    """Step → the steps (and the routing pseudo-node) its branches can lead to."""
    graph: dict[str, list[str]] = {ROUTE: []}
    for step in flow.steps.values():
        graph[step.id] = list(dict.fromkeys(t for t in _step_targets(step) if t in flow.steps or t == ROUTE))
    return graph


def _reachable(graph: Mapping[str, list[str]], starts: Iterable[str]) -> set[str]:
    seen = set(starts)
    todo = list(seen)
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _strongly_connected(graph: Mapping[str, list[str]]) -> list[list[str]]:
    """Tarjan's components, iteratively (flows can be deeper than the recursion limit); sinks come first."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                found.append(component)
    return found


def _is_loop(component: list[str], graph: Mapping[str, list[str]]) -> bool:
    return len(component) > 1 or component[0] in graph[component[0]]


def _unreachable(flow: Flow, reached: set[str]) -> list[FlowProblem]:
    return [
        UnreachableStepError(
            flow.source,
            step.line,
            f"step '{step.id}' is never asked: no choice leads to it",
            "link it from a choice's `next:` or delete it",
        )
        for step in flow.steps.values()
        if step.id not in reached
    ]


def _endless(flow: Flow, graph: Mapping[str, list[str]], reached: set[str]) -> tuple[list[FlowProblem], set[str]]:
    """Loops with no way out to an outcome; returns the problems and every stuck step."""
    back: dict[str, list[str]] = {node: [] for node in graph}
    for node, targets in graph.items():
        for target in targets:
            back[target].append(node)
    ends = [step.id for step in flow.steps.values() if any(t in flow.outcomes for t in _step_targets(step))]
    finishing = _reachable(back, [ROUTE, *ends])  # routing always ends: its last rule is a catch-all
    stuck = {s for s in reached if s in flow.steps and s not in finishing}
    if not stuck:
        return [], stuck
    sub = {s: [t for t in graph[s] if t in stuck] for s in stuck}
    problems: list[FlowProblem] = []
    for component in _strongly_connected(sub):
        members = set(component)
        if not _is_loop(component, sub) or any(t not in members for s in component for t in sub[s]):
            continue  # report the loops at the bottom; steps leading into them are fixed with them
        ordered = sorted(component, key=lambda s: flow.steps[s].line)
        names = ", ".join(f"'{s}'" for s in ordered)
        problems.append(
            EndlessLoopError(
                flow.source,
                flow.steps[ordered[0]].line,
                f"steps {names} form a loop with no way out: no answer leads from them to an outcome",
                "give one of their choices a `next:` to another step, an outcome or `route`",
            )
        )
    return problems, stuck


# --- conditions as residuals --------------------------------------------------------------


def substitute(condition: Condition, key: str, value: str | None) -> Condition:
    """The condition once `key` is known to be `value` (None: never recorded), simplified when decided."""
    if isinstance(condition, AnswerIn):
        if condition.key != key:
            return condition
        return ALWAYS if value in condition.values else NEVER
    if isinstance(condition, AllOf):
        parts = [substitute(part, key, value) for part in condition.parts]
        if all(new is old for new, old in zip(parts, condition.parts, strict=True)):
            return condition
        if any(part == NEVER for part in parts):
            return NEVER
        return _joined(AllOf, [part for part in parts if not isinstance(part, Always)], ALWAYS)
    if isinstance(condition, AnyOf):
        parts = [substitute(part, key, value) for part in condition.parts]
        if all(new is old for new, old in zip(parts, condition.parts, strict=True)):
            return condition
        if any(isinstance(part, Always) for part in parts):
            return ALWAYS
        return _joined(AnyOf, [part for part in parts if part != NEVER], NEVER)
    if isinstance(condition, Not):
        inner = substitute(condition.part, key, value)
        if inner is condition.part:
            return condition
        return NEVER if isinstance(inner, Always) else ALWAYS if inner == NEVER else Not(inner)
    return condition


def _joined(kind: type[AllOf] | type[AnyOf], parts: list[Condition], empty: Condition) -> Condition:
    if not parts:
        return empty
    return parts[0] if len(parts) == 1 else kind(tuple(parts))


def _normalized(entries: Entries) -> Entries:
    """Drop entries that can never apply and everything after one that always applies.

    Two conversations whose remaining decisions are equal then share one abstract state,
    whichever earlier rule happened to match first.
    """
    kept: list[tuple[str, Condition]] = []
    for target, condition in entries:
        if condition == NEVER:
            continue
        kept.append((target, condition))
        if isinstance(condition, Always):
            break
    while len(kept) > 1 and isinstance(kept[-1][1], Always) and kept[-2][0] == kept[-1][0]:
        del kept[-2]  # "X if c, else X" is just "X"
    return tuple(kept)


def _first(entries: Entries, answers: Mapping[str, str]) -> str | None:
    for target, condition in entries:
        if condition.holds(answers):
            return target
    return None


# --- the abstract exploration -------------------------------------------------------------

State = tuple[int, frozenset[tuple[int, int]], tuple[tuple[str, str], ...], int, int, int]
"""(step index, {decision list: its interned residual} for lists changed by answers and still ahead,
looped answers still read, level demanded so far, flag steps asked and still ahead, flag steps
skipped for good); the last two are 0 once the level demanded is 🔴 or above."""


@dataclass(slots=True)
class _Found:
    """A violation seen during the search: which state, which answer, which outcome."""

    state: int
    step: str
    value: str
    outcome: str
    need: Level


@dataclass(slots=True)
class _Bare:
    """An ending below 🔴 on a path that never asked the flag steps in `missing` (a bitmask)."""

    state: int
    step: str
    value: str
    outcome: str
    missing: int


class _Prover:
    """Explores a flow's abstract states once; the results feed the loop, reach and safety checks."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self.steps = list(flow.steps.values())
        self.position = {step.id: i for i, step in enumerate(self.steps)}
        self.route_bit = 1 << len(self.steps)
        self.flag_bits = sum(1 << i for i, step in enumerate(self.steps) if step.is_flag or step.required)
        graph = _successors(flow)
        self._lists()
        self._reach(graph)
        self._liveness(graph)

    def _lists(self) -> None:
        """Number every decision list (each choice's branches, and the routing rules) and index them by key."""
        flow = self.flow
        entries: list[Entries] = []
        self.owner: list[int] = []
        self.table: list[Entries] = []
        self.interned: dict[Entries, int] = {}
        self.substituted: dict[tuple[int, str, str | None], int] = {}
        self.choice_list: dict[tuple[int, str], int] = {}
        for i, step in enumerate(self.steps):
            for choice in step.choices:
                self.choice_list[i, choice.value] = len(entries)
                entries.append(tuple((b.target, b.when) for b in choice.branches))
                self.owner.append(1 << i)
        self.route_list = len(entries)
        entries.append(tuple((rule.outcome, rule.when) for rule in flow.rules))
        self.owner.append(self.route_bit)
        self.reads: list[frozenset[str]] = [
            frozenset().union(*(condition.keys() for _, condition in decisions)) for decisions in entries
        ]
        self.base = [self._intern(decisions) for decisions in entries]

    def _intern(self, entries: Entries) -> int:
        """A small number for a residual list, so states hash in constant time however big the conditions."""
        known = self.interned.get(entries)
        if known is None:
            known = self.interned[entries] = len(self.table)
            self.table.append(entries)
        return known

    def _substitute(self, residual: int, key: str, value: str | None) -> int:
        """The residual list once `key` is known to be `value`, or None for never recorded (memoised)."""
        memo = (residual, key, value)
        found = self.substituted.get(memo)
        if found is None:
            entries = self.table[residual]
            found = self._intern(_normalized(tuple((t, substitute(c, key, value)) for t, c in entries)))
            self.substituted[memo] = found
        return found

    def _reach(self, graph: Mapping[str, list[str]]) -> None:
        """Bitsets of what each step can still lead to, and which answer keys loops may record again."""
        bit = {step.id: 1 << i for i, step in enumerate(self.steps)} | {ROUTE: self.route_bit}
        reach: dict[str, int] = {}
        looped: set[str] = set()
        for component in _strongly_connected(graph):  # sinks first, so successors are done
            mask = 0
            for node in component:
                mask |= bit[node]
                for target in graph[node]:
                    mask |= reach.get(target, 0)
            for node in component:
                reach[node] = mask
            if _is_loop(component, graph):
                looped.update(component)
        self.reach = [reach[step.id] for step in self.steps]
        self.recorders: dict[str, int] = {}
        self.records_at: list[tuple[str, ...]] = [(step.key,) for step in self.steps] + [()]
        for i, step in enumerate(self.steps):
            self.recorders[step.key] = self.recorders.get(step.key, 0) | 1 << i
        self.looped_keys = frozenset(
            step.key for step in self.steps if step.id in looped or self.recorders[step.key].bit_count() > 1
        )
        self.lists_of_key: dict[str, list[int]] = {}
        for list_id, keys in enumerate(self.reads):
            for key in keys:
                self.lists_of_key.setdefault(key, []).append(list_id)

    def _liveness(self, graph: Mapping[str, list[str]]) -> None:
        """Looped answers each step must remember: read later before being recorded again (a fixpoint)."""
        steps, position = self.steps, self.position
        route_reads = self.reads[self.route_list] & self.looped_keys
        used: list[frozenset[str]] = []
        for i, step in enumerate(steps):
            keys = set().union(*(self.reads[self.choice_list[i, c.value]] for c in step.choices))
            if ROUTE in graph[step.id]:
                keys |= route_reads
            used.append(frozenset(keys & self.looped_keys))
        live = [frozenset[str]() for _ in steps]
        preds: list[list[int]] = [[] for _ in steps]
        for i, step in enumerate(steps):
            for target in graph[step.id]:
                if target in position:
                    preds[position[target]].append(i)
        todo = deque(range(len(steps)))
        queued = set(todo)
        while todo:
            i = todo.popleft()
            queued.discard(i)
            later = set(used[i])
            for target in graph[steps[i].id]:
                if target in position:
                    later |= live[position[target]]
            new = frozenset(later - {steps[i].key})
            if new != live[i]:
                live[i] = new
                for p in preds[i]:
                    if p not in queued:
                        queued.add(p)
                        todo.append(p)
        self.live = live

    def explore(self) -> None:
        """Breadth-first search over abstract states; records edges, endings and violations."""
        start: State = (self.position[self.flow.start], frozenset(), (), int(Level.SELF_CARE), 0, 0)
        self.index: dict[State, int] = {start: 0}
        self.states: list[State] = [start]
        self.parent: list[tuple[int, str, str] | None] = [None]
        self.edges: list[list[int]] = [[]]
        self.ends: set[int] = set()
        self.found: list[_Found] = []
        self.bare: list[_Bare] = []
        self.gave_up = False
        cursor = 0
        while cursor < len(self.states):
            if len(self.states) > MAX_STATES:
                self.gave_up = True
                return
            self._expand(cursor)
            cursor += 1

    def _expand(self, at: int) -> None:
        flow = self.flow
        i, changed, looped, need, asked, skipped = self.states[at]
        step = self.steps[i]
        lists = dict(changed)
        asked |= (1 << i) & self.flag_bits
        for choice in step.choices:
            value = choice.value
            answers = {**dict(looped), step.key: value}
            demand = max(need, int(required_level(step, value)))
            own = self.choice_list[i, value]
            target = _first(self.table[lists.get(own, self.base[own])], answers)
            if target == ROUTE:
                target = _first(self.table[lists.get(self.route_list, self.base[self.route_list])], answers)
            if target is None:
                continue  # the loader refuses lists without a catch-all; a hand-built flow may still lack one
            outcome = flow.outcomes.get(target)
            if outcome is not None:
                self.ends.add(at)
                if outcome.level < demand:
                    self.found.append(_Found(at, step.id, value, target, Level(demand)))
                elif outcome.level < Level.URGENT:
                    missing = skipped | (self.flag_bits & self.reach[i] & ~asked)
                    if missing:
                        self.bare.append(_Bare(at, step.id, value, target, missing))
                continue
            if target in self.position:
                link = (at, step.id, value)
                flags = (asked, skipped)
                self.edges[at].append(self._enter(i, self.position[target], lists, answers, demand, flags, link))

    def _enter(
        self,
        i: int,
        j: int,
        lists: Mapping[int, int],
        answers: Mapping[str, str],
        demand: int,
        flags: tuple[int, int],
        link: tuple[int, str, str],
    ) -> int:
        """The abstract state on moving from step `i` to `j`: final answers substituted, the rest kept if read."""
        ahead = self.reach[j]
        asked, skipped = flags
        if demand < Level.URGENT:
            skipped |= self.reach[i] & ~ahead & self.flag_bits & ~asked
            asked &= ahead
        else:
            asked = skipped = 0
        kept_lists = {k: v for k, v in lists.items() if ahead & self.owner[k]}
        behind = self.reach[i] & ~ahead
        while behind:  # steps left behind for good: what they recorded (or never did) is now final
            low = behind & -behind
            behind ^= low
            for key in self.records_at[low.bit_length() - 1]:
                if self.recorders[key] & ahead:
                    continue
                value = answers.get(key)
                for list_id in self.lists_of_key.get(key, ()):
                    if ahead & self.owner[list_id]:
                        kept_lists[list_id] = self._substitute(kept_lists.get(list_id, self.base[list_id]), key, value)
        kept = tuple(
            sorted(
                (key, value) for key, value in answers.items() if key in self.live[j] and self.recorders[key] & ahead
            )
        )
        state: State = (j, frozenset(kept_lists.items()), kept, demand, asked, skipped)
        known = self.index.get(state)
        if known is None:
            known = self.index[state] = len(self.states)
            self.states.append(state)
            self.parent.append(link)
            self.edges.append([])
        return known

    def path(self, at: int) -> list[tuple[str, str]]:
        """The shortest answers (step id, value) leading to abstract state `at`."""
        steps: list[tuple[str, str]] = []
        link = self.parent[at]
        while link is not None:
            at, step_id, value = link
            steps.append((step_id, value))
            link = self.parent[at]
        return steps[::-1]

    def required(self) -> int:
        """The flag steps some path reaches with no flag answered yes: each path below 🔴 must ask them."""
        found = 0
        for i, _, _, need, _, _ in self.states:
            if need < Level.URGENT:
                found |= 1 << i
        return found & self.flag_bits

    def stuck_states(self) -> list[int]:
        """States from which no sequence of answers reaches an outcome, in search order."""
        back: list[list[int]] = [[] for _ in self.states]
        for source, targets in enumerate(self.edges):
            for target in targets:
                back[target].append(source)
        alive = set(self.ends)
        todo = list(self.ends)
        while todo:
            for source in back[todo.pop()]:
                if source not in alive:
                    alive.add(source)
                    todo.append(source)
        return [at for at in range(len(self.states)) if at not in alive]


def format_path(flow: Flow, answers: Iterable[tuple[str, str]], outcome: str | None = None) -> str:
    """`emergency_now=no → weakness=yes → 🟢 self_care`: a counter-example as a maintainer reads it."""
    parts = [f"{step_id}={value}" for step_id, value in answers]
    if outcome is not None:
        parts.append(f"{flow.outcomes[outcome].level.mark} {outcome}")
    return " → ".join(parts)


def walk(flow: Flow, answers: Iterable[tuple[str, str]]) -> Iterator[tuple[str, int, int, bool]]:
    """Each answer of a path in turn: where it leads, its branch's line, the deciding line, whether a rule decided."""
    recorded: dict[str, str] = {}
    for step_id, value in answers:
        step = flow.steps[step_id]
        recorded[step.key] = value
        choice = step.choice(value)
        branch = next((b for b in choice.branches if b.when.holds(recorded)), None) if choice else None
        if branch is None:
            raise LookupError(f"no branch applies at {step_id}={value}")
        if branch.target != ROUTE:
            yield branch.target, branch.line, branch.line, False
            continue
        rule = next((r for r in flow.rules if r.when.holds(recorded)), None)
        if rule is None:
            raise LookupError(f"no routing rule applies after {step_id}={value}")
        yield rule.outcome, branch.line, rule.line, True


def replay(flow: Flow, answers: Iterable[tuple[str, str]]) -> tuple[str, int, bool]:
    """Follow a path concretely: the final state, and the line (and whether a routing rule) that decided it."""
    state, line, routed = flow.start, 0, False
    for target, _, deciding, by_rule in walk(flow, answers):
        state, line, routed = target, deciding, by_rule
    return state, line, routed


_WHY = {
    Level.EMERGENCY: (
        "an emergency sign answered yes must give 🚨 emergency",
        "emergency-sign answers",
        "an emergency",
    ),
    Level.URGENT: ("a red flag answered yes must give 🔴 urgent or higher", "red-flag answers", "an urgent"),
    Level.ROUTINE: (
        "a red flag answered not sure must never give 🟢 self_care",
        "not-sure red-flag answers",
        "a routine or urgent",
    ),
}


def default_answer(step: Step) -> str:
    """The answer a counter-example shows for a step that does not matter to it: "no", else the first choice."""
    values = [choice.value for choice in step.choices]
    return "no" if "no" in values else values[0]


def _plainest(flow: Flow, answers: Answers, keeps: Callable[[Answers], bool]) -> Answers:
    """`answers` with every answer but the last at its default where the same steps are asked and `keeps` holds."""
    steps = [step_id for step_id, _ in answers]
    plain = list(answers)
    for index, (step_id, value) in enumerate(answers[:-1]):
        default = default_answer(flow.steps[step_id])
        if value == default:
            continue
        trial = [*plain[:index], (step_id, default), *plain[index + 1 :]]
        try:
            followed = [target for target, *_ in walk(flow, trial)]
        except LookupError:
            continue
        if followed[:-1] == steps[1:] and followed[-1] == replay(flow, plain)[0] and keeps(trial):
            plain = trial
    return plain


def _demand(flow: Flow, answers: Iterable[tuple[str, str]]) -> Level:
    return max((required_level(flow.steps[s], v) for s, v in answers), default=Level.SELF_CARE)


@dataclass(frozen=True, slots=True)
class Move:
    """A move some path makes: `value` at `step` takes the choice's branch number `branch` (0-based) to
    `target`, the outcome routing rule number `rule` (1-based) picks when the branch goes to `route`."""

    step: str
    value: str
    target: str
    branch: int
    rule: int | None = None


def possible_moves(flow: Flow) -> list[Move] | None:
    """Every move some path makes, in the order the search finds them; None if the proof gave up.

    A move is found on the shortest path to each abstract state; those states have the same
    targets for every path, so the targets are exact.
    """
    prover = _Prover(flow)
    prover.explore()
    if prover.gave_up:
        return None
    found: dict[Move, None] = {}
    for at, state in enumerate(prover.states):
        step = prover.steps[state[0]]
        recorded = {flow.steps[step_id].key: value for step_id, value in prover.path(at)}
        for choice in step.choices:
            recorded[step.key] = choice.value
            branch = next((i for i, b in enumerate(choice.branches) if b.when.holds(recorded)), None)
            if branch is None:
                continue
            target = choice.branches[branch].target
            if target != ROUTE:
                found.setdefault(Move(step.id, choice.value, target, branch))
                continue
            rule = next((i for i, r in enumerate(flow.rules, start=1) if r.when.holds(recorded)), None)
            if rule is not None:
                found.setdefault(Move(step.id, choice.value, flow.rules[rule - 1].outcome, branch, rule))
    return list(found)


def shortest_paths(flow: Flow) -> dict[str, list[tuple[str, str]]] | None:
    """The shortest answers (step id, value) that reach each reachable step, from the same breadth-first
    exploration as `check` (the studio's "write a case for this gap"); None if the proof gave up."""
    prover = _Prover(flow)
    prover.explore()
    if prover.gave_up:
        return None
    found: dict[str, list[tuple[str, str]]] = {}
    for at, state in enumerate(prover.states):
        found.setdefault(prover.steps[state[0]].id, prover.path(at))
    return found


def _unsafe(prover: _Prover) -> list[FlowProblem]:
    """One UnsafeRouteError per deciding line, each with its shortest counter-example."""
    flow = prover.flow
    problems: list[FlowProblem] = []
    seen_kinds: set[tuple[str, Level]] = set()
    seen_lines: set[tuple[int, Level]] = set()
    for found in prover.found:
        if (found.outcome, found.need) in seen_kinds:
            continue  # replaying is cheap, but thousands of equivalent paths would drown the maintainer
        seen_kinds.add((found.outcome, found.need))
        answers = [*prover.path(found.state), (found.step, found.value)]
        need, ending = found.need, flow.outcomes[found.outcome].level

        def still_unsafe(trial: Answers, need: Level = need, ending: Level = ending) -> bool:
            return _demand(flow, trial) == need > ending

        answers = _plainest(flow, answers, still_unsafe)
        outcome, line, routed = replay(flow, answers)
        if (line, found.need) in seen_lines:
            continue
        seen_lines.add((line, found.need))
        rule, which, kind = _WHY[found.need]
        if routed:
            fix = f"{rule}: add a rule before line {line} sending {which} to {kind} outcome"
        else:
            fix = f"{rule}: point this branch at {kind} outcome, or at `route`"
        problems.append(UnsafeRouteError(flow.source, line, format_path(flow, answers, outcome), fix))
    return problems


def _first_skip(prover: _Prover, answers: list[tuple[str, str]], required: int) -> tuple[int, int]:
    """The branch on a path that first leaves a required flag behind unasked: its line, and the flags it skips."""
    asked = 0
    line = 0
    for (step_id, _), (target, line, _, _) in zip(answers, walk(prover.flow, answers), strict=True):
        i = prover.position[step_id]
        asked |= 1 << i
        ahead = prover.reach[prover.position[target]] if target in prover.position else 0
        lost = prover.reach[i] & ~ahead & required & ~asked
        if lost:
            return line, lost
    return line, 0


def _uncovered(prover: _Prover) -> list[FlowProblem]:
    """One SkippedFlagsError per branch that skips flags, each with its shortest path ending below 🔴."""
    flow = prover.flow
    required = prover.required()
    problems: list[FlowProblem] = []
    seen_endings: set[tuple[str, str, str]] = set()
    seen_lines: set[int] = set()
    for bare in prover.bare:
        missing = bare.missing & required
        ending = (bare.step, bare.value, bare.outcome)
        if not missing or ending in seen_endings:
            continue
        seen_endings.add(ending)
        answers = [*prover.path(bare.state), (bare.step, bare.value)]
        answers = _plainest(flow, answers, lambda trial: _demand(flow, trial) < Level.URGENT)
        line, lost = _first_skip(prover, answers, required)
        if line in seen_lines:
            continue
        seen_lines.add(line)
        skipped = tuple(prover.steps[i].id for i in range(len(prover.steps)) if missing >> i & 1)
        first = next(prover.steps[i].id for i in range(len(prover.steps)) if (lost or missing) >> i & 1)
        names = ", ".join(f"'{s}'" for s in skipped)
        fix = (
            "a path ending below 🔴 urgent must ask the emergency screen and every red-flag question first; "
            f"this one never asks {names}: lead this branch on to '{first}', or to an urgent or emergency outcome"
        )
        what = format_path(flow, answers, bare.outcome)
        problems.append(SkippedFlagsError(flow.source, line, what, fix, skipped=skipped))
    return problems


def _interrupts(flow: Flow) -> list[FlowProblem]:
    problems: list[FlowProblem] = []
    for interrupt in flow.interrupts:
        outcome = flow.outcomes.get(interrupt.outcome)
        if outcome is not None and outcome.level != Level.EMERGENCY:
            example = interrupt.phrases[0] if interrupt.phrases else interrupt.id
            problems.append(
                UnsafeRouteError(
                    flow.source,
                    interrupt.line,
                    f'typed "{example}" → {outcome.level.mark} {outcome.id}',
                    f"interrupt '{interrupt.id}' is for emergency signs: "
                    "point it at an outcome with `level: emergency`",
                )
            )
    return problems


def _semantic(prover: _Prover, reached: set[str], stuck_steps: set[str]) -> list[FlowProblem]:
    """What only the answers reveal: steps no answers lead to, and loops whose exits never apply."""
    flow = prover.flow
    problems: list[FlowProblem] = []
    visited = {prover.steps[state[0]].id for state in prover.states}
    for step in flow.steps.values():
        if step.id in reached and step.id not in visited:
            problems.append(
                UnreachableStepError(
                    flow.source,
                    step.line,
                    f"step '{step.id}' is never asked: the conditions on every branch into it can never hold together",
                    "fix those `when:` conditions, or delete the step",
                )
            )
    stuck = prover.stuck_states()
    if stuck:
        first = stuck[0]
        closure, todo = {first}, [first]
        while todo:
            for nxt in prover.edges[todo.pop()]:
                if nxt not in closure:
                    closure.add(nxt)
                    todo.append(nxt)
        names = sorted({prover.steps[prover.states[at][0]].id for at in closure}, key=lambda s: flow.steps[s].line)
        if not set(names) <= stuck_steps:
            path = format_path(flow, prover.path(first)) or "the start"
            problems.append(
                EndlessLoopError(
                    flow.source,
                    flow.steps[names[0]].line,
                    f"after {path}, steps {', '.join(repr(n) for n in names)} loop forever: "
                    "the branches leading out of them never apply",
                    "check the `when:` conditions that leave the loop, or add an exit without `when:`",
                )
            )
    return problems


def check_flow(flow: Flow) -> list[FlowProblem]:
    """Prove a validated flow safe; an empty list means every path ends, and ends safely."""
    graph = _successors(flow)
    reached = _reachable(graph, [flow.start])
    problems = _unreachable(flow, reached)
    loops, stuck_steps = _endless(flow, graph, reached)
    problems += loops
    problems += _interrupts(flow)
    prover = _Prover(flow)
    prover.explore()
    if prover.gave_up:
        problems.append(
            UnsafeRouteError(
                flow.source,
                1,
                f"the proof gave up after {MAX_STATES:,} combinations of answers that still matter",
                "simplify the conditions: fewer answers read long after they are given, fewer loops",
            )
        )
        return problems
    problems += _semantic(prover, reached, stuck_steps)
    problems += _unsafe(prover)
    problems += _uncovered(prover)
    return problems


def account_leaks(flow: Flow) -> list[FlowProblem]:
    """Follow-up questions (asked after only some answers of the steps before them, on a detour that
    rejoins the main line) that still take answers from a person's account, where a sentence about
    something else ("my cheek has been twitching") can fill them in without the question being asked."""
    if flow.account_step is None:
        return []
    graph = _successors(flow)
    problems: list[FlowProblem] = []
    for step in flow.steps.values():
        if step.kind not in (StepKind.QUESTION, StepKind.RED_FLAG) or step.from_account == "never":
            continue
        before = [p for p in flow.steps.values() if step.id in graph[p.id]]
        ahead = _reachable(graph, [step.id]) - {step.id, ROUTE}
        via = next(
            (
                p
                for p in before
                if any(t != step.id and t in ahead for t in _step_targets(p))
                and not all(any(b.target == step.id for b in c.branches) for c in p.choices)
            ),
            None,
        )
        if via is None or any(all(any(b.target == step.id for b in c.branches) for c in p.choices) for p in before):
            continue
        problems.append(
            AccountLeakWarning(
                flow.source,
                step.line,
                f"step '{step.id}' is asked only after some answers to '{via.id}', but takes answers from "
                "people's accounts, so a sentence about something else can fill it in",
                "if it only makes sense after those answers, add `from_account: never` to the step",
            )
        )
    return problems


def used_excerpts(flow: Flow) -> set[str]:
    """Every excerpt id a flow can show (flow-wide and per outcome)."""
    rules = [*flow.excerpts, *(rule for outcome in flow.outcomes.values() for rule in outcome.excerpts)]
    return {rule.excerpt for rule in rules}


def unused_excerpts(flows: Mapping[str, Flow], content: ContentView) -> list[UnusedExcerptError]:
    """Excerpts in content/ that no flow shows: dead text that drifts from the article unnoticed."""
    used = set().union(*(used_excerpts(flow) for flow in flows.values()))
    problems = []
    for excerpt_id in content.excerpts:
        if excerpt_id not in used:
            source, line = content.excerpt_lines.get(excerpt_id, ("content/excerpts.yaml", 1))
            problems.append(
                UnusedExcerptError(
                    source,
                    line,
                    f"excerpt '{excerpt_id}' is never shown by any flow",
                    "show it from a flow's or an outcome's `excerpts:`, or delete it",
                )
            )
    return problems
