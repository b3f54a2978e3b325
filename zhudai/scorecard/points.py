"""Points scaling and risk grades.

``score = offset + factor * ln(odds_good)`` with ``factor = PDO / ln 2`` and
``offset = base_score - factor * ln(base_odds)``: a score of ``base_score`` means good:bad odds
of ``base_odds``:1, and every ``PDO`` points double the odds. Higher scores are safer.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from zhudai.exceptions import InvalidInputError


@dataclass(frozen=True)
class Scaling:
    """Base score, base odds (good:bad) and points to double the odds.

    Examples
    --------
    >>> s = Scaling(base_score=600, base_odds=50, pdo=20)
    >>> round(s.score_from_pd(1 / 51), 6)  # odds 50:1 -> the base score
    600.0
    >>> round(s.score_from_pd(1 / 101), 3)  # odds 100:1 -> one PDO more
    620.0
    """

    base_score: float = 600.0
    base_odds: float = 50.0
    pdo: float = 20.0

    def __post_init__(self) -> None:
        for name in ("base_odds", "pdo"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and value > 0):
                raise InvalidInputError(name, f"must be a positive number; got {value!r}")

    @property
    def factor(self) -> float:
        return self.pdo / math.log(2)

    @property
    def offset(self) -> float:
        return self.base_score - self.factor * math.log(self.base_odds)

    def score_from_pd(self, pd_bad):
        """Points for a probability of bad (array or float)."""
        p = np.asarray(pd_bad, dtype=float)
        out = self.offset + self.factor * np.log((1 - p) / p)
        return float(out) if out.ndim == 0 else out

    def pd_from_score(self, score):
        """Probability of bad for a score (array or float)."""
        s = np.asarray(score, dtype=float)
        out = 1.0 / (1.0 + np.exp((s - self.offset) / self.factor))
        return float(out) if out.ndim == 0 else out

    def to_dict(self) -> dict[str, float]:
        return {**asdict(self), "factor": self.factor, "offset": self.offset}


@dataclass(frozen=True)
class RiskGrades:
    """Risk grades from score cut-offs: ``labels[i]`` for ``cutoffs[i-1] <= score < cutoffs[i]``.

    Labels go from riskiest (lowest scores) to safest.

    Examples
    --------
    >>> g = RiskGrades(cutoffs=(550.0, 600.0), labels=("C", "B", "A"))
    >>> g.grade(549.9), g.grade(550.0), g.grade(700)
    ('C', 'B', 'A')
    """

    cutoffs: tuple[float, ...]
    labels: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(self.labels) != len(self.cutoffs) + 1:
            raise InvalidInputError("grades", "need exactly one more label than cut-offs")
        if list(self.cutoffs) != sorted(self.cutoffs):
            raise InvalidInputError("grades", "cut-offs must be increasing")

    @classmethod
    def from_quantiles(
        cls, scores: np.ndarray, labels: Sequence[str] = ("E", "D", "C", "B", "A")
    ) -> RiskGrades:
        """Equal-population grades on the given (training) scores, cut-offs rounded to points."""
        qs = np.linspace(0, 1, len(labels) + 1)[1:-1]
        cut = tuple(float(round(v, 1)) for v in np.quantile(np.asarray(scores, float), qs))
        return cls(cutoffs=cut, labels=tuple(labels))

    def grade(self, score: float) -> str:
        return self.labels[bisect_right(self.cutoffs, score)]

    def grades(self, scores) -> np.ndarray:
        idx = np.searchsorted(np.asarray(self.cutoffs), np.asarray(scores, float), side="right")
        return np.asarray(self.labels, dtype=object)[idx]

    def to_dict(self) -> dict[str, list]:
        return {"cutoffs": list(self.cutoffs), "labels": list(self.labels)}
