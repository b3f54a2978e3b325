"""The training service's samples: every development row fitted (``test_size=0``), a given
test table, and the refusals of bad test settings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp
from sklearn.metrics import roc_auc_score

from zhudai.exceptions import InvalidInputError
from zhudai.scorecard import Scorecard
from zhudai.scorecard.training import train


@pytest.fixture(scope="module")
def development(german) -> tuple[pd.DataFrame, pd.DataFrame]:
    """German Credit cut in two by row position: 800 development rows, 200 test rows."""
    X, y = german
    frame = X.assign(bad=y.to_numpy())
    return frame.iloc[:800].reset_index(drop=True), frame.iloc[800:].reset_index(drop=True)


def _all_rows_card(frame: pd.DataFrame) -> Scorecard:
    return Scorecard().fit(frame.drop(columns="bad"), frame["bad"])


def test_test_size_zero_fits_every_development_row(development):
    dev, _ = development
    result = train(dev, "bad", test_size=0)
    assert list(result.samples) == ["train"] and result.metrics["test"] is None
    assert result.metrics["train"]["n"] == 800 and result.metrics["psi"] == {}
    assert result.meta["split"] == {"test_size": 0.0, "seed": 0, "stratified": False}
    assert list(result.meta["roc"]) == ["train"]  # the curve of each sample kept
    reference = _all_rows_card(dev)
    assert result.meta["features"] == reference.features_
    assert result.meta["coefficients"] == pytest.approx(reference.coef_, rel=1e-9)
    assert result.meta["intercept"] == pytest.approx(reference.intercept_, rel=1e-9)


def test_test_table_is_scored_by_the_card_fitted_on_every_development_row(development):
    dev, test = development
    result = train(dev, "bad", test_data=test)
    assert result.meta["coefficients"] == pytest.approx(_all_rows_card(dev).coef_, rel=1e-9)
    assert result.metrics["train"]["n"] == 800 and result.metrics["test"]["n"] == 200
    pd_test = result.model.predict_pd(test)
    bad = test["bad"].to_numpy() == 1
    assert result.metrics["test"]["auc"] == pytest.approx(roc_auc_score(bad, pd_test), abs=1e-6)
    ks = ks_2samp(pd_test[bad], pd_test[~bad]).statistic
    assert result.metrics["test"]["ks"] == pytest.approx(ks, abs=1e-6)
    assert result.meta["split"]["test_data"]["rows"] == 200
    assert "train_test" in result.metrics["psi"]


def test_bad_test_settings_name_the_option(development):
    dev, test = development
    with pytest.raises(InvalidInputError, match="test_size"):
        train(dev, "bad", test_size=0.2, test_data=test)
    with pytest.raises(InvalidInputError, match="test_data: lacks the target") as err:
        train(dev, "bad", test_data=test.drop(columns="bad"))
    assert err.value.field == "test_data"
    with pytest.raises(InvalidInputError, match="test_data") as err:
        train(dev, "bad", test_data=test.assign(bad=2))
    card_features = _all_rows_card(dev).features_
    with pytest.raises(InvalidInputError, match=card_features[0]) as err:
        train(dev, "bad", test_data=test.drop(columns=card_features[0]))
    assert err.value.field == "test_data"
    unused = next(c for c in dev.columns if c not in {*card_features, "bad"})
    assert train(dev, "bad", test_data=test.drop(columns=unused)).metrics["test"]["n"] == 200


def test_out_of_time_sample_stays_with_test_size_zero(development):
    dev, _ = development
    dated = dev.assign(day=pd.date_range("2024-01-01", periods=len(dev)).strftime("%Y-%m-%d"))
    result = train(dated, "bad", test_size=0, time_col="day", oot_from="2025-09-01")
    n_oot = int((pd.to_datetime(dated["day"]) >= "2025-09-01").sum())
    assert list(result.samples) == ["train", "oot"] and result.metrics["oot"]["n"] == n_oot
    assert result.metrics["train"]["n"] == len(dev) - n_oot
    assert np.isfinite(result.metrics["psi"]["train_oot"])
