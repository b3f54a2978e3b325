"""The paraphrase model: one logistic regression per violation type over character n-grams of
the collector's words (TF-IDF), for violations the lexicon has no phrase for.

It reads line by line: labels are per call, so every collector line of a call takes the call's
labels in training (the greeting and the closing, said in clean calls too, learn to weigh
nothing), and a call scores the maximum over its lines, so one bad sentence is not diluted by
a long polite call. A hit is explained by its line (the evidence span) and the n-grams that
pushed it up most.

Saved as JSON (vocabulary, idf, weights per type), never pickled.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from zhudai.callqa.context import Context
from zhudai.callqa.flags import TIME_TYPES, FlagType
from zhudai.exceptions import InvalidInputError, MissingFileError, NotFittedError

FORMAT_VERSION = 1
#: The probability from which the model raises a flag.
THRESHOLD = 0.5
TEXT_TYPES = tuple(t for t in FlagType if t not in TIME_TYPES)
NGRAM_SIZES = (2, 3, 4)
_RUN = re.compile(r"[^\s，。！？；：、,.!?;:\"“”]+")
_LINE = re.compile(r"[^\n]*\S[^\n]*")


def spoken_lines(words: str) -> list[tuple[int, int]]:
    """The ``[start, end)`` offsets of the non-blank lines of :func:`collector_words`."""
    return [m.span() for m in _LINE.finditer(words)]


def char_ngrams(text: str) -> Iterator[str]:
    """Character n-grams within runs of words (punctuation and spaces break them).

    Examples
    --------
    >>> list(char_ngrams("要坐牢。"))
    ['要坐', '坐牢', '要坐牢']
    """
    for run in _RUN.findall(text):
        for n in NGRAM_SIZES:
            for i in range(len(run) - n + 1):
                yield run[i : i + n]


def collector_words(ctx: Context) -> str:
    """The transcript with every other speaker's line (and every label) blanked out, so the
    model reads only the collector and its offsets stay the transcript's."""
    chars = list(ctx.text)
    for line in ctx.lines:
        stop = min(line.end, len(chars))
        blank = range(line.start, stop) if not line.is_collector else range(line.start, line.body)
        for i in blank:
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)


class ParaphraseModel:
    """Per-type logistic regressions on TF-IDF character n-grams.

    ``fit(texts, labels)`` takes the collector's words of each call and the set of violation
    types a reviewer (or the world's truth) found in it.
    """

    def __init__(self, c: float = 8.0, min_df: int = 2, threshold: float = THRESHOLD) -> None:
        self.c = c
        self.min_df = min_df
        self.threshold = threshold

    def fit(self, texts: Sequence[str], labels: Sequence[frozenset[FlagType]]) -> ParaphraseModel:
        """Learn the vocabulary, idf and one regression per type seen in ``labels``."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        if len(texts) != len(labels) or not texts:
            raise InvalidInputError("labels", "need one label set per text, and some texts")
        lines, line_labels = [], []
        for text, found in zip(texts, labels, strict=True):
            for start, end in spoken_lines(text):
                lines.append(text[start:end])
                line_labels.append(found)
        vec = TfidfVectorizer(analyzer=char_ngrams, min_df=self.min_df, sublinear_tf=True)
        x = vec.fit_transform(lines)
        self.vocabulary_ = {g: int(i) for g, i in vec.vocabulary_.items()}
        self.idf_ = vec.idf_.astype(np.float64)
        self.weights_: dict[FlagType, tuple[np.ndarray, float]] = {}
        for kind in TEXT_TYPES:
            y = np.array([kind in s for s in line_labels])
            if y.all() or not y.any():
                continue
            lr = LogisticRegression(C=self.c, max_iter=2000).fit(x, y)
            self.weights_[kind] = (lr.coef_[0].astype(np.float64), float(lr.intercept_[0]))
        self._grams = {i: g for g, i in self.vocabulary_.items()}
        return self

    def _vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        counts: dict[int, int] = {}
        for gram in char_ngrams(text):
            i = self.vocabulary_.get(gram)
            if i is not None:
                counts[i] = counts.get(i, 0) + 1
        idx = np.fromiter(counts, np.int64, len(counts))
        val = (1 + np.log(np.fromiter(counts.values(), np.float64, len(counts)))) * self.idf_[idx]
        norm = math.sqrt(float(val @ val)) or 1.0
        return idx, val / norm

    def probabilities(self, text: str) -> dict[FlagType, float]:
        """The probability of each learned type for the collector's words ``text``."""
        return {kind: prob for kind, prob, _, _ in self.explain(text, top=0)}

    def explain(
        self, text: str, top: int = 3
    ) -> list[tuple[FlagType, float, tuple[int, int], str]]:
        """Per type: the probability of the strongest line, its span and its top n-grams."""
        if not hasattr(self, "weights_"):
            raise NotFittedError("ParaphraseModel is not fitted; call fit or load first")
        vectors = [(span, *self._vector(text[span[0] : span[1]])) for span in spoken_lines(text)]
        out = []
        for kind, (coef, bias) in self.weights_.items():
            best = (-math.inf, (0, 0), np.zeros(0), np.zeros(0, np.int64))
            for span, idx, val in vectors:
                push = val * coef[idx]
                logit = float(push.sum()) + bias
                if logit > best[0]:
                    best = (logit, span, push, idx)
            logit, span, push, idx = best
            prob = 1 / (1 + math.exp(-logit)) if vectors else 0.0
            order = [j for j in np.argsort(-push)[:top] if push[j] > 0]
            why = "n-grams " + ", ".join(
                f"{self._grams[int(idx[j])]!r} (+{push[j]:.2f})" for j in order
            )
            out.append((kind, prob, span, f"p={prob:.2f}; {why}"))
        return out

    def save(self, path: Path) -> Path:
        """Write the model as one JSON file."""
        grams = [g for g, _ in sorted(self.vocabulary_.items(), key=lambda kv: kv[1])]
        doc = {
            "format_version": FORMAT_VERSION,
            "threshold": self.threshold,
            "ngram_sizes": list(NGRAM_SIZES),
            "vocabulary": grams,
            "idf": [round(float(v), 6) for v in self.idf_],
            "types": {
                kind.value: {"intercept": bias, "coef": [round(float(v), 6) for v in coef]}
                for kind, (coef, bias) in self.weights_.items()
            },
        }
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: Path) -> ParaphraseModel:
        """A model written by :meth:`save`."""
        if not path.is_file():
            raise MissingFileError("model", path)
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("format_version") != FORMAT_VERSION:
            raise InvalidInputError(
                "model",
                f"format_version must be {FORMAT_VERSION}; got {doc.get('format_version')!r}",
            )
        model = cls(threshold=float(doc["threshold"]))
        model.vocabulary_ = {g: i for i, g in enumerate(doc["vocabulary"])}
        model.idf_ = np.asarray(doc["idf"], dtype=np.float64)
        model.weights_ = {
            FlagType(k): (np.asarray(v["coef"], dtype=np.float64), float(v["intercept"]))
            for k, v in doc["types"].items()
        }
        model._grams = dict(enumerate(doc["vocabulary"]))
        return model
