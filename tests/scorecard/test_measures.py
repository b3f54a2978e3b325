"""WOE/IV, KS, AUC, PSI, lift and points scaling against hand-computed small cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from zhudai.exceptions import InvalidInputError
from zhudai.scorecard import RiskGrades, Scaling
from zhudai.scorecard import metrics as m
from zhudai.scorecard.woe import woe_iv


def test_woe_iv_hand_case():
    # goods 60/40 of 100, bads 10/30 of 40
    woe, iv = woe_iv(np.array([60, 40]), np.array([10, 30]))
    assert woe[0] == pytest.approx(math.log(0.6 / 0.25), rel=1e-12)
    assert woe[1] == pytest.approx(math.log(0.4 / 0.75), rel=1e-12)
    expected_iv = (0.6 - 0.25) * math.log(0.6 / 0.25) + (0.4 - 0.75) * math.log(0.4 / 0.75)
    assert iv.sum() == pytest.approx(expected_iv, rel=1e-12)


def test_woe_zero_cell_uses_haldane_and_empty_bin_is_neutral():
    woe, iv = woe_iv(np.array([50, 50, 0]), np.array([0, 20, 0]))
    assert woe[0] == pytest.approx(math.log((50.5 / 100) / (0.5 / 20)), rel=1e-12)
    assert woe[2] == 0.0 and iv[2] == 0.0


def test_ks_auc_gini_hand_case():
    y = [0, 0, 1, 1]
    risk = [0.1, 0.4, 0.35, 0.8]
    # riskiest first: 0.8 (bad), 0.4 (good), 0.35 (bad), 0.1 (good)
    # cum bad 0.5,0.5,1,1 ; cum good 0,0.5,0.5,1 -> KS 0.5; 3 of 4 pairs ordered -> AUC 0.75
    assert m.ks(y, risk) == pytest.approx(0.5)
    assert m.auc(y, risk) == pytest.approx(0.75)
    assert m.gini(y, risk) == pytest.approx(0.5)


def test_ties_count_half():
    assert m.auc([0, 1], [0.5, 0.5]) == pytest.approx(0.5)
    assert m.ks([0, 1], [0.5, 0.5]) == pytest.approx(0.0)


def test_auc_matches_sklearn():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 500)
    risk = np.round(rng.random(500) + 0.3 * y, 2)  # with ties
    assert m.auc(y, risk) == pytest.approx(roc_auc_score(y, risk), rel=1e-12)


def test_psi_hand_case():
    expected = (0.4 - 0.5) * math.log(0.4 / 0.5) + (0.6 - 0.5) * math.log(0.6 / 0.5)
    assert m.psi_from_counts([50, 50], [40, 60]) == pytest.approx(expected, rel=1e-12)
    assert m.psi_from_counts([10, 20, 30], [10, 20, 30]) == 0.0


def test_psi_of_shifted_scores_is_large():
    rng = np.random.default_rng(0)
    a = rng.normal(size=5000)
    assert m.psi(a, rng.normal(size=5000)) < 0.02
    assert m.psi(a, rng.normal(loc=1.0, size=5000)) > 0.25


def test_psi_by_period_against_first_slice():
    rng = np.random.default_rng(1)
    v = np.r_[rng.normal(size=3000), rng.normal(size=3000), rng.normal(loc=1.0, size=3000)]
    months = np.repeat(["2024-03", "2024-01", "2024-02"], 3000)  # sorted: 01 is the baseline
    s = m.psi_by_period(v, months)
    assert list(s.index) == ["2024-01", "2024-02", "2024-03"]
    assert s["2024-01"] == 0.0
    assert s["2024-02"] > 0.25 and s["2024-03"] < 0.05
    assert s["2024-02"] == pytest.approx(m.psi(v[3000:6000], v[6000:]), rel=1e-12)


def test_csi_per_feature():
    import pandas as pd

    e = pd.DataFrame({"f": [0, 0, 1, 1], "g": [0, 1, 0, 1]})
    a = pd.DataFrame({"f": [0, 1, 1, 1], "g": [0, 1, 0, 1]})
    csi = m.csi(e, a)
    assert csi["g"] == 0.0
    assert csi["f"] == pytest.approx(m.psi_from_counts([2, 2], [1, 3]))


def test_lift_table():
    y = np.array([1, 1, 0, 1, 0, 0, 0, 0, 0, 0])
    risk = np.arange(10, 0, -1)  # first rows riskiest
    t = m.lift_table(y, risk, n_groups=5)
    assert t["bads"].tolist() == [2, 1, 0, 0, 0]
    assert t["cum_bad_share"].iloc[0] == pytest.approx(2 / 3)
    assert t["lift"].iloc[0] == pytest.approx(1.0 / 0.3)


def test_points_scaling_closed_form():
    s = Scaling(base_score=600, base_odds=50, pdo=20)
    factor = 20 / math.log(2)
    offset = 600 - factor * math.log(50)
    assert s.factor == pytest.approx(factor, rel=1e-12)
    assert s.offset == pytest.approx(offset, rel=1e-12)
    for p in (0.01, 0.1, 0.5, 0.9):
        assert s.score_from_pd(p) == pytest.approx(
            offset + factor * math.log((1 - p) / p), rel=1e-12
        )
        assert s.pd_from_score(s.score_from_pd(p)) == pytest.approx(p, rel=1e-12)
    assert s.score_from_pd(1 / 201) == pytest.approx(640.0, rel=1e-12)  # odds x4 -> +2 PDO


def test_card_points_match_closed_form(german, german_card):
    X, _ = german
    card = german_card.model_
    p = card.predict_pd(X)
    closed = card.scaling.offset + card.scaling.factor * np.log((1 - p) / p)
    np.testing.assert_allclose(card.score(X), closed, rtol=1e-10)
    lr_logit = german_card.intercept_ + sum(
        german_card.coef_[f] * german_card.binner_.transform(X)[f] for f in german_card.features_
    )
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-lr_logit)), rtol=1e-10)


def test_risk_grades():
    g = RiskGrades.from_quantiles(np.arange(100.0), labels=("C", "B", "A"))
    assert g.grade(0) == "C" and g.grade(99) == "A"
    assert list(g.grades([0, 50, 99])) == ["C", "B", "A"]
    with pytest.raises(InvalidInputError):
        RiskGrades(cutoffs=(2.0, 1.0), labels=("a", "b", "c"))


def test_roc_points_are_vertices_of_the_curve_with_both_ends():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 5000)
    risk = rng.random(5000) + 0.8 * y
    points = m.roc_points(y, risk, max_points=101)
    fpr, tpr = m.roc_curve(y, risk)
    assert len(points["fpr"]) == 101
    assert (points["fpr"][0], points["tpr"][0]) == (0.0, 0.0)
    assert (points["fpr"][-1], points["tpr"][-1]) == (1.0, 1.0)
    vertices = set(zip(np.round(fpr, 6), np.round(tpr, 6), strict=True))
    assert set(zip(points["fpr"], points["tpr"], strict=True)) <= vertices
    area = np.trapezoid(points["tpr"], points["fpr"])  # the kept points lose little area
    assert area == pytest.approx(roc_auc_score(y, risk), abs=0.003)
    short = m.roc_points([0, 1, 1], [0.1, 0.9, 0.8])  # fewer vertices than points: all kept
    assert short == {"fpr": [0.0, 0.0, 0.0, 1.0], "tpr": [0.0, 0.5, 1.0, 1.0]}
    with pytest.raises(InvalidInputError, match="max_points"):
        m.roc_points(y, risk, max_points=1)
