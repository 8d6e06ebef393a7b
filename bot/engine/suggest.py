"""'Did you mean …?' hints for names a maintainer mistyped."""

from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz import fuzz, process


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """A fix suggesting the closest known name, or '' when nothing is close.

    Dotted names (`questions.weakness`) are compared within the same prefix only, so a shared
    prefix does not make an unrelated key look close.
    """
    prefix, dot, _ = name.rpartition(".")
    pool = [c for c in candidates if not dot or c.startswith(prefix + ".")]
    strip = len(prefix) + 1 if dot else 0
    match = process.extractOne(name[strip:], [c[strip:] for c in pool], scorer=fuzz.ratio, score_cutoff=60)
    return f"did you mean '{name[:strip]}{match[0]}'?" if match else ""
