"""Is every outcome whole? A flow cut short (a save caught mid-write) still parses, but loses its last keys.

An outcome whose texts come from content/ (its title is `levels.<id>.title`) must show every text
content/ defines for it (`recommendation`, `watch_for`, `tips`) and name at least one source. The
last outcome of a flow cut inside it loses exactly these (tips, excerpts, sources come last), so this
is what tells a finished file from one still being written, for `validate`, `--watch` and the studio
alike. Texts the code itself shows are `REQUIRED_TEXTS` (bot/content/library.py); excerpts and sources
a flow names are resolved by the loader.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.content.library import Content
from bot.engine.model import Flow
from bot.yamlfiles.errors import FlowProblem, MissingContentError

OUTCOME_TEXTS = ("recommendation", "watch_for", "tips")
"""The texts an outcome shows from `levels.<id>.` in content/, besides its title."""


def incomplete_outcomes(flows: Mapping[str, Flow], content: Content) -> list[FlowProblem]:
    """One problem per outcome that lacks a text content/ has for it, or names no source."""
    problems: list[FlowProblem] = []
    for flow in flows.values():
        for outcome in flow.outcomes.values():
            prefix = f"levels.{outcome.id}."
            if content.texts.get(prefix + "title") != outcome.title:
                continue  # its texts are its own, written in the flow
            missing = [name for name in OUTCOME_TEXTS if prefix + name in content.texts and not getattr(outcome, name)]
            for name in missing:
                problems.append(
                    MissingContentError(
                        flow.source,
                        outcome.line,
                        f"outcome '{outcome.id}' does not show its {name} (text '{prefix}{name}' in content/)",
                        f'add `{name}: "@{prefix}{name}"`, or remove the text; a file cut short loses its last keys',
                    )
                )
            if not outcome.sources:
                problems.append(
                    MissingContentError(
                        flow.source,
                        outcome.line,
                        f"outcome '{outcome.id}' names no source",
                        "add `sources: [...]` with the ids from sources.yaml its advice follows",
                    )
                )
    return problems
