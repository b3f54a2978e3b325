"""How likely each bank is to approve an applicant the facilitator pushes, learned from the
bank's own past decisions (``POST /v1/funder-decisions`` answers, or a simulated history).

Banks approve on their own models; to the facilitator that shows as acceptance falling with
its own PD. One logistic curve per bank on ``logit(pd)``; a bank with too little history
(or only one kind of answer) gets its smoothed acceptance rate for everyone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression

from zhudai.exceptions import InvalidInputError, NotFittedError

#: Acceptance assumed for a bank with no decision on record yet.
PRIOR_ACCEPTANCE = 0.8
#: Decisions a bank needs (of each kind) before its curve is fitted.
MIN_DECISIONS = 20
_EPS = 1e-4


@dataclass(frozen=True)
class FunderDecision:
    """One past push: the bank, the facilitator's PD at the time, and the bank's answer."""

    funder: str
    pd: float
    accepted: bool


def _logit(pd: np.ndarray) -> np.ndarray:
    p = np.clip(pd, _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


class AcceptanceModel:
    """Per-bank acceptance probability as a function of the facilitator's PD.

    Examples
    --------
    >>> m = AcceptanceModel().fit([FunderDecision("b", 0.02, True)] * 3)
    >>> round(m.predict("b", 0.5), 2), m.predict("unseen", 0.1)
    (0.92, 0.8)
    """

    def fit(self, decisions: Iterable[FunderDecision]) -> AcceptanceModel:
        by_funder: dict[str, list[FunderDecision]] = {}
        for d in decisions:
            if not 0 <= d.pd <= 1:
                raise InvalidInputError("pd", f"must be in [0, 1]; got {d.pd}")
            by_funder.setdefault(d.funder, []).append(d)
        self.curves_: dict[str, tuple[float, float]] = {}
        self.rates_: dict[str, float] = {}
        for funder, rows in by_funder.items():
            y = np.array([r.accepted for r in rows], dtype=np.int64)
            self.rates_[funder] = float((y.sum() + PRIOR_ACCEPTANCE * 2) / (len(y) + 2))
            if min(y.sum(), len(y) - y.sum()) >= MIN_DECISIONS:
                x = _logit(np.array([r.pd for r in rows]))[:, None]
                lr = LogisticRegression(C=1e6).fit(x, y)
                self.curves_[funder] = (float(lr.intercept_[0]), float(lr.coef_[0, 0]))
        return self

    def predict(self, funder: str, pd: float) -> float:
        """P(bank ``funder`` approves | facilitator's PD ``pd``)."""
        if not hasattr(self, "rates_"):
            raise NotFittedError(
                "AcceptanceModel is not fitted; call fit (with no decision for priors)"
            )
        if funder in self.curves_:
            a, b = self.curves_[funder]
            z = a + b * float(_logit(np.array([pd]))[0])
            return float(1.0 / (1.0 + np.exp(-z)))
        return self.rates_.get(funder, PRIOR_ACCEPTANCE)
