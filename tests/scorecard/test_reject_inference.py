"""Reject inference mechanics on small tables: parcelling, fuzzy augmentation, reweighting."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhudai.exceptions import InvalidInputError, NotFittedError
from zhudai.scorecard.reject_inference import (
    DEFAULT_METHOD,
    METHODS,
    FuzzyAugmentation,
    Parcelling,
    Reweighting,
    approval_weights,
    fuzzy_rows,
    parcel_bad_rates,
    split_outcomes,
)


@pytest.fixture(scope="module")
def through_door(synthetic) -> tuple[pd.DataFrame, pd.Series]:
    """The synthetic table with a historical policy: high ``rise`` (plus noise) is rejected,
    and a reject's outcome is missing."""
    X, y = synthetic
    rng = np.random.default_rng(7)
    policy = np.nan_to_num(X["rise"].to_numpy(), nan=0.0) + rng.normal(0, 0.7, len(X))
    rejected = policy > 0.6
    outcome = pd.Series(y, dtype=float).mask(rejected)
    return X, outcome


@given(
    st.lists(st.floats(0, 1), min_size=1, max_size=50),
    st.floats(0.01, 10, allow_nan=False),
)
def test_fuzzy_rows_split_each_reject_weight_into_bad_and_good(pds: list[float], w: float) -> None:
    p = np.array(pds)
    y, weight = fuzzy_rows(p, w)
    n = len(p)
    assert y.tolist() == [1] * n + [0] * n
    np.testing.assert_allclose(weight[:n], w * p)
    np.testing.assert_allclose(weight[:n] + weight[n:], w)


def test_parcel_rates_by_hand() -> None:
    # accepts' scores 1..8 in two equal bands: [1-4] with 2 bads of 4, [5-8] with 1 of 4
    score = np.arange(1.0, 9.0)
    bad = np.array([1, 1, 0, 0, 0, 1, 0, 0])
    band, known, assigned = parcel_bad_rates(score, bad, np.array([0.0, 4.0, 4.6, 99.0]), 2, 3.0)
    assert band.tolist() == [0, 0, 1, 1]
    assert known.tolist() == [0.5, 0.25]
    assert assigned.tolist() == [1.0, 0.75]  # 3 x 0.5 capped at 1


def test_approval_weights_invert_the_floored_probability() -> None:
    np.testing.assert_allclose(approval_weights(np.array([0.25, 1.0, 0.0]), 0.05), [4, 1, 20])


def test_fuzzy_fits_each_reject_twice_with_its_kgb_pd(through_door) -> None:
    X, y = through_door
    accepted = y.notna().to_numpy()
    model = FuzzyAugmentation(reject_weight=0.5).fit(X, y)
    n_acc, n_rej = accepted.sum(), (~accepted).sum()
    assert len(model.target_) == len(model.sample_weight_) == n_acc + 2 * n_rej
    np.testing.assert_array_equal(model.target_[:n_acc], y[accepted].astype(int))
    np.testing.assert_array_equal(model.sample_weight_[:n_acc], 1.0)
    kgb_pd = model.known_good_bad_.predict_proba(X[~accepted])[:, 1]
    np.testing.assert_allclose(model.reject_pd_, kgb_pd)
    bad_w, good_w = (
        model.sample_weight_[n_acc : n_acc + n_rej],
        model.sample_weight_[n_acc + n_rej :],
    )
    np.testing.assert_allclose(bad_w, 0.5 * kgb_pd)
    np.testing.assert_allclose(bad_w + good_w, 0.5)
    assert model.predict_proba(X).shape == (len(X), 2)


def test_parcelling_gives_each_band_its_known_rate_times_the_factor(through_door) -> None:
    X, y = through_door
    accepted = y.notna().to_numpy()
    model = Parcelling(factor=1.5, n_bands=5, random_state=3).fit(X, y)
    kgb_score = model.known_good_bad_.score(X[accepted])
    bands = pd.qcut(kgb_score, 5, labels=False, duplicates="drop")
    known = pd.Series(y[accepted].to_numpy()).groupby(bands).mean().to_numpy()
    np.testing.assert_allclose(model.band_bad_rate_, known)
    np.testing.assert_allclose(model.assigned_bad_rate_, np.minimum(1, 1.5 * known))
    # the drawn outcomes follow the assigned rates (binomial, 4 standard deviations)
    drawn = model.target_[accepted.sum() :]
    rate = model.assigned_bad_rate_[model.reject_band_]
    assert abs(drawn.sum() - rate.sum()) < 4 * np.sqrt((rate * (1 - rate)).sum())
    assert model.sample_weight_ is None
    # the same seed draws the same outcomes
    again = Parcelling(factor=1.5, n_bands=5, random_state=3).fit(X, y)
    np.testing.assert_array_equal(again.target_, model.target_)


def test_reweighting_weighs_accepts_by_inverse_approval_probability(through_door) -> None:
    X, y = through_door
    accepted = y.notna().to_numpy()
    model = Reweighting(min_probability=0.001).fit(X, y)
    p_approve = model.propensity_.predict_proba(X[accepted])[:, 0]
    assert p_approve.min() > 0.001  # the floor is not in play here
    np.testing.assert_allclose(model.sample_weight_, 1 / p_approve)
    np.testing.assert_array_equal(model.target_, y[accepted].astype(int))
    # the approval model learnt the policy: rejects look less approvable than accepts
    p_reject_side = model.propensity_.predict_proba(X[~accepted])[:, 0]
    assert p_reject_side.mean() < p_approve.mean() - 0.2


def test_missing_outcomes_are_rejects_and_zero_is_a_good() -> None:
    X = pd.DataFrame({"x": [1.0, 2, 3, 4, 5]})
    accepted, known = split_outcomes(X, [0, 1, None, np.nan, 0])
    assert accepted.tolist() == [True, True, False, False, True]
    assert known.tolist() == [0, 1, 0]
    nullable = pd.Series([0, 1, None, 1, 0], dtype="Int8")
    assert split_outcomes(X, nullable)[0].tolist() == [True, True, False, True, True]


@pytest.mark.parametrize(
    ("y", "words"),
    [
        ([0, 1, 2, None, 0], "0 \\(good\\), 1 \\(bad\\) or missing"),
        ([0, 1, "x", None, 0], "0 \\(good\\), 1 \\(bad\\) or missing"),
        ([0, 1, 0, 1, 0], "no rejects"),
        ([0, 0, None, None, 0], "goods and bads"),
        ([0, 1, None], "has 3 rows"),
    ],
)
def test_bad_outcomes_name_y(y, words: str) -> None:
    with pytest.raises(InvalidInputError, match=f"y: .*{words}"):
        split_outcomes(pd.DataFrame({"x": range(5)}), y)


@pytest.mark.parametrize(
    ("estimator", "field"),
    [
        (Parcelling(factor=0), "factor"),
        (Parcelling(n_bands=1), "n_bands"),
        (Parcelling(random_state=-1), "random_state"),
        (Parcelling(scorecard="card"), "scorecard"),  # type: ignore[arg-type]
        (FuzzyAugmentation(reject_weight=0), "reject_weight"),
        (Reweighting(min_probability=0), "min_probability"),
        (Reweighting(propensity=1), "propensity"),  # type: ignore[arg-type]
    ],
)
def test_params(estimator, field: str, through_door) -> None:
    X, y = through_door
    with pytest.raises(InvalidInputError, match=f"^{field}: must be"):
        estimator.fit(X, y)


@pytest.mark.parametrize("name", sorted(METHODS))
def test_unfitted_methods_refuse_to_score(name: str) -> None:
    with pytest.raises(NotFittedError):
        METHODS[name]().predict_proba(pd.DataFrame({"x": [1.0]}))


def test_the_default_is_one_of_the_methods() -> None:
    assert DEFAULT_METHOD in METHODS
