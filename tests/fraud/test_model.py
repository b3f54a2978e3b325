"""Compiled tree ensembles equal their libraries; the fraud model fits, scores, saves, loads."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import IsolationForest

from zhudai.exceptions import InvalidInputError, NotFittedError
from zhudai.fraud.model import FraudModel
from zhudai.fraud.signals import MODEL_FEATURES
from zhudai.trees import from_isolation_forest, from_lightgbm


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1500, 6))
    y = ((X[:, 0] + 0.5 * X[:, 1] + rng.normal(0, 0.5, 1500)) > 1.2).astype(int)
    return X, y


def test_compiled_lightgbm_equals_booster(data):
    X, y = data
    clf = lgb.LGBMClassifier(n_estimators=40, num_leaves=8, max_depth=4, verbose=-1).fit(X, y)
    ens = from_lightgbm(clf.booster_)
    expected = clf.booster_.predict(X[:200], raw_score=True)
    assert ens.decision_sum(X[:200]) == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert ens.decision_one(X[7]) == pytest.approx(expected[7], rel=1e-9)


def test_compiled_isolation_forest_equals_sklearn(data):
    X, _ = data
    forest = IsolationForest(n_estimators=30, max_features=0.5, random_state=1).fit(X)
    ens, norm = from_isolation_forest(forest)
    got = -(2.0 ** (-ens.decision_sum(X[:200]) / norm))
    assert got == pytest.approx(forest.score_samples(X[:200]), rel=1e-9)


def _signals(n, seed):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        rng.poisson(1.0, size=(n, len(MODEL_FEATURES))).astype(float), columns=MODEL_FEATURES
    )
    y = ((frame["dev_ids_7d"] + frame["is_emulator"] + rng.normal(0, 0.3, n)) > 3.0).astype(int)
    return frame, y


def test_fraud_model_learns_saves_and_scores_one_row_like_many(tmp_path):
    frame, y = _signals(2000, 0)
    ring = (frame["graph_shared_device"] >= 2).astype(int)
    model = FraudModel(n_estimators=60, anomaly_trees=30).fit(frame, y, ring)
    prob, anomaly, ring_p = model.score(frame)
    assert ((prob > 0.5) == y).mean() > 0.9
    assert ((ring_p > 0.5) == ring).mean() > 0.95
    assert np.all((anomaly > 0) & (anomaly <= 1))
    loaded = FraudModel.load(model.save(tmp_path / "m"))
    one = loaded.score_one(frame.iloc[3].to_numpy())
    assert one == pytest.approx((prob[3], anomaly[3], ring_p[3]), rel=1e-9)
    assert not list(tmp_path.glob("m/*.pkl"))
    holed = frame.iloc[[5]].copy()
    holed.iloc[0, 0] = np.nan  # a missing signal is cleaned the same way live and in batch
    batch = loaded.score(holed)
    assert loaded.score_one(holed.iloc[0].to_numpy()) == pytest.approx(
        (batch[0][0], batch[1][0], batch[2][0]), rel=1e-9
    )


def test_model_without_ring_labels_scores_ring_zero():
    frame, y = _signals(500, 2)
    _, _, ring_p = FraudModel(n_estimators=10, anomaly_trees=10).fit(frame, y).score(frame)
    assert not ring_p.any()


def test_fraud_model_refuses_bad_input():
    frame, y = _signals(200, 1)
    with pytest.raises(NotFittedError):
        FraudModel().score(frame)
    with pytest.raises(InvalidInputError, match="n_estimators"):
        FraudModel(n_estimators=0).fit(frame, y)
    with pytest.raises(InvalidInputError, match="learning_rate"):
        FraudModel(learning_rate="fast").fit(frame, y)
    with pytest.raises(InvalidInputError, match="y"):
        FraudModel().fit(frame, np.zeros(len(frame)))
    with pytest.raises(InvalidInputError, match="ring"):
        FraudModel().fit(frame, y, np.zeros(len(frame)))
    with pytest.raises(InvalidInputError, match="X"):
        FraudModel().fit(frame.drop(columns="dev_ids_7d"), y)


def test_stacked_heads_equal_separate_walks(data):
    from zhudai.trees import stack

    X, y = data
    a = from_lightgbm(
        lgb.LGBMClassifier(n_estimators=10, max_depth=3, verbose=-1).fit(X, y).booster_
    )
    b = from_lightgbm(
        lgb.LGBMClassifier(n_estimators=7, max_depth=5, verbose=-1).fit(X, 1 - y).booster_
    )
    leaves = stack(a, b).leaf_values_one(X[11])
    assert leaves[:10].sum() == pytest.approx(a.decision_one(X[11]))
    assert leaves[10:].sum() == pytest.approx(b.decision_one(X[11]))
