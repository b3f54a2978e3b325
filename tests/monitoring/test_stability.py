"""Weekly PSI/CSI against a baseline, with smoothing and a sampling-noise floor."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np
import polars as pl
import pytest

from zhudai.monitoring.stability import (
    PSI_SHIFTED,
    noise_floor,
    period_stability,
    stability_alerts,
    stability_index,
)


def _psi_by_hand(expected_counts, actual_counts):
    e = [c + 0.5 for c in expected_counts]
    a = [c + 0.5 for c in actual_counts]
    ep = [x / sum(e) for x in e]
    ap = [x / sum(a) for x in a]
    return sum((q - p) * math.log(q / p) for p, q in zip(ep, ap, strict=True))


def test_psi_of_a_numeric_value_uses_the_baselines_deciles():
    expected = pl.Series(np.arange(100.0))  # ten bins of ten
    actual = pl.Series([1.0] * 50 + [95.0] * 5)  # first bin 50, last bin 5
    assert stability_index(expected, actual) == pytest.approx(
        _psi_by_hand([10] * 10, [50] + [0] * 8 + [5]), rel=1e-9
    )
    # by hand: 3.7761 for [50, 0 x 9] alone (see the module's smoothing)
    assert _psi_by_hand([10] * 10, [50] + [0] * 9) == pytest.approx(3.776, abs=1e-3)


def test_csi_of_a_text_input_bins_by_value():
    e = pl.Series(["a"] * 60 + ["b"] * 40)
    a = pl.Series(["a"] * 30 + ["b"] * 50 + ["c"] * 20)  # a value the baseline never had
    assert stability_index(e, a) == pytest.approx(_psi_by_hand([60, 40, 0], [30, 50, 20]), rel=1e-9)


def test_identical_samples_have_zero_psi():
    x = pl.Series(np.linspace(0, 1, 300))
    assert stability_index(x, x) == pytest.approx(0.0, abs=1e-12)


def test_noise_floor_is_the_chi2_quantile_over_the_sizes():
    # chi2(9) upper 1e-4 quantile is 33.7199...
    assert noise_floor(10, 200, 800) == pytest.approx(33.71994844 * (1 / 200 + 1 / 800), rel=1e-6)


def _weeks_frame(shift_week: int, n_weeks: int = 8, per_week: int = 300) -> pl.DataFrame:
    rng = np.random.default_rng(4)
    start = datetime(2024, 1, 1)
    rows = []
    for w in range(n_weeks):
        mean = 1.5 if w == shift_week else 0.0
        for i in range(per_week):
            rows.append(
                {
                    "decided_at": start + timedelta(days=7 * w, minutes=30 * i),
                    "score": float(rng.normal(mean, 1.0)),
                    "in_channel": "social_ads" if w == shift_week and i % 2 else "app_store",
                }
            )
    return pl.DataFrame(rows)


def test_a_shifted_week_alerts_once_dated_on_its_sunday():
    weekly = period_stability(_weeks_frame(shift_week=6), ["score", "in_channel"])
    assert weekly.height == 16
    stable = weekly.filter(pl.col("start") != datetime(2024, 2, 12).date())
    assert stable["psi"].max() < 0.1
    alerts = stability_alerts(weekly)
    assert sorted(alerts["metric"].to_list()) == ["psi:in_channel", "psi:score"]
    assert set(alerts["day"].to_list()) == {datetime(2024, 2, 18).date()}
    assert (alerts["value"] >= PSI_SHIFTED).all()


def test_small_weeks_give_no_index_and_noise_alone_does_not_alert():
    frame = _weeks_frame(shift_week=-1, per_week=60)
    weekly = period_stability(frame, ["score"])
    assert weekly["psi"].null_count() == 0  # 60 rows: enough
    assert stability_alerts(weekly).height == 0
    thin = period_stability(_weeks_frame(shift_week=-1, per_week=20), ["score"])
    assert thin["psi"].null_count() == thin.height
