"""Reject inference: an A-card for everyone who applies, from the outcomes of the accepted.

A portfolio only shows how *approved* applicants repaid; a card fitted on them alone (the
known-good/bad card, KGB) learns risk on the accepted part of the population and is then used
on everyone who walks through the door. Each estimator here takes the through-the-door table
with the outcome ``y`` (1 = bad, 0 = good) known for the accepts and **missing** for the
rejects, and fits a :class:`~zhudai.scorecard.Scorecard` that also accounts for the rejects:

- :class:`Parcelling`: score the rejects with the KGB card, cut the accepts' scores into
  equal-frequency bands, give each reject its band's known bad rate times ``factor`` and draw
  its outcome from that rate; refit on accepts and rejects.
- :class:`FuzzyAugmentation`: every reject enters twice, as bad with weight
  ``reject_weight * p`` and as good with weight ``reject_weight * (1 - p)``, ``p`` its KGB PD.
- :class:`Reweighting`: fit the probability of approval on everyone, then refit on the
  accepts weighted by ``1 / P(approved | x)``, so they stand for the whole population.

How well each one ranks the whole population is measured against the simulated world's true
PD by :mod:`zhudai.scorecard.reject_evaluation`; ``DEFAULT_METHOD`` is the best one there.
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from typing import Self

import numpy as np
import pandas as pd

from zhudai.exceptions import InvalidInputError, NotFittedError
from zhudai.scorecard._params import Param, check_params, is_float, is_int
from zhudai.scorecard.runtime import ScorecardModel
from zhudai.scorecard.scorecard import Scorecard

#: The method ``zhudai card reject-inference`` reports as the default: the best through-the-door
#: AUC against the true PD, averaged over the development worlds (docs/scorecard.md).
DEFAULT_METHOD = "fuzzy"


def split_outcomes(X: pd.DataFrame, y) -> tuple[np.ndarray, np.ndarray]:
    """``(accepted, y_accepted)``: the rows with a known outcome, and that outcome (0/1).

    A missing ``y`` marks a reject; a known one must be 0 or 1, and both the accepts (with
    goods and bads) and the rejects must be present.
    """
    if not isinstance(X, pd.DataFrame):
        raise InvalidInputError("X", f"must be a pandas DataFrame; got {type(X).__name__}")
    values = pd.to_numeric(pd.Series(y).reset_index(drop=True), errors="coerce")
    raw = pd.Series(y).reset_index(drop=True)
    if len(values) != len(X):
        raise InvalidInputError("y", f"has {len(values)} rows; X has {len(X)}")
    if (values.isna() & raw.notna()).any():
        raise InvalidInputError("y", "must be 0 (good), 1 (bad) or missing (a reject)")
    accepted = values.notna().to_numpy()
    known = values[accepted].to_numpy()
    if not np.isin(known, (0, 1)).all():
        raise InvalidInputError("y", "must be 0 (good), 1 (bad) or missing (a reject)")
    if accepted.all():
        raise InvalidInputError("y", "has no rejects (missing outcomes): nothing to infer")
    if len(np.unique(known)) < 2:
        raise InvalidInputError("y", "needs goods and bads among the accepts")
    return accepted, known.astype(np.int8)


def parcel_bad_rates(
    accept_score: np.ndarray,
    accept_bad: np.ndarray,
    reject_score: np.ndarray,
    n_bands: int,
    factor: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(reject_band, known_rate, assigned_rate)`` of parcelling.

    Bands are ``n_bands`` equal-frequency bands of the accepts' scores, closed on the right
    as ``pandas.qcut`` cuts them (rejects beyond either end fall in the end band);
    ``known_rate[b]`` is the accepts' bad rate in band ``b`` and
    ``assigned_rate[b] = min(1, factor * known_rate[b])`` the rate given to its rejects.

    Examples
    --------
    >>> band, known, assigned = parcel_bad_rates(
    ...     np.array([1.0, 2, 3, 4]), np.array([1, 0, 0, 0]), np.array([0.5, 3.5]), 2, 1.5
    ... )
    >>> band.tolist(), known.tolist(), assigned.tolist()
    ([0, 1], [0.5, 0.0], [0.75, 0.0])
    """
    edges = np.unique(np.quantile(accept_score, np.linspace(0, 1, n_bands + 1)[1:-1]))
    accept_band = np.searchsorted(edges, accept_score, side="left")
    bands = len(edges) + 1
    count = np.bincount(accept_band, minlength=bands)
    bads = np.bincount(accept_band, weights=accept_bad, minlength=bands)
    known = np.divide(bads, count, out=np.zeros(bands), where=count > 0)
    return (
        np.searchsorted(edges, reject_score, side="right"),
        known,
        np.minimum(1.0, factor * known),
    )


def fuzzy_rows(reject_pd: np.ndarray, reject_weight: float) -> tuple[np.ndarray, np.ndarray]:
    """``(y, weight)`` of the rejects entered twice: first all as bad (weight ``w * p``), then
    all as good (weight ``w * (1 - p)``), so each reject's two rows weigh ``w`` in all.

    Examples
    --------
    >>> y, w = fuzzy_rows(np.array([0.2, 0.5]), 2.0)
    >>> y.tolist(), w.tolist()
    ([1, 1, 0, 0], [0.4, 1.0, 1.6, 1.0])
    """
    p = np.asarray(reject_pd, dtype=float)
    y = np.r_[np.ones(len(p), np.int8), np.zeros(len(p), np.int8)]
    return y, reject_weight * np.r_[p, 1.0 - p]


def approval_weights(approval_probability: np.ndarray, min_probability: float) -> np.ndarray:
    """``1 / P(approved | x)`` per accept, the probability floored at ``min_probability`` so a
    few accepts the policy almost never takes cannot carry the whole fit.

    Examples
    --------
    >>> approval_weights(np.array([0.5, 0.8, 0.001]), 0.01).tolist()
    [2.0, 1.25, 100.0]
    """
    return 1.0 / np.maximum(np.asarray(approval_probability, dtype=float), min_probability)


Augmented = tuple[pd.DataFrame, np.ndarray, np.ndarray | None]

_SCORECARD = Param(
    "scorecard", lambda v: v is None or isinstance(v, Scorecard), "None or a Scorecard"
)


class _RejectInference(ABC):
    """Shared shape: fit on accepts and rejects, then score like the card it fitted."""

    _PARAMS: tuple[Param, ...] = ()
    scorecard: Scorecard | None

    def _card(self) -> Scorecard:
        return copy.deepcopy(self.scorecard) if self.scorecard is not None else Scorecard()

    @abstractmethod
    def _augment(self, X: pd.DataFrame, accepted: np.ndarray, y_accepted: np.ndarray) -> Augmented:
        """The rows, targets and weights (``None``: all one) the final card is fitted on."""

    def fit(self, X: pd.DataFrame, y) -> Self:
        """Fit on the through-the-door table ``X``; ``y`` is missing for the rejects."""
        check_params(self, self._PARAMS)
        accepted, y_accepted = split_outcomes(X, y)
        X_fit, y_fit, weight = self._augment(X, accepted, y_accepted)
        self.scorecard_ = self._card().fit(X_fit, y_fit, sample_weight=weight)
        self.model_: ScorecardModel = self.scorecard_.model_
        self.target_, self.sample_weight_ = y_fit, weight
        return self

    def _known_good_bad(self, X: pd.DataFrame, accepted: np.ndarray, y: np.ndarray) -> Scorecard:
        self.known_good_bad_ = self._card().fit(X[accepted], y)
        return self.known_good_bad_

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet; call fit(X, y) first")

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """``[P(good), P(bad)]`` per row, as scikit-learn classifiers return."""
        self._check_fitted()
        return self.scorecard_.predict_proba(X)

    def score(self, X: pd.DataFrame) -> np.ndarray:
        """Points of every row (higher = safer)."""
        self._check_fitted()
        return self.scorecard_.score(X)


class Parcelling(_RejectInference):
    """Rejects get their KGB score band's known bad rate times ``factor`` and a drawn outcome.

    Parameters
    ----------
    scorecard : an unfitted :class:`Scorecard` for the KGB and the final card (default settings
        if ``None``).
    factor : how much worse a reject is than an accept of the same score (rejects were turned
        down for reasons the score may not see); ``1`` trusts the KGB card fully. The default
        3 was the best of 1, 1.5 and 3 on development worlds 1 and 2 (docs/scorecard.md).
    n_bands : equal-frequency score bands of the accepts.
    random_state : seed of the drawn outcomes.

    Fitted: ``known_good_bad_``, ``reject_band_``, ``band_bad_rate_`` (the accepts'),
    ``assigned_bad_rate_``, ``scorecard_``, ``model_``.
    """

    _PARAMS = (
        _SCORECARD,
        Param("factor", is_float(0, low_open=True), "a positive number"),
        Param("n_bands", is_int(2, 1000), "an integer in [2, 1000]"),
        Param("random_state", is_int(0), "a non-negative integer"),
    )

    def __init__(
        self,
        scorecard: Scorecard | None = None,
        factor: float = 3.0,
        n_bands: int = 10,
        random_state: int = 0,
    ) -> None:
        self.scorecard = scorecard
        self.factor = factor
        self.n_bands = n_bands
        self.random_state = random_state

    def _augment(self, X: pd.DataFrame, accepted: np.ndarray, y_accepted: np.ndarray) -> Augmented:
        kgb = self._known_good_bad(X, accepted, y_accepted)
        rejects = X[~accepted]
        self.reject_band_, self.band_bad_rate_, self.assigned_bad_rate_ = parcel_bad_rates(
            kgb.score(X[accepted]), y_accepted, kgb.score(rejects), self.n_bands, self.factor
        )
        rng = np.random.default_rng(self.random_state)
        drawn = rng.random(len(rejects)) < self.assigned_bad_rate_[self.reject_band_]
        y = np.r_[y_accepted, drawn.astype(np.int8)]
        return pd.concat([X[accepted], rejects], ignore_index=True), y, None


class FuzzyAugmentation(_RejectInference):
    """Every reject enters as a bad (weight ``reject_weight * p``) and a good (``* (1 - p)``).

    Parameters
    ----------
    scorecard : an unfitted :class:`Scorecard` for the KGB and the final card.
    reject_weight : total weight of one reject relative to one accept (0.5 beat 1 and 2 on
        development worlds 1 and 2).

    Fitted: ``known_good_bad_``, ``reject_pd_`` (the KGB PD of each reject), ``scorecard_``,
    ``model_``, ``target_`` and ``sample_weight_`` (the rows the final card was fitted on:
    the accepts, then the rejects as bads, then as goods).
    """

    _PARAMS = (
        _SCORECARD,
        Param("reject_weight", is_float(0, low_open=True), "a positive number"),
    )

    def __init__(self, scorecard: Scorecard | None = None, reject_weight: float = 0.5) -> None:
        self.scorecard = scorecard
        self.reject_weight = reject_weight

    def _augment(self, X: pd.DataFrame, accepted: np.ndarray, y_accepted: np.ndarray) -> Augmented:
        kgb = self._known_good_bad(X, accepted, y_accepted)
        rejects = X[~accepted]
        self.reject_pd_ = kgb.predict_proba(rejects)[:, 1]
        y_rej, w_rej = fuzzy_rows(self.reject_pd_, float(self.reject_weight))
        y = np.r_[y_accepted, y_rej]
        weight = np.r_[np.ones(len(y_accepted)), w_rej]
        return pd.concat([X[accepted], rejects, rejects], ignore_index=True), y, weight


class Reweighting(_RejectInference):
    """Accepts weighted by ``1 / P(approved | x)``, fitted on every applicant.

    Parameters
    ----------
    scorecard : an unfitted :class:`Scorecard` for the final card.
    propensity : an unfitted :class:`Scorecard` for the approval model (its target is
        "rejected", so ``P(approved) = 1 - PD``); default settings if ``None``.
    min_probability : floor of ``P(approved)`` before inverting it, so no accept weighs more
        than ``1 / min_probability``. Untrimmed weights (floor 0.02) ranked worse than the KGB
        card on development worlds 1 and 2; 0.3 was the best of 0.02, 0.1 and 0.3.

    Fitted: ``propensity_``, ``approval_probability_`` (of each accept), ``scorecard_``,
    ``model_``, ``sample_weight_`` (``1 / max(P(approved), min_probability)`` per accept).
    """

    _PARAMS = (
        _SCORECARD,
        Param("propensity", lambda v: v is None or isinstance(v, Scorecard), "None or a Scorecard"),
        Param("min_probability", is_float(0, 1, low_open=True), "a float in (0, 1]"),
    )

    def __init__(
        self,
        scorecard: Scorecard | None = None,
        propensity: Scorecard | None = None,
        min_probability: float = 0.3,
    ) -> None:
        self.scorecard = scorecard
        self.propensity = propensity
        self.min_probability = min_probability

    def _augment(self, X: pd.DataFrame, accepted: np.ndarray, y_accepted: np.ndarray) -> Augmented:
        model = copy.deepcopy(self.propensity) if self.propensity is not None else Scorecard()
        self.propensity_ = model.fit(X, (~accepted).astype(np.int8))
        self.approval_probability_ = self.propensity_.predict_proba(X[accepted])[:, 0]
        weight = approval_weights(self.approval_probability_, float(self.min_probability))
        return X[accepted], y_accepted, weight


METHODS: dict[str, type[_RejectInference]] = {
    "parcelling": Parcelling,
    "fuzzy": FuzzyAugmentation,
    "reweighting": Reweighting,
}
