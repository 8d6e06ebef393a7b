"""Try it: one turn of a conversation the page holds, and saving that conversation as a test case.

The page keeps the conversation (`Conversation.to_dict`) and a log of what was typed or tapped
at which step, and sends both with every turn, so the server holds no per-visitor state. Turns
always run on the last good version: a broken save never reaches a person, here as in the bot.

A saved case is written in the by-step form (`answers:` by step id, bot/authoring/cases.py), which
survives questions added later. It is run before it is written, and only a case that ends where
the conversation ended is saved; a conversation that by-step answers cannot replay (say, an
emergency typed after the advice) is saved as the `inputs:` typed in order instead.
"""

from __future__ import annotations

import json
import os
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bot.authoring.cases import parse_cases, run_case
from bot.bootstrap import Loaded
from bot.content.render import HTML, Action, Message, Renderer
from bot.engine.check import shortest_paths
from bot.engine.conversation import Conversation
from bot.engine.engine import Engine
from bot.engine.errors import FlowErrors
from bot.engine.model import Flow
from bot.engine.replies import Command, Input, Pick, Typed
from bot.session import Session, Turn, now
from bot.studio.explain import Relative, decided, read_trace

SHOWN_ACTIONS = (Action.ANSWER, Action.WHY, Action.SUMMARY, Action.RESTART)
"""Result buttons the studio offers; "Delete my data" has nothing to delete here."""


class TrialError(Exception):
    """A turn or a save the page asked for that cannot be done; the message says why, for the page."""


def _message(message: Message) -> dict[str, Any]:
    rows = [
        [{"label": b.label, "action": b.action, "value": b.value} for b in row if b.action in SHOWN_ACTIONS]
        for row in message.buttons
    ]
    return {"html": message.text, "buttons": [row for row in rows if row], "step": message.step}


def _input(action: Mapping[str, Any]) -> Input:
    kind = action.get("kind")
    if kind == "pick":
        return Pick(str(action.get("step", "")), str(action.get("value", "")))
    if kind == "typed":
        return Typed(str(action.get("text", "")))
    if kind in ("back", "restart"):
        return Command(kind)
    raise TrialError(f"unknown action {kind!r}")


KEY = "studio"
"""The one conversation a turn handles: the page's, put in a memory store for the turn."""


def turn(
    good: Loaded,
    engine: Engine,
    flow_id: str,
    held: Mapping[str, Any] | None,
    action: Mapping[str, Any],
    relative: Relative = str,
) -> dict[str, Any]:
    """Apply one action (start, pick, typed, back, restart, why, summary) and return what the person now sees,
    with `trace`: how a typed answer was read and what decided the move (explain.py)."""
    if flow_id not in engine.flows:
        raise TrialError(f"no flow '{flow_id}' in the last good version")
    renderer = Renderer(good.content, HTML)
    session: Session[None, Any] = Session(engine)
    kind = action.get("kind")
    if kind == "reach":
        return _reach(engine, session, renderer, flow_id, str(action.get("step", "")))
    if kind == "start" or held is None:
        started = now(session.start(KEY, flow_id))
        return _shown(engine, started, [Message(renderer.text("ui.welcome")), *renderer.render_all(started.replies)])
    conversation = Conversation.from_dict(held)
    session.store.conversations[KEY] = conversation
    if kind in ("why", "summary"):
        finished = session.finished(conversation, "why" if kind == "why" else "summary")
        shown = finished and renderer.finished(
            finished.kind, finished.flow, finished.conversation, finished.result, date.today().isoformat()
        )
        held_turn = Turn(conversation, (), changed=False)
        return _shown(engine, held_turn, [shown or Message(renderer.text("ui.stale_press"))])
    moved = now(session.handle(KEY, _input(action)))
    trace = read_trace(engine, conversation, str(action.get("text", "")), relative) if kind == "typed" else []
    decider = decided(engine.flows[conversation.flow_id], conversation, moved.conversation, relative)
    return {**_shown(engine, moved, renderer.render_all(moved.replies)), "trace": [*trace, *filter(None, [decider])]}


def _reach(
    engine: Engine, session: Session[None, Any], renderer: Renderer, flow_id: str, step_id: str
) -> dict[str, Any]:
    """A conversation started and answered, by buttons, along the shortest path to `step_id` (the one `check`'s
    search finds): "write a case for this gap". The log holds the taps, so it can be saved as a case."""
    flow = engine.flows[flow_id]
    path = (shortest_paths(flow) or {}).get(step_id)
    if path is None:
        raise TrialError(f"no path reaches '{step_id}' in flow '{flow_id}'")
    moved = now(session.start(KEY, flow_id))
    log: list[dict[str, str]] = []
    for asked, value in path:
        choice = flow.steps[asked].choice(value)
        log.append({"step": asked, "text": choice.label if choice else value})
        moved = now(session.handle(KEY, Pick(asked, value)))
    taps = " → ".join(f"{entry['step']}: {entry['text']}" for entry in log) or "nothing: it is the first question"
    note = Message(HTML.escape(f"Started at '{step_id}' by tapping {taps}"))
    return {**_shown(engine, moved, [note, *renderer.render_all(moved.replies)]), "log": log}


def _shown(engine: Engine, turn: Turn, messages: Sequence[Message]) -> dict[str, Any]:
    conversation = turn.conversation
    flow = engine.flows[conversation.flow_id]
    outcome = flow.outcomes.get(conversation.step)
    return {
        "conversation": conversation.to_dict(),
        "messages": [_message(m) for m in messages],
        "step": conversation.step,
        "finished": outcome is not None,
        "level": outcome.level.key if outcome else None,
    }


# --- saving as a test case ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Saved:
    """Where a case was written, under which name, in which form, and its YAML."""

    file: Path
    name: str
    form: str
    """`answers` (by step) or `inputs` (in order)."""
    text: str


def _since_restart(log: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    starts = [i for i, entry in enumerate(log) if entry.get("command") == "restart"]
    return list(log[starts[-1] + 1 :] if starts else log)


def _by_step(flow: Flow, conversation: Conversation, log: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """What was last typed at each step the conversation went through (and at the engine's own questions)."""
    last: dict[str, str] = {}
    for entry in log:
        if "text" in entry:
            last[str(entry.get("step"))] = str(entry["text"])
    wanted = [*conversation.history, *flow.prompts]
    return {step: last[step] for step in wanted if step in last}


def _typed_in_order(log: Sequence[Mapping[str, Any]]) -> list[str]:
    return [str(entry["text"]) if "text" in entry else f"/{entry.get('command')}" for entry in log]


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def case_yaml(name: str, form: str, typed: Mapping[str, str] | Sequence[str], expect: Mapping[str, str]) -> str:
    """One case, indented to sit under `cases:`."""
    lines = [f"  - name: {_q(name)}"]
    if form == "answers":
        assert isinstance(typed, Mapping)
        lines.append("    answers:")
        lines += [f"      {step}: {_q(text)}" for step, text in typed.items()]
    else:
        lines.append("    inputs:")
        lines += [f"      - {_q(text)}" for text in typed]
    lines.append("    expect: {" + ", ".join(f"{key}: {_q(value)}" for key, value in expect.items()) + "}")
    return "\n".join(lines) + "\n"


MAX_NAME = 200
"""A case name is one line a maintainer reads in `twitchcheck test`'s output."""


def _one_line(text: str) -> bool:
    return not any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in text)


def _check_fields(flow: Flow, conversation: Conversation, name: str, log: Sequence[Any]) -> None:
    """Everything the page sent that goes into the case file, checked before a byte is written."""
    if not name:
        raise TrialError("give the case a name")
    if len(name) > MAX_NAME or not _one_line(name):
        raise TrialError(f"a case name is one line of at most {MAX_NAME} characters")
    known = {*flow.steps, *flow.outcomes, *flow.prompts}
    for step in (conversation.step, *conversation.history):
        if step not in known:
            raise TrialError(f"{step!r} is not a step of flow '{flow.id}'")
    for entry in log:
        if not isinstance(entry, Mapping):
            raise TrialError("each entry of the log is an object")
        logged = entry.get("step")
        if logged is not None and logged not in known:
            raise TrialError(f"{logged!r} is not a step of flow '{flow.id}'")
        if not isinstance(entry.get("text", ""), str) or not _one_line(str(entry.get("command", ""))):
            raise TrialError("a log entry's text is a string and its command one word")


def _case_target(tests_dir: Path, flow_id: str) -> Path:
    """The real file the case goes to; TrialError if a link would take it out of the case folder."""
    path = case_file(tests_dir, flow_id)
    folder = tests_dir.resolve()
    try:
        real = path.resolve()
    except (OSError, RuntimeError) as error:  # a symlink loop
        raise TrialError(f"cannot save to {path}: {error}") from None
    if real.parent != folder:
        raise TrialError(f"{path} leads out of flows/tests (to {real}); remove the link and save again")
    return real


def _write(path: Path, text: str) -> None:
    """Write whole or not at all: a new file beside it, renamed over it (never through a link)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fresh.write_text(text, encoding="utf-8")
    os.replace(fresh, path)


def case_file(tests_dir: Path, flow_id: str) -> Path:
    """Where the studio saves a flow's cases: one file per flow, so hand-written files stay untouched."""
    return tests_dir / f"{flow_id}-studio.yaml"


def save_case(
    engine: Engine, tests_dir: Path, name: str, held: Mapping[str, Any], log: Sequence[Mapping[str, Any]]
) -> Saved:
    """Write the conversation as a case that passes now; raise TrialError if it cannot be replayed."""
    conversation = Conversation.from_dict(held)
    flow = engine.flows.get(conversation.flow_id)
    if flow is None:
        raise TrialError(f"no flow '{conversation.flow_id}' in the last good version")
    name = name.strip()
    _check_fields(flow, conversation, name, log)
    outcome = flow.outcomes.get(conversation.step)
    expect = {"level": outcome.level.key, "outcome": outcome.id} if outcome else {"step": conversation.step}
    entries = _since_restart(log)
    path = _case_target(tests_dir, flow.id)
    before = (
        path.read_text(encoding="utf-8")
        if path.is_file()
        else (
            "# Conversation cases saved from the flow studio (`twitchcheck studio`); `twitchcheck test` runs them.\n"
            f"flow: {flow.id}\ncases:\n"
        )
    )
    if before and not before.endswith("\n"):
        before += "\n"
    tries: list[tuple[str, Mapping[str, str] | Sequence[str]]] = [
        ("answers", _by_step(flow, conversation, entries)),
        ("inputs", _typed_in_order(entries)),
    ]
    failures: list[str] = []
    for form, typed in tries:
        block = case_yaml(name, form, typed, expect)
        try:
            cases = parse_cases(before + block, engine.flows, source=str(path))
        except FlowErrors as errors:
            raise TrialError("; ".join(str(problem) for problem in errors.problems)) from None
        result = run_case(engine, cases.flow, cases.cases[-1], str(path))
        if result.passed:
            _write(path, before + block)
            return Saved(case_file(tests_dir, flow.id), name, form, block)
        failures.append(f"{form}: {'; '.join(result.failures)}")
    raise TrialError("this conversation could not be replayed as a case (" + " | ".join(failures) + ")")
