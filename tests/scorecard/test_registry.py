"""A saved artefact loads into a ScoringModel that predicts exactly like the fitted card."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from zhudai.decision.model_contract import ScoringModel
from zhudai.exceptions import NotFoundError
from zhudai.scorecard import FeatureSelector, Scorecard, load_model, publish, save_model


def test_round_trip_identical_predictions(german, german_card, tmp_path):
    X, _ = german
    save_model(tmp_path / "card", german_card.metadata(name="german", version="3", kind="A"))
    model = load_model(tmp_path / "card")
    assert isinstance(model, ScoringModel)
    assert (model.name, model.version, model.kind) == ("german", "3", "A")
    assert list(model.features) == german_card.features_
    np.testing.assert_array_equal(model.predict_pd(X), german_card.predict_proba(X)[:, 1])
    rows = X.to_dict("records")
    one = np.array([model.predict_pd_one(r) for r in rows])
    np.testing.assert_allclose(one, model.predict_pd(X), rtol=1e-12, atol=0)
    scores = np.array([model.score_one(r) for r in rows])
    np.testing.assert_allclose(scores, german_card.score(X), rtol=1e-12)


def test_artefact_is_plain_json(german_card, tmp_path):
    save_model(tmp_path / "card", german_card.metadata(name="g", version="1", kind="A"))
    meta = json.loads((tmp_path / "card" / "model.json").read_text())
    assert meta["model_type"] == "scorecard" and meta["format_version"] == 1
    assert set(meta["bins"]) == set(meta["features"])
    assert not list(tmp_path.glob("**/*.pkl"))


def test_publish_increments_versions(german_card, tmp_path):
    first = publish(tmp_path, "acard", german_card.metadata(kind="A"))
    second = publish(tmp_path, "acard", german_card.metadata(kind="A"))
    assert (first.name, second.name) == ("v1", "v2")
    assert load_model(second).version == "2"
    assert load_model(tmp_path / "acard").version == "2"  # the folder loads its latest version


def test_reasons_are_points_lost_worst_first(german, german_card):
    X, _ = german
    model = german_card.model_
    row = X.iloc[1].to_dict()
    reasons = model.reasons_one(row, k=3)
    assert len(reasons) == 3
    lost = [p for _, p in reasons]
    assert lost == sorted(lost, reverse=True) and lost[-1] > 0
    f, p = reasons[0]
    assert p == pytest.approx(
        model.points[f].max() - model.points_one(row)[model.features.index(f)]
    )


def test_missing_directory_is_not_found(tmp_path):
    with pytest.raises(NotFoundError):
        load_model(tmp_path / "nothing")


def test_nullable_dtypes_and_pandas_na(tmp_path):
    rng = np.random.default_rng(9)
    n = 2000
    x = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-2 * x))).astype(int)
    frame = pd.DataFrame(
        {
            "x": pd.array(np.where(rng.random(n) < 0.1, np.nan, x), dtype="Float64"),
            "k": pd.array(np.where(x > 0, 2, 1), dtype="Int64"),
            "flag": pd.array(x > 0.5, dtype="boolean"),
            "grp": pd.array(np.where(x > 0, "hi", "lo"), dtype="string"),
        }
    )
    frame.loc[:9, ["k", "flag", "grp"]] = pd.NA
    loose = FeatureSelector(min_iv=0.0, max_corr=1.0, max_vif=None)
    card = Scorecard(selector=loose, sign_check=False).fit(frame, y)
    save_model(tmp_path / "m", card.metadata(name="n", version="1", kind="A"))
    model = load_model(tmp_path / "m")
    rows = [{c: frame[c].iloc[i] for c in frame.columns} for i in range(50)]
    assert rows[0]["k"] is pd.NA and rows[0]["grp"] is pd.NA
    one = [model.predict_pd_one(r) for r in rows]
    np.testing.assert_allclose(one, model.predict_pd(frame.head(50)), rtol=1e-12)
    assert model.score_one({"x": pd.NA, "k": None, "flag": True, "grp": pd.NA}) > 0
