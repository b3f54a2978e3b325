"""Sample weights in the scorecard fit: an integer weight is the same as repeating the row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from zhudai.exceptions import InvalidInputError
from zhudai.scorecard import Binner, FeatureSelector, Scorecard, VariableBins
from zhudai.scorecard.regularisation import choose_c, fit_ridge_logit


def _discrete(seed: int, n: int = 3000) -> tuple[pd.DataFrame, np.ndarray]:
    """Few distinct values per column, so quantile pre-bins are the same with or without
    repeated rows and only the counts differ."""
    rng = np.random.default_rng(seed)
    level = rng.integers(0, 10, n).astype(float)
    level[rng.random(n) < 0.05] = np.nan
    cat = rng.choice(["a", "b", "c", "d"], n)
    logit = -2.0 + 0.3 * np.nan_to_num(level, nan=5) + (cat == "d") * 0.8
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"level": level, "cat": cat}), y


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_integer_weights_bin_like_repeated_rows(seed: int) -> None:
    X, y = _discrete(seed)
    w = np.random.default_rng(seed + 10).integers(1, 4, len(y))
    weighted = Binner().fit(X, y, sample_weight=w)
    repeated = Binner().fit(X.loc[X.index.repeat(w)], np.repeat(y, w))
    for col in X.columns:
        a, b = weighted.bins_[col], repeated.bins_[col]
        assert a.splits == b.splits and a.groups == b.groups
        np.testing.assert_allclose(a.count, b.count)
        np.testing.assert_allclose(a.bad, b.bad)
        np.testing.assert_allclose(a.woe, b.woe, rtol=1e-9)
        assert a.iv == pytest.approx(b.iv, rel=1e-9)


def test_fractional_counts_survive_the_artefact() -> None:
    X, y = _discrete(3)
    w = np.full(len(y), 0.25)
    bins = Binner(min_bin_share=0.05).fit(X, y, sample_weight=w).bins_["level"]
    assert bins.count.sum() == pytest.approx(0.25 * len(y))
    again = VariableBins.from_dict(bins.to_dict())
    np.testing.assert_allclose(again.count, bins.count)
    np.testing.assert_allclose(again.woe, bins.woe)
    # scaling every weight by one constant changes no WOE
    np.testing.assert_allclose(
        bins.woe, Binner(min_bin_share=0.05).fit(X, y).bins_["level"].woe, atol=1e-12
    )


def test_weighted_newton_fit_matches_scikit_learn() -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(size=(800, 3))
    y = (rng.random(800) < 1 / (1 + np.exp(-(x[:, 0] - 0.5 * x[:, 1])))).astype(int)
    w = rng.uniform(0.1, 3.0, 800)
    beta = fit_ridge_logit(x, y, C=0.3, sample_weight=w)
    peer = LogisticRegression(C=0.3, tol=1e-10, max_iter=5000).fit(x, y, sample_weight=w)
    np.testing.assert_allclose(beta, [peer.intercept_[0], *peer.coef_[0]], rtol=1e-5, atol=1e-7)


def test_choose_c_with_unit_weights_is_unweighted() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(600, 2))
    y = (rng.random(600) < 1 / (1 + np.exp(-x[:, 0]))).astype(int)
    c, losses = choose_c(x, y)
    cw, losses_w = choose_c(x, y, sample_weight=np.ones(600))
    assert c == cw and losses == pytest.approx(losses_w, rel=1e-12)


def test_scorecard_with_integer_weights_equals_repeated_rows() -> None:
    X, y = _discrete(6)
    w = np.random.default_rng(16).integers(1, 4, len(y))
    weighted = Scorecard(C=1.0).fit(X, y, sample_weight=w)
    repeated = Scorecard(C=1.0).fit(X.loc[X.index.repeat(w)], np.repeat(y, w))
    assert weighted.features_ == repeated.features_
    assert weighted.intercept_ == pytest.approx(repeated.intercept_, rel=1e-4)
    for f in weighted.features_:
        assert weighted.coef_[f] == pytest.approx(repeated.coef_[f], rel=1e-4)


@pytest.mark.parametrize(
    "weights",
    [np.ones(5), -np.ones(3000), np.full(3000, np.nan), np.zeros(3000)],
    ids=["length", "negative", "nan", "all-zero"],
)
def test_bad_weights_name_the_field(weights: np.ndarray) -> None:
    X, y = _discrete(7)
    with pytest.raises(InvalidInputError, match="sample_weight"):
        Scorecard(C=1.0).fit(X, y, sample_weight=weights)


def test_stepwise_refuses_weights() -> None:
    X, y = _discrete(8)
    woe = Binner().fit_transform(X, y)
    selector = FeatureSelector(stepwise="aic")
    with pytest.raises(InvalidInputError, match="sample_weight"):
        selector.fit(
            woe, y, pd.Series({"level": 0.5, "cat": 0.1}), X.isna().mean(), np.ones(len(y))
        )
