"""The follow-up (issue 13): which finished checks are offered one, and what a re-check already knows.

`offers_followup(flow, outcome_id, answers, rule) -> bool`, where `rule` is the routing rule that
fired (`Fired.rule`, bot/engine/machine.py), or None when a step's own branch decided. Self-care
advice says "see a GP if it is still there after 2 weeks", so every 🟢 offers it. A 🟠 offers it
only when the routing rule that decided it matched on "not sure" answers alone (not sure how long,
not sure about a red flag…): then two weeks may settle the doubt. A 🟠 decided by something known
(2 weeks or more, several places, a new medicine, worry) already says "book an appointment", so a
reminder would only delay it. 🔴 and 🚨 are never followed up: they say to act now, not in two weeks.

`recheck_prefill(flow, days) -> {answer key: value}`. Derived from the flow's own declarations, so
no step id is written here: the account invitation is skipped (its first choice, as the engine's
own "Skip"), and each `quantity: duration` question gets the choice whose `range` holds `days`
(for the shipped flow, "2 weeks or more"). The engine's prefill mechanism answers those questions
when they are reached, along the flow's ordinary transitions, so `twitchcheck check`'s proofs
still cover every path a re-check can take; red flags and emergency questions are never prefilled.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.engine.model import NOT_SURE, Flow, Level, Rule, StepKind

FOLLOWUP_DAYS = 14
"""The self-care advice's "if it lasts more than 2 weeks"."""

FOLLOWED_UP_LEVELS = (Level.SELF_CARE, Level.ROUTINE)


def offers_followup(flow: Flow, outcome_id: str, answers: Mapping[str, str], rule: Rule | None) -> bool:
    """True when a check that ended at `outcome_id` with `answers`, decided by `rule`, offers "Remind me in 2 weeks"."""
    outcome = flow.outcomes.get(outcome_id)
    if outcome is None or outcome.level not in FOLLOWED_UP_LEVELS:
        return False
    if outcome.level is Level.SELF_CARE:
        return True
    if rule is None or rule.outcome != outcome_id:
        return False  # reached by a step's own branch, not by routing on doubts
    matched = [atom.key for atom in rule.when.atoms() if atom.holds(answers)]
    return bool(matched) and all(answers.get(key) == NOT_SURE for key in matched)


def recheck_prefill(flow: Flow, days: float = FOLLOWUP_DAYS) -> dict[str, str]:
    """The answers a re-check `days` after a check starts with (see the module docstring)."""
    prefill: dict[str, str] = {}
    account = flow.account_step
    if account is not None and account.choices:
        prefill[account.key] = account.choices[0].value
    for step in flow.steps.values():
        if step.kind != StepKind.QUESTION or step.quantity != "duration":
            continue
        lasting = [choice.value for choice in step.choices if choice.range is not None and days in choice.range]
        if len(lasting) == 1:
            prefill[step.key] = lasting[0]
    return prefill
