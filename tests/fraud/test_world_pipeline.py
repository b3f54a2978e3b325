"""The fraud layer over a generated world: live replay, evaluation, trends, CLI, demo stage."""

from __future__ import annotations

import ast
import json
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import polars as pl
import pytest
from typer.testing import CliRunner

import zhudai.fraud
from zhudai.exceptions import InvalidInputError
from zhudai.fraud.cli import app
from zhudai.fraud.engine import FraudEngine, FraudThresholds
from zhudai.fraud.evaluation import attempts_to_catch, metrics, train_fraud_model
from zhudai.fraud.replay import RULE_NAMES, load_applications, rejudge, replay
from zhudai.fraud.signals import SIGNAL_NAMES
from zhudai.fraud.trends import TrendSettings, build_trends, write_html


@pytest.fixture(scope="module")
def results(small_world):
    return replay(FraudEngine(), load_applications(small_world))


def test_replay_is_in_time_order_with_every_signal(small_world, results):
    apps = pl.read_parquet(small_world / "applications.parquet")
    assert results.height == apps.height
    assert results["applied_at"].is_sorted()
    assert set(SIGNAL_NAMES) <= set(results.columns)
    assert {f"hit_{r}" for r in RULE_NAMES} <= set(results.columns)
    assert results["dev_apps_24h"].min() >= 1


def test_metrics_by_hand(tmp_path):
    """Six applications with known truth and verdicts; every metric counted by hand."""
    (tmp_path / "truth").mkdir()
    pl.DataFrame(
        {
            "application_id": [1, 2, 3, 4, 5, 6],
            "is_fraud": [True, True, False, True, False, False],
            "fraud_type": ["ring", "ring", None, "ring", None, None],
            "ring_id": [7, 7, None, 7, None, None],
            "probing_device": [False, False, False, False, True, True],
        }
    ).write_parquet(tmp_path / "truth" / "applications.parquet")
    results = pl.DataFrame(
        {
            "application_id": [1, 2, 3, 4, 5, 6],
            "applied_at": [datetime(2024, 1, d) for d in range(1, 7)],
            "customer_id": [1, 1, 2, 3, 4, 5],
            "device_id": ["d1", "d1", "d2", "d3", "d4", "d4"],
            "is_fraud_pred": [True, False, False, True, True, False],
            "probing_pred": [False, False, False, False, False, True],
            "ring_member_score": [0.9, 0.1, 0.6, 0.2, 0.0, 0.0],
        }
    )
    out = metrics(results, tmp_path, ring_threshold=0.5)
    assert out == {
        "fraud_recall": 0.6667,  # 1 and 4 of 1, 2, 4
        "fraud_precision": 0.6667,  # 1 and 4 of 1, 4, 5
        "ring_app_recall": 0.3333,  # 1 of 1, 2, 4
        "ring_app_precision": 0.5,  # 1 of 1, 3
        "ring_recall": 0.5,  # customer 1 of ring members 1 and 3
        "ring_precision": 0.5,  # customer 1 of flagged customers 1 and 2
        "probing_attempts_to_catch": 1.0,  # device d4: fraud verdict at its first attempt
        "probing_rule_attempts_to_catch": 2.0,  # the probing rule only at the second
        "probing_devices": 1,
        "probing_caught_within_5": 1.0,
        "applications": 6,
        "fraud_applications": 3,
        "ring_members": 2,
        "good_stopped_share": 0.3333,  # customer 4 of good customers 2, 4, 5
        "by_type": {
            # ring: 1 and 4 of 1, 2, 4; one false positive (5), all of it apportioned to rings
            "ring": {
                "applications": 3,
                "stopped_share": 0.6667,
                "recall": 0.6667,
                "precision": 0.6667,
            },
            "none": {"applications": 3, "stopped_share": 0.3333},
        },
        "weak_types": [],  # rings are stopped at 0.6667 >= WEAK_RECALL
    }
    later = metrics(results, tmp_path, ring_threshold=0.5, since=datetime(2024, 1, 4))
    assert (later["applications"], later["fraud_applications"], later["ring_members"]) == (3, 1, 1)
    assert (later["fraud_recall"], later["fraud_precision"]) == (1.0, 0.5)


def test_attempts_to_catch_counts_in_time_order():
    frame = pl.DataFrame(
        {
            "application_id": [1, 2, 3, 4, 5],
            "applied_at": pl.datetime_range(
                pl.datetime(2024, 1, 1), pl.datetime(2024, 1, 5), "1d", eager=True
            ),
            "device_id": ["a", "a", "a", "b", "b"],
            "probing_device": [True, True, True, True, True],
            "probing_pred": [False, False, True, False, False],
            "is_fraud_pred": [False, False, False, False, False],
        }
    )
    assert attempts_to_catch(frame) == [3.0, float("inf")]


def test_trained_model_scores_live_and_rejudging_equals_a_live_replay(small_world):
    model = train_fraud_model(small_world, n_estimators=30, anomaly_trees=20)
    assert 0 < model.threshold_ <= 1
    assert 0 < model.review_threshold_ <= model.threshold_  # the review band lies below
    thresholds = replace(FraudThresholds(), fraud_score=model.threshold_, ring_member_score=0.3)
    apps = load_applications(small_world).head(600)
    live = replay(FraudEngine(model=model, thresholds=thresholds), apps)
    assert live["fraud_score"].max() > 0 and live["anomaly_score"].min() > 0
    again = rejudge(replay(FraudEngine(thresholds=thresholds), apps), model, thresholds)
    assert again["fraud_score"].to_numpy() == pytest.approx(
        live["fraud_score"].to_numpy(), rel=1e-9
    )
    for col in ["is_fraud_pred", "hits", *(f"hit_{r}" for r in RULE_NAMES)]:
        assert again[col].to_list() == live[col].to_list(), col


def test_trends_report_is_offline_html(results, tmp_path):
    report = build_trends(results)
    assert report.rates.height > 20 and "hit_probing" in report.rates.columns
    path = write_html(report, tmp_path / "t.html")
    text = path.read_text(encoding="utf-8")
    assert "<script src=" not in text and "Plotly.newPlot" in text and "Alerts" in text


def test_cli_run_and_trends(small_world, tmp_path):
    runner = CliRunner()
    done = runner.invoke(app, ["run", "--world", str(small_world), "--out", str(tmp_path / "run")])
    assert done.exit_code == 0, done.output
    paths = json.loads(done.output.strip().splitlines()[-1])
    assert Path(paths["results"]).exists()
    done = runner.invoke(
        app, ["trends", "--results", paths["results"], "--out", str(tmp_path / "tr")]
    )
    assert done.exit_code == 0, done.output
    assert (tmp_path / "tr" / "trends.html").exists()
    done = runner.invoke(app, ["trends", "--out", str(tmp_path / "x")])
    assert done.exit_code != 0


def test_demo_stage(small_world, tmp_path):
    from zhudai.fraud.demo_stage import run_stage

    ctx = SimpleNamespace(artifacts={"world_dir": small_world}, out_dir=tmp_path)
    lines = run_stage(ctx)
    assert ctx.artifacts["fraud_results_path"].exists()
    assert set(ctx.artifacts) == {
        "world_dir",
        "fraud_results_path",
        "fraud_trends_path",
        "fraud_model_dir",
    }
    assert lines[-1].startswith("metrics on the second half: {")


def test_live_path_never_reads_truth():
    """Only evaluation.py may name the truth folder; the live modules never import it."""
    package = Path(zhudai.fraud.__file__).parent
    for path in package.glob("*.py"):
        if path.name in {"evaluation.py", "cli.py", "demo_stage.py"}:
            continue
        text = path.read_text(encoding="utf-8")
        assert "truth" not in text.replace("trust", ""), path.name
        imported = {
            node.module
            for node in ast.walk(ast.parse(text))
            if isinstance(node, ast.ImportFrom) and node.module
        }
        assert "zhudai.fraud.evaluation" not in imported, path.name


def test_cluster_growth_flags_new_fast_and_suspicious_clusters():
    from datetime import datetime, timedelta

    from zhudai.fraud.trends import cluster_alerts, cluster_growth

    t0 = datetime(2024, 1, 1)
    rows = []
    for i in range(4):  # ring: four customers in two days, two flagged on the second
        rows.append(("ring", i, t0 + timedelta(days=i // 2), i >= 2))
    for i in range(4):  # family device: four customers over four months, never flagged
        rows.append(("family", 10 + i, t0 + timedelta(days=40 * i), False))
    frame = pl.DataFrame(
        rows, schema=["device_id", "customer_id", "applied_at", "is_fraud_pred"], orient="row"
    ).with_columns(pl.lit(0.0).alias("ring_score"), pl.lit(None, pl.Utf8).alias("ring_community"))
    out = cluster_growth(frame, TrendSettings())
    ring = out.filter(pl.col("cluster") == "ring")  # two on day 0, two more on day 1
    assert ring["size"].to_list() == [2, 4] and ring["new"].to_list() == [True, False]
    assert ring["fast"].to_list() == [True, True]
    assert ring["suspicious"].to_list() == [False, True]  # two flags by the second day
    family = out.filter(pl.col("cluster") == "family")
    assert not family["fast"].any() and not family["suspicious"].any()
    alerts = cluster_alerts(out)  # one alert, the day the ring became suspicious
    assert alerts["metric"].to_list() == ["cluster ring"]
    assert alerts["day"].to_list() == [date(2024, 1, 2)] and alerts["direction"][0] == "growing"


def test_cli_evaluate_contract_prints_metrics_as_last_line():
    """Default difficulty (realistic): the last line holds the headline figures, each a share,
    and recall and precision per fraud type, hidden types included."""
    done = CliRunner().invoke(
        app, ["evaluate", "--seed", "3", "--customers", "600", "--months", "1"]
    )
    assert done.exit_code == 0, done.output
    out = json.loads(done.output.strip().splitlines()[-1])
    assert out["difficulty"] == "realistic"
    assert "probing_attempts_to_catch" in out
    for key in ("ring_recall", "ring_precision", "fraud_recall", "fraud_precision"):
        assert 0 <= out[key] <= 1, key
    assert 0 <= out["good_stopped_share"] <= 1
    assert {"ring", "hidden_ring", "slow_ring", "coached"} <= set(out["by_type"])
    for name, entry in out["by_type"].items():
        assert 0 <= entry["stopped_share"] <= 1, name
        if name not in ("none", "device_resale"):
            assert entry["recall"] == entry["stopped_share"]
            assert entry["precision"] is None or 0 <= entry["precision"] <= 1, name
    assert "recall" not in out["by_type"]["none"]
    assert out["weak_types"] == sorted(
        (n for n, e in out["by_type"].items() if e.get("recall") is not None and e["recall"] < 0.5),
        key=lambda n: (out["by_type"][n]["recall"], n),
    )
    assert out["train_seed"] != out["seed"]


def test_cli_evaluate_refuses_an_unknown_difficulty():
    done = CliRunner().invoke(app, ["evaluate", "--seed", "3", "--difficulty", "brutal"])
    assert isinstance(done.exception, InvalidInputError)
    assert "--difficulty" in str(done.exception) and "easy, realistic, hard" in str(done.exception)


def test_thin_days_raise_no_rate_alert():
    """Two applications that both hit a rule make a 100% day, which is not evidence; a day on
    which every one of a hundred applications hits is."""
    start = datetime(2024, 1, 1, 12)
    rows = []
    for day in range(42):
        n = 2 if day == 30 else 100
        hits = n if day == 30 else day % 3  # a steady ~1-2% except the thin day
        rows += [
            {
                "applied_at": start + timedelta(days=day, minutes=i),
                "hit_x": i < hits,
                "device_id": f"d{day}-{i}",
                "customer_id": day * 1000 + i,
                "is_fraud_pred": False,
                "ring_score": 0.0,
            }
            for i in range(n)
        ]
    report = build_trends(pl.DataFrame(rows))
    assert report.alerts.filter(pl.col("metric") == "hit_x").height == 0
    spiky = [
        r | {"hit_x": True} if r["applied_at"].day == 5 and r["applied_at"].month == 2 else r
        for r in rows
    ]
    alerts = build_trends(pl.DataFrame(spiky)).alerts.filter(pl.col("metric") == "hit_x")
    assert alerts["day"].to_list() == [date(2024, 2, 5)]
    assert alerts["kind"].to_list() == ["rule"] and alerts["direction"].to_list() == ["up"]
