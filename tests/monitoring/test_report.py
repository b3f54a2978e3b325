"""The report over the contract's frame: units apart, alerts of each kind, contract errors."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import polars as pl
import pytest

from zhudai.exceptions import InvalidInputError
from zhudai.monitoring.contract import check_decisions
from zhudai.monitoring.report import build_report
from zhudai.monitoring.sources import from_files, rule_hits

START = datetime(2024, 1, 1, 9)


def _decisions(unit: str, days: int, per_day: int, burst_day: int | None = None) -> list[dict]:
    rng = np.random.default_rng(len(unit))
    rows = []
    for day in range(days):
        n = per_day * 3 if day == burst_day else per_day
        for i in range(n):
            rows.append(
                {
                    "decided_at": START + timedelta(days=day, minutes=5 * i),
                    "unit": unit,
                    "approved": bool(rng.random() < 0.6),
                    "channel": "app_store" if i % 2 else "social_ads",
                    "hits": ["emulator"] if day == burst_day and i % 2 else [],
                    "score": float(rng.normal(600, 50)),
                }
            )
    return rows


def test_units_are_monitored_apart_and_a_burst_alerts_in_its_own_unit():
    frame = pl.DataFrame(_decisions("a@v1", 56, 40, burst_day=49) + _decisions("b@v2", 56, 40))
    report = build_report(frame)
    assert set(report.daily["unit"].unique()) == {"a@v1", "b@v2"}
    on_burst = report.alerts.filter(pl.col("day") == (START + timedelta(days=49)).date())
    assert set(on_burst["unit"]) == {"a@v1"}
    assert {"volume", "rule"} <= set(on_burst["kind"])
    assert report.alerts.filter(pl.col("unit") == "b@v2").height == 0
    summary = report.summary()
    assert summary["alerts"] == report.alerts.height and summary["weeks"] == 8.0


def test_contract_errors_name_the_field():
    good = pl.DataFrame(_decisions("a", 2, 3))
    with pytest.raises(InvalidInputError, match="channel"):
        check_decisions(good.drop("channel"))
    aware = good.with_columns(pl.col("decided_at").dt.replace_time_zone("UTC"))
    with pytest.raises(InvalidInputError, match="decided_at: must be on the local wall clock"):
        check_decisions(aware)
    with pytest.raises(InvalidInputError, match="approved"):
        check_decisions(good.with_columns(pl.col("approved").cast(pl.Int8)))
    with pytest.raises(InvalidInputError, match="decisions"):
        check_decisions(good.head(0))


def test_rule_hits_become_lists_and_missing_files_are_named(tmp_path):
    results = pl.DataFrame(
        {"application_id": [1, 2], "hit_emulator": [True, False], "hit_probing": [True, True]}
    )
    assert rule_hits(results)["hits"].to_list() == [["emulator", "probing"], ["probing"]]
    with pytest.raises(InvalidInputError, match="hit_"):
        rule_hits(results.select("application_id"))
    with pytest.raises(InvalidInputError, match="applications.parquet"):
        from_files(tmp_path, results)


def test_a_channel_mix_shift_alerts_on_its_first_day_as_a_share():
    rows = _decisions("a@v1", 50, 60)
    shift = (START + timedelta(days=42)).date()
    for i, r in enumerate(rows):  # from day 42 on, nine in ten come from social ads
        if r["decided_at"].date() >= shift:
            r["channel"] = "social_ads" if i % 10 else "app_store"
    mix = build_report(pl.DataFrame(rows)).alerts.filter(pl.col("kind") == "mix")
    first = mix.sort("day").group_by("metric", maintain_order=True).first()
    assert dict(zip(first["metric"], first["day"], strict=True)) == {
        "share:app_store": shift,
        "share:social_ads": shift,
    }
    assert set(mix["direction"]) == {"up", "down"}


def test_period_must_be_a_week_or_a_day():
    from zhudai.monitoring.stability import period_stability

    with pytest.raises(InvalidInputError, match="period"):
        period_stability(pl.DataFrame(_decisions("a", 2, 3)), ["score"], period="1mo")
