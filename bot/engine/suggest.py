"""'Did you mean …?' hints for names a maintainer mistyped."""

from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz import fuzz, process


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """A fix suggesting the closest known name, or '' when nothing is close."""
    match = process.extractOne(name, list(candidates), scorer=fuzz.ratio, score_cutoff=60)
    return f"did you mean '{match[0]}'?" if match else ""
