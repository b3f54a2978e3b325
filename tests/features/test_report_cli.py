"""IV/PSI against hand-computed values, the weak-vs-demographics comparison, and the CLI."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from zhudai.exceptions import NotFittedError, NotFoundError
from zhudai.features import BatchFeatureEngine, WoeLogit, load_feature_set, weak_vs_demographics
from zhudai.features.cli import app
from zhudai.features.report import (
    assign_bins,
    feature_report,
    information_value,
    population_stability,
    quantile_edges,
)

runner = CliRunner()


def test_information_value_by_hand() -> None:
    # two bins of 4: bin 0 has 3 goods / 1 bad, bin 1 has 1 good / 3 bads
    x = np.array([1, 1, 1, 1, 2, 2, 2, 2], dtype=float)
    y = np.array([0, 0, 0, 1, 0, 1, 1, 1], dtype=float)
    # no cell is zero, so no Haldane correction; the third bin (missing) is empty: no IV
    good, bad = np.array([3, 1]) / 4, np.array([1, 3]) / 4
    expected = float(np.sum((good - bad) * np.log(good / bad)))
    assert expected == pytest.approx(np.log(3.0), rel=1e-12)
    assert information_value(x, y, n_bins=2) == pytest.approx(expected, rel=1e-12)
    assert information_value(np.full(8, 5.0), y) == pytest.approx(0.0, abs=1e-12)


def test_missing_values_get_their_own_bin() -> None:
    edges = quantile_edges(np.array([1.0, 2.0, np.nan, 3.0, 4.0]), n_bins=2)
    assert edges.tolist() == [2.5]
    assert assign_bins(np.array([1.0, 2.5, 3.0, np.nan]), edges).tolist() == [0, 0, 1, 2]


def test_population_stability_by_hand() -> None:
    expected = np.array([1.0, 1.0, 2.0, 2.0])
    actual = np.array([1.0, 2.0, 2.0, 2.0])
    # shares of bins (<= 1.5, > 1.5, missing); the empty missing bin is 1e-6 on both sides
    e = np.array([0.5, 0.5, 1e-6])
    a = np.array([0.25, 0.75, 1e-6])
    assert population_stability(expected, actual, n_bins=2) == pytest.approx(
        float(np.sum((a - e) * np.log(a / e))), rel=1e-12
    )
    assert population_stability(expected, expected) == pytest.approx(0.0, abs=1e-12)


def test_woe_logit_must_be_fitted_first() -> None:
    with pytest.raises(NotFittedError):
        WoeLogit().predict_proba(np.zeros((2, 1)))


def _labels(features: pl.DataFrame) -> pl.DataFrame:
    """A label driven by night card spending: weak data should find it, demographics cannot."""
    rng = np.random.default_rng(0)
    signal = (
        features["card_txns_share_night_365d"].fill_null(0).to_numpy()
        + features["orders_share_small_365d"].fill_null(0).to_numpy()
    )
    bad = (signal + rng.normal(0, 0.05, len(signal)) > np.median(signal)).astype(int)
    return pl.DataFrame({"application_id": features["application_id"], "bad": bad})


def test_report_and_comparison(world: dict[str, pl.DataFrame]) -> None:
    fs = load_feature_set()
    features = BatchFeatureEngine(fs).compute(world["applications"], world)
    labels = _labels(features)
    report = feature_report(features, labels, fs)
    assert report.columns == ["feature", "group", "missing_rate", "iv", "psi"]
    assert report.height == len(fs.names)
    row = report.filter(pl.col("feature") == "orders_mean_amount_7d").row(0, named=True)
    assert row["missing_rate"] == pytest.approx(
        features["orders_mean_amount_7d"].null_count() / features.height
    )
    assert report["iv"].min() >= 0 and report["psi"].min() >= 0
    comparison = weak_vs_demographics(features, labels, fs)
    assert comparison.margin > 0.1
    assert "margin" in comparison.line()


def test_cli_list_is_one_feature_per_line() -> None:
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines == load_feature_set().names
    described = runner.invoke(
        app, ["list", "--descriptions", "--group", "demographics"]
    ).output.splitlines()
    assert described[0] == "age\tage_at_application of customers (value)."
    assert all(line.count("\t") == 1 for line in described)


def test_cli_describe() -> None:
    result = runner.invoke(app, ["describe", "card_txns_share_night_90d"])
    assert result.exit_code == 0
    assert "aggregate: share" in result.output
    assert "filter: night (with hour of day in [0, 6))" in result.output
    assert "window: 90 days" in result.output
    unknown = runner.invoke(app, ["describe", "no_such_feature"])
    assert isinstance(unknown.exception, NotFoundError)


def test_cli_compute_and_report(world: dict[str, pl.DataFrame], tmp_path: Path) -> None:
    world_dir = tmp_path / "world"
    world_dir.mkdir()
    for name, frame in world.items():
        frame.write_parquet(world_dir / f"{name}.parquet")
    out = tmp_path / "features.parquet"
    result = runner.invoke(app, ["compute", "--world", str(world_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    features = pl.read_parquet(out)
    assert features.height == world["applications"].height
    labels = tmp_path / "labels.csv"
    _labels(features).write_csv(labels)
    result = runner.invoke(
        app,
        ["report", "--features", str(out), "--labels", str(labels), "--out", str(tmp_path / "rep")],
    )
    assert result.exit_code == 0, result.output
    report = pl.read_csv(tmp_path / "rep" / "feature_report.csv")
    assert report.height == len(load_feature_set().names)
    assert "margin" in (tmp_path / "rep" / "feature_report.html").read_text(encoding="utf-8")
    assert not math.isnan(report["iv"].max())


def test_a_report_and_a_card_agree_on_a_features_iv() -> None:
    """The report's IV is the scorecard's over the same bins, zero cells included."""
    from zhudai.scorecard.woe import woe_iv

    x = np.array([1, 1, 1, 2, 2, 2, 3, 3, np.nan, np.nan], dtype=float)
    y = np.array([0, 0, 1, 0, 0, 0, 1, 1, 0, 1], dtype=float)
    edges = quantile_edges(x, n_bins=3)
    bins = assign_bins(x, edges)
    good = np.bincount(bins, weights=1 - y, minlength=len(edges) + 2)
    bad = np.bincount(bins, weights=y, minlength=len(edges) + 2)
    assert information_value(x, y, n_bins=3) == pytest.approx(woe_iv(good, bad)[1].sum(), rel=1e-12)
