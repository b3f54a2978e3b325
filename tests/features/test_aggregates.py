"""Each aggregate, filter, field transform and ratio against a value computed by hand, through
both the batch and the online engine."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from datetime import datetime
from typing import Any

import numpy as np
import polars as pl
import pytest

from zhudai.features import (
    BatchFeatureEngine,
    FeatureSet,
    OnlineFeatureEngine,
    feature_set_from_dict,
)

AS_OF = datetime(2024, 6, 10, 12, 0)  # a Monday
# (ts, category, amount, is_installment)
ORDERS = [
    (datetime(2024, 6, 9, 3, 0), "game_topup", 20.0, False),  # Sunday night, small
    (datetime(2024, 6, 9, 3, 30), "game_topup", 10.0, False),  # Sunday night, small
    (datetime(2024, 6, 5, 15, 0), "groceries", 100.0, True),
    (datetime(2024, 5, 20, 23, 0), "luxury", 3000.0, True),  # Monday, late evening, big
    (datetime(2024, 3, 1, 10, 0), "books", 50.0, False),
    (AS_OF, "luxury", 9999.0, True),  # at the application time: ignored
    (datetime(2024, 6, 11), "luxury", 9999.0, True),  # after it: ignored
    (datetime(2023, 1, 1), "luxury", 9999.0, True),  # older than every window: ignored
]
DAY = 86_400.0


def _age(ts: datetime) -> float:
    return (AS_OF - ts).total_seconds() / DAY


DEFINITIONS = {
    "tables": {
        "orders": {
            "windows": [7, 30, 365],
            "filters": {
                "weekend": {"weekend": True},
                "weekday": {"weekend": False},
                "night": {"hour": [0, 6]},
                "late": {"hour": [22, 6]},
                "small": {"column": "amount", "between": [None, 30]},
                "big": {"column": "amount", "between": [1000, None]},
                "impulsive": {"column": "category", "in": ["game_topup", "luxury"]},
                "installment": {"column": "is_installment", "is": True},
                "small_night": [{"hour": [0, 6]}, {"column": "amount", "between": [None, 30]}],
            },
            "aggregates": [
                {
                    "agg": ["count", "sum", "mean", "max", "min", "std", "trend_slope"],
                    "column": "amount",
                },
                {"agg": "distinct_count", "column": "category"},
                {
                    "agg": ["count", "sum"],
                    "column": "amount",
                    "filters": [
                        "weekend",
                        "weekday",
                        "night",
                        "late",
                        "small",
                        "big",
                        "impulsive",
                        "installment",
                        "small_night",
                    ],
                },
                {"agg": "share", "filters": ["night", "weekend"]},
                {"agg": "recency", "filters": ["all", "installment", "big"]},
                {"agg": "max_daily_count", "filters": ["all", "small_night"]},
            ],
        }
    },
    "fields": [
        {"name": "male", "table": "customers", "column": "gender", "equals": "M"},
        {
            "name": "occupation_code",
            "table": "customers",
            "column": "occupation",
            "categories": ["teacher", "student"],
        },
        {
            "name": "other_occupation",
            "table": "customers",
            "column": "occupation",
            "categories": ["teacher"],
        },
        {
            "name": "tenure_days",
            "table": "customers",
            "column": "registered_at",
            "days_before": True,
        },
        {
            "name": "ip_mismatch",
            "table": "applications",
            "column": "ip_city",
            "differs_from": "declared_city",
        },
        {"name": "amount_requested", "table": "applications", "column": "amount_requested"},
        {"name": "open_loans", "table": "bureau", "column": "open_loans"},
    ],
    "ratios": [
        {
            "name": "spend_7_over_30",
            "numerator": "orders_sum_amount_7d",
            "denominator": "orders_sum_amount_30d",
        },
        {
            "name": "spend_7_over_30_per_loan",
            "numerator": "spend_7_over_30",
            "denominator": "open_loans",
        },
        {
            "name": "by_zero",
            "numerator": "orders_sum_amount_7d",
            "denominator": "orders_count_big_7d",
        },
    ],
}
STATIC = {
    "applications": {
        "application_id": 1,
        "customer_id": 5,
        "applied_at": AS_OF,
        "ip_city": "深圳",
        "declared_city": "上海",
        "amount_requested": 5000.0,
    },
    "customers": {
        "customer_id": 5,
        "gender": "F",
        "occupation": "student",
        "registered_at": datetime(2024, 6, 1),
    },
}  # no bureau row: bureau fields are missing


def _batch(
    fs: FeatureSet, orders: list[tuple], as_of: datetime, static: dict[str, dict[str, Any]]
) -> dict[str, float]:
    apps = pl.DataFrame([static["applications"] | {"applied_at": as_of}])
    frame = pl.DataFrame(
        orders, schema=["ts", "category", "amount", "is_installment"], orient="row"
    )
    tables = {
        "orders": frame.with_columns(customer_id=pl.lit(5, pl.Int64)),
        "customers": pl.DataFrame([static["customers"]]),
        "bureau": pl.DataFrame(schema={"application_id": pl.Int64, "open_loans": pl.Int64}),
    }
    row = BatchFeatureEngine(fs).compute(apps, tables).row(0, named=True)
    return {n: math.nan if row[n] is None else row[n] for n in fs.names}


def _online(
    fs: FeatureSet, orders: list[tuple], as_of: datetime, static: dict[str, dict[str, Any]]
) -> dict[str, float]:
    events = [
        dict(zip(["ts", "category", "amount", "is_installment"], o, strict=True)) for o in orders
    ]
    return OnlineFeatureEngine(fs).compute({"orders": events}, as_of, static)


ENGINES: dict[str, Callable[..., dict[str, float]]] = {"batch": _batch, "online": _online}


@pytest.fixture(scope="module")
def definitions() -> FeatureSet:
    return feature_set_from_dict(DEFINITIONS)


@pytest.fixture(params=sorted(ENGINES))
def features(request: pytest.FixtureRequest, definitions: FeatureSet) -> dict[str, float]:
    return ENGINES[request.param](definitions, ORDERS, AS_OF, STATIC)


def _slope(rows: list[tuple]) -> float:
    t = np.array([-_age(r[0]) for r in rows])
    return float(np.polyfit(t, np.array([r[2] for r in rows]), 1)[0])


def test_plain_aggregates(features: dict[str, float]) -> None:
    seven, thirty, year = ORDERS[:3], ORDERS[:4], ORDERS[:5]
    expected = {
        "orders_count_7d": 3,
        "orders_count_30d": 4,
        "orders_count_365d": 5,
        "orders_sum_amount_7d": 130.0,
        "orders_sum_amount_365d": 3180.0,
        "orders_mean_amount_7d": 130.0 / 3,
        "orders_max_amount_7d": 100.0,
        "orders_max_amount_30d": 3000.0,
        "orders_min_amount_365d": 10.0,
        "orders_std_amount_7d": statistics.stdev([r[2] for r in seven]),
        "orders_std_amount_30d": statistics.stdev([r[2] for r in thirty]),
        "orders_trend_slope_amount_30d": _slope(thirty),
        "orders_trend_slope_amount_365d": _slope(year),
        "orders_distinct_category_7d": 2,
        "orders_distinct_category_30d": 3,
        "orders_distinct_category_365d": 4,
    }
    for name, value in expected.items():
        assert features[name] == pytest.approx(value, rel=1e-9), name


def test_filters(features: dict[str, float]) -> None:
    expected = {
        "orders_count_weekend_30d": 2,  # the two Sunday orders
        "orders_count_weekday_30d": 2,
        "orders_count_night_365d": 2,  # 03:00 and 03:30
        "orders_count_late_30d": 3,  # [22, 6) wraps midnight: adds the 23:00 order
        "orders_count_small_365d": 2,  # amount < 30
        "orders_sum_amount_small_7d": 30.0,
        "orders_sum_amount_big_30d": 3000.0,  # amount >= 1000
        "orders_count_big_7d": 0,
        "orders_count_impulsive_365d": 3,
        "orders_sum_amount_installment_30d": 3100.0,
        "orders_count_small_night_7d": 2,
        "orders_share_night_7d": 2 / 3,
        "orders_share_weekend_30d": 0.5,
    }
    for name, value in expected.items():
        assert features[name] == pytest.approx(value, rel=1e-9), name


def test_recency_and_bursts(features: dict[str, float]) -> None:
    assert features["orders_recency_365d"] == pytest.approx(_age(ORDERS[1][0]), rel=1e-12)
    assert features["orders_recency_installment_365d"] == pytest.approx(4.875)
    assert features["orders_recency_big_7d"] != features["orders_recency_big_7d"]  # none: NaN
    assert features["orders_recency_big_30d"] == pytest.approx(_age(ORDERS[3][0]))
    assert features["orders_max_daily_count_365d"] == 2  # June 9
    assert features["orders_max_daily_count_small_night_30d"] == 2


def test_missing_values_are_nan_and_empty_counts_zero(features: dict[str, float]) -> None:
    assert features["orders_sum_amount_big_7d"] == 0.0
    assert math.isnan(features["by_zero"])  # denominator 0
    assert math.isnan(features["open_loans"])  # no bureau row
    assert math.isnan(features["spend_7_over_30_per_loan"])  # ratio of a missing denominator


def test_fields_and_ratios(features: dict[str, float]) -> None:
    assert features["male"] == 0.0
    assert features["occupation_code"] == 1.0
    assert math.isnan(features["other_occupation"])  # value not in the list
    assert features["tenure_days"] == pytest.approx(9.5)
    assert features["ip_mismatch"] == 1.0
    assert features["amount_requested"] == 5000.0
    assert features["spend_7_over_30"] == pytest.approx(130.0 / 3130.0)


def test_no_events_at_all(definitions: FeatureSet) -> None:
    for engine in ENGINES.values():
        out = engine(definitions, [], AS_OF, STATIC)
        assert out["orders_count_365d"] == 0.0
        assert out["orders_max_daily_count_365d"] == 0.0
        assert out["orders_distinct_category_30d"] == 0.0
        assert math.isnan(out["orders_mean_amount_30d"])
        assert math.isnan(out["orders_trend_slope_amount_365d"])


def test_slope_of_a_burst_is_missing(definitions: FeatureSet) -> None:
    """Orders half an hour apart, months ago: their slope is rounding noise, so it is missing."""
    from datetime import timedelta

    burst = [
        (datetime(2024, 3, 1, 10, 0) + timedelta(minutes=30 * i), "books", 10.0 + 7 * i, False)
        for i in range(5)
    ]
    spread = [
        (datetime(2024, 3, 1, 10, 0) + timedelta(days=2 * i), *o[1:]) for i, o in enumerate(burst)
    ]
    for engine in ENGINES.values():
        assert math.isnan(
            engine(definitions, burst, AS_OF, STATIC)["orders_trend_slope_amount_365d"]
        )
        assert engine(definitions, spread, AS_OF, STATIC)["orders_trend_slope_amount_365d"] == (
            pytest.approx(3.5, rel=1e-9)  # 7 more every 2 days
        )
