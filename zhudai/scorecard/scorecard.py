"""The WOE logistic-regression scorecard (A-, B- or C-card) in points.

``Scorecard.fit`` bins every candidate (:class:`Binner`), selects features
(:class:`FeatureSelector`), fits a logistic regression of *bad* on the WOE values and turns it
into points. With ``WOE = ln(good share / bad share)`` a sound card has every coefficient
negative (more WOE, less risk); with ``sign_check=True`` the feature with the most positive
coefficient is dropped and the model refitted until all are negative (reason recorded).

Points of bin ``j`` of feature ``i`` are ``-factor * beta_i * woe_ij`` and the base points are
``offset - factor * intercept``, so ``score = offset + factor * ln(odds_good)`` exactly.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from zhudai.exceptions import InvalidInputError, NotFittedError
from zhudai.scorecard._params import Param, check_params, is_float
from zhudai.scorecard.binning import Binner
from zhudai.scorecard.iv_floor import choose_noise_stat
from zhudai.scorecard.metrics import check_target
from zhudai.scorecard.points import RiskGrades, Scaling
from zhudai.scorecard.regularisation import choose_c
from zhudai.scorecard.runtime import ScorecardModel
from zhudai.scorecard.selection import FeatureSelector
from zhudai.scorecard.weights import check_sample_weight

FORMAT_VERSION = 1


class Scorecard:
    """WOE + logistic regression scorecard scaled to points.

    Parameters
    ----------
    binner : an unfitted :class:`Binner` (default settings if ``None``).
    selector : an unfitted :class:`FeatureSelector` (default settings if ``None``). With its
        default ``min_iv="auto"`` and ``iv_noise_stat="cv"`` the IV floor's noise level is
        chosen by cross-validated gain on the training rows
        (:func:`~zhudai.scorecard.iv_floor.choose_noise_stat`; losses in ``noise_stat_cv_``).
    C : inverse L2 strength of the logistic regression, or ``"cv"`` (default): chosen from
        :data:`~zhudai.scorecard.regularisation.C_GRID` by 5-fold stratified
        cross-validation (held-out log-loss) on the training rows and selected features,
        before the sign check; the choice is ``C_`` (losses per ``C`` in ``cv_losses_``).
    base_score, base_odds, pdo : points scaling (see :class:`Scaling`).
    sign_check : drop features whose coefficient has the wrong (positive) sign.
    grade_cutoffs : score cut-offs of the risk grades; ``None`` = training-score quintiles.
    grade_labels : grade names from riskiest to safest (one more than the cut-offs).

    Examples
    --------
    >>> from zhudai.datasets import load_german_credit
    >>> df = load_german_credit()
    >>> card = Scorecard().fit(df.drop(columns="bad"), df["bad"])
    >>> model = card.model_
    >>> row = df.drop(columns="bad").iloc[0].to_dict()
    >>> bool(abs(model.score_one(row) - card.score(df.iloc[[0]])[0]) < 1e-9)
    True
    """

    _PARAMS = (
        Param("binner", lambda v: v is None or isinstance(v, Binner), "None or a Binner"),
        Param(
            "selector",
            lambda v: v is None or isinstance(v, FeatureSelector),
            "None or a FeatureSelector",
        ),
        Param(
            "C", lambda v: v == "cv" or is_float(0, low_open=True)(v), "'cv' or a positive float"
        ),
        Param("base_score", is_float(), "a number"),
        Param("base_odds", is_float(0, low_open=True), "a positive number"),
        Param("pdo", is_float(0, low_open=True), "a positive number"),
        Param("sign_check", lambda v: isinstance(v, bool), "True or False"),
        Param(
            "grade_cutoffs",
            lambda v: v is None or (isinstance(v, Sequence) and list(v) == sorted(v)),
            "None or an increasing sequence of scores",
        ),
        Param(
            "grade_labels",
            lambda v: isinstance(v, Sequence) and len(v) >= 2,
            "a sequence of >= 2 labels",
        ),
    )

    def __init__(
        self,
        binner: Binner | None = None,
        selector: FeatureSelector | None = None,
        C: float | str = "cv",
        base_score: float = 600.0,
        base_odds: float = 50.0,
        pdo: float = 20.0,
        sign_check: bool = True,
        grade_cutoffs: Sequence[float] | None = None,
        grade_labels: Sequence[str] = ("E", "D", "C", "B", "A"),
    ) -> None:
        self.binner = binner
        self.selector = selector
        self.C = C
        self.base_score = base_score
        self.base_odds = base_odds
        self.pdo = pdo
        self.sign_check = sign_check
        self.grade_cutoffs = grade_cutoffs
        self.grade_labels = grade_labels

    def fit(self, X: pd.DataFrame, y, sample_weight=None) -> Scorecard:
        """Bin, select, regress and scale; the fitted card is ``model_`` (a ScorecardModel).

        ``sample_weight`` (one non-negative weight per row) weighs the bins' counts, the IV
        floor, the choice of ``C`` and the regression; risk grades stay row quantiles.
        """
        check_params(self, self._PARAMS)
        if self.grade_cutoffs is not None and len(self.grade_labels) != len(self.grade_cutoffs) + 1:
            raise InvalidInputError(
                "grade_labels", "need exactly one more label than grade_cutoffs"
            )
        yy = check_target(y)
        w = check_sample_weight(sample_weight, len(yy))
        self.binner_ = copy.deepcopy(self.binner) if self.binner is not None else Binner()
        self.binner_.fit(X, yy, sample_weight=w)
        woe = self.binner_.transform(X)
        self.selector_ = (
            copy.deepcopy(self.selector) if self.selector is not None else FeatureSelector()
        )
        self.noise_stat_cv_: dict[float, float] = {}
        if self.selector_.min_iv == "auto" and self.selector_.iv_noise_stat == "cv":
            # the noise level's cross-validation counts rows, not weights
            check_params(self.selector_, FeatureSelector._PARAMS)
            stat, self.noise_stat_cv_ = choose_noise_stat(X, yy, self.binner_, self.selector_)
            self.selector_.iv_noise_stat = stat
        self.selector_.fit(woe, yy, self.binner_.iv_, X.isna().mean(), sample_weight=w)
        self.dropped_ = dict(self.selector_.dropped_)
        features = list(self.selector_.selected_)
        if self.C == "cv":
            self.C_, self.cv_losses_ = choose_c(woe[features].to_numpy(), yy, sample_weight=w)
        else:
            self.C_, self.cv_losses_ = float(self.C), {}
        while True:
            lr = LogisticRegression(C=self.C_, max_iter=2000).fit(
                woe[features].to_numpy(), yy, sample_weight=w
            )
            coef = lr.coef_[0]
            if not self.sign_check or coef.max() <= 0:
                break
            worst = int(np.argmax(coef))
            self.dropped_[features[worst]] = (
                f"coefficient sign: {coef[worst]:+.4f} on WOE (must be < 0)"
            )
            features.pop(worst)
            if not features:
                raise InvalidInputError("features", "every feature had a wrong-signed coefficient")
        self.features_ = features
        self.coef_ = dict(zip(features, coef.tolist(), strict=True))
        self.intercept_ = float(lr.intercept_[0])
        self.scaling_ = Scaling(float(self.base_score), float(self.base_odds), float(self.pdo))
        self.model_ = ScorecardModel(self._meta(grades=None))
        scores = self.model_.score(X)
        grades = (
            RiskGrades(tuple(float(c) for c in self.grade_cutoffs), tuple(self.grade_labels))
            if self.grade_cutoffs is not None
            else RiskGrades.from_quantiles(scores, self.grade_labels)
        )
        self.grades_ = grades
        self.model_ = ScorecardModel(self._meta(grades=grades))
        return self

    def _meta(self, grades: RiskGrades | None, **extra: Any) -> dict[str, Any]:
        factor = self.scaling_.factor
        bins = {}
        for f in self.features_:
            d = self.binner_.bins_[f].to_dict()
            d["points"] = (-factor * self.coef_[f] * self.binner_.bins_[f].woe).tolist()
            bins[f] = d
        return {
            "format_version": FORMAT_VERSION,
            "model_type": "scorecard",
            "name": extra.get("name", "scorecard"),
            "version": extra.get("version", "0"),
            "kind": extra.get("kind", "A"),
            "features": list(self.features_),
            "bins": bins,
            "intercept": self.intercept_,
            "coefficients": self.coef_,
            "scaling": self.scaling_.to_dict(),
            "base_points": self.scaling_.offset - factor * self.intercept_,
            "grades": grades.to_dict() if grades is not None else None,
            "calibration": None,
            "regularisation": {
                "C": self.C_,
                "cv_log_loss": {f"{c:g}": v for c, v in self.cv_losses_.items()},
            },
            "selection": {
                "iv": {k: float(v) for k, v in self.binner_.iv_.items()},
                "dropped": self.dropped_,
                "min_iv": self.selector_.min_iv_,
                "iv_noise_stat_cv_log_loss": {
                    f"{s:g}": (v if np.isfinite(v) else None)
                    for s, v in self.noise_stat_cv_.items()
                },
            },
        }

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise NotFittedError("Scorecard is not fitted yet; call fit(X, y) first")

    def metadata(self, **identity: Any) -> dict[str, Any]:
        """The artefact metadata with ``name``, ``version`` and ``kind`` filled in."""
        self._check_fitted()
        return self._meta(self.grades_, **identity)

    def score(self, X: pd.DataFrame) -> np.ndarray:
        """Points of every row (higher = safer)."""
        self._check_fitted()
        return self.model_.score(X)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """``[P(good), P(bad)]`` per row, as scikit-learn classifiers return."""
        self._check_fitted()
        p = self.model_.predict_pd(X)
        return np.column_stack([1 - p, p])

    def table(self) -> pd.DataFrame:
        """The scorecard table (feature, bin, counts, bad rate, WOE, IV, points)."""
        self._check_fitted()
        return self.model_.table()
