"""Reading a person's own account ("twitching in my calf for 3 days, lots of coffee") into answers.

Only what the account states is taken, and never a "no" to a red flag or emergency sign:
silence or a narrative is not a "no", so those questions are still asked unless the
account clearly says "yes". Anything said both ways ("no weakness, my grip is weak") is
left for the question itself. Durations count only when anchored to the symptom ("for 3
days", "since Monday"), not "3 cups a day".
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.engine.matching import ChoiceMatcher, Parsed
from bot.engine.model import NO, NOT_SURE, YES, Flow, Step, StepKind
from bot.engine.quantities import durations


class AccountReader:
    """Fills in the answers an account states, for the flow's ordinary and red-flag questions."""

    def __init__(self, flow: Flow, matchers: Mapping[str, ChoiceMatcher]) -> None:
        self.steps: list[tuple[Step, ChoiceMatcher]] = [
            (step, matchers[step.id])
            for step in flow.steps.values()
            if step.kind in (StepKind.QUESTION, StepKind.RED_FLAG)
        ]

    def read(self, parsed: Parsed) -> dict[str, str]:
        """Answer key → value for every question the account answers, in the flow's order."""
        answers: dict[str, str] = {}
        for step, matcher in self.steps:
            value = self._answer(step, matcher, parsed)
            if value is not None:
                answers.setdefault(step.key, value)
        return answers

    @staticmethod
    def _answer(step: Step, matcher: ChoiceMatcher, parsed: Parsed) -> str | None:
        if step.quantity is not None:
            amounts = [a.days for context in parsed.contexts for a in durations(context.said) if a.anchored]
            found = matcher.by_range(amounts)
            if found.value is not None:
                return found.value
        said = matcher.mentioned(parsed, account=True)
        if step.is_flag:
            return YES if YES in said and NO not in said and NOT_SURE not in said else None
        if len(said) == 1:
            return next(iter(said))
        if len(said) > 1 and step.combined is not None:
            return step.combined
        return None
