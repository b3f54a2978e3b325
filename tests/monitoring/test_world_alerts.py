"""On generated worlds: a world with no planted attack stays quiet, planted attacks are found
within a day, and ``zhudai monitor report`` prints its summary line."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from tests.world.conftest import make_world
from zhudai.fraud.pipeline import replay_world
from zhudai.monitoring.cli import app
from zhudai.monitoring.evaluation import evaluate_detection, planted_attacks
from zhudai.monitoring.report import build_report, write_html
from zhudai.monitoring.sources import application_window_end, from_files
from zhudai.world import WorldParams

CUSTOMERS = 4000
NO_ATTACK = WorldParams(ring_share=0, probing_share=0, identity_theft_share=0)


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory, keyed_env) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("monitoring")
    out = {
        "quiet": make_world(keyed_env, base / "quiet", CUSTOMERS, 21, months=1, params=NO_ATTACK),
        "attacked": make_world(keyed_env, base / "attacked", CUSTOMERS, 21, months=1),
    }
    for d in out.values():
        replay_world(d).write_parquet(d / "fraud_results.parquet")
    return out


def _report(d: Path):
    results = pl.read_parquet(d / "fraud_results.parquet")
    return build_report(from_files(d, results, application_window_end(d)), results)


def test_a_world_without_attacks_raises_at_most_one_alert_a_week(worlds):
    summary = _report(worlds["quiet"]).summary()
    assert summary["weeks"] > 50
    assert summary["max_alerts_in_a_week"] <= 1, summary
    assert planted_attacks(worlds["quiet"]).height == 0


def test_planted_attacks_are_found_within_a_day(worlds):
    d = worlds["attacked"]
    found = evaluate_detection(
        _report(d).alerts, planted_attacks(d), pl.read_parquet(d / "fraud_results.parquet")
    )
    assert (found["coincident"] >= found["found"]).all()  # attributed alerts are a subset
    assert found.height >= 10  # rings and probing operations
    assert found.filter(pl.col("kind") == "probing")["found"].all()
    assert found["found"].mean() >= 0.9, found.filter(~pl.col("found"))
    assert (found["delay_days"].drop_nulls() <= 1).all()


def test_html_report_is_offline(worlds, tmp_path):
    path = write_html(_report(worlds["attacked"]), tmp_path / "r.html")
    text = path.read_text(encoding="utf-8")
    assert "<script src=" not in text and "Plotly.newPlot" in text and "<h2>Alerts</h2>" in text


def test_cli_prints_the_summary_as_the_last_line(worlds, tmp_path):
    d = worlds["attacked"]
    done = CliRunner().invoke(
        app,
        ["report", "--world", str(d), "--fraud-results", str(d / "fraud_results.parquet"),
         "--out", str(tmp_path / "m.html")],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    line = json.loads(done.output.strip().splitlines()[-1])
    assert {"alerts", "weeks", "alerts_per_week", "by_kind", "max_alerts_in_a_week"} <= set(line)
    assert line["alerts"] == sum(line["by_kind"].values()) > 0
    assert line["alerts_per_week"] == pytest.approx(line["alerts"] / line["weeks"], rel=0.01)
    assert (tmp_path / "m.html").exists() and (tmp_path / "m.alerts.csv").exists()


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ([], "--home/--world"),
        (["--world", "nowhere"], "--world"),
        (["--world", ".", "--home", "."], "--home/--world"),
        (["--home", "nowhere"], "--home"),
    ],
)
def test_cli_bad_input_names_the_option(args, field, tmp_path):
    done = CliRunner().invoke(app, ["report", "--out", str(tmp_path / "x.html"), *args])
    assert done.exit_code != 0
    assert field in str(done.exception)


def test_cli_evaluate_counts_found_attacks_by_kind(worlds):
    from zhudai.monitoring.cli import app as monitor

    d = worlds["attacked"]
    args = ["evaluate", "--world", str(d), "--fraud-results", str(d / "fraud_results.parquet")]
    done = CliRunner().invoke(monitor, args)
    assert done.exit_code == 0, done.output
    line = json.loads(done.output.strip().splitlines()[-1])
    attacks = planted_attacks(d)
    assert line["planted"] == dict(attacks.group_by("kind").len().iter_rows())
    assert set(line["found"]) == set(line["planted"]) and line["within_days"] == 1
