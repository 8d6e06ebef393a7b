"""Training the second reader (second_reader.py) from the project's own sentences: `twitchcheck train-reader`.

Text in, model out: every `emergency:` sentence of the given corpus files, labelled 1 when it expects
`emergency` or `confirm` and 0 when `calm`. Needs scikit-learn (`pip install -e ".[train]"`); the bot
itself reads the model without it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml

from bot.engine.second_reader import SecondReader
from bot.engine.text import normalize

NGRAMS = (2, 5)
THRESHOLD = 0.7
"""Above this probability the reader asks; chosen on a fresh round held out from training (flows/tests/README.md)."""


def sentences_from(paths: Iterable[Path]) -> tuple[list[str], list[int]]:
    """The labelled sentences of corpus files."""
    texts: list[str] = []
    labels: list[int] = []
    for path in paths:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in data.get("emergency") or []:
            texts.append(normalize(str(item["text"])))
            labels.append(0 if item["expect"] == "calm" else 1)
    return texts, labels


def train(texts: list[str], labels: list[int], threshold: float = THRESHOLD) -> SecondReader:
    """Fit the model; raise ImportError with what to install when scikit-learn is missing."""
    try:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
    except ImportError as missing:
        raise ImportError('training the second reader needs scikit-learn: pip install -e ".[train]"') from missing
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=NGRAMS, min_df=2, sublinear_tf=True)
    features = vectorizer.fit_transform(texts)
    model = LogisticRegression(C=4, max_iter=2000, class_weight="balanced").fit(features, labels)
    grams = {
        str(gram): (float(vectorizer.idf_[index]), float(model.coef_[0][index]))
        for gram, index in vectorizer.vocabulary_.items()
    }
    return SecondReader(grams, float(model.intercept_[0]), threshold, *NGRAMS)
