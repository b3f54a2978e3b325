"""``zhudai card train`` / ``score`` end to end on German Credit, and the bad-input cases."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from zhudai.exceptions import InvalidInputError, NotFoundError
from zhudai.scorecard import load_model
from zhudai.scorecard.cli import app

runner = CliRunner()


def _german_file(tmp_path: Path, german, suffix: str = ".csv", **extra) -> Path:
    X, y = german
    frame = X.assign(application_id=np.arange(1, len(X) + 1), bad=y, **extra)
    path = tmp_path / f"german{suffix}"
    frame.to_parquet(path) if suffix == ".parquet" else frame.to_csv(path, index=False)
    return path


def _train(*args: str):
    result = runner.invoke(app, ["train", *args], catch_exceptions=True)
    return result


def test_train_and_score_end_to_end(german, tmp_path):
    data = _german_file(tmp_path, german, ".parquet")
    out = tmp_path / "model"
    result = _train("--data", str(data), "--target", "bad", "--out", str(out))
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    metrics = json.loads(lines[0])
    assert metrics["model"] == "lr" and metrics["kind"] == "A"
    assert metrics["test"]["n"] == 300 and metrics["train"]["n"] == 700
    assert 0.74 < metrics["test"]["auc"] < 0.9 and 0.3 < metrics["test"]["ks"] < 0.7
    for name in ("model.json", "report.html", "scorecard.xlsx", "scorecard.sql"):
        assert (out / name).is_file()
    html = (out / "report.html").read_text()
    # plotly.js is inline (offline): no script is fetched from anywhere
    assert "<scriptsrc=" not in html.replace(" ", "")
    assert "Plotly.newPlot" in html and "id='roc'" in html and "id='ks'" in html
    meta = json.loads((out / "model.json").read_text())
    assert meta["metrics"]["test"] == metrics["test"] and len(meta["data_hash"]) == 64

    scored_path = tmp_path / "scored.csv"
    result = runner.invoke(
        app, ["score", "--model", str(out), "--data", str(data), "--out", str(scored_path)]
    )
    assert result.exit_code == 0, result.output
    scored = pd.read_csv(scored_path)
    assert list(scored.columns) == ["application_id", "score", "pd"]
    assert scored["application_id"].tolist() == list(range(1, 1001))
    model = load_model(out)
    X, _ = german
    np.testing.assert_allclose(scored["pd"], model.predict_pd(X), rtol=1e-9)
    assert scored["score"].corr(scored["pd"], method="spearman") < -0.99


def test_excel_has_the_scorecard_table(german, tmp_path):
    from openpyxl import load_workbook

    data = _german_file(tmp_path, german)
    out = tmp_path / "m"
    assert _train("--data", str(data), "--target", "bad", "--out", str(out)).exit_code == 0
    wb = load_workbook(out / "scorecard.xlsx")
    assert {"scorecard", "metrics", "selection", "scaling", "distribution"} <= set(wb.sheetnames)
    header = [c.value for c in wb["scorecard"][1]]
    assert {"variable", "bin", "woe", "points"} <= set(header)


def test_points_scaling_options(german, tmp_path):
    data = _german_file(tmp_path, german)
    out = tmp_path / "m"
    args = ["--base-score", "700", "--base-odds", "20", "--pdo", "40"]
    assert _train("--data", str(data), "--target", "bad", "--out", str(out), *args).exit_code == 0
    model = load_model(out)
    assert (model.scaling.base_score, model.scaling.base_odds, model.scaling.pdo) == (700, 20, 40)
    assert model.scaling.score_from_pd(1 / 21) == pytest.approx(700.0)
    exc = _error(_train("--data", str(data), "--target", "bad", "--out", str(out), "--pdo", "0"))
    assert isinstance(exc, InvalidInputError) and exc.field == "pdo"


def test_out_of_time_split(german, tmp_path):
    X, _ = german
    dates = pd.date_range("2024-01-01", periods=len(X), freq="D").strftime("%Y-%m-%d")
    data = _german_file(tmp_path, german, applied_on=dates)
    result = _train(
        "--data",
        str(data),
        "--target",
        "bad",
        "--out",
        str(tmp_path / "m"),
        "--time-col",
        "applied_on",
        "--oot-from",
        "2026-01-01",
        "--model",
        "lgbm",
        "--kind",
        "B",
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.output)
    assert (
        metrics["kind"] == "B"
        and metrics["oot"]["n"] == (pd.to_datetime(dates) >= "2026-01-01").sum()
    )
    assert "train_oot" in metrics["psi"]
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    assert meta["training_window"]["out_of_time"][0] == "2026-01-01"
    assert "applied_on" not in meta["features"]
    html = (tmp_path / "m" / "report.html").read_text()
    assert "PSI of the PD by month" in html and "2026-09" in html


@pytest.mark.parametrize("model", ["xgb", "mlp"])
def test_other_models_train_and_score(german, tmp_path, model):
    data = _german_file(tmp_path, german)
    out = tmp_path / model
    result = _train(
        "--data",
        str(data),
        "--target",
        "bad",
        "--out",
        str(out),
        "--model",
        model,
        "--calibration",
        "platt",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["test"]["auc"] > 0.7
    scored = tmp_path / "s.parquet"
    assert (
        runner.invoke(
            app, ["score", "--model", str(out), "--data", str(data), "--out", str(scored)]
        ).exit_code
        == 0
    )
    frame = pd.read_parquet(scored)
    assert frame["pd"].between(0, 1).all() and frame["score"].notna().all()


def _error(result) -> Exception:
    assert result.exit_code != 0
    return result.exception


def test_target_not_binary(german, tmp_path):
    X, y = german
    path = tmp_path / "d.csv"
    X.assign(bad=np.where(y == 1, 2, 0)).to_csv(path, index=False)
    exc = _error(_train("--data", str(path), "--target", "bad", "--out", str(tmp_path / "m")))
    assert (
        isinstance(exc, InvalidInputError)
        and exc.field == "target"
        and "0 (good) or 1 (bad)" in str(exc)
    )


def test_target_one_class(german, tmp_path):
    X, _ = german
    path = tmp_path / "d.csv"
    X.assign(bad=0).to_csv(path, index=False)
    exc = _error(_train("--data", str(path), "--target", "bad", "--out", str(tmp_path / "m")))
    assert isinstance(exc, InvalidInputError) and "one class" in str(exc)


def test_missing_target_column_and_bad_files(german, tmp_path):
    data = _german_file(tmp_path, german)
    exc = _error(
        _train("--data", str(data), "--target", "default_flag", "--out", str(tmp_path / "m"))
    )
    assert isinstance(exc, InvalidInputError) and exc.field == "target"
    exc = _error(
        _train(
            "--data", str(tmp_path / "none.csv"), "--target", "bad", "--out", str(tmp_path / "m")
        )
    )
    assert isinstance(exc, NotFoundError)
    (tmp_path / "d.xlsx").write_text("x")
    exc = _error(
        _train("--data", str(tmp_path / "d.xlsx"), "--target", "bad", "--out", str(tmp_path / "m"))
    )
    assert isinstance(exc, InvalidInputError) and exc.field == "data"


def test_constant_and_all_missing_columns_fall_back_to_dropped(german, tmp_path):
    data = _german_file(tmp_path, german, const=7.0, empty=np.nan, empty_text=None)
    out = tmp_path / "m"
    assert _train("--data", str(data), "--target", "bad", "--out", str(out)).exit_code == 0
    meta = json.loads((out / "model.json").read_text())
    for col in ("const", "empty", "empty_text"):
        assert col not in meta["features"]
        assert meta["selection"]["dropped"][col].startswith("constant")


def test_only_constant_columns_is_an_error(tmp_path):
    path = tmp_path / "d.csv"
    pd.DataFrame({"c": 1.0, "bad": [0, 1] * 50}).to_csv(path, index=False)
    exc = _error(_train("--data", str(path), "--target", "bad", "--out", str(tmp_path / "m")))
    assert isinstance(exc, InvalidInputError) and exc.field == "features"


def test_unseen_category_at_scoring_takes_the_neutral_other_bin(german, tmp_path):
    data = _german_file(tmp_path, german)
    out = tmp_path / "m"
    assert _train("--data", str(data), "--target", "bad", "--out", str(out)).exit_code == 0
    model = load_model(out)
    frame = pd.read_csv(data)
    changed = frame.copy()
    changed["status_of_existing_checking_account"] = "a brand-new answer"
    scored = tmp_path / "s.csv"
    changed.to_csv(tmp_path / "changed.csv", index=False)
    assert (
        runner.invoke(
            app,
            [
                "score",
                "--model",
                str(out),
                "--data",
                str(tmp_path / "changed.csv"),
                "--out",
                str(scored),
            ],
        ).exit_code
        == 0
    )
    got = pd.read_csv(scored)["score"].to_numpy()
    pts = model.points["status_of_existing_checking_account"]
    bins = model.bins["status_of_existing_checking_account"]
    assert pts[bins.special_index] == 0.0  # Other bin saw no training rows: WOE 0, 0 points
    original = model.points_frame(frame)["status_of_existing_checking_account"].to_numpy()
    np.testing.assert_allclose(got, model.score(frame) - original, rtol=1e-12)


def test_score_rejects_unknown_model_and_output(german, tmp_path):
    data = _german_file(tmp_path, german)
    result = runner.invoke(
        app,
        [
            "score",
            "--model",
            str(tmp_path / "nope"),
            "--data",
            str(data),
            "--out",
            str(tmp_path / "o.csv"),
        ],
    )
    assert isinstance(_error(result), NotFoundError)
    result = runner.invoke(
        app,
        ["score", "--model", str(tmp_path), "--data", str(data), "--out", str(tmp_path / "o.json")],
    )
    assert isinstance(_error(result), InvalidInputError)


def test_installed_cli_prints_one_error_line(tmp_path):
    path = tmp_path / "d.csv"
    pd.DataFrame({"x": [1, 2, 3, 4], "bad": [0, 1, 2, 0]}).to_csv(path, index=False)
    exe = Path(sys.executable).with_name("zhudai")
    proc = subprocess.run(
        [
            str(exe),
            "card",
            "train",
            "--data",
            str(path),
            "--target",
            "bad",
            "--out",
            str(tmp_path / "m"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error: target:") and proc.stdout == ""


def test_test_size_zero_saves_the_card_fitted_on_every_row(german, tmp_path):
    from zhudai.scorecard import Scorecard

    data = _german_file(tmp_path, german)
    out = tmp_path / "m"
    result = _train("--data", str(data), "--target", "bad", "--out", str(out), "--test-size", "0")
    assert result.exit_code == 0, result.output
    line = json.loads(result.output)
    assert line["test"] is None and line["train"]["n"] == 1000 and line["psi"] == {}
    X, y = german
    reference = Scorecard().fit(X, y)
    meta = json.loads((out / "model.json").read_text())
    assert meta["coefficients"] == pytest.approx(reference.coef_, rel=1e-9)
    assert "No test sample" in (out / "report.html").read_text()


def test_test_data_evaluates_the_saved_card_on_that_file(german, tmp_path):
    from sklearn.metrics import roc_auc_score

    X, y = german
    frame = X.assign(bad=y.to_numpy())
    dev, held = tmp_path / "dev.csv", tmp_path / "held.parquet"
    frame.iloc[:700].to_csv(dev, index=False)
    frame.iloc[700:].to_parquet(held)
    out = tmp_path / "m"
    result = _train(
        "--data", str(dev), "--target", "bad", "--out", str(out), "--test-data", str(held)
    )
    assert result.exit_code == 0, result.output
    line = json.loads(result.output)
    assert line["train"]["n"] == 700 and line["test"]["n"] == 300
    test = pd.read_parquet(held)
    pd_test = load_model(out).predict_pd(test)
    assert line["test"]["auc"] == pytest.approx(roc_auc_score(test["bad"], pd_test), abs=1e-6)
    assert line["test"]["bad_rate"] == pytest.approx(test["bad"].mean(), abs=1e-6)


def test_bad_test_options_name_the_option(german, tmp_path):
    data = _german_file(tmp_path, german)
    base = ["--data", str(data), "--target", "bad", "--out", str(tmp_path / "m")]
    exc = _error(_train(*base, "--test-size", "1.2"))
    assert isinstance(exc, InvalidInputError) and exc.field == "test_size"
    exc = _error(_train(*base, "--test-data", str(tmp_path / "absent.csv")))
    assert isinstance(exc, NotFoundError) and exc.field == "test_data"
    no_target = tmp_path / "no_target.csv"
    pd.read_csv(data).drop(columns="bad").to_csv(no_target, index=False)
    exc = _error(_train(*base, "--test-data", str(no_target)))
    assert isinstance(exc, InvalidInputError) and exc.field == "test_data"
    assert "target" in str(exc)
    few = tmp_path / "few.csv"
    pd.read_csv(data)[["bad", "age_in_years"]].to_csv(few, index=False)
    exc = _error(_train(*base, "--test-data", str(few)))
    assert isinstance(exc, InvalidInputError) and exc.field == "test_data"
    assert "features" in str(exc)
    exc = _error(_train(*base, "--test-data", str(few), "--test-size", "0.3"))
    assert isinstance(exc, InvalidInputError) and exc.field == "test_size"
