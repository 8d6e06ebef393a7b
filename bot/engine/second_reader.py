"""A small statistical second reader of emergency language, whose "maybe" only ever adds a question.

The rules (emergency.py, frames.py) decide; this reader only looks at text they leave alone and that
is not understood as an answer, and when it thinks the text may describe an emergency the engine
asks the one confirming question. It never raises the alarm and never removes a question.

The model is a logistic regression over character n-grams within words (2 to 5 letters, TF-IDF with
sublinear counts, L2-normalised), trained by `twitchcheck train-reader` (scikit-learn, an optional
extra) on the language corpus and the fresh rounds, and shipped as `content/<language>/second_reader.json`:
each n-gram's IDF and weight. Reading it needs no library: the features are rebuilt here exactly as
scikit-learn's `char_wb` analyser builds them, so a 300-character message costs well under a millisecond.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SPACES = re.compile(r"\s\s+")
FILE_NAME = "second_reader.json"


@dataclass(frozen=True, slots=True)
class SecondReader:
    """The model: per n-gram (IDF, weight), the intercept, and the probability above which it asks."""

    grams: dict[str, tuple[float, float]]
    intercept: float
    threshold: float
    low: int = 2
    high: int = 5

    def probability(self, text: str) -> float:
        """How likely the model thinks `text` describes an emergency or may (0 to 1)."""
        counts = Counter(gram for gram in char_wb_grams(text.lower(), self.low, self.high) if gram in self.grams)
        if not counts:
            return 1 / (1 + math.exp(-self.intercept))
        weights = {gram: (1 + math.log(count)) * self.grams[gram][0] for gram, count in counts.items()}
        norm = math.sqrt(sum(value * value for value in weights.values())) or 1.0
        score = self.intercept + sum(value / norm * self.grams[gram][1] for gram, value in weights.items())
        return 1 / (1 + math.exp(-score))

    def maybe(self, text: str) -> bool:
        """True when the text should get the confirming question."""
        return self.probability(text) > self.threshold

    def to_dict(self) -> dict[str, Any]:
        return {
            "about": "twitchcheck second reader: char_wb n-grams, TF-IDF (sublinear, l2), logistic regression",
            "ngram_range": [self.low, self.high],
            "threshold": self.threshold,
            "intercept": self.intercept,
            "grams": {gram: [round(idf, 4), round(weight, 4)] for gram, (idf, weight) in sorted(self.grams.items())},
        }


def char_wb_grams(text: str, low: int, high: int) -> list[str]:
    """Character n-grams inside word boundaries, padded with a space, as scikit-learn's `char_wb` makes them."""
    grams: list[str] = []
    for word in _SPACES.sub(" ", text).split():
        padded = f" {word} "
        size = len(padded)
        for n in range(low, high + 1):
            offset = 0
            grams.append(padded[offset : offset + n])
            while offset + n < size:
                offset += 1
                grams.append(padded[offset : offset + n])
            if offset == 0:  # a word shorter than n is counted once
                break
    return grams


def load_second_reader(path: Path) -> SecondReader | None:
    """The shipped model, or None when the content folder has none."""
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    low, high = data["ngram_range"]
    grams = {gram: (float(idf), float(weight)) for gram, (idf, weight) in data["grams"].items()}
    return SecondReader(grams, float(data["intercept"]), float(data["threshold"]), int(low), int(high))
