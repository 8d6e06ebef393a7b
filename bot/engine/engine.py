"""The pure conversation engine: `advance(conversation, input) -> (conversation, replies)`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from bot.engine.account import AccountReader
from bot.engine.context import Cue, CueReader
from bot.engine.conversation import Conversation
from bot.engine.emergency import EmergencyReader, Reading, Verdict
from bot.engine.english import looks_english
from bot.engine.followup import offers_followup
from bot.engine.machine import Fired, FlowMachine
from bot.engine.matching import ChoiceMatcher, Match, Parsed, TextParser
from bot.engine.model import ACCOUNT_REVIEW, EMERGENCY_CONFIRM, NO, NOT_SURE, YES, Flow, Step, StepKind
from bot.engine.replies import (
    TYPED_COMMANDS,
    Command,
    Echo,
    Input,
    Notice,
    Pick,
    Question,
    Reason,
    Reply,
    Result,
    Typed,
)
from bot.engine.text import normalize, sentences, words

INTERRUPT_KEY = "_interrupt"
"""Answer key recording which emergency phrase list fired; never the typed words themselves."""

MAX_TYPED_CHARS = 4096
"""Longer text is cut before matching, so a pasted essay costs the same as a Telegram message."""

SURE = 0.85
"""How sure the second reader must be to ask about text that was also understood as an answer."""
SECOND_LOOK_WORDS = 4
"""Replies with fewer different words than this are left to the answer readers: the second reader never
reads them."""

RESUME, CONCEPT, PENDING, ACCOUNT, PREFILL = "resume", "concept", "pending", "account", "prefill"
"""Conversation `meta` keys: where a prompt returns to, the concept it asks about, a typed answer
waiting behind it, an account waiting for review, and confirmed account answers not yet reached.
Only choice values are kept, never the words typed."""


class Engine:
    """Holds one machine, matcher set and reader set per flow; conversations stay outside."""

    def __init__(self, flows: Mapping[str, Flow]) -> None:
        self.flows = MappingProxyType(dict(flows))
        self.machines = {flow_id: FlowMachine(flow) for flow_id, flow in flows.items()}
        self.matchers = {
            (flow_id, step.id): ChoiceMatcher(step, flow.synonyms)
            for flow_id, flow in flows.items()
            for step in (*flow.steps.values(), *flow.prompts.values())
        }
        self.rule_keys = {
            flow_id: frozenset().union(*(rule.when.keys() for rule in flow.rules)) for flow_id, flow in flows.items()
        }
        self.parsers = {flow_id: TextParser(CueReader(flow.cues)) for flow_id, flow in flows.items()}
        self.known_words = {flow_id: frozenset(_vocabulary(flow)) for flow_id, flow in flows.items()}
        self.emergency = {
            flow_id: EmergencyReader(flow.interrupts, flow.cues, self.known_words[flow_id], flow.language)
            for flow_id, flow in flows.items()
        }
        self.accounts = {
            flow_id: AccountReader(flow, {s.id: self.matchers[flow_id, s.id] for s in flow.steps.values()})
            for flow_id, flow in flows.items()
        }

    @property
    def default_flow(self) -> str:
        """The flow /start opens when no deep-link payload names one."""
        return "twitching" if "twitching" in self.flows else next(iter(self.flows))

    def start(
        self, flow_id: str, version: int = 0, prefill: Mapping[str, str] | None = None
    ) -> tuple[Conversation, tuple[Reply, ...]]:
        """A fresh conversation at the flow's first step; `version` continues a previous one's count.

        `prefill` answers questions ahead (by answer key) when they are reached, along the flow's own
        transitions, so `check`'s proofs cover every path it can take."""
        flow = self.flows[flow_id]
        meta = {PREFILL: dict(prefill)} if prefill else {}
        conversation = Conversation(flow_id=flow_id, step=flow.start, version=version + 1, meta=meta)
        return conversation, (Question(flow.steps[flow.start], 1),)

    def read_emergency(self, flow_id: str, text: str) -> Reading:
        """What typed text means for the emergency screen: nothing, ask once, or an emergency."""
        return self.emergency[flow_id].read(text[:MAX_TYPED_CHARS])

    def screen(self, flow_id: str, text: str, step: str) -> Verdict:
        """What typing `text` at `step` does: the emergency advice, the confirming question, or neither."""
        flow = self.flows[flow_id]
        moved, _ = self.advance(Conversation(flow_id=flow_id, step=step, version=1), Typed(text))
        if flow.is_outcome(moved.step) and INTERRUPT_KEY in moved.answers:
            return Verdict.EMERGENCY
        return Verdict.CONFIRM if moved.step == EMERGENCY_CONFIRM else Verdict.NONE

    def is_emergency(self, flow_id: str, text: str) -> bool:
        """True when typed text describes an emergency, or may (then the engine asks once)."""
        return self.read_emergency(flow_id, text).verdict is not Verdict.NONE

    def current(self, conversation: Conversation) -> tuple[Reply, ...]:
        """Show again where the person is: the open question, or the recommendation."""
        return self._current(conversation)

    def _current(self, conversation: Conversation, fired: Fired | None = None) -> tuple[Reply, ...]:
        """`current`, given the transition that has just fired into it, if any (saves firing it again)."""
        flow = self.flows[conversation.flow_id]
        if flow.is_outcome(conversation.step):
            return (self._result(flow, conversation, fired),)
        number = len(conversation.history) + 1
        if conversation.step == ACCOUNT_REVIEW:
            return (Question(flow.prompts[ACCOUNT_REVIEW], number, self._summary(flow, conversation)),)
        step = flow.question(conversation.step)
        assert step is not None
        return (Question(step.worded(conversation.answers), number),)

    def advance(self, conversation: Conversation, given: Input) -> tuple[Conversation, tuple[Reply, ...]]:
        """Apply one input. Never raises on what a person sends; unknown input changes nothing."""
        flow = self.flows.get(conversation.flow_id)
        if flow is None or not self._valid(flow, conversation):
            fresh, replies = self.start(flow.id if flow else self.default_flow, conversation.version)
            return fresh, (Notice("ui.restarted"), *replies)
        if given is Command.RESTART:
            fresh, replies = self.start(flow.id, conversation.version)
            return fresh, (Notice("ui.restarted"), *replies)
        if given is Command.BACK:
            return self._back(flow, conversation)
        if isinstance(given, Typed):
            return self._typed(flow, conversation, given.text[:MAX_TYPED_CHARS])
        if isinstance(given, Pick):
            return self._pick(flow, conversation, given)
        raise TypeError(f"unknown input {given!r}")

    @staticmethod
    def _valid(flow: Flow, conversation: Conversation) -> bool:
        """Whether the conversation's step (or the step its prompt returns to) is one of `flow`'s."""
        step = conversation.step
        if step in flow.prompts:
            resume = conversation.meta.get(RESUME)
            return isinstance(resume, str) and (resume in flow.steps or flow.is_outcome(resume))
        return step in flow.steps or flow.is_outcome(step)

    def decided(self, conversation: Conversation) -> Fired | None:
        """The transition that ended a finished check, as the machine fires it for its last answer
        (None while it is not finished, or when a typed emergency ended it)."""
        flow = self.flows.get(conversation.flow_id)
        if flow is None or not flow.is_outcome(conversation.step) or INTERRUPT_KEY in conversation.answers:
            return None
        return self.machines[flow.id].fired_last(conversation.history, conversation.answers)

    def fits(self, conversation: Conversation) -> bool:
        """Whether `conversation` still makes sense on these flows (one stored on another flow version): its
        flow, its step and every step it passed exist, and every answer is the value of one of their choices."""
        flow = self.flows.get(conversation.flow_id)
        if flow is None or not self._valid(flow, conversation):
            return False
        if any(passed not in flow.steps for passed in conversation.history):
            return False
        by_key = {s.key: s for s in flow.steps.values()}
        interrupts = {interrupt.id for interrupt in flow.interrupts}
        for key, value in conversation.answers.items():
            if key == INTERRUPT_KEY:
                if value not in interrupts:
                    return False
                continue
            asked = by_key.get(key)
            if asked is None or asked.choice(value) is None:
                return False
        return True

    # -- typed text ------------------------------------------------------------------------------------------

    def _typed(self, flow: Flow, conversation: Conversation, text: str) -> tuple[Conversation, tuple[Reply, ...]]:
        if not normalize(text):
            return conversation, (Notice("ui.empty_text"), *self.current(conversation))
        split = sentences(text)
        reading = self.emergency[flow.id].read_sentences(split)
        if reading.verdict is Verdict.EMERGENCY and reading.concept is not None:
            return self._interrupt(flow, self._resumed(conversation), reading.concept)
        parsed = self.parsers[flow.id].parse(text, split)
        step = flow.question(conversation.step)
        if step is None:  # finished
            if reading.verdict is Verdict.CONFIRM:
                return self._confirm(flow, conversation, reading, {})
            return conversation, (Notice("ui.finished"),)
        if conversation.step != EMERGENCY_CONFIRM and self._foreign(flow, parsed):
            moved, replies = self._confirm(flow, conversation, reading, {})
            return moved, (Notice("ui.english_only"), *replies)
        if step.kind == StepKind.ACCOUNT:
            return self._account(flow, conversation, step, text, parsed, reading)
        match = self.matchers[flow.id, step.id].read(text, parsed)
        # A button's own words typed out are never second-guessed; other answers may be.
        if match.value is not None and not match.whole and self._second_look(flow, text, reading, sure=True):
            reading = Reading(Verdict.CONFIRM)  # understood as an answer, but it reads very like an emergency
        if reading.verdict is Verdict.CONFIRM and conversation.step != EMERGENCY_CONFIRM:
            # An emergency description never fills in an answer: the question is asked again after "No".
            waiting = {ACCOUNT: conversation.meta.get(ACCOUNT)} if conversation.step == ACCOUNT_REVIEW else {}
            return self._confirm(flow, conversation, reading, waiting)
        if match.value is not None:
            moved, replies = self._pick(flow, conversation, Pick(step.id, match.value))
            if moved is conversation:
                return moved, replies
            return moved, (Echo(step.topic, _label(step, match.value)), *replies)
        command = TYPED_COMMANDS.get(_plain(text))
        if command is not None and not match.ambiguous:
            return self.advance(conversation, command)
        if conversation.step != EMERGENCY_CONFIRM and not match.ambiguous:
            worry = self._worrying(flow, parsed, reading)
            if worry is not None:
                moved, replies = self._confirm(flow, conversation, reading, {})
                return moved, (*worry, *replies)
        return conversation, (self._unclear(step, match), *self.current(conversation))

    def _worrying(self, flow: Flow, parsed: Parsed, reading: Reading) -> tuple[Reply, ...] | None:
        """Text not understood that names a body or safety word: never moved past silently (text not in
        English was asked about before any reading, in `_typed`). The notices to show before the
        confirming question, or None to carry on.

        Not when the emergency reader already ruled its language out, or a cue settles it ("no",
        "years ago", "in a film", "fine now"). Else a safety word, or the second reader
        (second_reader.py) thinking it may be an emergency, earns the question."""
        said = [word for context in parsed.contexts for word in context.said]
        if reading.considered or any(cue.value in Cue.SETTLING for c in parsed.contexts for cue in c.cues):
            return None
        if self.emergency[flow.id].mentions_safety_word(parsed.contexts):
            return ()
        if self._second_look(flow, " ".join(said), reading):
            return ()
        return None

    def _foreign(self, flow: Flow, parsed: Parsed) -> bool:
        """Text in another language is never read as an answer: a stray word in it can look like one
        ("mi", "baba"), so it gets the English-only notice and the confirming question first."""
        said = [word for context in parsed.contexts for word in context.said]
        return not looks_english(said, self.known_words[flow.id])

    def _second_look(self, flow: Flow, text: str, reading: Reading, *, sure: bool = False) -> bool:
        """The statistical second reader's "maybe" (second_reader.py): it only ever adds the confirming
        question, for text the rules left alone. With `sure`, for text also understood as an answer,
        it must be far surer."""
        second = flow.language.second_reader
        if second is None or reading.verdict is not Verdict.NONE or reading.considered:
            return False
        said = normalize(text)
        if len(set(said.split())) < SECOND_LOOK_WORDS:
            return False  # short, or one word said over and over ("blah blah blah …"): nothing to read
        return second.probability(said) > (SURE if sure else second.threshold)

    def _unclear(self, step: Step, match: Match) -> Notice:
        if match.ambiguous:
            options = " or ".join(f"“{_label(step, value)}”" for value in match.candidates)
            return Notice("ui.ambiguous", {"options": options})
        return Notice("ui.not_understood", {"options": _options(step)})

    def _account(
        self, flow: Flow, conversation: Conversation, step: Step, text: str, parsed: Parsed, reading: Reading
    ) -> tuple[Conversation, tuple[Reply, ...]]:
        skip = self.matchers[flow.id, step.id].exact.get(_plain(text))
        if skip is not None:
            return self._pick(flow, conversation, Pick(step.id, skip))
        command = TYPED_COMMANDS.get(_plain(text))
        if command is not None:
            return self.advance(conversation, command)
        told = self.accounts[flow.id].read(parsed)
        if reading.verdict is Verdict.CONFIRM:
            return self._confirm(flow, conversation, reading, {})
        # An account that names a body or safety word but says nothing of twitching ("grandad was a bit
        # wobbly on his feet, dunno when") is asked about, even where it also reads as an answer.
        said = {word for context in parsed.contexts for word in context.said}
        twitching = not self.emergency[flow.id].twitch_words.isdisjoint(said) or any(
            flow.steps[key].kind == StepKind.QUESTION for key in told if key in flow.steps
        )
        worry = self._worrying(flow, parsed, reading) if not (told and twitching) else None
        if worry is not None:
            moved, replies = self._confirm(flow, conversation, reading, {})
            return moved, (*worry, *replies)
        if not told:
            moved, replies = self._pick(flow, conversation, Pick(step.id, step.choices[0].value))
            return moved, (Notice("ui.account_nothing"), *replies)
        moved = conversation.bumped(step=ACCOUNT_REVIEW, meta={RESUME: step.id, ACCOUNT: told})
        return moved, self.current(moved)

    # -- prompts ---------------------------------------------------------------------------------------------

    def _confirm(
        self, flow: Flow, conversation: Conversation, reading: Reading, waiting: dict[str, Any]
    ) -> tuple[Conversation, tuple[Reply, ...]]:
        """Ask once whether unclear emergency language is happening now; keep what else was said."""
        origin = self._resumed(conversation)
        meta = {RESUME: origin.step, CONCEPT: reading.concept, **waiting, **_prefill(origin)}
        moved = conversation.bumped(step=EMERGENCY_CONFIRM, meta=meta)
        return moved, self.current(moved)

    def _resumed(self, conversation: Conversation) -> Conversation:
        """The conversation as it was before an engine prompt took over (itself when none did)."""
        resume = conversation.meta.get(RESUME)
        if conversation.step not in (EMERGENCY_CONFIRM, ACCOUNT_REVIEW) or not isinstance(resume, str):
            return conversation
        return replace(conversation, step=resume, meta=_prefill(conversation))

    def _prompt_answer(
        self, flow: Flow, conversation: Conversation, value: str
    ) -> tuple[Conversation, tuple[Reply, ...]]:
        meta = conversation.meta
        origin = self._resumed(conversation)
        if conversation.step == EMERGENCY_CONFIRM:
            if value != NO:  # yes, or not sure: the cautious answer is the emergency advice
                concept = meta.get(CONCEPT)
                known = [x.id for x in flow.interrupts]
                return self._interrupt(flow, origin, concept if concept in known else known[0])
            if flow.is_outcome(origin.step):
                return origin.bumped(), (Notice("ui.confirm_no"), Notice("ui.finished"))
            account = meta.get(ACCOUNT)
            if isinstance(account, dict) and account:
                moved = origin.bumped(step=ACCOUNT_REVIEW, meta={RESUME: origin.step, ACCOUNT: account})
                return moved, (Notice("ui.confirm_no"), *self.current(moved))
            step = flow.steps[origin.step]
            pending = meta.get(PENDING)
            if isinstance(pending, str) and step.choice(pending) is not None:
                moved, replies = self._pick(flow, origin, Pick(step.id, pending))
                echo = Echo(step.topic, _label(step, pending))
                return moved, (Notice("ui.confirm_no"), echo, *replies)
            moved = origin.bumped()
            return moved, (Notice("ui.confirm_no"), *self.current(moved))
        # the account review
        step = flow.steps[origin.step]
        account = meta.get(ACCOUNT) if value == YES else None
        prefill = {PREFILL: dict(account)} if isinstance(account, dict) else {}
        moved, replies = self._pick(flow, replace(origin, meta=prefill), Pick(step.id, step.choices[0].value))
        return moved, replies if value == YES else (Notice("ui.account_change"), *replies)

    def _summary(self, flow: Flow, conversation: Conversation) -> tuple[Reason, ...]:
        account = conversation.meta.get(ACCOUNT)
        if not isinstance(account, dict):
            return ()
        by_key = {step.key: step for step in flow.steps.values()}
        return tuple(
            Reason(by_key[key].topic, _label(by_key[key], value)) for key, value in account.items() if key in by_key
        )

    # -- buttons and navigation ------------------------------------------------------------------------------

    def _pick(self, flow: Flow, conversation: Conversation, pick: Pick) -> tuple[Conversation, tuple[Reply, ...]]:
        if pick.step != conversation.step:
            return conversation, (Notice("ui.stale_press"), *self.current(conversation))
        step = flow.question(pick.step)
        if step is None or step.choice(pick.value) is None:
            return conversation, (Notice("ui.forged_press"), *self.current(conversation))
        if step.id in flow.prompts:
            return self._prompt_answer(flow, conversation, pick.value)
        answers = {**conversation.answers, step.key: pick.value}
        history = (*conversation.history, step.id)
        machine = self.machines[flow.id]
        fired = machine.fire(step.id, pick.value, answers)
        target = fired.dest
        prefill = dict(conversation.meta.get(PREFILL) or {})
        while prefill and target in flow.steps and flow.steps[target].key in prefill:
            ahead = flow.steps[target]
            value = prefill.pop(ahead.key)
            if ahead.choice(value) is None:
                break
            answers[ahead.key] = value
            history = (*history, ahead.id)
            fired = machine.fire(ahead.id, value, answers)
            target = fired.dest
        meta = {PREFILL: prefill} if prefill and not flow.is_outcome(target) else {}
        moved = conversation.bumped(step=target, answers=answers, history=history, meta=meta)
        return moved, self._current(moved, fired)

    def _interrupt(
        self, flow: Flow, conversation: Conversation, interrupt_id: str
    ) -> tuple[Conversation, tuple[Reply, ...]]:
        if flow.is_outcome(conversation.step):
            # Finished already: the emergency still wins, and /back returns to the last question.
            origin = conversation.history[-1] if conversation.history else flow.start
            history = conversation.history[:-1]
            answers = {k: v for k, v in conversation.answers.items() if k != flow.steps[origin].key}
        else:
            origin, history, answers = conversation.step, conversation.history, dict(conversation.answers)
        target = self.machines[flow.id].interrupted(origin, interrupt_id)
        moved = conversation.bumped(
            step=target, answers={**answers, INTERRUPT_KEY: interrupt_id}, history=(*history, origin), meta={}
        )
        return moved, self.current(moved)

    def _back(self, flow: Flow, conversation: Conversation) -> tuple[Conversation, tuple[Reply, ...]]:
        if conversation.step in flow.prompts:
            moved = self._resumed(conversation).bumped()
            return moved, (Notice("ui.went_back"), *self.current(moved))
        if not conversation.history:
            return conversation, (Notice("ui.back_at_start"), *self.current(conversation))
        previous = conversation.history[-1]
        forget = {flow.steps[previous].key, INTERRUPT_KEY}
        answers = {k: v for k, v in conversation.answers.items() if k not in forget}
        prefill = conversation.meta.get(PREFILL)  # account answers not reached yet stay taken
        meta = {PREFILL: prefill} if prefill else {}
        moved = conversation.bumped(step=previous, answers=answers, history=conversation.history[:-1], meta=meta)
        return moved, (Notice("ui.went_back"), *self.current(moved))

    def _result(self, flow: Flow, conversation: Conversation, fired: Fired | None = None) -> Result:
        outcome = flow.outcomes[conversation.step]
        answers = conversation.answers
        typed = INTERRUPT_KEY in answers
        wanted = [rule.excerpt for rule in (*outcome.excerpts, *flow.excerpts) if rule.when.holds(answers)]
        excerpts = tuple(dict.fromkeys(wanted))[: flow.max_excerpts]
        notes = tuple(text for when, text in outcome.notes if when.holds(answers))
        decided = None if typed else fired or self.decided(conversation)
        reasons = () if typed else _reasons(flow, conversation, decided, self.rule_keys[flow.id])
        followup = not typed and offers_followup(flow, outcome.id, answers, decided.rule if decided else None)
        return Result(outcome, reasons, excerpts, notes, typed, followup, decided)


def _vocabulary(flow: Flow) -> set[str]:
    """Every word the flow itself uses: never mistaken for a misspelt emergency word."""
    found: set[str] = set()
    for step in flow.steps.values():
        found.update(words(step.text))
        for _, text in step.variants:
            found.update(words(text))
        for choice in step.choices:
            for phrase in (choice.label, *choice.synonyms, *choice.mentions):
                found.update(words(phrase))
    for phrases in flow.synonyms.values():
        for phrase in phrases:
            found.update(words(phrase))
    return found


def _prefill(conversation: Conversation) -> dict[str, Any]:
    """The answers not reached yet that a prompt (the emergency confirmation) must keep."""
    prefill = conversation.meta.get(PREFILL)
    return {PREFILL: prefill} if prefill else {}


def _plain(text: str) -> str:
    return " ".join(words(text))


def _options(step: Step) -> str:
    return ", ".join(f"{number}) {choice.label}" for number, choice in enumerate(step.choices, start=1))


def _label(step: Step, value: str) -> str:
    choice = step.choice(value)
    return choice.label if choice else value


def _reasons(
    flow: Flow, conversation: Conversation, decided: Fired | None, rule_keys: frozenset[str]
) -> tuple[Reason, ...]:
    """The answers that led here: those the deciding rule (`decided.rule`, from the machine) tested.

    When the catch-all decided, every answer the rules read counts, plus the triggers that
    chose excerpts (caffeine, stress…), since those explain the self-care advice too.
    """
    answers = conversation.answers
    by_key = {flow.steps[step_id].key: flow.steps[step_id] for step_id in conversation.history}
    last = flow.steps[conversation.history[-1]] if conversation.history else None
    rule = decided.rule if decided is not None else None
    if rule is None:
        # A step that ends the check itself: the flag answers that led to it count too
        # ("spreading on both sides: Yes" before "makes breathing hard: No").
        flagged = [k for k, s in by_key.items() if s.is_flag and answers.get(k) in (YES, NOT_SURE) and s is not last]
        keys: list[str] = [*flagged, last.key] if last else []
    else:
        keys = [atom.key for atom in rule.when.atoms() if atom.holds(answers)]
        if not keys:
            triggers = {atom.key for shown in flow.excerpts for atom in shown.when.atoms() if atom.holds(answers)}
            keys = [key for key in by_key if key in rule_keys or key in triggers]
    keys = list(dict.fromkeys(key for key in keys if key in by_key))
    return tuple(Reason(by_key[key].topic, _label(by_key[key], answers[key])) for key in keys)
