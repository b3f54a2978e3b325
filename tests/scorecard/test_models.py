"""Boosters and the MLP: monotone constraints hold, artefacts round-trip without pickle,
single-row and vectorised predictions agree, calibration and selection behave."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from zhudai.decision.model_contract import ScoringModel
from zhudai.scorecard import Binner, Calibrator, FeatureSelector, Scorecard, load_model, save_model
from zhudai.scorecard.models import GradientBoostedModel, NeuralModel
from zhudai.scorecard.selection import vif


@pytest.mark.parametrize("engine", ["xgb", "lgbm"])
def test_booster_respects_monotone_trend_and_round_trips(synthetic, engine, tmp_path):
    X, y = synthetic
    model = GradientBoostedModel(
        engine=engine, n_estimators=60, binner=Binner(special_codes=[-999])
    ).fit(X, y)
    assert model.encoding_ == {"rise": "woe", "u": "raw", "cat": "woe"}  # rise has -999 codes
    assert model.monotone_constraints_["cat"] == -1
    # with the U-shaped 'u' forced ascending, predictions never fall as u rises
    fitted = GradientBoostedModel(engine=engine, n_estimators=60).fit(X.assign(u=X["u"].abs()), y)
    assert fitted.monotone_constraints_["u"] == 1
    grid = pd.DataFrame({"rise": 0.0, "u": np.linspace(0, 3, 50), "cat": "b"})
    assert (np.diff(fitted.predict_proba(grid)[:, 1]) >= -1e-12).all()

    save_model(
        tmp_path / "gbm", model.metadata(name="g", version="1", kind="A"), booster=model.booster_
    )
    assert not list(tmp_path.glob("**/*.pkl"))
    loaded = load_model(tmp_path / "gbm")
    assert isinstance(loaded, ScoringModel) and loaded.score_one({}) is None
    np.testing.assert_allclose(loaded.predict_pd(X), model.predict_proba(X)[:, 1], rtol=1e-6)
    rows = X.head(30).to_dict("records")
    rows += [{**rows[0], "u": None}, {**rows[1], "u": float("nan")}]  # a raw feature missing
    one = [loaded.predict_pd_one(r) for r in rows]
    np.testing.assert_allclose(one, loaded.predict_pd(pd.DataFrame(rows)), rtol=1e-9)
    reasons = loaded.reasons_one(rows[0], k=2)
    assert len(reasons) <= 2 and all(v > 0 for _, v in reasons)


def test_mlp_round_trip_and_reasons(german, tmp_path):
    X, y = german
    model = NeuralModel(max_iter=200).fit(X, y)
    save_model(
        tmp_path / "mlp",
        model.metadata(name="m", version="1", kind="A"),
        mlp_weights=model.weights_,
    )
    loaded = load_model(tmp_path / "mlp")
    np.testing.assert_allclose(loaded.predict_pd(X), model.predict_proba(X)[:, 1], rtol=1e-12)
    row = X.iloc[0].to_dict()
    assert loaded.predict_pd_one(row) == pytest.approx(loaded.predict_pd(X.head(1))[0], rel=1e-12)
    assert all(f in loaded.features for f, _ in loaded.reasons_one(row))


@pytest.mark.parametrize("method", ["platt", "isotonic"])
def test_calibration_fixes_a_biased_pd(method):
    rng = np.random.default_rng(2)
    raw = rng.random(6000)
    y = (rng.random(6000) < raw**2).astype(int)
    cal = Calibrator(method).fit(raw, y)
    calibrated = cal.transform(raw)
    assert abs(calibrated.mean() - y.mean()) < 0.01 < abs(raw.mean() - y.mean())
    again = Calibrator.from_dict(cal.to_dict())
    probes = [0.0, 0.05, 0.3, 0.77, 1.0]
    np.testing.assert_allclose(
        [again.one(p) for p in probes], cal.transform(np.array(probes)), rtol=1e-9
    )


def test_scorecard_coefficients_are_negative(german_card):
    assert all(c < 0 for c in german_card.coef_.values())
    assert german_card.model_.score_one({}) == pytest.approx(
        german_card.model_.base_points
        + sum(german_card.model_.points[f][-1] for f in german_card.features_)
    )


def test_sign_check_drops_wrong_signed_feature():
    rng = np.random.default_rng(4)
    n = 4000
    a = rng.normal(size=n)
    b = a + 0.3 * rng.normal(size=n)  # collinear twin: its partial effect flips sign
    y = (rng.random(n) < 1 / (1 + np.exp(-(2 * a - 0.5 * b)))).astype(int)
    X = pd.DataFrame({"a": a, "b": b})
    loose = FeatureSelector(max_corr=1.0, max_vif=None)
    card = Scorecard(selector=loose).fit(X, y)
    assert card.features_ == ["a"] and "coefficient sign" in card.dropped_["b"]
    unchecked = Scorecard(selector=loose, sign_check=False).fit(X, y)
    assert unchecked.features_ == ["a", "b"] and unchecked.coef_["b"] > 0


def test_selection_filters_record_reasons():
    rng = np.random.default_rng(8)
    n = 3000
    a = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-1.5 * a))).astype(int)
    X = pd.DataFrame(
        {
            "a": a,
            "a_copy": a * 2 + 1,
            "noise": rng.normal(size=n),
            "mostly_missing": np.where(rng.random(n) < 0.97, np.nan, a),
        }
    )
    # max-IV binning lends pure noise an IV near 0.02 on 3,000 rows; 0.05 separates it
    card = Scorecard(selector=FeatureSelector(min_iv=0.05)).fit(X, y)
    assert card.features_ == ["a"] or card.features_ == ["a_copy"]
    reasons = card.dropped_
    assert "corr" in reasons.get("a_copy", reasons.get("a", ""))
    assert "IV" in reasons["noise"]
    assert "missing rate" in reasons["mostly_missing"]


def test_auto_min_iv_keeps_weak_real_features_on_large_samples_only(german):
    rng = np.random.default_rng(11)
    n = 40_000
    strong, weak, noise = rng.normal(size=(3, n))
    y = (rng.random(n) < 1 / (1 + np.exp(-(-0.85 + strong + 0.12 * weak)))).astype(int)
    X = pd.DataFrame({"strong": strong, "weak": weak, "noise": noise})
    binner = Binner().fit(X, y)
    woe, iv = binner.transform(X), binner.iv_
    assert iv["weak"] < 0.02  # "useless" by convention, yet real
    auto = FeatureSelector().fit(woe, y, iv, X.isna().mean())
    assert auto.min_iv_ < iv["weak"] and auto.selected_ == ["strong", "weak"]
    assert "IV" in auto.dropped_["noise"]
    fixed = FeatureSelector(min_iv=0.02).fit(woe, y, iv, X.isna().mean())
    assert fixed.selected_ == ["strong"] and "IV" in fixed.dropped_["weak"]
    # 1,000 rows: the noise level 30 / n_eff is far above 0.02, so the convention stands
    Xg, yg = german
    card = Scorecard().fit(Xg, yg)
    assert card.selector_.min_iv_ == 0.02


def test_vif_and_stepwise(german):
    X, y = german
    for how in ("aic", "bic", "ks"):
        card = Scorecard(selector=FeatureSelector(stepwise=how)).fit(X, y)
        assert 3 <= len(card.features_) <= 12
        assert any("stepwise" in r for r in card.dropped_.values()) or len(card.features_) == 12
    f = pd.DataFrame({"x": [1.0, 2, 3, 4, 5], "z": [2.0, 1, 4, 3, 5]})
    assert vif(f).iloc[0] == pytest.approx(1 / (1 - np.corrcoef(f["x"], f["z"])[0, 1] ** 2))
