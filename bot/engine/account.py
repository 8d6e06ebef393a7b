"""Reading a person's own account ("twitching in my calf for 3 days, lots of coffee") into answers.

Only what the account states is taken, and never a "no" to a red flag or emergency sign:
silence or a narrative is not a "no", so those questions are still asked unless the
account clearly says "yes"; the same goes for a question marked `from_account: yes_only`, which
asks about several things at once. Anything said both ways ("no weakness, my grip is weak") is
left for the question itself. Durations count only when anchored ("for 3 days", "since
Monday"), not "3 cups a day"; and places and durations count only in a part of the account
about the twitching (the account step's `symptom_words`), so "throwing up for two days" or
"my hand looks thinner" say nothing about where or how long it twitches.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bot.engine.context import SentenceContext
from bot.engine.matching import ChoiceMatcher, Parsed
from bot.engine.model import NO, NOT_SURE, YES, Flow, Step, StepKind
from bot.engine.quantities import durations

About = Callable[[SentenceContext, int], bool]
"""Whether the words at an index of a sentence speak about the twitching itself."""


class AccountReader:
    """Fills in the answers an account states, for the flow's ordinary and red-flag questions."""

    def __init__(self, flow: Flow, matchers: Mapping[str, ChoiceMatcher]) -> None:
        account = flow.account_step
        self.symptoms = frozenset(account.symptom_words) if account else frozenset()
        self.steps: list[tuple[Step, ChoiceMatcher]] = [
            (step, matchers[step.id])
            for step in flow.steps.values()
            if step.kind in (StepKind.QUESTION, StepKind.RED_FLAG) and step.from_account != "never"
        ]

    def read(self, parsed: Parsed) -> dict[str, str]:
        """Answer key → value for every question the account answers, in the flow's order."""
        about = self._about_the_twitch(parsed)
        answers: dict[str, str] = {}
        for step, matcher in self.steps:
            value = self._answer(step, matcher, parsed, about)
            if value is not None:
                answers.setdefault(step.key, value)
        return answers

    def _about_the_twitch(self, parsed: Parsed) -> About:
        """The narrowest part around the words decides if it names the twitching, or names what
        another question asks about ("… and my hand looks thinner"); if it names neither, the
        clause around it, then the clause before it (", for about 2 weeks" follows what it measures).
        """
        others: dict[int, set[int]] = {}
        for context in parsed.contexts:
            covered: set[int] = set()
            for step, matcher in self.steps:
                if _yes_no(step):
                    for hit in matcher.mentions.find(context.said):
                        covered.update(range(hit.start, hit.end))
            others[id(context)] = covered

        def names(context: SentenceContext, span: tuple[int, int]) -> tuple[bool, bool]:
            said = context.said[span[0] : span[1]]
            return any(word in self.symptoms for word in said), bool(others[id(context)] & set(range(*span)))

        def about(context: SentenceContext, index: int) -> bool:
            if not self.symptoms:
                return True
            for span in (context.segment(index, fine=True), context.segment(index)):
                symptom, other = names(context, span)
                if symptom or other:
                    return symptom
            start, _ = context.segment(index)
            return start > 0 and names(context, context.segment(start - 1))[0]

        return about

    @staticmethod
    def _answer(step: Step, matcher: ChoiceMatcher, parsed: Parsed, about: About) -> str | None:
        if step.quantity == "duration":
            amounts = [
                amount.days
                for context in parsed.contexts
                for amount in durations(context.said)
                if amount.anchored and about(context, amount.start)
            ]
            found = matcher.by_range(amounts)
            if found.value is not None:
                return found.value
        said = matcher.mentioned(parsed, account=True, where=None if _yes_no(step) else about)
        if step.is_flag:
            return YES if YES in said and NO not in said and NOT_SURE not in said else None
        if step.from_account == "yes_only":
            return YES if YES in said else None
        if len(said) == 1:
            return next(iter(said))
        if len(said) > 1 and step.combined is not None:
            return step.combined
        return None


def _yes_no(step: Step) -> bool:
    return {choice.value for choice in step.choices} <= {YES, NO, NOT_SURE}
