"""One case per invalid option: each fails at ``fit`` with an error naming the option."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from zhudai.exceptions import InvalidInputError, NotFittedError
from zhudai.scorecard import Binner, Calibrator, FeatureSelector, Scaling, Scorecard
from zhudai.scorecard.models import GradientBoostedModel, NeuralModel
from zhudai.scorecard.training import train

X = pd.DataFrame({"x": np.arange(40.0), "c": ["a", "b"] * 20})
Y = np.array([0, 1, 0, 0] * 10)

BINNER_CASES = [
    ("prebinning", "kmeans"),
    ("method", "mdlp"),
    ("max_n_prebins", 1),
    ("max_n_prebins", 2.5),
    ("min_prebin_share", 0.0),
    ("min_bin_share", 0.6),
    ("max_n_bins", 1),
    ("min_bin_bads", -1),
    ("monotonic_trend", "upward"),
    ("monotonic_trend", {"x": "upward"}),
    ("special_codes", ["n/a"]),
    ("user_splits", [1, 2]),
    ("categorical", "c"),
    ("cat_min_share", 0.9),
    ("unseen", "ignore"),
    ("chi2_threshold", 0),
    ("n_jobs", 0),
]


@pytest.mark.parametrize(("name", "value"), BINNER_CASES)
def test_binner_params(name, value):
    with pytest.raises(InvalidInputError, match=name):
        Binner(**{name: value}).fit(X, Y)


SELECTOR_CASES = [
    ("max_missing_rate", 1.5),
    ("min_iv", -0.1),
    ("max_corr", 0.0),
    ("max_vif", 0.5),
    ("max_features", 0),
    ("max_features", "all"),
    ("iv_noise_stat", "auto"),
    ("iv_noise_stat", -1.0),
    ("stepwise", "lasso"),
]


@pytest.mark.parametrize(("name", "value"), SELECTOR_CASES)
def test_selector_params(name, value):
    with pytest.raises(InvalidInputError, match=name):
        FeatureSelector(**{name: value}).fit(
            X[["x"]], Y, pd.Series({"x": 0.5}), pd.Series({"x": 0.0})
        )


SCORECARD_CASES = [
    ("binner", "tree"),
    ("selector", {}),
    ("C", 0),
    ("base_score", "600"),
    ("base_odds", -1),
    ("pdo", 0),
    ("sign_check", "yes"),
    ("grade_cutoffs", [600, 500]),
    ("grade_labels", ["A"]),
]


@pytest.mark.parametrize(("name", "value"), SCORECARD_CASES)
def test_scorecard_params(name, value):
    with pytest.raises(InvalidInputError, match=name):
        Scorecard(**{name: value}).fit(X, Y)


def test_grade_labels_must_match_cutoffs():
    with pytest.raises(InvalidInputError, match="grade_labels"):
        Scorecard(grade_cutoffs=[500.0], grade_labels=["C", "B", "A"]).fit(X, Y)


BOOSTER_CASES = [
    ("engine", "catboost"),
    ("n_estimators", 0),
    ("learning_rate", 0.0),
    ("max_depth", 0),
    ("min_child_share", 0.7),
    ("subsample", 0.0),
    ("colsample", 1.5),
    ("monotone", 1),
    ("binner", "x"),
    ("random_state", -1),
]


@pytest.mark.parametrize(("name", "value"), BOOSTER_CASES)
def test_booster_params(name, value):
    with pytest.raises(InvalidInputError, match=name):
        GradientBoostedModel(**{name: value}).fit(X, Y)


MLP_CASES = [
    ("hidden_layer_sizes", ()),
    ("hidden_layer_sizes", (8, 0)),
    ("alpha", -1.0),
    ("max_iter", 0),
    ("binner", 3),
    ("selector", 3),
    ("random_state", 1.5),
]


@pytest.mark.parametrize(("name", "value"), MLP_CASES)
def test_mlp_params(name, value):
    with pytest.raises(InvalidInputError, match=name):
        NeuralModel(**{name: value}).fit(X, Y)


def test_calibrator_and_scaling_params():
    with pytest.raises(InvalidInputError, match="calibration"):
        Calibrator("beta").fit([0.1, 0.9], [0, 1])
    with pytest.raises(InvalidInputError, match="pdo"):
        Scaling(pdo=0)
    with pytest.raises(InvalidInputError, match="base_odds"):
        Scaling(base_odds=-2)


TRAIN_CASES = [
    ("model", "svm"),
    ("kind", "D"),
    ("calibration", "beta"),
    ("test_size", 1.0),
    ("test_size", 1.2),
    ("test_size", -0.1),
    ("oot_from", "2024-01-01"),  # without time_col
    ("time_col", "nope"),
]


@pytest.mark.parametrize(("name", "value"), TRAIN_CASES)
def test_train_params(name, value):
    frame = X.assign(bad=Y)
    kwargs = {name: value}
    if name == "time_col":
        kwargs["oot_from"] = "2024-01-01"
    with pytest.raises(InvalidInputError, match=name):
        train(frame, "bad", **kwargs)


def test_bad_oot_date_and_empty_oot():
    frame = X.assign(bad=Y, day=pd.date_range("2024-01-01", periods=40).astype(str))
    with pytest.raises(InvalidInputError, match="oot_from"):
        train(frame, "bad", time_col="day", oot_from="not a date")
    with pytest.raises(InvalidInputError, match="oot_from"):
        train(frame, "bad", time_col="day", oot_from="2030-01-01")


def test_unfitted_use_is_refused():
    with pytest.raises(NotFittedError):
        Binner().transform(X)
    with pytest.raises(NotFittedError):
        Scorecard().score(X)
    with pytest.raises(NotFittedError):
        GradientBoostedModel().predict_proba(X)
    with pytest.raises(NotFittedError):
        FeatureSelector().transform(X)


def test_binner_input_checks():
    with pytest.raises(InvalidInputError, match="X"):
        Binner().fit(X.to_numpy(), Y)
    with pytest.raises(InvalidInputError, match="y"):
        Binner().fit(X, Y[:-1])
    with pytest.raises(InvalidInputError, match="user_splits"):
        Binner(user_splits={"nope": [1]}).fit(X, Y)
    with pytest.raises(InvalidInputError, match="target"):
        Binner().fit(X, np.where(Y == 1, np.nan, 0))
