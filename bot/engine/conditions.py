"""Conditions are data (`{weakness: yes}`, `{any: [...]}`), turned into Condition objects here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot.engine.model import ALWAYS, AllOf, AnswerIn, AnyOf, Condition, Not
from bot.engine.suggest import did_you_mean
from bot.yamlfiles.errors import FlowProblem, ShapeError, UnknownTargetError

Locate = Callable[[tuple[Any, ...]], int]


def parse_condition(
    spec: Any,
    path: tuple[Any, ...],
    known: Mapping[str, frozenset[str]],
    locate: Locate,
    source: str,
    problems: list[FlowProblem],
) -> Condition:
    """Build a Condition, reporting unknown answer keys and values (the usual typos)."""
    if spec is None:
        return ALWAYS
    if not isinstance(spec, dict) or not spec:
        problems.append(
            ShapeError(
                source,
                locate(path),
                "a condition must be a mapping such as {weakness: yes}",
                "write `when: {<answer key>: <value or [values]>}`, or use any/all/not",
            )
        )
        return ALWAYS
    parts: list[Condition] = []
    for key, value in spec.items():
        here = (*path, key)
        if key in ("any", "all"):
            if not isinstance(value, list) or not value:
                problems.append(
                    ShapeError(
                        source,
                        locate(here),
                        f"'{key}' needs a list of conditions",
                        f"write `{key}: [{{a: yes}}, {{b: yes}}]`",
                    )
                )
                continue
            inner = tuple(
                parse_condition(item, (*here, i), known, locate, source, problems) for i, item in enumerate(value)
            )
            parts.append(AnyOf(inner) if key == "any" else AllOf(inner))
        elif key == "not":
            parts.append(Not(parse_condition(value, here, known, locate, source, problems)))
        else:
            values = value if isinstance(value, list) else [value]
            if not values or not all(isinstance(v, str) for v in values):
                problems.append(
                    ShapeError(
                        source,
                        locate(here),
                        f"the values for '{key}' must be text",
                        "quote them, e.g. `weakness: [yes, not_sure]`",
                    )
                )
                continue
            if key not in known:
                problems.append(
                    UnknownTargetError(
                        source,
                        locate(here),
                        f"condition reads answer '{key}', which no step records",
                        did_you_mean(key, known) or "use the `records` name (or id) of a step",
                    )
                )
                continue
            for v in values:
                if v not in known[key]:
                    problems.append(
                        UnknownTargetError(
                            source,
                            locate(here),
                            f"answer '{key}' is never '{v}'",
                            did_you_mean(v, known[key]) or f"use one of: {', '.join(sorted(known[key]))}",
                        )
                    )
            parts.append(AnswerIn(key, frozenset(values)))
    if not parts:
        return ALWAYS
    return parts[0] if len(parts) == 1 else AllOf(tuple(parts))
