"""``evaluate_detection`` with the fraud results: a ring is found only by an alert involving
its own applications (a rule one of them hit, the cluster they are in, a velocity peak that
is theirs); an alert of the right kind on the right day caused by others is only
``coincident``. Shocks need no attribution."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl

from zhudai.monitoring.evaluation import ATTACK_SCHEMA, evaluate_detection

START = date(2024, 3, 1)


def _attacks() -> pl.DataFrame:
    return pl.DataFrame(
        [
            {"kind": "ring", "attack": "R1", "start": START, "applications": [1, 2]},
            {"kind": "macro_shock", "attack": "macro_shock", "start": START, "applications": []},
        ],
        schema=ATTACK_SCHEMA,
    )


def _results() -> pl.DataFrame:
    """Applications 1 and 2 (the ring, cluster c7) and 3 (someone else, cluster c9)."""
    return pl.DataFrame(
        {
            "application_id": [1, 2, 3],
            "applied_at": [
                datetime(2024, 3, 1, 10),
                datetime(2024, 3, 2, 9),
                datetime(2024, 3, 1, 11),
            ],
            "ring_community": [7, 7, 9],
            "ring_score": [0.6, 0.6, 0.7],
            "is_fraud_pred": [True, True, True],
            "hit_shared_device": [True, False, False],
            "hit_new_sim": [False, False, True],
            "dev_ids_24h": [5.0, 2.0, 7.0],
        }
    )


def _alerts(*rows: tuple[date, str, str, float]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema={"day": pl.Date, "kind": pl.Utf8, "metric": pl.Utf8, "value": pl.Float64},
        orient="row",
    )  # fmt: skip


def _ring(alerts: pl.DataFrame) -> dict:
    found = evaluate_detection(alerts, _attacks(), _results())
    return found.filter(pl.col("kind") == "ring").row(0, named=True)


def test_alerts_caused_by_others_are_only_coincident() -> None:
    others = _alerts(
        (START, "cluster", "cluster 9", 2.0),  # application 3's cluster
        (START, "rule", "hits:new_sim", 1.0),  # a rule only application 3 hit
        (START, "velocity", "dev_ids_24h", 7.0),  # the day's peak is application 3's
    )
    ring = _ring(others)
    assert (ring["found"], ring["coincident"], ring["delay_days"]) == (False, True, None)


def test_an_alert_involving_the_ring_finds_it() -> None:
    for alert in [
        (START, "rule", "hits:shared_device", 1.0),  # application 1 hit it that day
        (date(2024, 3, 2), "cluster", "cluster 7", 2.0),  # the ring's cluster, the next day
        (START, "velocity", "dev_ids_24h", 5.0),  # the peak is application 1's own value
    ]:
        ring = _ring(_alerts(alert))
        assert ring["found"] and ring["coincident"], alert
        assert ring["delay_days"] == (alert[0] - START).days


def test_too_late_or_unrelated_kinds_find_nothing() -> None:
    late = _alerts((date(2024, 3, 3), "cluster", "cluster 7", 3.0))  # two days after the start
    assert not _ring(late)["found"] and not _ring(late)["coincident"]
    volume = _alerts((START, "volume", "applications", 90.0))  # a kind that cannot see a ring
    found = evaluate_detection(volume, _attacks(), _results())
    assert found.filter(pl.col("kind") == "ring")["coincident"].to_list() == [False]
    assert found.filter(pl.col("kind") == "macro_shock")["found"].to_list() == [True]
