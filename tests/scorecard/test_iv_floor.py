"""The IV floor's noise level chosen by cross-validated gain: weak real drivers kept, noise
columns kept out, nothing fitted when every level selects alike."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tests.support.card_shapes import many_weak_drivers
from zhudai.scorecard import FeatureSelector, Scorecard
from zhudai.scorecard import metrics as zm
from zhudai.scorecard.iv_floor import NOISE_STAT_GRID


def test_weak_real_drivers_are_kept_when_they_pay_on_held_out_rows():
    X, y = many_weak_drivers(20_000, seed=0)
    X_test, y_test = many_weak_drivers(50_000, seed=100)
    fixed = Scorecard(selector=FeatureSelector(iv_noise_stat=30.0)).fit(X, y)
    chosen = Scorecard().fit(X, y)
    assert chosen.selector_.iv_noise_stat < 30 and set(chosen.noise_stat_cv_) == set(
        NOISE_STAT_GRID
    )
    losses = chosen.noise_stat_cv_
    assert losses[chosen.selector_.iv_noise_stat] == min(losses.values())
    real = [f for f in chosen.features_ if f.startswith("d")]
    assert len(real) > len(fixed.features_) + 10  # 15 real drivers at the fixed level 30

    def auc(card: Scorecard) -> float:
        return zm.auc(y_test, card.predict_proba(X_test)[:, 1])

    assert auc(chosen) - auc(fixed) > 0.01  # +0.016, +0.020, +0.015 on seeds 0-2 (hand runs)


@pytest.mark.parametrize("seed", [0, 1])
def test_noise_columns_do_not_pass_because_bins_are_refitted_per_fold(seed):
    rng = np.random.default_rng(seed)
    n = 20_000
    names = ["driver", *(f"noise{i}" for i in range(20))]
    X = pd.DataFrame(rng.normal(size=(n, len(names))).round(3), columns=names)
    y = (rng.random(n) < 1 / (1 + np.exp(1.8 - 0.8 * X["driver"].to_numpy()))).astype(int)
    card = Scorecard().fit(X, y)
    assert card.features_ == ["driver"] and card.selector_.iv_noise_stat == 30.0
    losses = [card.noise_stat_cv_[s] for s in sorted(NOISE_STAT_GRID, reverse=True)]
    assert losses[-1] > losses[0]  # the loosest level admits noise and loses on held-out rows


def test_small_table_fits_no_fold_and_records_the_floor(german_card):
    assert german_card.noise_stat_cv_ == {} and german_card.selector_.iv_noise_stat == 30.0
    meta = german_card.metadata()
    assert meta["selection"]["min_iv"] == pytest.approx(0.02)
    assert meta["selection"]["iv_noise_stat_cv_log_loss"] == {}
    json.dumps(meta)  # a plain JSON artefact
