"""Compiled LightGBM trees send missing values where LightGBM does, and save what they need."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

from zhudai.trees import TreeEnsemble, from_lightgbm, stack


def _fit(X: np.ndarray, y: np.ndarray) -> lgb.Booster:
    clf = lgb.LGBMClassifier(n_estimators=30, num_leaves=8, max_depth=3, verbose=-1)
    return clf.fit(X, y).booster_


@pytest.fixture(scope="module")
def xy() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(2000, 4))
    y = ((X[:, 0] - X[:, 1] + rng.normal(0, 0.7, 2000)) > 0.5).astype(int)
    return X, y


def _with_nans(X: np.ndarray, share: float, seed: int) -> np.ndarray:
    out = X.copy()
    out[np.random.default_rng(seed).random(X.shape) < share] = np.nan
    return out


def test_nan_seen_in_training_takes_the_default_side(xy):
    X, y = xy
    booster = _fit(_with_nans(X, 0.25, 1), y)  # missing_type NaN at the splits
    kinds = {n.get("missing_type") for n in _splits(booster)}
    assert "NaN" in kinds
    probe = _with_nans(X[:300], 0.4, 2)
    ens = from_lightgbm(booster)
    expected = booster.predict(probe, raw_score=True)
    np.testing.assert_allclose(ens.decision_sum(probe), expected, rtol=1e-12, atol=1e-12)
    assert [ens.decision_one(r) for r in probe] == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_nan_unseen_in_training_reads_as_zero(xy):
    X, y = xy
    booster = _fit(X, y)  # no NaN in training: missing_type None, LightGBM reads NaN as 0
    assert {n.get("missing_type") for n in _splits(booster)} == {"None"}
    probe = _with_nans(X[:300], 0.4, 4)
    zeroed = np.nan_to_num(probe, nan=0.0)
    ens = from_lightgbm(booster)
    np.testing.assert_allclose(
        ens.decision_sum(probe), booster.predict(zeroed, raw_score=True), rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(
        ens.decision_sum(probe), booster.predict(probe, raw_score=True), rtol=1e-12, atol=1e-12
    )


def test_missing_sides_survive_saving_and_stacking(xy):
    X, y = xy
    ens = from_lightgbm(_fit(_with_nans(X, 0.25, 5), y))
    probe = _with_nans(X[:100], 0.4, 6)
    again = TreeEnsemble.from_arrays(ens.to_arrays())
    np.testing.assert_array_equal(again.decision_sum(probe), ens.decision_sum(probe))
    old = {k: v for k, v in ens.to_arrays().items() if k != "nan_left"}  # saved before nan_left
    assert TreeEnsemble.from_arrays(old).nan_left is None
    both = stack(ens, TreeEnsemble.from_arrays(old))
    leaves = both.leaf_values_one(probe[0])
    n = len(ens.roots)
    assert leaves[:n].sum() == pytest.approx(ens.decision_one(probe[0]), rel=1e-12)
    assert leaves[n:].sum() == pytest.approx(TreeEnsemble.from_arrays(old).decision_one(probe[0]))


def _splits(booster: lgb.Booster) -> list[dict]:
    out: list[dict] = []

    def walk(node: dict) -> None:
        if "leaf_value" not in node:
            out.append(node)
            walk(node["left_child"])
            walk(node["right_child"])

    for tree in booster.dump_model()["tree_info"]:
        walk(tree["tree_structure"])
    return out
